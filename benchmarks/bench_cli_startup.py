"""Start-up of the ``vitale-bridge`` command: what a user (and a shell completing a word) waits for.

``vitale-bridge --version`` builds the whole argparse tree before answering, so it measures
the cost of every subcommand module the CLI imports, the completion command included.
Contenders, measured interleaved in the same run (so they share the machine's noise):

- floor: ``python -c pass`` (the interpreter alone);
- ``python -c "import argparse, bridge"`` (what any entry point costs at least);
- ``vitale-bridge --version`` (console script next to this Python);
- ``vitale-bridge completion bash`` (generating the completion script);
- with ``--rev REV``: ``--version`` of that git revision too (a worktree made here), the
  before/after comparison of a change.

    python benchmarks/bench_cli_startup.py [--runs 20] [--rev main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def once(cmd: list[str], env: dict[str, str], cwd: Path) -> float | None:
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    elapsed = time.perf_counter() - started
    return elapsed if done.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="runs per contender (default 20)")
    ap.add_argument("--rev", help="also measure '--version' of this git revision (e.g. main)")
    opts = ap.parse_args()

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    script = str(Path(sys.executable).with_name("vitale-bridge"))
    contenders: dict[str, tuple[list[str], dict[str, str], Path]] = {
        "floor: python -c pass": ([sys.executable, "-c", "pass"], env, ROOT),
        "python -c 'import argparse, bridge'": ([sys.executable, "-c", "import argparse, bridge"], env, ROOT),
        "vitale-bridge --version": ([script, "--version"], env, ROOT),
        "vitale-bridge completion bash": ([script, "completion", "bash"], env, ROOT),
    }
    tmp = None
    if opts.rev:
        tmp = tempfile.TemporaryDirectory()
        tree = Path(tmp.name) / "rev"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), opts.rev], check=True)
        # Run the revision's sources with this Python (same interpreter, same dependencies).
        contenders[f"python -m bridge --version @ {opts.rev}"] = (
            [sys.executable, "-m", "bridge", "--version"], {**env, "PYTHONPATH": str(tree)}, tree)
        contenders["python -m bridge --version @ this tree"] = (
            [sys.executable, "-m", "bridge", "--version"], {**env, "PYTHONPATH": str(ROOT)}, ROOT)
    try:
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(2):  # warm the page cache and the .pyc files
            for cmd, e, cwd in contenders.values():
                once(cmd, e, cwd)
        for _ in range(opts.runs):
            for name, (cmd, e, cwd) in contenders.items():
                t = once(cmd, e, cwd)
                if t is not None:
                    times[name].append(t)
        floor = statistics.median(times["floor: python -c pass"])
        print(f"{'contender':<45} {'median ms':>10} {'p90 ms':>8} {'x floor':>8}  ({opts.runs} runs each)")
        for name, values in times.items():
            if not values:
                print(f"{name:<45} {'failed':>10}")
                continue
            med = statistics.median(values)
            p90 = sorted(values)[int(0.9 * (len(values) - 1))]
            print(f"{name:<45} {med * 1000:10.1f} {p90 * 1000:8.1f} {med / floor:8.2f}")
    finally:
        if tmp is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(Path(tmp.name) / "rev")])
            tmp.cleanup()


if __name__ == "__main__":
    main()
