"""A small asyncio JSON-RPC client for the bridge's WebSocket (CLI, tests, benchmarks, scripts).

    async with BridgeClient.connect(port=27815) as client:   # reads the token file
        hello = await client.call("bridge.hello", {"clientName": "me", "clientVersion": "1"})
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bridge.errors import SetupError
from bridge.identity import DEFAULT_PORT
from bridge.rpc.protocol import encode
from bridge.settings import Paths, read_token
from bridge.transport import peers


class RpcError(Exception):
    """An error response from the bridge; ``code_name`` is the stable ``error.data.code``."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.rpc_code: int = error.get("code", 0)
        self.message: str = error.get("message", "")
        self.data: Any = error.get("data")
        self.code_name: str = self.data.get("code", "") if isinstance(self.data, dict) else ""
        super().__init__(f"{self.code_name or self.rpc_code}: {self.message}")


class BridgeClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.notifications: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    def connect(
        cls,
        *,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        token: str | None = None,
        paths: Paths | None = None,
        origin: str | None = None,
        **options: Any,
    ) -> _Connector:
        if token is None and origin is None:
            token = read_token(paths or Paths.resolve())
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return _Connector(cls, f"ws://{host}:{port}/", headers, origin, options)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                for item in message if isinstance(message, list) else [message]:
                    if "method" in item:
                        await self.notifications.put(item)
                    else:
                        fut = self._pending.pop(item.get("id"), None)
                        if fut is not None and not fut.done():
                            fut.set_result(item)
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("connection to the bridge closed"))

    async def request(self, method: str, params: Any = None) -> dict[str, Any]:
        """Send a request and return the raw response object."""
        id_ = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id_}
        if params is not None:
            message["params"] = params
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[id_] = fut
        text = encode(message)
        if text is None:
            raise ValueError("the parameters have no JSON spelling (a lone surrogate, NaN or infinity)")
        await self.ws.send(text)
        answer: dict[str, Any] = await fut
        return answer

    async def call(self, method: str, params: Any = None) -> Any:
        """Call a method and return its result, or raise :class:`RpcError`."""
        response = await self.request(method, params)
        if "error" in response:
            raise RpcError(response["error"])
        return response["result"]

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        # The reader task is being torn down: how it ended (cancelled, connection lost) no
        # longer matters to anyone, its pending calls were already failed by the reader.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


async def _connect_same_user(host: str, port: int) -> socket.socket:
    """A TCP connection to host:port whose listening end belongs to our OS user, checked
    before anything (the token above all) is sent: on a shared machine another user's program
    may hold the port (docs/security.md)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    last: OSError | None = None
    for family, type_, proto, _, address in infos:
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        same_user = peers.peer_is_same_user(sock.getsockname(), sock.getpeername())
        if same_user is not True:
            sock.close()
            raise SetupError(
                peers.port_held_by_other_user(port, "send your token or requests")
                if same_user is False
                else f"cannot establish which user's program listens on port {port} on this system, "
                "so vitale-bridge will not send your token there."
            )
        return sock
    raise last or ConnectionRefusedError(f"cannot connect to {host}:{port}")


class _Connector:
    def __init__(self, cls: type[BridgeClient], url: str, headers: dict[str, str], origin: str | None, options: dict[str, Any]) -> None:
        self._cls, self._url, self._headers, self._origin, self._options = cls, url, headers, origin, options
        self._client: BridgeClient | None = None

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._open().__await__()

    async def _open(self) -> BridgeClient:
        host, port = self._url.removeprefix("ws://").rstrip("/").rsplit(":", 1)
        sock = await _connect_same_user(host.strip("[]"), int(port))
        ws = await connect(
            self._url,
            sock=sock,
            additional_headers=self._headers,
            origin=self._origin,  # type: ignore[arg-type]
            compression=None,
            max_size=2**22,
            **self._options,
        )
        return self._cls(ws)

    async def __aenter__(self) -> BridgeClient:
        self._client = await self._open()
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.close()
