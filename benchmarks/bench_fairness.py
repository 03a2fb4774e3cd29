"""Fairness: another client's quick-method latency while one client floods the bridge with
worst-case batches, beside the same latency with no flood (security review §2.1).

    python benchmarks/bench_fairness.py [--seconds 5] [--flooders 1] [--pipelined 16]

A flooding connection keeps ``--pipelined`` batches of 64 worst-case ``od.search`` calls in
flight (the review's attack: 16 batches of 64), then the same with ``rpc.discover`` (the
largest answer); the measured client sends ``bridge.hello`` one after the other. Under flood
the latency is about one flooding call per loop turn (two turns per hello), so it follows the
cost of the slowest quick call. Goal: p99 < 50 ms under flood. The second part measures what the
same-user check costs a WebSocket handshake (the /proc/net/tcp lookup), beside the handshake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import bridge_server

#: The slowest od.search found on the embedded table: many one-letter words, every row a
#: candidate, the largest limit.
WORST_QUERY = ("e " * 50).strip()
HELLO = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "bridge.hello",
                    "params": {"clientName": "bench", "clientVersion": "1"}})


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))] * 1e3


async def measure(ws, seconds: float) -> list[float]:
    """bridge.hello one after the other on an open connection, for *seconds* (at least 3)."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(latencies) < 3:
        t = time.perf_counter()
        await ws.send(HELLO)
        await ws.recv()
        latencies.append(time.perf_counter() - t)
    return latencies


FLOODS = {
    "od.search": {"query": WORST_QUERY, "limit": 100},  # the slowest quick call
    "rpc.discover": None,  # the largest answer (~36 KB)
}


async def flood(url: str, token: str, method: str, pipelined: int, stop: asyncio.Event, counts: dict[str, int]) -> None:
    from websockets.asyncio.client import connect

    params = FLOODS[method]
    batch = json.dumps([
        {"jsonrpc": "2.0", "id": i, "method": method, **({"params": params} if params else {})}
        for i in range(64)
    ])
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        for _ in range(pipelined):
            await ws.send(batch)
        while not stop.is_set():
            try:
                answers = json.loads(await ws.recv())
            except asyncio.CancelledError:
                return
            for a in answers:
                key = "ok" if "result" in a else a["error"]["data"]["code"]
                counts[key] = counts.get(key, 0) + 1
            await ws.send(batch)


async def flood_child(url: str, token: str, method: str, pipelined: int) -> None:
    """The flooding client, in a process of its own (its decoding of large answers must not
    slow down the measured client): floods until SIGTERM, then prints its answer counts."""
    import signal

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    counts: dict[str, int] = {}
    task = asyncio.create_task(flood(url, token, method, pipelined, stop, counts))
    await stop.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    print(json.dumps(counts), flush=True)


async def fairness(url: str, token: str, args: argparse.Namespace) -> None:
    from websockets.asyncio.client import connect

    print(f"bridge.hello of another client ({args.seconds:g} s each; flood: {args.flooders} connection(s), "
          f"each with {args.pipelined} batches of 64 calls in flight; goal: p99 under flood < 50 ms)")
    # Connected before any flood: the measured client is already in when the flood starts.
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        rows = [("no flood (baseline)", await measure(ws, args.seconds), None)]
        for method in FLOODS:
            children = [
                await asyncio.create_subprocess_exec(
                    sys.executable, __file__, "--flood-child", url, token, method, str(args.pipelined),
                    stdout=asyncio.subprocess.PIPE,
                )
                for _ in range(args.flooders)
            ]
            await asyncio.sleep(1.0)  # the flood is under way
            latencies = await measure(ws, args.seconds)
            counts: dict[str, int] = {}
            for child in children:
                child.terminate()
                out, _ = await child.communicate()
                for key, n in (json.loads(out) if out.strip() else {}).items():
                    counts[key] = counts.get(key, 0) + n
            rows.append((f"flood of {method}", latencies, counts))
            await measure(ws, 1.0)  # drained: the next flood starts from a quiet bridge
    for label, lat, counts in rows:
        print(f"  {label:<22} n={len(lat):6d}  p50 {pct(lat, 0.5):7.2f} ms  p99 {pct(lat, 0.99):7.2f} ms  "
              f"max {max(lat) * 1e3:7.2f} ms" + (f"   flood answers {counts}" if counts else ""))


def handshake_cost(url: str, token: str, rounds: int) -> None:
    """The peer-owner lookup alone, and a whole handshake (which includes it)."""
    import asyncio as aio

    from websockets.asyncio.client import connect

    from bridge.transport import peers

    port = int(url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port)) as conn:  # a connection the bridge holds
        local, remote = conn.getsockname(), conn.getpeername()
        t = time.perf_counter()
        for _ in range(rounds):
            peers.peer_is_same_user(local, remote)
        lookup = (time.perf_counter() - t) / rounds * 1e6
    rows = sum(1 for _ in open("/proc/net/tcp")) + sum(1 for _ in open("/proc/net/tcp6")) - 2

    async def connects() -> list[float]:
        out = []
        for _ in range(200):
            t = time.perf_counter()
            async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}):
                out.append(time.perf_counter() - t)
        return out

    times = aio.run(connects())
    print(f"same-user check: {lookup:.1f} µs per lookup ({rows} sockets in /proc/net/tcp{{,6}}); "
          f"a whole WebSocket connect + handshake, check included: p50 {statistics.median(times) * 1e3:.2f} ms")


def main() -> None:
    if sys.argv[1:2] == ["--flood-child"]:
        url, token, method, pipelined = sys.argv[2:6]
        asyncio.run(flood_child(url, token, method, int(pipelined)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--flooders", type=int, default=1)
    parser.add_argument("--pipelined", type=int, default=16)
    args = parser.parse_args()
    with bridge_server("--driver", "simulator") as (url, token):
        asyncio.run(fairness(url, token, args))
        handshake_cost(url, token, 2000)


if __name__ == "__main__":
    main()
