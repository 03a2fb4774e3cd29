"""pcscd stopped and started again under a running bridge server: no bridge restart needed."""

import asyncio

import pytest

from bridge.client import BridgeClient, RpcError
from tests.helpers.pcsc import pcsc_settings


@pytest.fixture
def settings(paths, vitale_readers):
    return pcsc_settings(paths)


async def next_event(client, method, timeout=10.0):
    while True:
        note = await asyncio.wait_for(client.notifications.get(), timeout)
        if note["method"] == method:
            return note["params"]


async def test_pcscd_restart_under_a_running_server(vitale_readers, server):
    reader = vitale_readers.insert("famille")
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        await client.call("events.subscribe")
        first = await client.call("vitale.read", {"reader": reader})
        vitale_readers.stop_pcscd()  # the card is taken out first and put back by start_pcscd
        removed = await next_event(client, "reader.removed")
        assert removed["reader"]
        with pytest.raises(RpcError) as info:
            await client.call("readers.list")
        assert info.value.code_name == "PCSC_UNAVAILABLE"
        with pytest.raises(RpcError) as info:
            await client.call("vitale.read", {"reader": reader})
        assert info.value.code_name in {"PCSC_UNAVAILABLE", "NO_READER", "READER_NOT_FOUND"}

        vitale_readers.start_pcscd()
        await next_event(client, "reader.added")
        inserted = await next_event(client, "card.inserted")
        assert inserted["cardType"] == "vitale2"
        again = await client.call("vitale.read", {"reader": reader})
        assert again["beneficiaries"] == first["beneficiaries"]
        names = [r["name"] for r in (await client.call("readers.list"))["readers"]]
        assert reader in names
