"""The JSON-RPC 2.0 core with no sockets: the specification's examples and our extensions."""

from __future__ import annotations

import json
import logging

import pytest

from bridge import PROTOCOL_VERSION
from bridge.app import Bridge
from bridge.errors import BridgeError, NoCardError, all_errors
from bridge.rpc import Peer
from tests.helpers.rpc_methods import register_spec_methods
from tests.helpers.spec_examples import SPEC_EXAMPLES, comparable


@pytest.fixture
def bridge(settings):
    b = Bridge(settings)
    register_spec_methods(b.dispatcher)
    return b


@pytest.fixture
def session(bridge):
    return bridge.open_session(Peer("inproc"))


@pytest.mark.parametrize("name,request_text,expected", SPEC_EXAMPLES, ids=[e[0] for e in SPEC_EXAMPLES])
async def test_spec_example(bridge, session, name, request_text, expected):
    response = await bridge.dispatcher.dispatch(request_text, session)
    assert comparable(response) == comparable(expected)


async def test_notification_runs_the_method(bridge, session):
    assert await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "update", "params": [1, 2]}, session
    ) is None
    assert session.state["updates"][0].a == 1


@pytest.mark.parametrize("id_", ["abc", 7, 1.5, None])
async def test_ids_are_echoed(bridge, session, id_):
    r = await bridge.dispatcher.dispatch({"jsonrpc": "2.0", "method": "get_data", "id": id_}, session)
    assert r == {"jsonrpc": "2.0", "result": ["hello", 5], "id": id_}


@pytest.mark.parametrize("id_", [True, [1], {"a": 1}])
async def test_bad_ids_are_invalid_requests(bridge, session, id_):
    r = await bridge.dispatcher.dispatch({"jsonrpc": "2.0", "method": "get_data", "id": id_}, session)
    assert r["error"]["code"] == -32600 and r["id"] is None


async def test_invalid_params_carry_validation_details(bridge, session):
    r = await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": "x"}, "id": 1}, session
    )
    assert r["error"]["code"] == -32602
    data = r["error"]["data"]
    assert data["code"] == "INVALID_PARAMS"
    locs = {tuple(e["loc"]) for e in data["errors"]}
    assert locs == {("minuend",), ("subtrahend",)}
    assert "x" not in json.dumps(data)  # offending input values are not echoed


async def test_unknown_named_param_is_refused(bridge, session):
    r = await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 1, "subtrahend": 2, "x": 3}, "id": 1},
        session,
    )
    assert r["error"]["code"] == -32602


async def test_too_many_positional_params(bridge, session):
    r = await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "subtract", "params": [1, 2, 3], "id": 1}, session
    )
    assert r["error"]["code"] == -32602


async def test_internal_error_leaks_nothing(bridge, session, caplog):
    caplog.set_level(logging.INFO, logger="vitale_bridge")
    r = await bridge.dispatcher.dispatch({"jsonrpc": "2.0", "method": "test.boom", "id": 1}, session)
    assert r["error"] == {"code": -32603, "message": "Internal error", "data": {"code": "INTERNAL_ERROR"}}
    assert "DUPONT" not in caplog.text and "1800575123456" not in caplog.text
    assert "KeyError" in caplog.text  # but the log says what kind of failure it was


async def test_application_errors_translate_with_stable_codes(bridge, session):
    async def no_card(params, ctx) -> None:
        raise NoCardError(reader="Vitale Reader")

    from bridge.wire import NoParams

    bridge.dispatcher.add("test.nocard", no_card, params=NoParams, result=None)
    r = await bridge.dispatcher.dispatch({"jsonrpc": "2.0", "method": "test.nocard", "id": 1}, session)
    assert r["error"]["code"] == NoCardError.rpc_code
    assert r["error"]["data"] == {"code": "NO_CARD", "reader": "Vitale Reader"}


def test_error_codes_are_unique_and_in_range():
    concrete = [c for c in all_errors() if c is not BridgeError]
    assert len({c.rpc_code for c in concrete}) == len(concrete)
    assert len({c.code for c in concrete}) == len(concrete)
    assert all(-32099 <= c.rpc_code <= -32000 for c in all_errors())


async def test_batch_limit(bridge, session):
    batch = [{"jsonrpc": "2.0", "method": "get_data", "id": i} for i in range(65)]
    r = await bridge.dispatcher.dispatch(batch, session)
    assert isinstance(r, dict) and r["error"]["code"] == -32600


async def test_hello_and_version_mismatch(bridge, session):
    ok = await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "bridge.hello", "params": {"clientName": "t", "clientVersion": "1"}, "id": 1},
        session,
    )
    assert ok["result"]["protocolVersion"] == PROTOCOL_VERSION
    assert "bridge.hello" in ok["result"]["capabilities"]
    bad = await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "bridge.hello",
         "params": {"clientName": "t", "clientVersion": "1", "protocolVersion": "9.0"}, "id": 2},
        session,
    )
    assert bad["error"]["data"]["code"] == "VERSION_MISMATCH"
    assert bad["error"]["data"]["hostProtocolVersion"] == PROTOCOL_VERSION


async def test_minor_version_difference_is_accepted(bridge, session):
    major = PROTOCOL_VERSION.split(".")[0]
    r = await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "bridge.hello",
         "params": {"clientName": "t", "clientVersion": "1", "protocolVersion": f"{major}.99"}, "id": 1},
        session,
    )
    assert "result" in r


async def test_discover_is_an_openrpc_document(bridge, session):
    r = await bridge.dispatcher.dispatch({"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}, session)
    doc = r["result"]
    assert doc["openrpc"].startswith("1.")
    names = {m["name"] for m in doc["methods"]}
    assert {"bridge.hello", "rpc.discover", "events.subscribe"} <= names
    hello = next(m for m in doc["methods"] if m["name"] == "bridge.hello")
    assert [p["name"] for p in hello["params"]] == ["clientName", "clientVersion", "protocolVersion", "challenge"]
    assert hello["errors"][0]["data"]["code"] == "VERSION_MISMATCH"
    assert "x-personalData" not in hello
    # every $ref points into components
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/")
        assert ref.split("/")[-1] in doc["components"]["schemas"]


async def test_events_reach_only_subscribers(bridge):
    got_a, got_b = [], []

    async def send_a(m):
        got_a.append(m)

    async def send_b(m):
        got_b.append(m)

    a = bridge.open_session(Peer("inproc"), send_a)
    bridge.open_session(Peer("inproc"), send_b)
    await bridge.dispatcher.dispatch(
        {"jsonrpc": "2.0", "method": "events.subscribe", "params": {"events": ["card.inserted"]}, "id": 1}, a
    )
    await bridge.events.publish("card.inserted", {"reader": "R"})
    await bridge.events.publish("card.removed", {"reader": "R"})
    assert got_a == [{"jsonrpc": "2.0", "method": "card.inserted", "params": {"reader": "R"}}]
    assert got_b == []
    await bridge.close_session(a)
    await bridge.events.publish("card.inserted", {"reader": "R"})
    assert len(got_a) == 1


def test_discover_marks_the_methods_that_return_personal_data(settings):
    from bridge.rpc.openrpc import document

    doc = document(Bridge(settings).dispatcher)
    personal = {m["name"] for m in doc["methods"] if m.get("x-personalData")}
    assert {"vitale.read", "cps.status"} <= personal
    assert not personal & {"bridge.hello", "od.resolve", "readers.list"}


async def test_a_slow_subscriber_does_not_delay_the_others(bridge):
    import asyncio

    release = asyncio.Event()
    fast: list[dict] = []

    async def stuck(m):
        await release.wait()

    async def quick(m):
        fast.append(m)

    slow_session = bridge.open_session(Peer("inproc"), stuck)
    fast_session = bridge.open_session(Peer("inproc"), quick)
    for s in (slow_session, fast_session):
        s.subscriptions.add("*")
    bridge.sessions = [slow_session, fast_session]  # the slow one comes first, whatever a set's order
    publishing = asyncio.create_task(bridge.events.publish("card.removed", {"reader": "R"}))
    await asyncio.sleep(0.05)
    assert len(fast) == 1  # delivered while the slow one is still blocked
    release.set()
    assert await publishing == 2
