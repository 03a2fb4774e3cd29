"""Mixed load on `vitale-bridge serve --driver pcsc` (PC/SC bench) beside the hello-only baseline.

100 WebSocket clients, one request at a time each, for a fixed time: first `bridge.hello` only
(the floor: transport + JSON-RPC core), then the mix of tests/security/test_load.py (hello,
od.resolve, od.search, readers.list, card.status, vitale.read on one virtual carte Vitale).
Prints p50/p99 per method, throughput, and the server's RSS before and after each run.

    python benchmarks/bench_load.py [--clients 100] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.helpers.loadmix import HELLO, mixed, run_load
from tests.helpers.servers import start_server, stop_server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    from bridge.bench import Bench

    with tempfile.TemporaryDirectory(prefix="vb-load-") as tmp, Bench(home=Path(tmp) / "bench") as bench:
        reader = bench.insert("famille")
        home = Path(tmp) / "home"
        env = {**os.environ, **bench.env, "VITALE_BRIDGE_HOME": str(home)}
        served = start_server(home, env)
        try:
            time.sleep(0.6)
            runs = [("bridge.hello only (baseline)", [HELLO]), ("mixed (card present)", mixed(reader))]
            print(f"{args.clients} clients, {args.seconds:.0f} s per run, server: serve --driver pcsc on the bench")
            base = None
            for label, mix in runs:
                before = served.rss_kib()
                result = asyncio.run(run_load(served.port, served.token, mix, clients=args.clients, duration=args.seconds))
                after = served.rss_kib()
                print(result.summary(label))
                print(f"  server RSS before {before / 1024:.1f} MiB, after {after / 1024:.1f} MiB")
                if base is None:
                    base = result
                else:
                    print(f"  mixed vs baseline: throughput x{result.throughput / base.throughput:.2f}, "
                          f"p50 x{result.percentile(50) / base.percentile(50):.1f}, "
                          f"p99 x{result.percentile(99) / base.percentile(99):.1f}")
        finally:
            stop_server(served)


if __name__ == "__main__":
    main()
