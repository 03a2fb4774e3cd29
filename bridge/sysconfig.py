"""The system configuration that IT sets for every user of a machine.

One JSON file, readable by all and writable only by administrators:

* Linux: ``/etc/vitale-bridge/config.json``
* macOS: ``/Library/Application Support/vitale-bridge/config.json``
* Windows: ``%ProgramData%\\vitale-bridge\\config.json``

``VITALE_BRIDGE_SYSTEM_CONFIG`` names another file (tests, or a user trying a configuration);
it is not a privilege boundary: a user can always run their own copy of the bridge as they
like. What the system file protects is the default experience of every user of the machine.

Keys are camelCase, like the wire. A key the file does not set is ``None`` here, and the
caller falls back to the user's setting or the built-in default. Settings the user may not
loosen (the WebSocket's allowed origins) are enforced where they are used; see
``docs/install.md``. A file that exists but cannot be read or does not validate is an error
(:class:`~bridge.errors.SetupError` naming the file), never silently ignored: IT must learn
that its configuration is not applied.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from bridge.errors import SetupError

ENV_SYSTEM_CONFIG = "VITALE_BRIDGE_SYSTEM_CONFIG"
#: Largest system configuration file read (bytes).
MAX_SIZE = 256 * 1024


class SystemConfig(BaseModel):
    """What an organisation may set for all users of a machine (all optional)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    websocket_allowed_origins: list[str] | None = Field(
        None,
        description="Exact web origins allowed to open the WebSocket, besides the extension's. "
        "When set, it is the whole list: users cannot add origins of their own.",
    )
    websocket_port: int | None = Field(None, ge=1024, le=65535, description="WebSocket port (default 27815).")
    od_update_source: str | None = Field(
        None,
        description="Where `vitale-bridge od update` takes the newest TOD file: a folder "
        "(e.g. a network share) or an https:// URL of the organisation.",
    )
    od_max_age_days: int | None = Field(
        None, ge=1, description="`doctor` warns when the active OD table is older than this."
    )
    pkcs11_module: str | None = Field(
        None, description="Path of the PKCS#11 module that reads the CPS (e.g. the Cryptolib CPS)."
    )


def default_path() -> Path:
    """Where the system configuration lives on this platform."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "vitale-bridge" / "config.json"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/vitale-bridge/config.json")
    return Path("/etc/vitale-bridge/config.json")


def config_path() -> Path:
    override = os.environ.get(ENV_SYSTEM_CONFIG)
    return Path(override) if override else default_path()


def load_system_config(path: Path | None = None) -> SystemConfig:
    """The system configuration, or an empty one when the file does not exist."""
    path = path or config_path()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or device would block or never end
            raise SetupError(f"The system configuration {path} is not a regular file: replace it with a JSON file.")
        with open(path, "rb") as f:
            raw = f.read(MAX_SIZE + 1)
    except FileNotFoundError:
        return SystemConfig()
    except OSError as exc:
        raise SetupError(
            f"Cannot read the system configuration {path} ({exc.strerror or exc}): ask IT to make it readable."
        ) from None
    if len(raw) > MAX_SIZE:
        raise SetupError(f"The system configuration {path} is larger than {MAX_SIZE // 1024} KiB: it cannot be right.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SetupError(f"The system configuration {path} is not valid UTF-8 JSON ({exc}): fix the file.") from None
    try:
        return SystemConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors(include_input=False)
        )
        raise SetupError(f"The system configuration {path} is not valid: {problems}. Fix the file.") from None
