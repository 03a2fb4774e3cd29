"""Input whose echo has no JSON spelling: lone surrogates (``\\ud800``) in a method name or an
id, ``"id": 1e999`` (infinity). Every reply must be valid JSON (strict: no Infinity, valid
UTF-8) or the spec's error; the WebSocket stays open; the native host answers and goes on."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect

from bridge.app import Bridge
from bridge.rpc import Peer
from tests.helpers.hostproc import Host, frame, hello


def strict(raw: str | bytes) -> object:
    """Parse as a strict JSON peer would: UTF-8 bytes, no NaN/Infinity."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")  # raises on a lone surrogate
    def refuse(name):
        raise ValueError(name)
    return json.loads(raw.decode("utf-8"), parse_constant=refuse)


CASES = [
    # (request text, expected error code, expected id)
    ('{"jsonrpc":"2.0","method":"\\ud800","id":1}', "METHOD_NOT_FOUND", 1),
    ('{"jsonrpc":"2.0","method":"bridge.hello","id":"\\ud800x"}', "INVALID_REQUEST", None),
    ('{"jsonrpc":"2.0","method":"bridge.hello","id":1e999}', "INVALID_REQUEST", None),
    ('{"jsonrpc":"2.0","method":"bridge.hello","id":-1e999}', "INVALID_REQUEST", None),
    ('{"jsonrpc":"2.0","method":"\\udfff\\ud800","id":"ok"}', "METHOD_NOT_FOUND", "ok"),
]


@pytest.mark.parametrize("text,code,id_", CASES)
async def test_websocket_answers_valid_json_and_stays_open(server, text, code, id_):
    async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers={"Authorization": f"Bearer {server.token}"}) as ws:
        await ws.send(text)
        answer = strict(await ws.recv())
        assert answer["error"]["data"]["code"] == code and answer["id"] == id_
        await ws.send(f"[{text},{text}]")
        batch = strict(await ws.recv())
        assert [a["error"]["data"]["code"] for a in batch] == [code, code]
        await ws.send(json.dumps(hello(2)))
        assert strict(await ws.recv())["result"]["name"] == "vitale-bridge"


async def test_unencodable_result_becomes_internal_error(settings):
    bridge = Bridge(settings)
    bridge.dispatcher.add("test.echo", lambda params, ctx: "\ud800", result=str)
    bridge.dispatcher.add("test.inf", lambda params, ctx: float("inf"), result=float)
    session = bridge.open_session(Peer(transport="inproc"))
    for method in ("test.echo", "test.inf"):
        text = await bridge.handle(f'{{"jsonrpc":"2.0","method":"{method}","id":3}}', session)
        assert strict(text)["error"]["data"]["code"] == "INTERNAL_ERROR" and strict(text)["id"] == 3
    batch = await bridge.handle('[{"jsonrpc":"2.0","method":"test.echo","id":1},{"jsonrpc":"2.0","method":"rpc.discover","id":2}]', session)
    first, second = strict(batch)
    assert first["error"]["data"]["code"] == "INTERNAL_ERROR" and "result" in second


def test_native_host_answers_and_never_exits_on_input(home):
    host = Host.python(home)
    try:
        for text, code, id_ in CASES:
            host.write(frame(text.encode("utf-8")))
            answer = strict(host.receive_raw())
            assert answer["error"]["data"]["code"] == code and answer["id"] == id_
        host.write(frame(b'{"jsonrpc":"2.0","method":"\\ud800"}'))  # a notification: no answer
        host.send(hello(9))
        assert host.receive()["id"] == 9
        code, rest, err = host.finish()
        assert (code, rest) == (0, b"")
        assert "Traceback" not in err
    finally:
        host.kill()
