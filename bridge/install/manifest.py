"""What we write: the host manifests (one per browser family) and the launcher script.

The browsers start the program named in the manifest's ``path`` directly, with no arguments
of ours, so that program must be an executable file:

- a PyInstaller build: the binary itself;
- a pip install: a small launcher that runs the same Python with ``-m bridge native``, written
  beside the install record (a shell script on Linux/macOS, a ``.bat`` on Windows, which Chrome
  and Firefox both know how to start).
"""

from __future__ import annotations

import shlex
from typing import Any

from bridge.fileio import json_text
from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME

DESCRIPTION = "vitale-bridge: reads the carte Vitale and the CPS for web EHRs"


def chrome_origin() -> str:
    """The exact ``allowed_origins`` entry: Chrome requires the trailing slash, no wildcards."""
    return f"chrome-extension://{CHROME_EXTENSION_ID}/"


def manifest(family: str, host_path: str) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": NATIVE_HOST_NAME,
        "description": DESCRIPTION,
        "path": host_path,
        "type": "stdio",
    }
    if family == "firefox":
        base["allowed_extensions"] = [FIREFOX_ADDON_ID]
    else:
        base["allowed_origins"] = [chrome_origin()]
    return base


def manifest_text(family: str, host_path: str) -> str:
    return json_text(manifest(family, host_path)) + "\n"


def launcher_text(platform: str, python: str, home: str | None = None) -> str:
    """A launcher that runs ``python -m bridge native`` with the browser's arguments.

    *home* is carried over when the install was made for a specific ``--home``, so that the
    host started by the browser reads the same configuration as the one the user set up.
    """
    if platform == "windows":
        home_arg = f' --home "{home}"' if home else ""
        return (
            "@echo off\r\n"
            "rem vitale-bridge native messaging host (written by 'vitale-bridge install')\r\n"
            f'"{python}" -m bridge{home_arg} native %*\r\n'
        )
    home_arg = f" --home {shlex.quote(home)}" if home else ""
    return (
        "#!/bin/sh\n"
        "# vitale-bridge native messaging host (written by 'vitale-bridge install')\n"
        f'exec {shlex.quote(python)} -m bridge{home_arg} native "$@"\n'
    )


def launcher_name(platform: str) -> str:
    return "vitale-bridge-host.bat" if platform == "windows" else "vitale-bridge-host"
