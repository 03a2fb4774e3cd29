"""Where the bridge keeps its files, and the secrets and allow-lists stored there.

Everything lives under one *home* when ``VITALE_BRIDGE_HOME`` (or ``--home``) is set, so tests
and several instances never collide; otherwise under the platform's user config/data/log dirs
(platformdirs). Directories are created user-only (0700), secret files 0600.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import stat
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


@dataclass
class Settings:
    """Run-time settings of one bridge instance (the CLI fills them from its flags)."""

    paths: Paths = field(default_factory=Paths.resolve)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    #: Card driver: "pcsc" (real readers, default) or "simulator" (in-process virtual cards).
    driver: str = "pcsc"
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


# --- token ------------------------------------------------------------------------------------


def load_or_create_token(paths: Paths) -> str:
    """The per-user secret that non-browser clients present as ``Authorization: Bearer``."""
    paths.ensure()
    path = paths.token_file
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if os.name == "posix":
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                os.chmod(path, 0o600)
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        token = secrets.token_urlsafe(32)
        f.write(token + "\n")
    return token


def read_token(paths: Paths) -> str | None:
    try:
        return paths.token_file.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def token_matches(expected: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(expected.encode(), presented.encode())


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
    paths.ensure()
    tmp = paths.origins_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"origins": sorted(set(origins))}, f, indent=2)
    os.replace(tmp, paths.origins_file)


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
