"""One client must not freeze the others (security review §2.1): every member of a batch
counts toward the in-flight limit, one connection's quick calls take turns with the other
connections, replies are bounded, rpc.discover is cheap. Figures: benchmarks/bench_fairness.py.
"""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import connect

from bridge.transport.requests import MAX_REPLY


def url(server) -> str:
    return f"ws://127.0.0.1:{server.port}/"


def auth(server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}"}


def call(method: str, id_: int, params=None) -> dict:
    message = {"jsonrpc": "2.0", "method": method, "id": id_}
    if params is not None:
        message["params"] = params
    return message


async def test_every_batch_member_counts_toward_the_limit(server):
    server.settings.max_in_flight = 16
    batch = [call("bridge.hello", i, {"clientName": "t", "clientVersion": "1"}) for i in range(20)]
    batch += [{"jsonrpc": "2.0", "method": "bridge.hello", "params": {"clientName": "t", "clientVersion": "1"}}]
    async with connect(url(server), additional_headers=auth(server)) as ws:
        await ws.send(json.dumps(batch))
        answers = json.loads(await asyncio.wait_for(ws.recv(), 10))
        codes = sorted("ok" if "result" in a else a["error"]["data"]["code"] for a in answers)
        assert codes == ["TOO_MANY_REQUESTS"] * 4 + ["ok"] * 16
        assert len({a["id"] for a in answers}) == 20
        # the budget is given back once answered
        await ws.send(json.dumps(batch[:16]))
        assert all("result" in a for a in json.loads(await asyncio.wait_for(ws.recv(), 10)))


async def test_a_flooding_client_takes_turns_with_the_others(server):
    """A batch of CPU-heavy quick calls from one client; another client's quick call is
    served after a few of them, not after the whole batch."""
    server.settings.max_in_flight = 64
    order: list[str] = []
    started = asyncio.Event()

    def burn(params, ctx) -> int:
        order.append("flood")
        started.set()
        end = time.perf_counter() + 0.005  # a worst-case quick call: 5 ms of CPU
        while time.perf_counter() < end:
            pass
        return 0

    def mark(params, ctx) -> int:
        order.append("other")
        return 0

    server.bridge.dispatcher.add("test.burn", burn, result=int, quick=True)
    server.bridge.dispatcher.add("test.mark", mark, result=int, quick=True)
    async with connect(url(server), additional_headers=auth(server)) as flood, \
            connect(url(server), additional_headers=auth(server)) as other:
        await flood.send(json.dumps([call("test.burn", i) for i in range(32)]))
        await asyncio.wait_for(started.wait(), 10)
        await other.send(json.dumps(call("test.mark", 1)))
        assert json.loads(await asyncio.wait_for(other.recv(), 10))["result"] == 0
        assert len(json.loads(await asyncio.wait_for(flood.recv(), 10))) == 32
    assert order.index("other") < 8, order


async def test_single_quick_calls_take_turns_too(server):
    order: list[str] = []

    def burn(params, ctx) -> int:
        order.append("flood")
        end = time.perf_counter() + 0.002
        while time.perf_counter() < end:
            pass
        return 0

    server.bridge.dispatcher.add("test.burn", burn, result=int, quick=True)
    server.bridge.dispatcher.add("test.mark", lambda p, c: order.append("other") or 0, result=int, quick=True)
    async with connect(url(server), additional_headers=auth(server)) as flood, \
            connect(url(server), additional_headers=auth(server)) as other:
        for i in range(40):  # all in the server's socket buffer before it reads any
            await flood.send(json.dumps(call("test.burn", i)))
        await other.send(json.dumps(call("test.mark", 1)))
        await asyncio.wait_for(other.recv(), 10)
        for _ in range(40):
            await asyncio.wait_for(flood.recv(), 10)
    assert order.index("other") < 8, order


async def test_replies_are_bounded(server):
    server.bridge.dispatcher.add("test.big", lambda p, c: "x" * (MAX_REPLY + 1), result=str)
    async with connect(url(server), additional_headers=auth(server), max_size=None) as ws:
        await ws.send(json.dumps(call("test.big", 5)))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert answer["id"] == 5 and answer["error"]["data"]["code"] == "RESULT_TOO_LARGE"


async def test_discover_is_built_once(server):
    from bridge.rpc import openrpc

    calls = 0
    build = openrpc._build

    def counting(dispatcher):
        nonlocal calls
        calls += 1
        return build(dispatcher)

    openrpc._build = counting
    try:
        async with connect(url(server), additional_headers=auth(server)) as ws:
            for i in range(3):
                await ws.send(json.dumps(call("rpc.discover", i)))
                assert "result" in json.loads(await asyncio.wait_for(ws.recv(), 10))
    finally:
        openrpc._build = build
    assert calls <= 1


async def test_batch_replies_are_bounded_member_by_member(server):
    server.bridge.dispatcher.add("test.third", lambda p, c: "x" * (MAX_REPLY // 3), result=str, quick=True)
    async with connect(url(server), additional_headers=auth(server), max_size=None) as ws:
        await ws.send(json.dumps([call("test.third", i) for i in range(5)]))
        raw = await asyncio.wait_for(ws.recv(), 10)
    answers = json.loads(raw)
    assert len(raw.encode()) <= MAX_REPLY
    assert sorted(a["id"] for a in answers) == [0, 1, 2, 3, 4]
    assert sum("result" in a for a in answers) == 2
    assert {a["error"]["data"]["code"] for a in answers if "error" in a} == {"RESULT_TOO_LARGE"}
