"""Mixed load on a running bridge: N WebSocket clients, each sending one request at a time.

Shared by ``tests/security/test_load.py`` (behaviour: errors, consistency, memory) and
``benchmarks/bench_load.py`` (figures). Each client cycles through the mix from its own offset,
so every method is in flight at every moment.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

HELLO = ("bridge.hello", {"clientName": "load", "clientVersion": "1"})
MIX_WITHOUT_CARD = [
    HELLO,
    ("od.resolve", {"regime": "99", "caisse": "751", "centre": "0601"}),
    ("od.search", {"query": "mgen", "limit": 5}),
    ("readers.list", None),
    ("card.status", None),
]


def mixed(reader: str | None) -> list[tuple[str, dict | None]]:
    return [*MIX_WITHOUT_CARD, ("vitale.read", {"reader": reader} if reader else {})]


@dataclass
class LoadResult:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # seconds, per method
    errors: Counter = field(default_factory=Counter)  # (method, code) -> count
    reads: list[dict] = field(default_factory=list)  # vitale.read results
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return sorted(x for v in self.latencies.values() for x in v)

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float, method: str | None = None) -> float:
        data = sorted(self.latencies.get(method, [])) if method else self.all_latencies()
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    def summary(self, label: str) -> str:
        head = (
            f"{label}: {self.count} requests in {self.elapsed:.1f} s, {self.throughput:,.0f} req/s, "
            f"p50 {self.percentile(50) * 1000:.1f} ms, p99 {self.percentile(99) * 1000:.1f} ms"
        )
        lines = [head]
        for method in sorted(self.latencies):
            lat = self.latencies[method]
            lines.append(
                f"  {method:14s} n={len(lat):6d} p50 {statistics.median(lat) * 1000:7.1f} ms "
                f"p99 {self.percentile(99, method) * 1000:7.1f} ms"
            )
        if self.errors:
            lines.append("  errors: " + ", ".join(f"{m} {c}: {n}" for (m, c), n in sorted(self.errors.items())))
        return "\n".join(lines)


async def run_load(
    port: int, token: str, mix: list[tuple[str, dict | None]], *, clients: int = 100, duration: float = 3.0
) -> LoadResult:
    result = LoadResult(latencies={m: [] for m, _ in mix})
    ready = asyncio.Event()
    connected, start, deadline = 0, 0.0, 0.0

    async def client(index: int) -> None:
        nonlocal connected, start, deadline
        url = f"ws://127.0.0.1:{port}/"
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                           compression=None, max_size=2**22, open_timeout=30) as ws:
            connected += 1
            if connected == clients:
                start = time.perf_counter()
                deadline = start + duration
                ready.set()
            await ready.wait()
            i = index
            while time.perf_counter() < deadline:
                method, params = mix[i % len(mix)]
                i += 1
                message = {"jsonrpc": "2.0", "method": method, "id": i}
                if params is not None:
                    message["params"] = params
                t0 = time.perf_counter()
                await ws.send(json.dumps(message))
                answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
                result.latencies[method].append(time.perf_counter() - t0)
                if answer.get("id") != i:
                    result.errors[(method, "WRONG_ID")] += 1
                elif "error" in answer:
                    code = (answer["error"].get("data") or {}).get("code") or str(answer["error"]["code"])
                    result.errors[(method, code)] += 1
                elif method == "vitale.read":
                    result.reads.append(answer["result"])

    await asyncio.gather(*(client(i) for i in range(clients)))
    result.elapsed = time.perf_counter() - start
    return result
