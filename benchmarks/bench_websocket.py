"""Foundation benchmark: `bridge.hello` over the WebSocket vs a bare websockets echo server.

Prints p50/p99 latency and throughput with 1 and 32 concurrent clients, for both servers in
the same run, and the ratios. Targets (issue 2): p50 <= 1.5x echo, throughput >= 0.6x echo.

    python benchmarks/bench_websocket.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import bridge_server, drive, echo_server, row


def hello(i: int) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": "bridge.hello", "id": i,
                       "params": {"clientName": "bench", "clientVersion": "1"}})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="per client with 1 client")
    args = parser.parse_args()
    print("bridge.hello over the WebSocket vs bare websockets echo (separate server processes)")
    with echo_server() as echo_url, bridge_server() as (bridge_url, token):
        for clients in (1, 32):
            n = args.requests if clients == 1 else max(50, args.requests // 16)
            base = asyncio.run(drive(echo_url, hello, clients=clients, requests=n))
            ours = asyncio.run(drive(bridge_url, hello, clients=clients, requests=n, token=token))
            print(f"-- {clients} client(s), {n} requests each")
            print(row("echo (baseline)", base))
            print(row("vitale-bridge bridge.hello", ours, base))
            ok_lat = ours.p50 <= 1.5 * base.p50
            ok_tp = ours.throughput >= 0.6 * base.throughput
            print(f"   targets: p50 <= 1.5x {'MET' if ok_lat else 'MISSED'}, "
                  f"throughput >= 0.6x {'MET' if ok_tp else 'MISSED'}")


if __name__ == "__main__":
    main()
