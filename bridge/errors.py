"""The bridge's application errors: one small typed tree, each with its wire codes.

::

    BridgeError                      -32000  BRIDGE
    ├── ReaderError
    │   ├── NoReaderError            -32001  NO_READER
    │   ├── ReaderNotFoundError      -32002  READER_NOT_FOUND
    │   ├── PcscUnavailableError     -32003  PCSC_UNAVAILABLE
    │   └── ReaderBusyError          -32004  READER_BUSY
    ├── CardError
    │   ├── NoCardError              -32010  NO_CARD
    │   ├── CardRemovedError         -32011  CARD_REMOVED
    │   ├── UnsupportedCardError     -32012  UNSUPPORTED_CARD
    │   ├── CardCommunicationError   -32013  CARD_COMMUNICATION
    │   ├── CardBusyError            -32014  CARD_BUSY
    │   └── CpsRequiredError         -32015  CPS_REQUIRED
    ├── OdError
    │   ├── OdNotFoundError          -32020  OD_NOT_FOUND
    │   ├── OdTableInvalidError      -32021  OD_TABLE_INVALID
    │   └── OdImportSuspiciousError  -32022  OD_IMPORT_SUSPICIOUS
    ├── AccessError
    │   ├── ForbiddenError           -32030  FORBIDDEN
    │   └── VersionMismatchError     -32031  VERSION_MISMATCH
    ├── LimitError
    │   ├── TooManyRequestsError     -32040  TOO_MANY_REQUESTS
    │   ├── ResultTooLargeError      -32041  RESULT_TOO_LARGE
    │   └── TimedOutError            -32042  TIMED_OUT
    ├── Pkcs11Error
    │   ├── Pkcs11UnavailableError   -32050  PKCS11_UNAVAILABLE
    │   ├── NoTokenError             -32051  NO_TOKEN
    │   └── NoCertificateError       -32052  NO_CERTIFICATE
    └── ProfileNotFoundError         -32060  PROFILE_NOT_FOUND

Each error carries a message written for the person who must act on it (what happened and
what to do) and a ``details`` dict of non-personal facts (reader name, status word, the codes
that were looked up). Translation to the JSON-RPC wire happens in exactly one place:
:func:`bridge.rpc.dispatcher.error_to_wire`. The numeric and string codes are part of the
public API: never renumber, only add.

Naming rule (docs/api.md, "Naming rules"): a class's ``code`` is its name without the
``Error`` suffix in UPPER_SNAKE_CASE (``ReaderBusyError`` -> ``READER_BUSY``), for the
abstract bases too (``CardError`` -> ``CARD``), which are never raised as such: a client only
sees ``BRIDGE`` from an error that has no code of its own. tests/rpc/test_naming.py enforces it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BridgeError(Exception):
    """Base of every error the bridge reports to a client."""

    rpc_code: ClassVar[int] = -32000
    code: ClassVar[str] = "BRIDGE"
    default_message: ClassVar[str] = "The bridge could not complete the request."
    #: True for a passing fault (a card reset by another program, a transaction the reader
    #: dropped): the card service tries the read again, a bounded number of times. Never on
    #: the wire.
    retryable: bool = False

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_data(self) -> dict[str, Any]:
        """The ``error.data`` object: the stable string code plus the details."""
        return {"code": self.code, **self.details}


# --- readers -------------------------------------------------------------------------------


class ReaderError(BridgeError):
    rpc_code = -32000
    code = "READER"


class NoReaderError(ReaderError):
    rpc_code = -32001
    code = "NO_READER"
    default_message = "No card reader is connected. Plug in the reader and try again."


class ReaderNotFoundError(ReaderError):
    rpc_code = -32002
    code = "READER_NOT_FOUND"
    default_message = "The requested reader is not connected. List readers with readers.list."


class PcscUnavailableError(ReaderError):
    rpc_code = -32003
    code = "PCSC_UNAVAILABLE"
    default_message = (
        "The smart-card service (PC/SC) is not running. Start it (pcscd on Linux, "
        "'Smart Card' service on Windows) and try again."
    )


class ReaderBusyError(ReaderError):
    rpc_code = -32004
    code = "READER_BUSY"
    default_message = (
        "Another program (often the billing software) is using the card in this reader. "
        "Wait until it has finished, or close it, and retry."
    )


# --- cards ---------------------------------------------------------------------------------


class CardError(BridgeError):
    code = "CARD"


class NoCardError(CardError):
    rpc_code = -32010
    code = "NO_CARD"
    default_message = "No card is inserted. Insert the card in the reader and try again."


class CardRemovedError(CardError):
    rpc_code = -32011
    code = "CARD_REMOVED"
    default_message = "The card was removed during the read. Insert it again and retry."


class UnsupportedCardError(CardError):
    rpc_code = -32012
    code = "UNSUPPORTED_CARD"
    default_message = "This card cannot be read by vitale-bridge."


class CardCommunicationError(CardError):
    rpc_code = -32013
    code = "CARD_COMMUNICATION"
    default_message = "The card answered in an unexpected way. Remove it, insert it again and retry."


class CardBusyError(CardError):
    rpc_code = -32014
    code = "CARD_BUSY"
    default_message = "The card is being used by another program. Close it and retry."


class CpsRequiredError(CardError):
    rpc_code = -32015
    code = "CPS_REQUIRED"
    default_message = (
        "Reading the protected data of the carte Vitale requires a professional card (CPS/CPx). "
        "Insert your CPS card in a reader, or read with scope 'clear'."
    )


# --- OD table --------------------------------------------------------------------------------


class OdError(BridgeError):
    code = "OD"


class OdNotFoundError(OdError):
    rpc_code = -32020
    code = "OD_NOT_FOUND"
    default_message = (
        "No organisme destinataire is listed for this régime, caisse and centre in the TOD table. "
        "Check the codes, or import the current table with 'vitale-bridge od import'."
    )


class OdTableInvalidError(OdError):
    rpc_code = -32021
    code = "OD_TABLE_INVALID"
    default_message = "The TOD file is not valid; the active table was not changed."


class OdImportSuspiciousError(OdError):
    """A valid file that would shrink, cut or re-route the active table too much to be the
    right file; ``details`` carry the comparison (``od diff``), and ``--force`` imports anyway."""

    rpc_code = -32022
    code = "OD_IMPORT_SUSPICIOUS"
    default_message = (
        "This TOD file would remove or re-route much of the active table; it was not imported. "
        "Compare with 'vitale-bridge od diff FILE', then import with --force if it is right."
    )


# --- access ------------------------------------------------------------------------------------


class AccessError(BridgeError):
    code = "ACCESS"


class ForbiddenError(AccessError):
    rpc_code = -32030
    code = "FORBIDDEN"
    default_message = "This client is not allowed to use the bridge."


class VersionMismatchError(AccessError):
    rpc_code = -32031
    code = "VERSION_MISMATCH"
    default_message = "The client and the bridge speak incompatible protocol versions."


# --- limits ------------------------------------------------------------------------------------


class LimitError(BridgeError):
    code = "LIMIT"


class TooManyRequestsError(LimitError):
    rpc_code = -32040
    code = "TOO_MANY_REQUESTS"
    default_message = "Too many requests are in flight on this connection. Wait for answers first."


class ResultTooLargeError(LimitError):
    rpc_code = -32041
    code = "RESULT_TOO_LARGE"
    default_message = "The answer is larger than the channel allows."


class TimedOutError(LimitError):
    rpc_code = -32042
    code = "TIMED_OUT"
    default_message = "The operation took too long and was abandoned. Retry."


# --- PKCS#11 (the CPS holder's identity) ---------------------------------------------------


class Pkcs11Error(BridgeError):
    code = "PKCS11"


class Pkcs11UnavailableError(Pkcs11Error):
    rpc_code = -32050
    code = "PKCS11_UNAVAILABLE"
    default_message = (
        "No PKCS#11 module for the CPS card is available. Install the Cryptolib CPS (or OpenSC), "
        "or name the module with --pkcs11-module PATH or pkcs11Module in the system configuration."
    )


class NoTokenError(Pkcs11Error):
    rpc_code = -32051
    code = "NO_TOKEN"
    default_message = (
        "The PKCS#11 module sees no CPS card. Insert the CPS card in its reader and retry; if it is "
        "inserted, the module in use may not support this card (install the Cryptolib CPS)."
    )


class NoCertificateError(Pkcs11Error):
    rpc_code = -32052
    code = "NO_CERTIFICATE"
    default_message = (
        "The card holds no certificate naming a health professional (IGC-Santé), so its holder "
        "cannot be told. Check that it is a CPS card, or ask the card's issuer."
    )


# --- simulator -------------------------------------------------------------------------------


class ProfileNotFoundError(BridgeError):
    rpc_code = -32060
    code = "PROFILE_NOT_FOUND"
    default_message = (
        "No shipped card profile has this name. List them with 'vitale-bridge simulate --help'; "
        "a profile file can only be given on the command line (--profile /absolute/path.json)."
    )


class SetupError(Exception):
    """A local problem the user can fix (a port in use, a missing program), phrased for them.

    Not part of the JSON-RPC tree: it never travels on the wire; the CLI prints it as is.
    """


def all_errors() -> list[type[BridgeError]]:
    """Every concrete error class, for documentation (OpenRPC) and clients' code maps."""
    out: list[type[BridgeError]] = []
    stack: list[type[BridgeError]] = [BridgeError]
    while stack:
        cls = stack.pop(0)
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return [c for c in out if c.rpc_code != -32000 or c is BridgeError]
