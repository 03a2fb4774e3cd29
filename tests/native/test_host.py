"""The native host in-process over os.pipe(): size limit, concurrency, events, shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os

import pytest

from bridge.app import Bridge
from bridge.rpc import CallContext
from bridge.transport import native
from bridge.transport.native import MAX_OUTGOING, FrameReader, NativeHost
from bridge.wire import WireModel
from tests.helpers.hostproc import CHROME_ORIGIN, frame, hello


class Size(WireModel):
    size: int


class Wait(WireModel):
    seconds: float = 5.0


class Pipes:
    """The browser's side of a host running in this process."""

    def __init__(self, bridge: Bridge) -> None:
        self.in_r, self.in_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        self.host = NativeHost(bridge, self.in_r, self.out_w, origin=CHROME_ORIGIN)
        self.task = asyncio.create_task(self.host.run())
        self._reader = FrameReader(self.out_r, max_size=64 * 1024 * 1024)

    def send(self, message) -> None:
        os.write(self.in_w, frame(message))

    async def receive(self, timeout: float = 10.0):
        raw = await asyncio.wait_for(asyncio.to_thread(self._reader.read_frame), timeout)
        assert raw is not None, "host closed its output"
        return len(raw), json.loads(raw)

    async def close(self, timeout: float = 10.0) -> int:
        os.close(self.in_w)
        self.in_w = -1
        code = await asyncio.wait_for(self.task, timeout)
        return code

    def cleanup(self) -> None:
        for fd in (self.in_r, self.in_w, self.out_r, self.out_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


@pytest.fixture
async def bridge(settings):
    # The simulator driver: no PC/SC call from the pytest process (libpcsclite remembers the
    # first socket it used, which would hide the virtual bench from later tests).
    b = Bridge(dataclasses.replace(settings, driver="simulator"))
    release = asyncio.Event()

    async def big(params: Size, ctx: CallContext) -> str:
        """A result of the requested size (in characters)."""
        return "x" * params.size

    async def wait(params: Wait, ctx: CallContext) -> bool:
        """Not quick: runs as its own task until released or timed out."""
        try:
            await asyncio.wait_for(release.wait(), params.seconds)
        except TimeoutError:
            return False
        return True

    b.dispatcher.add("test.big", big)
    b.dispatcher.add("test.wait", wait)
    b.release = release
    async with b:
        yield b


@pytest.fixture
async def pipes(bridge):
    p = Pipes(bridge)
    yield p
    if not p.task.done():
        p.task.cancel()
        await asyncio.gather(p.task, return_exceptions=True)
    p.cleanup()


def call(id_, method, **params):
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


async def test_peer_is_native_and_authenticated_by_the_manifest(pipes, bridge):
    pipes.send(hello(1))
    _, answer = await pipes.receive()
    assert answer["result"]["transport"] == "native"
    (session,) = bridge.sessions
    assert session.peer.origin == CHROME_ORIGIN
    assert session.peer.authenticated_by == "native-manifest"
    assert await pipes.close() == 0
    assert not bridge.sessions


def test_the_runner_bounds_replies_to_what_native_messaging_carries():
    """NativeHost.send_answer relies on RequestRunner's bound instead of measuring again."""
    from bridge.transport.requests import MAX_REPLY

    assert MAX_REPLY == MAX_OUTGOING


async def test_result_just_under_the_limit_is_sent_whole(pipes):
    envelope = len(json.dumps({"jsonrpc": "2.0", "result": "", "id": 1}, separators=(",", ":")))
    pipes.send(call(1, "test.big", size=MAX_OUTGOING - envelope))
    size, answer = await pipes.receive()
    assert size == MAX_OUTGOING
    assert len(answer["result"]) == MAX_OUTGOING - envelope


async def test_result_over_the_limit_becomes_result_too_large_never_truncated(pipes):
    envelope = len(json.dumps({"jsonrpc": "2.0", "result": "", "id": 2}, separators=(",", ":")))
    pipes.send(call(2, "test.big", size=MAX_OUTGOING - envelope + 1))
    size, answer = await pipes.receive()
    assert size < 1000
    assert answer["id"] == 2
    assert answer["error"]["data"]["code"] == "RESULT_TOO_LARGE"
    assert answer["error"]["data"]["limit"] == MAX_OUTGOING
    assert answer["error"]["data"]["size"] == MAX_OUTGOING + 1
    pipes.send(hello(3))  # the port is still usable
    assert (await pipes.receive())[1]["id"] == 3


async def test_too_large_batch_answer_keeps_what_fits(pipes):
    """Members are answered whole while the reply stays under the limit; the members past it
    get RESULT_TOO_LARGE for their id (never a truncated document)."""
    batch = [call(i, "test.big", size=400_000) for i in (1, 2, 3)]
    pipes.send(json.dumps(batch))
    size, answer = await pipes.receive()
    assert size <= MAX_OUTGOING
    assert sorted(a["id"] for a in answer) == [1, 2, 3]
    assert sorted("ok" if "result" in a else a["error"]["data"]["code"] for a in answer) == [
        "RESULT_TOO_LARGE", "ok", "ok"]


async def test_batch_answer_with_long_busy_ids_stays_within_the_limit(pipes, bridge):
    """The room kept for TOO_MANY_REQUESTS members is an estimate (200 bytes each): refused
    members with long ids must not take the whole reply over what native messaging carries,
    and every id is still answered."""
    limit = bridge.settings.max_in_flight
    each = (MAX_OUTGOING - 10_000) // limit - 100
    admitted = [call(i, "test.big", size=each) for i in range(limit)]
    refused = [call(f"{i:02d}" + "i" * 2000, "test.big", size=1) for i in range(20)]
    pipes.send(json.dumps(admitted + refused))
    size, answer = await pipes.receive()
    assert size <= MAX_OUTGOING
    assert sorted(a["id"] for a in answer if isinstance(a["id"], int)) == list(range(limit))
    assert sorted(a["id"] for a in answer if isinstance(a["id"], str)) == [m["id"] for m in refused]


async def test_slow_request_does_not_block_quick_ones(pipes, bridge):
    pipes.send(call(1, "test.wait", seconds=5))
    pipes.send(hello(2))
    _, first = await pipes.receive()
    assert first["id"] == 2  # answered while test.wait is still pending
    bridge.release.set()
    _, second = await pipes.receive()
    assert second == {"jsonrpc": "2.0", "result": True, "id": 1}


async def test_in_flight_limit_answers_too_many_requests(pipes, bridge):
    limit = bridge.settings.max_in_flight
    for i in range(limit + 1):
        pipes.send(call(i, "test.wait", seconds=5))
    _, busy = await pipes.receive()
    assert busy["id"] == limit
    assert busy["error"]["data"]["code"] == "TOO_MANY_REQUESTS"
    bridge.release.set()
    ids = sorted([(await pipes.receive())[1]["id"] for _ in range(limit)])
    assert ids == list(range(limit))


async def test_card_events_flow_over_the_port(pipes, bridge):
    pipes.send(call(1, "events.subscribe", events=["card.inserted"]))
    _, answer = await pipes.receive()
    assert answer["result"]["subscribed"] == ["card.inserted"]
    delivered = await bridge.events.publish("card.inserted", {"reader": "Vitale Reader", "cardType": "vitale"})
    assert delivered == 1
    _, event = await pipes.receive()
    assert event == {"jsonrpc": "2.0", "method": "card.inserted", "params": {"reader": "Vitale Reader", "cardType": "vitale"}}
    await bridge.events.publish("card.removed", {"reader": "Vitale Reader"})  # not subscribed
    pipes.send(hello(2))
    assert (await pipes.receive())[1]["id"] == 2


async def test_oversized_notification_is_dropped_not_sent(pipes, bridge):
    pipes.send(call(1, "events.subscribe"))
    await pipes.receive()
    await bridge.events.publish("card.inserted", {"blob": "x" * (MAX_OUTGOING + 10)})
    pipes.send(hello(2))
    assert (await pipes.receive())[1]["id"] == 2


async def test_answers_in_flight_are_delivered_when_stdin_closes(pipes, bridge):
    pipes.send(call(1, "test.wait", seconds=0.3))
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(pipes.close())
    _, answer = await pipes.receive()
    assert answer["id"] == 1
    assert await closing == 0


async def test_stdin_close_does_not_wait_forever_for_a_stuck_request(pipes, monkeypatch):
    monkeypatch.setattr(native, "DRAIN_SECONDS", 0.2)
    pipes.send(call(1, "test.wait", seconds=60))
    await asyncio.sleep(0.05)
    assert await pipes.close(timeout=5) == 0


async def test_a_browser_that_stops_reading_cannot_keep_the_host_alive(pipes, monkeypatch):
    monkeypatch.setattr(native, "FLUSH_SECONDS", 0.3)
    pipes.send(call(1, "test.big", size=900_000))  # far more than a pipe holds: the writer blocks
    await asyncio.sleep(0.3)
    assert await pipes.close(timeout=5) == 0


async def test_notification_over_the_in_flight_limit_gets_no_answer(pipes, bridge):
    limit = bridge.settings.max_in_flight
    for i in range(limit):
        pipes.send(call(i, "test.wait", seconds=5))
    pipes.send({"jsonrpc": "2.0", "method": "test.wait", "params": {"seconds": 5}})  # no id
    pipes.send(call("over", "test.wait", seconds=5))
    _, busy = await pipes.receive()
    assert busy["id"] == "over"  # the notification before it was dropped silently
    bridge.release.set()


async def test_browser_closing_its_end_stops_the_host(pipes):
    os.close(pipes.out_r)
    pipes.out_r = -1
    pipes.send(hello(1))  # the answer cannot be written: EPIPE ends the port
    assert await asyncio.wait_for(pipes.task, 10) == 0


def test_caller_origin_from_browser_arguments():
    assert native.caller_origin([CHROME_ORIGIN]) == CHROME_ORIGIN
    assert native.caller_origin([CHROME_ORIGIN, "--parent-window=123"]) == CHROME_ORIGIN
    assert native.caller_origin(["C:\\x\\fr.vitale_bridge.host.json", "vitale-bridge@vitale-bridge.org"]) == (
        "vitale-bridge@vitale-bridge.org"
    )
    assert native.caller_origin([]) is None
