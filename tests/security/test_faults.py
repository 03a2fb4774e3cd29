"""Faults under a running server on the real PC/SC bench: nothing lost, nothing half-read.

Complements ``tests/cards/test_pcsc_restart.py`` (pcscd stopped cleanly, then started) and
``tests/cards/test_pcsc_events.py`` (card pulled out at one APDU, in-process): here pcscd is
*killed*, the card is pulled out at every APDU of a read over the WebSocket, a client goes away
in the middle of its read, and the native host loses its browser port mid-request.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
import time

import pytest

from bridge.client import BridgeClient, RpcError
from bridge.settings import Settings

pytestmark = pytest.mark.asyncio

SELECT_MF = "00a40000023f00"


@pytest.fixture
def settings(paths, vitale_readers) -> Settings:
    """The ``server`` fixture (tests/conftest.py) on the pcsc driver, beside the bench."""
    return Settings(paths=paths, port=0, ipv6=False, driver="pcsc")


async def next_event(client, method, timeout=10.0, **match):
    while True:
        note = await asyncio.wait_for(client.notifications.get(), timeout)
        if note["method"] == method and all(note["params"].get(k) == v for k, v in match.items()):
            return note["params"]


def slow_card(bench, reader: str, delay: float) -> list[str]:
    """Make the virtual card in *reader* take *delay* s per APDU; returns the APDUs it receives."""
    card = bench.slot(reader).link.card
    original, seen = card.transmit, []

    def transmit(raw):
        seen.append(raw.hex())
        time.sleep(delay)
        return original(raw)

    card.transmit = transmit
    return seen


async def test_pcscd_killed_under_a_running_server_recovers_and_events_resume(vitale_readers, server):
    """SIGKILL (no goodbye to clients), one second without PC/SC, then pcscd again: the server
    needs no restart, answers PCSC_UNAVAILABLE meanwhile, and later card changes are notified."""
    reader = vitale_readers.insert("famille")
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        await client.call("events.subscribe")
        before = await client.call("vitale.read", {"reader": reader})
        vitale_readers.stop_pcscd(kill=True)
        await next_event(client, "reader.removed")
        with pytest.raises(RpcError) as info:
            await client.call("readers.list")
        assert info.value.code_name == "PCSC_UNAVAILABLE"
        await asyncio.sleep(1.0)
        await asyncio.to_thread(vitale_readers.start_pcscd)
        await next_event(client, "card.inserted", reader=reader)
        assert (await client.call("vitale.read", {"reader": reader}))["beneficiaries"] == before["beneficiaries"]
        # Events resume for changes made after the restart, not only the re-insertion.
        await asyncio.to_thread(vitale_readers.swap, "adulte")
        await next_event(client, "card.removed", reader=reader)
        await next_event(client, "card.inserted", reader=reader)
        after = await client.call("vitale.read", {"reader": reader})
        assert len(after["beneficiaries"]) == 1


@pytest.mark.parametrize("apdu", [1, 2, 3, 4, 5, 6])
async def test_card_pulled_out_at_any_apdu_gives_no_partial_result(vitale_readers, server, apdu):
    """Whichever APDU of the six the card leaves at, the answer is an error, never a result."""
    reader = vitale_readers.insert("famille")
    card = vitale_readers.slot("Vitale").link.card
    original, count = card.transmit, {"n": 0}

    def transmit(raw):
        count["n"] += 1
        if count["n"] == apdu:
            vitale_readers.remove("Vitale", wait=False)
        return original(raw)

    card.transmit = transmit
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        answer = await client.request("vitale.read", {"reader": reader})
    assert "result" not in answer, f"a read interrupted at APDU {apdu} returned a result"
    assert answer["error"]["data"]["code"] in {"CARD_REMOVED", "NO_CARD", "CARD_COMMUNICATION"}
    assert "beneficiaries" not in json.dumps(answer)


async def test_client_gone_mid_read_releases_the_card(vitale_readers, served):
    """A client that disconnects while its read runs does not keep the reader: the next
    client's read succeeds right after, and the card saw two whole, separate sequences.
    The server runs in its own process: if it freezes, this test fails instead of hanging."""
    reader = vitale_readers.insert("famille")
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        reference = await client.call("vitale.read", {"reader": reader})
    seen = slow_card(vitale_readers, "Vitale", 0.15)
    quitter = await BridgeClient.connect(port=served.port, token=served.token)
    pending = asyncio.ensure_future(quitter.request("vitale.read", {"reader": reader, "cache": False}))
    while not seen:
        await asyncio.sleep(0.01)
    quitter.ws.transport.abort()  # the tab is gone: no close handshake
    await quitter.close()
    pending.cancel()
    started = time.monotonic()
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        again = await asyncio.wait_for(client.request("vitale.read", {"reader": reader, "cache": False}), 12)
    took = time.monotonic() - started
    assert "result" in again, again
    assert again["result"]["beneficiaries"] == reference["beneficiaries"]
    assert took < 8.0, f"the second read waited {took:.1f} s"
    chunks = [c.strip("|") for c in "|".join(seen).split(SELECT_MF)]
    assert chunks[0] == ""
    assert len(chunks) == 3, "the card must have seen exactly two reads"
    assert chunks[1] == chunks[2], "the two reads' APDUs were interleaved or cut"
    # The server is still whole: card events and listings answer.
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        assert await asyncio.wait_for(client.call("readers.list"), 5)


def _frame(obj) -> bytes:
    data = json.dumps(obj).encode()
    return struct.pack("=I", len(data)) + data


async def test_native_port_dropped_mid_read_the_host_exits(vitale_readers, home):
    """The browser closes the port while a real host (pcsc driver) reads a slow card: the host
    exits promptly with status 0 and leaves the reader usable."""
    reader = vitale_readers.insert("famille")
    seen = slow_card(vitale_readers, "Vitale", 0.3)
    env = {**os.environ, **vitale_readers.env, "VITALE_BRIDGE_HOME": str(home)}
    proc = subprocess.Popen(  # starting it does not block
        [sys.executable, "-m", "bridge", "native", "--driver", "pcsc"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "vitale.read", "params": {"reader": reader}, "id": 1}))
        proc.stdin.flush()
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert seen, "the host never reached the card"
        proc.stdin.close()
        started = time.monotonic()
        code = await asyncio.to_thread(proc.wait, 20)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, proc.stderr.read().decode(errors="replace")[-2000:]
    assert took < 15, f"the host took {took:.1f} s to exit"
    del vitale_readers.slot("Vitale").link.card.transmit  # full speed again
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bridge", "read", "--reader", reader, "--json"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )
    assert out.returncode == 0, out.stderr
