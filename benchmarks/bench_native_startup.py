"""Native messaging cold start: process spawn -> first ``bridge.hello`` answer on stdout.

The browser starts a host process for every ``sendNativeMessage`` and for every new
``connectNative`` port, so this is latency a user feels. Contenders, measured interleaved in
the same run (so they share the machine's noise):

- floor: a minimal Python native messaging host (struct + json, echoes the frame back);
- ``python -m bridge native``;
- the console script ``vitale-bridge native`` installed next to this Python;
- the launcher ``install`` writes for pip installs (``/bin/sh`` exec'ing Python), i.e. what
  the browser really starts;
- the PyInstaller one-folder build (built here unless ``--frozen PATH`` or ``--no-frozen``).

Targets (issue 6): the Python entry within 1.5x of the floor, PyInstaller within 2x.

    python benchmarks/bench_native_startup.py [--runs 20] [--frozen PATH | --no-frozen] [--onefile] [--importtime]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "chrome-extension://pjlklnmdipclnjibhckdcmjjdeinefpd/"
HELLO = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "bridge.hello",
                    "params": {"clientName": "bench", "clientVersion": "1"}}).encode()

FLOOR_HOST = r'''
import json, struct, sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = inp.read(4)
    if len(header) < 4:
        break
    message = json.loads(inp.read(struct.unpack("=I", header)[0]))
    data = json.dumps({"jsonrpc": "2.0", "result": message, "id": message.get("id")}).encode()
    out.write(struct.pack("=I", len(data)) + data)
    out.flush()
'''


def cold_start(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to a complete first answer."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin and proc.stdout
    proc.stdin.write(struct.pack("=I", len(HELLO)) + HELLO)
    proc.stdin.flush()
    header = proc.stdout.read(4)
    if len(header) < 4:
        proc.kill()
        raise RuntimeError(f"{cmd[0]} answered nothing")
    body = proc.stdout.read(struct.unpack("=I", header)[0])
    elapsed = time.perf_counter() - started
    json.loads(body)
    proc.stdin.close()
    proc.wait(10)
    return elapsed


def print_table(times: dict[str, list[float]], floor: str, runs: int) -> float:
    """Median, p90 and min of each contender and its ratio to *floor*; returns the floor's median."""
    base = statistics.median(times[floor])
    print(f"native messaging cold start, spawn -> first answer ({runs} runs each, interleaved)")
    print(f"{'contender':<42} {'median':>9} {'p90':>9} {'min':>9}   vs floor")
    for name, values in times.items():
        values = sorted(values)
        med = statistics.median(values)
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"{name:<42} {med * 1e3:7.1f}ms {p90 * 1e3:7.1f}ms {values[0] * 1e3:7.1f}ms   x{med / base:4.2f}")
    return base


def build_frozen(tmp: Path, onefile: bool = False) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("vb_installer_build", ROOT / "installer" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)  # type: ignore[union-attr]

    kind = "one-file" if onefile else "one-folder"
    print(f"building the PyInstaller {kind} host (about 15-60 s)...", file=sys.stderr)
    return build.build(tmp / f"dist-{kind}", tmp / f"work-{kind}", onefile=onefile, quiet=True)


def importtime(env: dict[str, str]) -> None:
    """The 15 costliest imports (cumulative) of ``python -m bridge native`` answering hello."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "bridge", "native", ORIGIN],
                          input=struct.pack("=I", len(HELLO)) + HELLO, capture_output=True, env=env, timeout=60)
    rows = []
    for line in proc.stderr.decode().splitlines():
        if not line.startswith("import time:"):
            continue
        parts = [p for p in line[len("import time:"):].split("|")]
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    top_level = [(c, n.strip()) for c, n in rows if n.startswith(" ") and not n.startswith("   ")]
    print("\nimports of `python -m bridge native` answering hello (top level, cumulative ms):")
    for cumulative, name in sorted(top_level, reverse=True)[:15]:
        print(f"  {cumulative / 1000:7.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="cold starts per contender (default 20)")
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--frozen", type=Path, help="an existing PyInstaller build of the host")
    g.add_argument("--no-frozen", action="store_true", help="skip the PyInstaller build")
    parser.add_argument("--onefile", action="store_true", help="also build and time the one-file build")
    parser.add_argument("--importtime", action="store_true", help="also print the costliest imports")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vb-bench-native-") as tmp_s:
        tmp = Path(tmp_s)
        env = {**os.environ, "VITALE_BRIDGE_HOME": str(tmp / "home"), "PYTHONDONTWRITEBYTECODE": ""}
        floor = tmp / "floor_host.py"
        floor.write_text(FLOOR_HOST)
        sys.path.insert(0, str(ROOT))
        from bridge.install.manifest import launcher_text

        launcher = tmp / "vitale-bridge-host"
        launcher.write_text(launcher_text("linux", sys.executable, str(tmp / "home")))
        launcher.chmod(0o755)

        contenders: dict[str, list[str]] = {
            "floor: minimal Python echo host": [sys.executable, str(floor)],
            "python -m bridge native": [sys.executable, "-m", "bridge", "native", ORIGIN],
        }
        script = Path(sys.executable).parent / ("vitale-bridge.exe" if os.name == "nt" else "vitale-bridge")
        if script.exists():
            contenders["console script vitale-bridge native"] = [str(script), "native", ORIGIN]
        else:
            print(f"(no console script at {script}: pip install -e . first)", file=sys.stderr)
        if os.name == "posix":
            contenders["install launcher (what the browser runs)"] = [str(launcher), ORIGIN]
        frozen = None if args.no_frozen else (args.frozen or build_frozen(tmp))
        if frozen is not None:
            contenders["PyInstaller one-folder build"] = [str(frozen), ORIGIN]
        if args.onefile:
            contenders["PyInstaller one-file build"] = [str(build_frozen(tmp, onefile=True)), ORIGIN]

        for cmd in contenders.values():  # warm the page cache and .pyc files once
            cold_start(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.runs):
            for name, cmd in contenders.items():
                times[name].append(cold_start(cmd, env))

        base = print_table(times, "floor: minimal Python echo host", args.runs)
        py = statistics.median(times["python -m bridge native"])
        print(f"target: python entry <= 1.5x floor: {'MET' if py <= 1.5 * base else 'MISSED'} (x{py / base:.2f})")
        if frozen is not None:
            fz = statistics.median(times["PyInstaller one-folder build"])
            print(f"target: PyInstaller <= 2x floor: {'MET' if fz <= 2 * base else 'MISSED'} (x{fz / base:.2f})")
        if args.importtime:
            importtime(env)


if __name__ == "__main__":
    main()
