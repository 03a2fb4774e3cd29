"""The running WebSocket server: spec examples over the wire, and the handshake defences."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bridge.client import BridgeClient, RpcError
from bridge.identity import CHROME_EXTENSION_ID
from bridge.settings import save_user_origins
from tests.helpers.rpc_methods import register_spec_methods
from tests.helpers.spec_examples import SPEC_EXAMPLES, comparable


def url(server) -> str:
    return f"ws://127.0.0.1:{server.port}/"


def auth(server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}"}


@pytest.mark.parametrize("name,request_text,expected", SPEC_EXAMPLES, ids=[e[0] for e in SPEC_EXAMPLES])
async def test_spec_example_over_websocket(server, name, request_text, expected):
    register_spec_methods(server.bridge.dispatcher)  # a new server for every test
    async with connect(url(server), additional_headers=auth(server)) as ws:
        await ws.send(request_text)
        # A marker request after it: if the example must get no answer, the marker comes first.
        await ws.send('{"jsonrpc": "2.0", "method": "get_data", "id": "marker"}')
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if expected is None:
            assert first == {"jsonrpc": "2.0", "result": ["hello", 5], "id": "marker"}
        else:
            if isinstance(first, dict) and first.get("id") == "marker":
                first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert comparable(first) == comparable(expected)


async def raw_handshake(port: int, headers: dict[str, str]) -> int:
    """Send a hand-written upgrade request and return the HTTP status code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        "GET / HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status.split()[1])


async def test_token_client_accepted(server):
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        hello = await client.call("bridge.hello", {"clientName": "t", "clientVersion": "1"})
    assert hello["transport"] == "websocket"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://localhost",
        f"chrome-extension://{'a' * 32}",
        f"CHROME-EXTENSION://{CHROME_EXTENSION_ID}",
        f"chrome-extension://{CHROME_EXTENSION_ID}/",
        f"chrome-extension://{CHROME_EXTENSION_ID}.evil.example",
    ],
)
async def test_foreign_origin_gets_403(server, origin):
    status = await raw_handshake(server.port, {"Host": f"127.0.0.1:{server.port}", "Origin": origin})
    assert status == 403


async def test_extension_origin_accepted(server):
    status = await raw_handshake(
        server.port, {"Host": f"127.0.0.1:{server.port}", "Origin": f"chrome-extension://{CHROME_EXTENSION_ID}"}
    )
    assert status == 101


async def test_user_allowed_origin_accepted_without_restart(server):
    origin = "https://ehr.example.fr"
    assert await raw_handshake(server.port, {"Host": f"localhost:{server.port}", "Origin": origin}) == 403
    save_user_origins(server.settings.paths, [origin])
    assert await raw_handshake(server.port, {"Host": f"localhost:{server.port}", "Origin": origin}) == 101


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "127.0.0.1.nip.io:{port}", "127.0.0.1:1", "localhost", "127.0.0.2:{port}", ""],
)
async def test_rebinding_host_gets_403(server, host):
    status = await raw_handshake(
        server.port,
        {"Host": host.format(port=server.port), "Origin": f"chrome-extension://{CHROME_EXTENSION_ID}"},
    )
    assert status == 403


async def test_missing_token_refused(server):
    assert await raw_handshake(server.port, {"Host": f"127.0.0.1:{server.port}"}) == 401


async def test_wrong_token_refused(server):
    status = await raw_handshake(
        server.port, {"Host": f"127.0.0.1:{server.port}", "Authorization": "Bearer not-the-token"}
    )
    assert status == 401


async def test_wrong_token_via_client_raises(server):
    with pytest.raises(InvalidStatus) as info:
        async with BridgeClient.connect(port=server.port, token="nope"):
            pass
    assert info.value.response.status_code == 401


async def test_oversized_message_closes_1009(server):
    async with connect(url(server), additional_headers=auth(server), max_size=None) as ws:
        await ws.send("x" * (server.settings.max_message_size + 1))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1009


async def test_token_file_is_user_only(server):
    mode = server.settings.paths.token_file.stat().st_mode & 0o777
    assert mode == 0o600
    assert server.settings.paths.config_dir.stat().st_mode & 0o077 == 0


async def test_many_clients_at_once(server):
    async def one(i: int) -> str:
        async with BridgeClient.connect(port=server.port, token=server.token) as client:
            r = await client.call("bridge.hello", {"clientName": f"c{i}", "clientVersion": "1"})
            return r["name"]

    names = await asyncio.gather(*(one(i) for i in range(40)))
    assert names == ["vitale-bridge"] * 40


async def test_in_flight_limit(server):
    """Past max_in_flight concurrent requests, extra ones get TOO_MANY_REQUESTS, not a queue."""
    gate = asyncio.Event()

    async def slow(params, ctx) -> int:
        await gate.wait()
        return 1

    from bridge.wire import NoParams

    server.bridge.dispatcher.add("test.slow", slow, params=NoParams, result=int)
    limit = server.settings.max_in_flight
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        calls = [asyncio.create_task(client.call("test.slow")) for _ in range(limit + 3)]
        await asyncio.sleep(0.2)
        gate.set()
        results = await asyncio.gather(*calls, return_exceptions=True)
    busy = [r for r in results if isinstance(r, RpcError)]
    assert len(busy) == 3 and all(r.code_name == "TOO_MANY_REQUESTS" for r in busy)
    assert results.count(1) == limit


async def test_subscribed_client_gets_notifications(server):
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        await client.call("events.subscribe", {"events": ["card.inserted"]})
        await server.bridge.events.publish("card.inserted", {"reader": "Vitale"})
        note = await asyncio.wait_for(client.notifications.get(), 5)
    assert note == {"jsonrpc": "2.0", "method": "card.inserted", "params": {"reader": "Vitale"}}


async def test_port_in_use_is_a_clear_setup_error(settings):
    import socket

    from bridge.app import Bridge
    from bridge.errors import SetupError
    from bridge.transport.websocket import WebSocketServer

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        settings.port = holder.getsockname()[1]
        with pytest.raises(SetupError, match="--port"):
            await WebSocketServer(Bridge(settings)).start()


@pytest.fixture
def quick_idle(settings):
    settings.idle_timeout = 0.4
    return settings


async def test_idle_connection_is_closed_and_an_active_one_is_not(quick_idle, server):
    headers = {"Authorization": f"Bearer {server.token}"}
    async with connect(url(server), additional_headers=headers) as active, connect(
        url(server), additional_headers=headers
    ) as quiet:
        for i in range(8):  # 1.2 s of traffic, three times the idle timeout
            await active.send(json.dumps({"jsonrpc": "2.0", "method": "bridge.hello", "id": i,
                                          "params": {"clientName": "t", "clientVersion": "1"}}))
            assert "result" in json.loads(await asyncio.wait_for(active.recv(), 5))
            await asyncio.sleep(0.15)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(quiet.recv(), 5)
        assert quiet.close_code == 1000 and quiet.close_reason == "idle timeout"
        await active.send('{"jsonrpc": "2.0", "method": "rpc.discover", "id": "still"}')
        assert json.loads(await asyncio.wait_for(active.recv(), 5))["id"] == "still"
