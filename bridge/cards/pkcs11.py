"""The PKCS#11 layer: the only module that imports the binding (python-pkcs11).

What the CPS gives without a PIN through PKCS#11 is its certificates: the Cryptolib CPS
exposes them as public objects (``CKA_PRIVATE`` false), readable in a session that never logs
in; its own test code reads them that way (``C_OpenSession`` read-only, then
``C_FindObjects``, no ``C_Login``). So this module opens **read-only sessions only**, never
calls ``C_Login``, and has no parameter through which a PIN could pass.

The module (a shared library) is chosen once, in this order:

1. an explicit path: ``--pkcs11-module PATH`` / the ``pkcs11Module`` setting;
2. ``pkcs11Module`` in the system configuration (:mod:`bridge.sysconfig`);
3. the first that exists among the documented install locations of the Cryptolib CPS (the
   official module, from ANS's release notes) and then of OpenSC (its ``iasecc`` driver
   knows the "IAS/ECC CPx" cards), see :data:`CANDIDATES`.

The library is not re-entrant as loaded (``C_Initialize`` without ``CKF_OS_LOCKING_OK``), so
every call into it goes through one lock. Calls block (the card is slow): callers run them in
a thread.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from bridge.errors import CardCommunicationError, CardRemovedError, Pkcs11UnavailableError

log = logging.getLogger("vitale_bridge.cards")

ModuleSource = Literal["option", "systemConfig", "discovered"]

#: Largest certificate value read (bytes): a CPS certificate is about 2 KB.
MAX_CERTIFICATE = 16 * 1024
#: Most certificate objects read from one token (a CPS has two or three).
MAX_CERTIFICATES = 16

INSTALL_HINT = (
    "Install the Cryptolib CPS (the PKCS#11 module for the CPS card, published by the Agence du "
    "Numérique en Santé), or OpenSC; or name the module with --pkcs11-module PATH or "
    "pkcs11Module in the system configuration."
)


def candidates(platform: str | None = None) -> list[str]:
    """Documented install locations, the Cryptolib CPS first, then OpenSC.

    Cryptolib CPS (ANS release notes 5.2.x): Linux RPM ``CpsLibDir`` = /opt/santesocial/CPS/lib
    with a link in /usr/lib64; macOS ``LibDir`` = /usr/local/lib; Windows ``%SysDir%``
    (System32, the 64-bit DLL for a 64-bit process). OpenSC: its wiki ("Installing OpenSC
    PKCS#11 Module in Firefox", "macOS Quick Start") and the Debian/Fedora packages.
    """
    platform = platform or sys.platform
    if platform == "win32":
        system = os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32")
        dll = "cps3_pkcs11_w64.dll" if sys.maxsize > 2**32 else "cps3_pkcs11_w32.dll"
        program_files = os.environ.get("ProgramFiles", r"C:\Program Files")
        return [os.path.join(system, dll), os.path.join(program_files, "OpenSC Project", "OpenSC", "pkcs11", "opensc-pkcs11.dll")]
    if platform == "darwin":
        return [
            "/usr/local/lib/libcps3_pkcs11_osx.dylib",
            "/Library/OpenSC/lib/opensc-pkcs11.so",
            "/usr/local/lib/opensc-pkcs11.so",
        ]
    return [
        "/opt/santesocial/CPS/lib/libcps3_pkcs11_lux.so",
        "/usr/lib64/libcps3_pkcs11_lux.so",
        *sorted(glob.glob("/usr/lib/*-linux-gnu/opensc-pkcs11.so")),
        "/usr/lib64/opensc-pkcs11.so",
        "/usr/lib/opensc-pkcs11.so",
    ]


#: Where to look, when set (tests); None: :func:`candidates` for this platform, computed when
#: needed (it lists folders: not at import, which the native host's start-up would pay).
CANDIDATES: list[str] | None = None


@dataclass(frozen=True)
class ModuleChoice:
    path: str
    source: ModuleSource


def choose_module(explicit: str | None = None, system: str | None = None) -> ModuleChoice:
    """The module to load, or PKCS11_UNAVAILABLE (with the install hint) when there is none."""
    if explicit:
        return ModuleChoice(explicit, "option")
    if system:
        return ModuleChoice(system, "systemConfig")
    searched = CANDIDATES if CANDIDATES is not None else candidates()
    for path in searched:
        if os.path.isfile(path):
            return ModuleChoice(path, "discovered")
    raise Pkcs11UnavailableError("No PKCS#11 module for the CPS card was found. " + INSTALL_HINT, searched=list(searched))


@dataclass(frozen=True)
class TokenInfo:
    """A slot holding an initialised token, as the module describes it."""

    slot_id: int
    slot_description: str
    hardware_slot: bool  # CKF_HW_SLOT: a physical reader (a software token is not tied to one)
    label: str
    serial: str
    manufacturer: str
    model: str


#: What a token chooser returns: the token, and how it was chosen (a rule name).
Picked = tuple[TokenInfo, str]


@dataclass(frozen=True)
class CertificateObject:
    label: str
    object_id: str  # CKA_ID, hex
    der: bytes


class Pkcs11Module:
    """One loaded PKCS#11 module. Blocking; thread-safe through one lock."""

    def __init__(self, choice: ModuleChoice) -> None:
        self.choice = choice
        self._lock = threading.Lock()
        self._lib: Any = None

    @property
    def path(self) -> str:
        return self.choice.path

    def _load_locked(self) -> None:
        """Load and initialise the library (``C_Initialize``) on first use; the lock is held."""
        if self._lib is not None:
            return
        if not os.path.isfile(self.path):
            raise Pkcs11UnavailableError(
                f"The PKCS#11 module {self.path} does not exist. " + INSTALL_HINT, module=self.path, source=self.choice.source
            )
        try:
            import pkcs11
        except ImportError:  # a build without the binding
            raise Pkcs11UnavailableError(
                "This build of vitale-bridge has no PKCS#11 support (python-pkcs11 is missing): "
                "reinstall it with its dependencies.", module=self.path
            ) from None
        try:
            self._lib = pkcs11.lib(self.path)
        except Exception as exc:  # noqa: BLE001 - PKCS11Error, OSError...: the module cannot be used
            raise Pkcs11UnavailableError(
                f"The PKCS#11 module {self.path} could not be loaded ({type(exc).__name__}): check that "
                "it is a PKCS#11 module built for this system (64-bit). " + INSTALL_HINT,
                module=self.path, source=self.choice.source,
            ) from None
        log.info("PKCS#11 module loaded: %s (%s)", self.path, self.choice.source)

    def close(self) -> None:
        """``C_Finalize`` and unload (tests, and a bridge that stops)."""
        with self._lock:
            if self._lib is None:
                return
            import pkcs11

            try:
                pkcs11.unload(self.path)
            except Exception as exc:  # noqa: BLE001 - stopping must go on
                log.debug("PKCS#11 unload: %s", type(exc).__name__)
            self._lib = None

    def read(self, choose: Callable[[list[TokenInfo]], Picked | None]) -> tuple[list[TokenInfo], Picked | None, list[CertificateObject]]:
        """List the tokens and, when *choose* picks one, read its certificates: one lock and
        one thread hop for the common case. Returns (tokens, what *choose* returned, certificates)."""
        with self._lock, _translated(self.path):
            self._load_locked()
            slots = self._slots_locked()
            tokens = [info for info, _slot in slots]
            picked = choose(tokens)
            if picked is None:
                return tokens, None, []
            slot = next(slot for info, slot in slots if info is picked[0])
            return tokens, picked, self._certificates_locked(slot)

    def certificates(self, slot_id: int) -> list[CertificateObject]:
        """The certificates of the token in *slot_id* (CARD_REMOVED when it is gone)."""
        with self._lock, _translated(self.path):
            self._load_locked()
            slot = next((slot for info, slot in self._slots_locked() if info.slot_id == slot_id), None)
            if slot is None:
                raise CardRemovedError("The CPS card was removed during the read. Insert it again and retry.")
            return self._certificates_locked(slot)

    def _slots_locked(self) -> list[tuple[TokenInfo, Any]]:
        """Slots holding an initialised token (``C_GetSlotList(TRUE)``, ``C_GetTokenInfo``)."""
        from pkcs11 import SlotFlag, TokenFlag

        out = []
        for slot in self._lib.get_slots(token_present=True):
            token = slot.get_token()
            if not token.flags & TokenFlag.TOKEN_INITIALIZED:
                continue  # e.g. SoftHSM's spare slot
            info = TokenInfo(
                slot_id=slot.slot_id,
                slot_description=slot.slot_description.strip(),
                hardware_slot=bool(slot.flags & SlotFlag.HW_SLOT),
                label=token.label.strip(),
                serial=_text(token.serial),
                manufacturer=token.manufacturer_id.strip(),
                model=token.model.strip(),
            )
            out.append((info, slot))
        return out

    def _certificates_locked(self, slot: Any) -> list[CertificateObject]:
        """The public X.509 certificate objects of a token, in a read-only session that does
        not log in (``C_OpenSession`` without ``CKF_RW_SESSION``; no ``C_Login``)."""
        from pkcs11 import Attribute, CertificateType, ObjectClass

        out: list[CertificateObject] = []
        with slot.get_token().open(rw=False) as session:
            template = {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509}
            for obj in session.get_objects(template):
                der = bytes(obj[Attribute.VALUE])
                if len(der) > MAX_CERTIFICATE:
                    continue
                out.append(CertificateObject(_attr(obj, Attribute.LABEL), _attr_hex(obj, Attribute.ID), der))
                if len(out) >= MAX_CERTIFICATES:
                    break
        return out


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    return str(value).strip().rstrip("\x00")


def _attr(obj: Any, attribute: Any) -> str:
    try:
        return _text(obj[attribute])
    except Exception:  # noqa: BLE001 - an optional attribute the module does not give
        return ""


def _attr_hex(obj: Any, attribute: Any) -> str:
    try:
        return bytes(obj[attribute]).hex().upper()
    except Exception:  # noqa: BLE001
        return ""


@contextlib.contextmanager
def _translated(path: str) -> Iterator[None]:
    """Turn the binding's exceptions into the bridge's errors, in this module only."""
    try:
        import pkcs11.exceptions as p11
    except ImportError:  # no binding in this build: loading the module says so, plainly
        yield
        return
    try:
        yield
    except (p11.TokenNotPresent, p11.DeviceRemoved, p11.SessionClosed, p11.SessionHandleInvalid) as exc:
        raise CardRemovedError(
            "The CPS card was removed during the read. Insert it again and retry.", pkcs11Error=type(exc).__name__
        ) from None
    except p11.PKCS11Error as exc:
        raise CardCommunicationError(
            "The PKCS#11 module could not read the CPS card. Remove the card, insert it again and retry.",
            pkcs11Error=type(exc).__name__, module=path,
        ) from None
