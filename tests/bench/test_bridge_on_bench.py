"""The bridge's real path on the bench: `vitale-bridge serve --driver pcsc` -> pcscd -> virtual
cards, driven over the WebSocket like an EHR would, with a card swapped mid-session."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest

from bridge.client import BridgeClient
from bridge.settings import Paths

pytestmark = pytest.mark.timeout(90)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pcsc_bridge(vitale_readers, tmp_path):
    port = free_port()
    home = tmp_path / "bridge-home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "--home", str(home), "--log-level", "WARNING", "serve",
         "--driver", "pcsc", "--port", str(port), "--no-ipv6"],
        env={**os.environ, **vitale_readers.env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(proc.stderr.read().decode()) from None
            time.sleep(0.05)
    try:
        yield port, Paths.resolve(home)
    finally:
        proc.terminate()
        proc.wait(10)


async def _next_event(client: BridgeClient, name: str, reader: str) -> dict:
    while True:
        note = await asyncio.wait_for(client.notifications.get(), 10)
        if note["method"] == name and note["params"]["reader"] == reader:
            return note["params"]


async def test_ehr_reads_then_the_patient_changes(vitale_readers, pcsc_bridge):
    port, paths = pcsc_bridge
    vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    vitale = vitale_readers.pcsc_reader("Vitale")
    async with BridgeClient.connect(port=port, paths=paths) as client:
        for _ in range(100):  # the bridge's card watcher may lag the insertion a moment
            readers = {r["name"]: r for r in (await client.call("readers.list"))["readers"]}
            if all(readers.get(r, {}).get("cardPresent") for r in (vitale, vitale_readers.pcsc_reader("CPS"))):
                break
            await asyncio.sleep(0.05)
        assert readers[vitale]["cardType"] == "vitale2"
        assert readers[vitale_readers.pcsc_reader("CPS")]["cardType"] == "cps3"
        read = await client.call("vitale.read", {})
        assert [b["prenom"] for b in read["beneficiaries"]] == ["PIERRE", "CLAIRE", "LEO", "EMMA"]
        assert all(b["nir"]["keyValid"] for b in read["beneficiaries"])

        await client.call("events.subscribe", {"events": ["*"]})
        await asyncio.to_thread(vitale_readers.swap, "corse")
        await _next_event(client, "card.removed", vitale)
        await _next_event(client, "card.inserted", vitale)
        read = await client.call("vitale.read", {})
        assert [b["nir"]["number"][5:7] for b in read["beneficiaries"]] == ["2A", "2B"]
        assert all(b["nir"]["keyValid"] for b in read["beneficiaries"])

        cps = await client.call("cps.status", {})
        assert cps["present"] and cps["pinTriesRemaining"] == 3
