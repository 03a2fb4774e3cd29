"""Drive a real native host process over pipes, exactly as a browser does (framing only)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROME_ORIGIN = "chrome-extension://pjlklnmdipclnjibhckdcmjjdeinefpd/"


def frame(payload: bytes | str | dict[str, Any]) -> bytes:
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return struct.pack("=I", len(payload)) + payload


def hello(id_: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": "bridge.hello", "params": {"clientName": "test", "clientVersion": "1"}}


class Host:
    """A host process with helpers to write frames and read answers (with timeouts)."""

    def __init__(self, args: list[str], home: Path, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "VITALE_BRIDGE_HOME": str(home), **(env or {})}
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=ROOT
        )

    @classmethod
    def python(cls, home: Path, *extra: str, browser_args: list[str] | None = None) -> Host:
        if browser_args is not None:
            return cls([sys.executable, "-m", "bridge", *browser_args], home)
        return cls([sys.executable, "-m", "bridge", "native", *extra], home)

    def write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any] | bytes | str) -> None:
        self.write(frame(message))

    def read_exact(self, n: int, timeout: float = 10.0) -> bytes:
        import select

        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        out = b""
        while len(out) < n:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise TimeoutError(f"no answer from the host after {timeout} s (got {len(out)} of {n} bytes)")
            chunk = os.read(fd, n - len(out))
            if not chunk:
                raise EOFError(f"host stdout closed after {len(out)} of {n} bytes")
            out += chunk
        return out

    def receive_raw(self, timeout: float = 10.0) -> bytes:
        (length,) = struct.unpack("=I", self.read_exact(4, timeout))
        return self.read_exact(length, timeout)

    def receive(self, timeout: float = 10.0) -> Any:
        return json.loads(self.receive_raw(timeout))

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def finish(self, timeout: float = 10.0) -> tuple[int, bytes, str]:
        """Close stdin, wait for exit; returns (exit code, rest of stdout, stderr)."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            self.proc.stdin = None  # communicate() must not flush it
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err.decode("utf-8", "replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
