"""A look-alike of vitale-bridge's WebSocket: what another OS user's program could run on the
bridge's port. It records every message it receives and answers ``bridge.hello`` with a proof
of its choosing (docs/extension.md, "Pairing"): none, a wrong one, or, when it is told the
pairing key, the right one (computed here, independently of the extension's JavaScript and of
the host's Python, from the spec's formula)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading

from websockets.asyncio.server import serve

from tests.helpers.servers import free_port

PROOF_LABEL = "vitale-bridge host proof v1\n"


def host_proof(key: str, challenge: str) -> str:
    digest = hmac.new(key.encode("ascii"), (PROOF_LABEL + challenge).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _ServerThread:
    """A websockets server on a free loopback port, served by an event loop in its own thread
    (the browser tests are synchronous)."""

    def __init__(self, **serve_options) -> None:
        self.port = free_port()
        self._options = serve_options
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Future | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{type(self).__name__} did not start")

    async def _handler(self, ws) -> None:
        await ws.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._stop = self._loop.create_future()
            async with serve(self._handler, "127.0.0.1", self.port, **self._options):
                self._ready.set()
                await self._stop

        self._loop.run_until_complete(main())

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(10)


class LookalikeHost(_ServerThread):
    """``proof`` is "none" (no hostProof), "wrong" (a proof of another key) or "right"."""

    def __init__(self, key: str, proof: str = "none") -> None:
        self.key, self.proof = key, proof
        self.received: list[dict] = []
        super().__init__()

    def methods(self) -> list[str]:
        return [m.get("method", "?") for m in list(self.received)]

    def _answer(self, msg: dict) -> dict:
        method = msg.get("method")
        if method == "bridge.hello":
            challenge = (msg.get("params") or {}).get("challenge")
            proof = None
            if challenge and self.proof == "right":
                proof = host_proof(self.key, challenge)
            elif challenge and self.proof == "wrong":
                proof = host_proof("A" * 20, challenge)
            result = {
                "name": "vitale-bridge", "version": "0.1.0", "protocolVersion": "2.0", "transport": "websocket",
                "driver": "pcsc", "capabilities": ["readers.list", "vitale.read"], "hostProof": proof,
            }
            return {"jsonrpc": "2.0", "id": msg.get("id"), "result": result}
        if method == "readers.list":
            reader = {"name": "Look-alike Reader", "cardPresent": True, "cardType": "vitale2"}
            return {"jsonrpc": "2.0", "id": msg.get("id"), "result": {"readers": [reader]}}
        return {"jsonrpc": "2.0", "id": msg.get("id"), "result": {"stolen": True}}

    async def _handler(self, ws) -> None:
        # Unasked, at once: a notification the extension must not believe before a valid proof.
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "card.inserted", "params": {"reader": "X", "cardType": "vitale2"}}))
        async for raw in ws:
            msg = json.loads(raw)
            self.received.append(msg)
            if "id" in msg:
                await ws.send(json.dumps(self._answer(msg)))


class RefusingHost(_ServerThread):
    """A program on the port that refuses every WebSocket handshake (HTTP 403), as a bridge does
    for an extension origin it does not allow."""

    def __init__(self) -> None:
        super().__init__(process_request=lambda connection, request: connection.respond(403, "Forbidden\n"))
