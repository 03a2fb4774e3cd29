"""The localhost WebSocket front end (``vitale-bridge serve``).

Loopback only; the handshake rules live in :mod:`bridge.transport.handshake`. Each connection
is one :class:`~bridge.rpc.Session`; requests on a connection run concurrently up to
``max_in_flight``; responses may come back in any order (JSON-RPC ids match them).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import socket
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from bridge import __version__
from bridge.app import Bridge
from bridge.errors import SetupError
from bridge.logs import Aggregated
from bridge.rpc import Peer
from bridge.rpc.protocol import encode
from bridge.settings import allowed_origins, load_or_create_token
from bridge.transport import peers
from bridge.transport.handshake import decide
from bridge.transport.requests import RequestRunner

log = logging.getLogger("vitale_bridge.websocket")
#: Refused handshakes are logged at most once a minute, with the count of the others.
refusals = Aggregated(log, "refused")


def _ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class WebSocketServer:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.settings = bridge.settings
        self.token = load_or_create_token(self.settings.paths)
        self.port = self.settings.port
        self._server: Server | None = None

    # --- handshake ---------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        decision = decide(
            list(request.headers.raw_items()),
            port=self.port,
            token=self.token,
            allowed_origins=allowed_origins(self.settings.paths),
            peer_is_same_user=lambda: peers.peer_is_same_user(connection.local_address, connection.remote_address),
        )
        if decision.accepted:
            connection.vb_peer = Peer(  # type: ignore[attr-defined]
                transport="websocket",
                origin=decision.origin,
                authenticated_by=decision.authenticated_by,
            )
            return None
        refusals.warning("refused a connection: %s", decision.reason)
        response = connection.respond(decision.status, decision.reason + "\n")
        return response

    # --- connections -------------------------------------------------------------------------

    async def _handler(self, ws: ServerConnection) -> None:
        peer: Peer = ws.vb_peer  # type: ignore[attr-defined]

        idle = self.settings.idle_timeout or None
        loop = asyncio.get_running_loop()
        deadline: asyncio.Timeout | None = None
        moved = 0.0
        # Moving the deadline costs a timer: do it at most every quarter of the timeout (and at
        # most once a second), so an active connection is never closed and the hot path stays cheap.
        step = min(1.0, idle / 4) if idle else 0.0

        def touch() -> None:
            nonlocal moved
            now = loop.time()
            if idle and deadline is not None and now - moved > step:
                moved = now
                deadline.reschedule(now + idle)

        async def send(message: dict[str, Any]) -> None:
            touch()  # notifications count as activity
            text = encode(message)
            if text is None:  # no valid JSON spelling: not sent (never a broken frame)
                log.warning("dropped a %s notification that cannot be encoded", message.get("method"))
                return
            await ws.send(text)

        session = self.bridge.open_session(peer, send)
        log.info("client connected (%s, %s)", peer.origin or "no origin", peer.authenticated_by)

        async def reply(answer: str) -> None:
            try:
                await ws.send(answer)
            except ConnectionClosed:
                pass

        runner = RequestRunner(self.bridge, session, reply, self.settings.max_in_flight)
        try:
            async with asyncio.timeout(idle) as deadline:
                async for raw in ws:
                    touch()
                    await runner.submit(raw)
        except TimeoutError:
            log.info("closing an idle connection")
            await ws.close(1000, "idle timeout")
        except ConnectionClosed:
            pass
        finally:
            await runner.cancel()  # the client is gone: nobody waits for these answers
            await self.bridge.close_session(session)
            log.info("client disconnected")

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self.port == 0:  # pick one free port, so that IPv4 and IPv6 share it
            with socket.socket() as probe:
                probe.bind((self.settings.host, 0))
                self.port = probe.getsockname()[1]
        hosts: list[str] | str = self.settings.host
        if self.settings.host == "127.0.0.1" and self.settings.ipv6 and _ipv6_loopback_available():
            hosts = ["127.0.0.1", "::1"]
        try:
            self._server = await self._serve(hosts)
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                raise
            if peers.listener_owned_by_us(self.port) is False:
                raise SetupError(peers.port_held_by_other_user(self.port, "start the bridge")) from None
            raise SetupError(
                f"cannot listen on 127.0.0.1:{self.port} ({exc.strerror or exc}). Another program "
                "(perhaps a bridge already running: try 'vitale-bridge rpc bridge.hello') uses this "
                "port; stop it, or choose another with --port."
            ) from None
        log.info("listening on ws://127.0.0.1:%s", self.port)
        # What is alive now (modules, schemas, the OD table) lives as long as the server: out
        # of the cyclic collector's full scans, which otherwise stall every client for tens of
        # milliseconds now and then under load (benchmarks/bench_fairness.py).
        gc.freeze()

    async def _serve(self, hosts: list[str] | str) -> Server:
        return await serve(
            self._handler,
            hosts,  # type: ignore[arg-type]  # asyncio's create_server takes a list of hosts; websockets types only one
            self.port,
            process_request=self._process_request,
            server_header=f"vitale-bridge/{__version__}",
            compression=None,
            max_size=self.settings.max_message_size,
            max_queue=16,
            ping_interval=self.settings.ping_interval,
            ping_timeout=self.settings.ping_timeout,
            close_timeout=2,
            open_timeout=10,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

