"""Build the vitale-bridge host with PyInstaller.

    python installer/build.py                 # one-folder build: dist/vitale-bridge/vitale-bridge
    python installer/build.py --onefile       # single file: dist/vitale-bridge(.exe)
    python installer/build.py --dist DIR --work DIR

The one-folder build starts faster (nothing to unpack at each launch, and the browser starts
the host for every ``sendNativeMessage``): it is the one to install. The one-file build is
handy to copy around for a test. Prints the path of the built executable on the last line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "vitale-bridge.spec"


def executable(dist: Path, onefile: bool) -> Path:
    suffix = ".exe" if os.name == "nt" else ""
    return dist / f"vitale-bridge{suffix}" if onefile else dist / "vitale-bridge" / f"vitale-bridge{suffix}"


def build(dist: Path, work: Path, *, onefile: bool = False, quiet: bool = False) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("PyInstaller is not installed: pip install -e '.[build]'") from None
    env = {**os.environ, "VB_ONEFILE": "1" if onefile else "0"}
    cmd = [
        sys.executable, "-m", "PyInstaller", "--noconfirm",
        "--distpath", str(dist), "--workpath", str(work),
        "--log-level", "WARN" if quiet else "INFO",
        str(SPEC),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    exe = executable(dist, onefile)
    if not exe.is_file():
        raise SystemExit(f"PyInstaller finished but {exe} is missing")
    return exe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onefile", action="store_true", help="a single executable instead of a folder")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    exe = build(args.dist, args.work, onefile=args.onefile, quiet=args.quiet)
    print(f"built in {time.monotonic() - started:.0f} s:", file=sys.stderr)
    print(exe)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
