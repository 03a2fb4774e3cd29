"""The packaged host: cold start to its first native messaging answer, and the package's size.

Contenders, interleaved in the same run (bench_native_startup.py's harness and floor):

- floor: a minimal Python native messaging host (struct + json, echoes the frame back);
- ``python -m bridge native`` from the checkout (the same host code, not packaged);
- the host of the Debian package: ``/usr/lib/vitale-bridge/vitale-bridge`` when the package is
  installed, else the same file unpacked from the .deb (``dpkg-deb -x``: identical bytes and
  layout, no root needed), started as the browser starts it (extension origin as argument).

"Cold" is spawn -> first complete ``bridge.hello`` answer with the page cache warm (one warm-up
start each): the browser starts a host for each port, and the files are cached after the first.
Dropping the page cache would need root and slow every process of the machine.

Goal (issue 11): the packaged host within 2x of the floor. Also printed: the .deb's size, its
Installed-Size, and the biggest parts of the PyInstaller folder.

    python benchmarks/bench_installed_startup.py [--deb dist/vitale-bridge_*.deb] [--runs 20]

Without --deb it uses the newest dist/vitale-bridge_*.deb (build one with
``bash installer/package.sh deb``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_native_startup import FLOOR_HOST, ORIGIN, cold_start, print_table

INSTALLED = Path("/usr/lib/vitale-bridge/vitale-bridge")


def newest_deb() -> Path:
    debs = sorted((ROOT / "dist").glob("vitale-bridge_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        raise SystemExit("no dist/vitale-bridge_*.deb: build it with 'bash installer/package.sh deb', or pass --deb")
    return debs[-1]


def du_kib(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) // 1024


def sizes(deb: Path, root: Path) -> None:
    installed = subprocess.run(["dpkg-deb", "-f", str(deb), "Installed-Size"], capture_output=True, text=True,
                               check=True).stdout.strip()
    print(f"\npackage {deb.name}: {deb.stat().st_size / 1e6:.1f} MB (.deb), Installed-Size {int(installed) / 1024:.1f} MiB")
    internal = root / "usr/lib/vitale-bridge/_internal"
    parts = [(du_kib(p) if p.is_dir() else p.stat().st_size // 1024, p.name) for p in internal.iterdir()]
    parts.append(((root / "usr/lib/vitale-bridge/vitale-bridge").stat().st_size // 1024, "(bootloader + archive)"))
    parts.append((du_kib(root / "usr/share"), "/usr/share (extension zips, docs)"))
    print("largest parts (KiB):")
    for kib, name in sorted(parts, reverse=True)[:8]:
        print(f"  {kib:8d}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deb", type=Path, help="the package (default: the newest dist/vitale-bridge_*.deb)")
    parser.add_argument("--runs", type=int, default=20, help="cold starts per contender (default 20)")
    args = parser.parse_args()
    deb = args.deb or newest_deb()

    with tempfile.TemporaryDirectory(prefix="vb-bench-installed-") as tmp_s:
        tmp = Path(tmp_s)
        root = tmp / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        if INSTALLED.is_file():
            host, where = INSTALLED, "installed package"
        else:
            host, where = root / "usr/lib/vitale-bridge/vitale-bridge", "unpacked from the .deb"
        env = {**os.environ, "VITALE_BRIDGE_HOME": str(tmp / "home")}
        floor = tmp / "floor_host.py"
        floor.write_text(FLOOR_HOST)
        contenders = {
            "floor: minimal Python echo host": [sys.executable, str(floor)],
            # the same host from the checkout: what the packaging adds, or saves, beyond it
            "python -m bridge native (checkout)": [sys.executable, "-m", "bridge", "native", ORIGIN],
            f"packaged host ({where})": [str(host), ORIGIN],
        }
        for cmd in contenders.values():  # warm the page cache once
            cold_start(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.runs):
            for name, cmd in contenders.items():
                times[name].append(cold_start(cmd, env))

        print(f"host: {host}")
        base = print_table(times, "floor: minimal Python echo host", args.runs)
        packaged = statistics.median(next(v for k, v in times.items() if k.startswith("packaged")))
        print(f"target: packaged host <= 2x floor: {'MET' if packaged <= 2 * base else 'MISSED'} (x{packaged / base:.2f})")
        checkout = statistics.median(times["python -m bridge native (checkout)"])
        print(f"packaged host vs the same host from the checkout: x{packaged / checkout:.2f}")
        sizes(deb, root)


if __name__ == "__main__":
    main()
