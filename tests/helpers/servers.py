"""Helpers shared by the test suites and the benchmarks: free ports, and a real
``vitale-bridge serve`` process.

The server runs in its own process so a fault that freezes it (a PC/SC call that never
returns) fails one test within a bounded time instead of hanging the whole suite, and so its
memory (RSS) and its log file are those of the real command.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bridge.settings import Paths, read_token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Served:
    proc: subprocess.Popen
    port: int
    home: Path
    token: str
    stderr: Path

    @property
    def paths(self) -> Paths:
        return Paths.resolve(self.home)

    def rss_kib(self) -> int:
        return rss_kib(self.proc.pid)

    def output(self) -> str:
        """stderr of the server plus its log file (both at the default level)."""
        text = self.stderr.read_text(encoding="utf-8", errors="replace")
        log = self.paths.log_file
        if log.exists():
            text += log.read_text(encoding="utf-8", errors="replace")
        return text


def start_server(home: Path, env: dict[str, str] | None = None, *extra: str) -> Served:
    """``vitale-bridge --home HOME serve`` on a free port (pcsc driver unless *extra* says
    otherwise), once it listens."""
    port = free_port()
    env = os.environ.copy() if env is None else env
    stderr = home.parent / f"serve-{port}.stderr"
    with open(stderr, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "--home", str(home), "serve",
             "--port", str(port), "--no-ipv6", *extra],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env,
        )
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited: {stderr.read_text(errors='replace')[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("serve did not listen within 20 s")
        time.sleep(0.05)
    token = read_token(Paths.resolve(home))
    assert token
    return Served(proc, port, home, token, stderr)


def stop_server(served: Served) -> None:
    if served.proc.poll() is None:
        served.proc.terminate()
        try:
            served.proc.wait(10)
        except subprocess.TimeoutExpired:  # frozen: a failure the test has already reported
            served.proc.kill()
            served.proc.wait(5)
