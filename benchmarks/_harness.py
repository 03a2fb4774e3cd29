"""Shared benchmark harness: start servers as separate processes, drive them with N clients.

Run directly to start the baseline server: ``python benchmarks/_harness.py echo PORT`` is a bare
``websockets`` echo server with the same socket options as the bridge (no compression).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.helpers.servers import free_port, start_server, stop_server


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@contextlib.contextmanager
def process(args: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def echo_server() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, str(Path(__file__)), "echo", str(port)], port):
        yield f"ws://127.0.0.1:{port}/"


@contextlib.contextmanager
def bridge_server(*extra: str) -> Iterator[tuple[str, str]]:
    """Yields (url, token) of a `vitale-bridge serve` in a private home."""
    with tempfile.TemporaryDirectory(prefix="vb-bench-") as tmp:
        served = start_server(Path(tmp) / "home", None, *extra)
        try:
            yield f"ws://127.0.0.1:{served.port}/", served.token
        finally:
            stop_server(served)


@dataclass
class Result:
    latencies: list[float]
    elapsed: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1e3

    @property
    def p99(self) -> float:
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(len(s) * 0.99))] * 1e3

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed


async def drive(url: str, make: Callable[[int], str], *, clients: int, requests: int,
                token: str | None = None, warmup: int = 50) -> Result:
    """Each client sends `requests` messages one after the other and waits for each answer."""
    from websockets.asyncio.client import connect

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conns = [await connect(url, additional_headers=headers, compression=None) for _ in range(clients)]
    for ws in conns:
        for i in range(warmup // clients + 1):
            await ws.send(make(i))
            await ws.recv()
    latencies: list[float] = []

    async def run(ws) -> None:
        for i in range(requests):
            t = time.perf_counter()
            await ws.send(make(i))
            await ws.recv()
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(run(ws) for ws in conns))
    elapsed = time.perf_counter() - start
    for ws in conns:
        await ws.close()
    return Result(latencies, elapsed)


def row(label: str, r: Result, base: Result | None = None) -> str:
    text = f"{label:<34} p50 {r.p50:7.3f} ms  p99 {r.p99:7.3f} ms  {r.throughput:9.0f} req/s"
    if base is not None:
        text += f"   | p50 x{r.p50 / base.p50:4.2f}  throughput x{r.throughput / base.throughput:4.2f}"
    return text


async def _echo(port: int) -> None:
    from websockets.asyncio.server import serve

    async def handler(ws) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(handler, "127.0.0.1", port, compression=None, max_size=64 * 1024):
        await asyncio.Future()


if __name__ == "__main__":
    if sys.argv[1:2] == ["echo"]:
        asyncio.run(_echo(int(sys.argv[2])))
