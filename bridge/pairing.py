"""The host proof: how the extension, on the WebSocket fallback, knows it talks to *this
user's* bridge and not to a look-alike another user's program put on the port first.

The host keeps a per-user pairing key (``<config>/pairing-key``, see
:func:`bridge.settings.load_or_create_pairing_key`). The extension gets it over native
messaging (``bridge.pairingKey``, trusted: the browser started the host as this user) or from
the user, who types what ``vitale-bridge pair`` prints. On every WebSocket connection it sends
a random ``challenge`` in ``bridge.hello`` and checks ``hostProof`` = HMAC-SHA256(key,
"vitale-bridge host proof v1\\n" + challenge) before sending anything else (docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from bridge.settings import Paths, load_or_create_pairing_key

PROOF_LABEL = "vitale-bridge host proof v1\n"


def host_proof(key: str, challenge: str) -> str:
    """base64url, no padding, of HMAC-SHA256(ASCII key, UTF-8 of label + challenge)."""
    digest = hmac.new(key.encode("ascii"), (PROOF_LABEL + challenge).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def grouped(key: str) -> str:
    """``ABCDEFGHIJKLMNOPQRST`` -> ``ABCD-EFGH-IJKL-MNOP-QRST``: easier to read and type."""
    return "-".join(key[i : i + 4] for i in range(0, len(key), 4))


class PairingKeys:
    """The key of one bridge, read once and again only when the file changes (``pair --new``
    while the bridge runs), so ``bridge.hello`` stays a quick method."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self._stamp: tuple[int, int] | None = None
        self._key: str | None = None

    def current(self) -> str:
        try:
            st = os.stat(self.paths.pairing_key_file)
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if self._key is None or stamp is None or stamp != self._stamp:
            self._key = load_or_create_pairing_key(self.paths)
            st = os.stat(self.paths.pairing_key_file)
            self._stamp = (st.st_mtime_ns, st.st_ino)
        return self._key
