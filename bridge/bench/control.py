"""The bench's control channel: another process inserts, removes and swaps cards.

Transport: a Unix socket, mode 0600 inside a private 0700 directory, whose path is written in
``<home data dir>/bench/state.json`` (0600). Only the same user can connect; the server also
checks the peer's uid (SO_PEERCRED). One JSON object per line each way::

    -> {"cmd": "insert", "profile": "adulte", "reader": "Vitale"}
    <- {"ok": true, "status": [{"reader": "Vitale", "pcscReader": "Vitale 00 00", ...}, ...]}
    -> {"cmd": "nope"}
    <- {"ok": false, "error": {"code": "BAD_COMMAND", "message": "..."}}

Commands: ``status``, ``insert`` (profile, reader?), ``remove`` (reader?), ``swap`` (profile,
reader?), ``clear``, ``stop`` (only when the owner allows it: ``vitale-bridge simulate``).
Lines are limited to 64 KiB. Nothing personal crosses the channel: profile names, reader names
and card types only.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.bench.discover import state_file

if TYPE_CHECKING:
    from bridge.bench.bench import Bench

MAX_LINE = 64 * 1024
COMMANDS = ("status", "insert", "remove", "swap", "clear", "stop")


__all__ = ["BenchControlError", "ControlClient", "ControlServer", "RemoteBench", "state_file"]


class BenchControlError(RuntimeError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ControlServer:
    def __init__(self, bench: Bench, path: Path) -> None:
        self.bench = bench
        self.path = path
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(8)
        self._sock = sock
        self._thread = threading.Thread(target=self._accept, name="bench-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._closing = True
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _accept(self) -> None:
        while not self._closing and self._sock is not None:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            if not self._same_user(conn):
                return
            conn.settimeout(60)
            reader = conn.makefile("rb")
            try:
                while True:
                    line = reader.readline(MAX_LINE + 1)
                    if not line:
                        return
                    if len(line) > MAX_LINE:
                        self._send(conn, error("TOO_LARGE", f"a request line is limited to {MAX_LINE} bytes"))
                        return
                    self._send(conn, self.handle(line))
            except OSError:
                return

    @staticmethod
    def _same_user(conn: socket.socket) -> bool:
        opt = getattr(socket, "SO_PEERCRED", None)
        if opt is None:
            return True
        creds = conn.getsockopt(socket.SOL_SOCKET, opt, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        return bool(uid == os.getuid())

    @staticmethod
    def _send(conn: socket.socket, reply: dict[str, Any]) -> None:
        conn.sendall(json.dumps(reply, ensure_ascii=False).encode() + b"\n")

    def handle(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError:
            return error("BAD_JSON", "send one JSON object per line")
        if not isinstance(request, dict) or request.get("cmd") not in COMMANDS:
            return error("BAD_COMMAND", f"'cmd' must be one of {', '.join(COMMANDS)}")
        cmd = request["cmd"]
        reader = request.get("reader")
        profile = request.get("profile")
        if reader is not None and not isinstance(reader, str):
            return error("BAD_PARAMS", "'reader' must be a string")
        if cmd in ("insert", "swap") and not isinstance(profile, str):
            return error("BAD_PARAMS", f"'{cmd}' needs 'profile': a shipped profile name or a JSON file path")
        bench = self.bench
        try:
            if cmd == "insert":
                bench.insert(str(profile), reader)
            elif cmd == "swap":
                bench.swap(str(profile), reader)
            elif cmd == "remove":
                bench.remove(reader)
            elif cmd == "clear":
                bench.clear()
            elif cmd == "stop":
                if not bench.allow_remote_stop:
                    return error("NOT_ALLOWED", owner_message(bench.owner, os.getpid()))
                bench.stop_requested.set()
        except KeyError as exc:
            return error("NO_READER", str(exc.args[0]))
        except FileNotFoundError as exc:
            return error("NO_PROFILE", str(exc))
        except ValueError as exc:  # invalid profile JSON (pydantic errors are ValueErrors)
            return error("BAD_PROFILE", f"profile {profile!r} is invalid: {str(exc).splitlines()[0]}")
        except Exception as exc:  # noqa: BLE001 - report, never kill the channel
            return error("BENCH_ERROR", f"{type(exc).__name__}: {exc}")
        return {"ok": True, "status": bench.status(), "env": bench.env, "pid": os.getpid()}


def owner_message(owner: str, pid: int) -> str:
    """Why 'simulate stop' is refused: say whose bench it is and how it stops."""
    if owner == "demo":
        return (f"this bench belongs to 'vitale-bridge demo' (pid {pid}) and stops with it: "
                "press Ctrl-C in the demo's terminal")
    return f"this bench belongs to {owner} (pid {pid}) and stops with it"


def error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


class ControlClient:
    def __init__(self, path: str | os.PathLike[str], timeout: float = 15.0) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout

    def request(self, cmd: str, **params: Any) -> dict[str, Any]:
        body = json.dumps({"cmd": cmd, **{k: v for k, v in params.items() if v is not None}}).encode() + b"\n"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(self.timeout)
            s.connect(self.path)
            s.sendall(body)
            reply = s.makefile("rb").readline(MAX_LINE + 1)
        if not reply:
            raise BenchControlError("NO_REPLY", "the bench closed the control channel without answering")
        data: dict[str, Any] = json.loads(reply)
        if not data.get("ok"):
            err = data.get("error") or {}
            raise BenchControlError(err.get("code", "BENCH_ERROR"), err.get("message", "request failed"))
        return data


class RemoteBench:
    """The same card methods as :class:`~bridge.bench.Bench`, on a bench in another process."""

    def __init__(self, client: ControlClient, state: dict[str, Any]) -> None:
        self.client = client
        self.state = state

    @classmethod
    def for_home(cls, home: str | os.PathLike[str] | None = None) -> RemoteBench:
        from bridge.settings import Paths

        try:
            state = json.loads(state_file(Paths.resolve(home).data_dir).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BenchControlError(
                "NOT_RUNNING", "no bench runs for this home: start one with 'vitale-bridge simulate'"
            ) from None
        if not Path(state.get("control", "")).exists():
            raise BenchControlError("NOT_RUNNING", "the bench of this home is gone (stale state file)")
        return cls(ControlClient(state["control"]), state)

    @property
    def env(self) -> dict[str, str]:
        return dict(self.state.get("env") or {})

    def status(self) -> list[dict[str, Any]]:
        status: list[dict[str, Any]] = self.client.request("status")["status"]
        return status

    def insert(self, profile: str, reader: str | None = None) -> list[dict[str, Any]]:
        status: list[dict[str, Any]] = self.client.request("insert", profile=str(profile), reader=reader)["status"]
        return status

    def remove(self, reader: str | None = None) -> list[dict[str, Any]]:
        status: list[dict[str, Any]] = self.client.request("remove", reader=reader)["status"]
        return status

    def swap(self, profile: str, reader: str | None = None) -> list[dict[str, Any]]:
        status: list[dict[str, Any]] = self.client.request("swap", profile=str(profile), reader=reader)["status"]
        return status

    def clear(self) -> list[dict[str, Any]]:
        status: list[dict[str, Any]] = self.client.request("clear")["status"]
        return status

    def stop(self) -> None:
        self.client.request("stop")
