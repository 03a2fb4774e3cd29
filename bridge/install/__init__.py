"""Registering the native messaging host with the browsers (``vitale-bridge install``).

- :mod:`bridge.install.locations`: where each browser looks, per OS and scope (pure data);
- :mod:`bridge.install.manifest`: the manifests and the launcher we write;
- :mod:`bridge.install.plan`: the full list of writes, built from facts passed in (pure);
- :mod:`bridge.install.apply`: doing it, recording it, and undoing exactly that.

:func:`plan_here` and :func:`record_here` are the only places that look at the running machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bridge.install.locations import RECORD_NAME, Platform, Scope, host_dir, pure_path
from bridge.install.plan import Plan, make_plan, resolve_browsers

__all__ = ["Plan", "current_platform", "frozen_host", "make_plan", "plan_here", "record_here", "resolve_browsers"]


def current_platform() -> Platform:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def frozen_host() -> str | None:
    """The PyInstaller binary we run from, if any: it is its own host program."""
    return sys.executable if getattr(sys, "frozen", False) else None


def _program_data() -> str:
    return os.environ.get("PROGRAMDATA", r"C:\ProgramData")


def plan_here(
    *,
    scope: Scope,
    browsers: list[str] | None,
    data_dir: Path,
    host_path: str | None = None,
    bridge_home: str | None = None,
) -> Plan:
    """The plan for this machine, this user, and this way of running the bridge."""
    if host_path is not None:
        host = Path(host_path).expanduser().resolve()
        if not host.is_file() or not os.access(host, os.X_OK):
            raise FileNotFoundError(f"--host-path {host} is not an executable file")
        host_path = str(host)
    else:
        host_path = frozen_host()
    return make_plan(
        platform=current_platform(),
        scope=scope,
        browsers=resolve_browsers(browsers),
        home=str(Path.home()),
        user_data_dir=str(data_dir),
        python=None if host_path else sys.executable,
        host_path=host_path,
        bridge_home=bridge_home,
        program_data=_program_data(),
        # Fedora-like systems: Firefox reads /usr/lib64/mozilla, which exists there.
        lib64=os.path.isdir("/usr/lib64/mozilla"),
    )


def record_here(*, scope: Scope, data_dir: Path) -> Path:
    """The install record that :func:`plan_here` for the same scope writes (uninstall reads it)."""
    platform = current_platform()
    folder = host_dir(platform, scope, user_data_dir=str(data_dir), program_data=_program_data())
    return Path(pure_path(platform, str(folder), RECORD_NAME))
