"""The bridge's real path on the bench: `vitale-bridge serve --driver pcsc` -> pcscd -> virtual
cards, driven over the WebSocket like an EHR would, with a card swapped mid-session."""

from __future__ import annotations

import asyncio
import os

import pytest

from bridge.client import BridgeClient
from tests.helpers.servers import start_server, stop_server

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def pcsc_bridge(vitale_readers, tmp_path):
    served = start_server(tmp_path / "bridge-home", {**os.environ, **vitale_readers.env}, "--driver", "pcsc")
    try:
        yield served.port, served.paths
    finally:
        stop_server(served)


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
