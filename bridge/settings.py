"""Where the bridge keeps its files, and the secrets and allow-lists stored there.

Everything lives under one *home* when ``VITALE_BRIDGE_HOME`` (or ``--home``) is set, so tests
and several instances never collide; otherwise under the platform's user config/data/log dirs
(platformdirs). Directories are created user-only (0700), secret files 0600.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.identity import DEFAULT_PORT, extension_origins

if TYPE_CHECKING:  # pydantic stays out of the import of this module (CLI start-up time)
    from bridge.sysconfig import SystemConfig

APP_NAME = "vitale-bridge"
ENV_HOME = "VITALE_BRIDGE_HOME"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def token_file(self) -> Path:
        return self.config_dir / "token"

    @property
    def pairing_key_file(self) -> Path:
        return self.config_dir / "pairing-key"

    @property
    def origins_file(self) -> Path:
        return self.config_dir / "allowed-origins.json"

    @property
    def od_dir(self) -> Path:
        return self.data_dir / "od"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "vitale-bridge.log"

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Paths:
        home = home or os.environ.get(ENV_HOME)
        if home:
            root = Path(home).expanduser().resolve()
            return cls(config_dir=root / "config", data_dir=root / "data", log_dir=root / "logs")
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> None:
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.name == "posix":
                os.chmod(d, 0o700)


ENV_DRIVER = "VITALE_BRIDGE_DRIVER"


def default_driver() -> str:
    """The card driver when none is asked for: $VITALE_BRIDGE_DRIVER, else ``pcsc``."""
    return os.environ.get(ENV_DRIVER) or "pcsc"


@dataclass
class Settings:
    """Run-time settings of one bridge instance (the CLI fills them from its flags)."""

    paths: Paths = field(default_factory=Paths.resolve)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    #: Card driver: "pcsc" (real readers, default), "simulator" (in-process virtual cards), or
    #: one an installed package declares (docs/drivers.md); VITALE_BRIDGE_DRIVER sets the default.
    driver: str = field(default_factory=lambda: default_driver())
    #: Simulator profiles to insert (names of shipped profiles or JSON file paths).
    profiles: list[str] = field(default_factory=list)
    #: Largest incoming message (bytes) on any channel.
    max_message_size: int = 64 * 1024
    #: Requests one connection may have in flight at once.
    max_in_flight: int = 16
    #: Seconds between keepalive pings, and to wait for the pong.
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    #: Seconds without any message after which a WebSocket is closed (0 = never).
    idle_timeout: float = 600.0
    #: Also bind ::1 when the machine has IPv6 loopback.
    ipv6: bool = True
    #: PKCS#11 module reading the CPS (cps.identity); None: the system configuration's
    #: pkcs11Module, else the Cryptolib CPS / OpenSC at their install locations.
    pkcs11_module: str | None = None


# --- token and pairing key ---------------------------------------------------------------------

#: What ``secrets.token_urlsafe(32)`` makes (43 characters); anything else in the file, an
#: empty file above all (a crash between creating and writing it), is never a valid token.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
#: The pairing key (docs/security.md, "Host proof"): 20 characters of the RFC 4648 base32
#: alphabet, 100 bits, short enough to type from ``vitale-bridge pair``.
PAIRING_KEY_PATTERN = re.compile(r"[A-Z2-7]{20}")
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _read_secret(path: Path, pattern: re.Pattern[str]) -> str | None:
    """The secret stored in *path*, or None when the file is missing, empty or malformed."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text if pattern.fullmatch(text) else None


def _load_or_create_secret(paths: Paths, path: Path, pattern: re.Pattern[str], make: Callable[[], str]) -> str:
    """The valid secret of *path*, made anew (atomically, 0600) when missing, empty or
    malformed; under a lock so two processes starting at once agree on one secret."""
    from bridge.fileio import atomic_write, file_lock

    paths.ensure()
    secret = _read_secret(path, pattern)
    if secret is None:
        with file_lock(path.with_name(f".{path.name}.lock")):
            secret = _read_secret(path, pattern)
            if secret is None:
                if path.exists():
                    logging.getLogger("vitale_bridge").warning(
                        "%s was empty or malformed: a new one was made", path.name
                    )
                secret = make()
                atomic_write(path, secret + "\n", mode=0o600)
                return secret
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)
    return secret


def load_or_create_token(paths: Paths) -> str:
    """The per-user secret that non-browser clients present as ``Authorization: Bearer``."""
    return _load_or_create_secret(paths, paths.token_file, TOKEN_PATTERN, lambda: secrets.token_urlsafe(32))


def read_token(paths: Paths) -> str | None:
    return _read_secret(paths.token_file, TOKEN_PATTERN)


def token_matches(expected: str, presented: str | None) -> bool:
    """Constant-time comparison; an empty or malformed expected token matches nothing."""
    if presented is None or not TOKEN_PATTERN.fullmatch(expected):
        return False
    return hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace"))


def load_or_create_pairing_key(paths: Paths, *, new: bool = False) -> str:
    """The host's pairing key (``vitale-bridge pair``); *new* replaces it (old pairings stop)."""

    def make() -> str:
        return "".join(secrets.choice(_BASE32) for _ in range(20))

    if new:
        from bridge.fileio import atomic_write

        paths.ensure()
        key = make()
        atomic_write(paths.pairing_key_file, key + "\n", mode=0o600)
        return key
    return _load_or_create_secret(paths, paths.pairing_key_file, PAIRING_KEY_PATTERN, make)


def secret_file_problem(path: Path, pattern: re.Pattern[str]) -> str | None:
    """Why the secret file at *path* would not be accepted (for doctor), or None if it is
    fine or not created yet."""
    if not path.exists():
        return None
    return None if _read_secret(path, pattern) else "empty or malformed"


# --- allowed origins ----------------------------------------------------------------------


def user_origins(paths: Paths) -> list[str]:
    """Origins the user explicitly allowed to open the WebSocket (exact strings)."""
    try:
        data = json.loads(paths.origins_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    origins = data.get("origins", []) if isinstance(data, dict) else []
    return [o for o in origins if isinstance(o, str)]


def save_user_origins(paths: Paths, origins: list[str]) -> None:
    from bridge.fileio import write_json

    paths.ensure()
    write_json(paths.origins_file, {"origins": sorted(set(origins))})


def web_origins(paths: Paths, system: SystemConfig | None = None) -> tuple[list[str], str]:
    """The web origins allowed to open the WebSocket, and where the list comes from.

    When the system configuration sets ``websocketAllowedOrigins``, that is the whole list:
    the user's own list is ignored (a user may not loosen what the organisation set).
    """
    if system is None:
        from bridge.sysconfig import load_system_config

        system = load_system_config()
    if system.websocket_allowed_origins is not None:
        return list(system.websocket_allowed_origins), "system"
    return user_origins(paths), "user"


def allowed_origins(paths: Paths, system: SystemConfig | None = None) -> list[str]:
    """Every origin the WebSocket accepts: our extension's, then :func:`web_origins`.

    Read at each connection, so a change of the system file applies without a restart; a
    system file that became invalid refuses connections (and says why in the log).
    """
    return extension_origins() + web_origins(paths, system)[0]


def configured_port(system: SystemConfig | None = None) -> int:
    """The WebSocket port when no ``--port`` is given: the system configuration's, else the default."""
    if system is None:
        from bridge.sysconfig import load_system_config

        system = load_system_config()
    return system.websocket_port or DEFAULT_PORT


def normalize_origin(origin: str) -> str:
    """Check that *origin* is a bare scheme://host[:port] (as browsers send it), else raise."""
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    if (
        parts.scheme not in {"http", "https", "chrome-extension", "moz-extension"}
        or not parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
        or origin != origin.strip()
    ):
        raise ValueError(
            f"{origin!r} is not an origin: write it as scheme://host[:port], e.g. https://ehr.example.fr"
        )
    return origin
