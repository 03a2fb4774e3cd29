"""Hostile and malformed traffic on a running WebSocket server: never a crash, always an answer."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers.rpc_properties import check_response, expected_silence, messages

pytestmark = pytest.mark.asyncio


async def test_fuzzed_messages_over_one_connection(server):
    """Hypothesis-made messages on one live connection; each gets a valid answer (or none, for
    notifications), the connection survives, and no answer is ever missing or extra."""
    headers = {"Authorization": f"Bearer {server.token}"}
    async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers=headers) as ws:
        for message in _examples(messages, 150):
            await exchange(ws, message)


def _examples(strategy, n):
    out = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(x):
        out.append(x)

    collect()
    return out[:n]


async def exchange(ws, message) -> None:
    await ws.send(json.dumps(message))
    await ws.send('{"jsonrpc":"2.0","method":"bridge.hello","params":{"clientName":"m","clientVersion":"1"},"id":"marker"}')
    silent = expected_silence(message)
    answers, marker = [], False
    # Quick methods answer inline, others from a task: the two answers may come in any order.
    while not marker or (not silent and not answers):
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if isinstance(answer, dict) and answer.get("id") == "marker":
            marker = True
        else:
            answers.append(answer)
    if silent:
        assert answers == []
    else:
        assert len(answers) == 1
        for item in answers[0] if isinstance(answers[0], list) else answers:
            check_response(item)


@pytest.mark.parametrize(
    "frame",
    [b"\xff\xfe\x00", b"", b"[" * 5000, "\ud800".encode("utf-8", "surrogatepass"), b"\x00" * 100],
    ids=["binary-garbage", "empty", "deep-nesting", "lone-surrogate", "nul-bytes"],
)
async def test_binary_and_garbage_frames(server, frame):
    headers = {"Authorization": f"Bearer {server.token}"}
    async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers=headers) as ws:
        await ws.send(frame)
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
        check_response(answer)
        assert answer["error"]["code"] in (-32700, -32600)


async def test_invalid_utf8_text_frame_closes_cleanly(server):
    """A text frame that is not UTF-8 violates RFC 6455: the server closes with 1007."""

    from websockets.frames import Frame, Opcode

    headers = {"Authorization": f"Bearer {server.token}"}
    async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers=headers) as ws:
        ws.protocol.send_frame(Frame(Opcode.TEXT, b"\xc3\x28"))
        ws.send_data()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1007
    # The server is still fine for others.
    async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers=headers) as ws:
        await ws.send('{"jsonrpc":"2.0","method":"rpc.discover","id":1}')
        assert "result" in json.loads(await ws.recv())
