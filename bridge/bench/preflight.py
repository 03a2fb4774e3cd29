"""What the bench needs from the machine, and exactly how to install what is missing."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import SetupError

VPCD_LIB_NAMES = ("libifdvpcd.so", "libifdvpcd.so.0.8")
VPCD_LIB_DIRS = (
    "/usr/lib/pcsc/drivers/serial",
    "/usr/lib64/pcsc/drivers/serial",
    "/usr/local/lib/pcsc/drivers/serial",
    "/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial",
)
ENV_VPCD_LIB = "VITALE_BENCH_VPCD_LIB"
ENV_PCSCD = "VITALE_BENCH_PCSCD"


class BenchUnavailable(SetupError, RuntimeError):
    """The machine lacks what the virtual PC/SC bench needs; the message says what to install.

    A :class:`SetupError`, so the CLI prints it as is; still a ``RuntimeError`` for callers
    that caught it as one before."""


@dataclass(frozen=True)
class Missing:
    what: str
    install: str


def pcscd_path() -> str | None:
    if path := os.environ.get(ENV_PCSCD):
        return path if os.access(path, os.X_OK) else None
    return shutil.which("pcscd") or next(
        (p for p in ("/usr/sbin/pcscd", "/usr/local/sbin/pcscd") if os.access(p, os.X_OK)), None
    )


def vpcd_library() -> Path | None:
    if path := os.environ.get(ENV_VPCD_LIB):
        return Path(path) if Path(path).is_file() else None
    for folder in VPCD_LIB_DIRS:
        for name in VPCD_LIB_NAMES:
            if (p := Path(folder, name)).is_file():
                return p.resolve()
    return None


def missing() -> list[Missing]:
    out: list[Missing] = []
    if not sys.platform.startswith("linux"):
        out.append(Missing("Linux (the bench drives pcscd and the vpcd driver)", "run the bench on Linux or in a Linux CI job"))
        return out
    if pcscd_path() is None:
        out.append(Missing("pcscd (PC/SC daemon)", "apt-get install -y --no-install-recommends pcscd"))
    if vpcd_library() is None:
        out.append(Missing("the vpcd reader driver (libifdvpcd.so)", "apt-get install -y --no-install-recommends vsmartcard-vpcd"))
    if importlib.util.find_spec("smartcard") is None:
        out.append(Missing(
            "pyscard",
            "apt-get install -y --no-install-recommends swig libpcsclite-dev gcc python3-dev && pip install pyscard",
        ))
    return out


def message(problems: list[Missing]) -> str:
    lines = ["The virtual PC/SC bench cannot run: missing " + ", ".join(p.what for p in problems) + "."]
    lines += [f"  install: {p.install}" for p in problems]
    return "\n".join(lines)


def require() -> None:
    """Raise :class:`BenchUnavailable` naming every missing piece and its install command."""
    if problems := missing():
        raise BenchUnavailable(message(problems))
