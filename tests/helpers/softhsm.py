"""SoftHSM2 tokens in a private folder: the stand-in for the CPS's PKCS#11 view.

The virtual CPS of the PC/SC bench does not speak IAS-ECC, so neither the Cryptolib CPS nor
OpenSC can make a token of it. SoftHSM2 is a real PKCS#11 module: the bridge loads it and
calls it exactly as it would the Cryptolib. Each :class:`SoftHsm` has its own
``SOFTHSM2_CONF`` and tokens folder under a temporary directory (never the system's).

Tokens are made with ``softhsm2-util`` and certificates written with ``pkcs11-tool``
(Debian ``opensc``), each in its own process: the test process itself only ever loads the
module the way the bridge does. Writing needs the token's user PIN; that PIN exists only in
this test harness (SoftHSM requires one to create objects), the bridge never sees it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SPY = next(
    (p for p in ("/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so", "/usr/lib/aarch64-linux-gnu/pkcs11/pkcs11-spy.so")
     if os.path.exists(p)),
    None,
)
#: Test-harness PINs of the SoftHSM tokens (the bridge never uses them).
SO_PIN = "87654321"
USER_PIN = "123456"

AUTH_LABEL = "Certificat d'Authentification CPS"
SIGN_LABEL = "Certificat de Signature CPS"


def available() -> bool:
    return os.path.exists(MODULE) and shutil.which("softhsm2-util") is not None and shutil.which("pkcs11-tool") is not None


@dataclass
class SoftHsm:
    root: Path
    tokens: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path | None = None) -> SoftHsm:
        root = Path(root or tempfile.mkdtemp(prefix="vb-softhsm-"))
        (root / "tokens").mkdir(parents=True, exist_ok=True)
        (root / "softhsm2.conf").write_text(
            f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n",
            encoding="utf-8",
        )
        return cls(root)

    @property
    def conf(self) -> Path:
        return self.root / "softhsm2.conf"

    @property
    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}

    def _run(self, *args: str) -> str:
        out = subprocess.run(
            args, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=60, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {out.stderr or out.stdout}")
        return out.stdout

    def add_token(self, label: str) -> str:
        self._run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", USER_PIN)
        self.tokens.append(label)
        return label

    def write_certificate(self, token: str, der: bytes, label: str = AUTH_LABEL, object_id: str = "01") -> None:
        """A public (CKA_PRIVATE false) X.509 certificate object, as the CPS holds them."""
        path = self.root / f"cert-{len(os.listdir(self.root))}.der"
        path.write_bytes(der)
        self._run(
            "pkcs11-tool", "--module", MODULE, "--token-label", token, "--login", "--pin", USER_PIN,
            "--write-object", str(path), "--type", "cert", "--label", label, "--id", object_id,
        )

    def serial(self, token: str) -> str:
        """The serial number SoftHSM gave the token (as softhsm2-util shows it)."""
        out = self._run("softhsm2-util", "--show-slots")
        blocks = out.split("Slot ")
        for block in blocks:
            if f"Label:            {token}" in block or f"Label: {token}" in " ".join(block.split()):
                for line in block.splitlines():
                    if line.strip().startswith("Serial number:"):
                        return line.split(":", 1)[1].strip()
        raise KeyError(token)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
