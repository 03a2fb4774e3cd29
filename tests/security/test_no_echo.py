"""No input value is ever echoed in an error (security review §2.8): the message, and the
details except the documented normalised codes, never contain what the client sent."""

from __future__ import annotations

import json

import pytest

from bridge.app import Bridge
from bridge.rpc import Peer

MARK = "Zq7MARK"

CASES = [
    ("od.resolve", {"regime": f"1e2{MARK}", "caisse": "751", "centre": "0601"}),
    ("od.resolve", {"regime": "01", "caisse": f"{MARK}", "centre": "0601"}),
    ("od.search", {"query": "mgen", MARK: 1}),
    ("vitale.read", {"reader": f"reader {MARK}"}),
    ("card.status", {"reader": f"reader {MARK}"}),
    (f"method.{MARK}", {}),
    ("simulator.insert", {"profile": f"x{MARK}"}),
    ("bridge.hello", {"clientName": "t", "clientVersion": "1", "protocolVersion": "77.3"}),
]


@pytest.mark.parametrize("method,params", CASES, ids=[c[0] for c in CASES])
async def test_errors_never_echo_input(settings, method, params):
    bridge = Bridge(settings)
    await bridge.start()
    try:
        session = bridge.open_session(Peer(transport="inproc", authenticated_by="token"))
        text = await bridge.handle(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}), session)
    finally:
        await bridge.stop()
    answer = json.loads(text)
    assert "error" in answer, answer
    assert MARK not in text and "77.3" not in text, answer["error"]


async def test_od_not_found_message_names_no_codes(settings):
    bridge = Bridge(settings)
    session = bridge.open_session(Peer(transport="inproc"))
    text = await bridge.handle(
        '{"jsonrpc":"2.0","method":"od.resolve","params":{"regime":"01","caisse":"000","centre":"9876"},"id":1}', session
    )
    error = json.loads(text)["error"]
    assert error["data"]["code"] == "OD_NOT_FOUND"
    assert "000," not in error["message"] and "9876" not in error["message"]
