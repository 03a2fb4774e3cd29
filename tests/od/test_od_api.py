"""The od.* JSON-RPC methods, in-process and over the real WebSocket with a CLI in another process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from bridge.app import Bridge
from bridge.client import BridgeClient, RpcError
from bridge.rpc import Peer


@pytest.fixture
def bridge(settings):
    return Bridge(settings)


LOCAL = Peer(transport="inproc", authenticated_by="local")


async def call(bridge, method, params=None, *, peer=LOCAL):
    session = bridge.open_session(peer)
    request = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        request["params"] = params
    try:
        return json.loads(await bridge.handle(json.dumps(request), session))
    finally:
        await bridge.close_session(session)


def test_register_attaches_the_store(bridge):
    assert bridge.od.resolve("99", "751", "0601").od == "752"
    assert {"od.resolve", "od.search", "od.info", "od.regimes", "od.rollback"} <= set(bridge.dispatcher.methods)


async def test_resolve(bridge):
    answer = await call(bridge, "od.resolve", {"regime": "99", "caisse": "751", "centre": "0601"})
    result = answer["result"]
    assert (result["od"], result["codeCentreInformatique"], result["matched"]) == ("752", "044", "exact")
    assert result["tableVersion"] == "3.37" and result["regimeLibelle"] == "AUTRES MUTUELLES"


async def test_resolve_pads_and_accepts_numbers_and_positional_params(bridge):
    a = await call(bridge, "od.resolve", {"regime": 1, "caisse": "751", "centre": "12"})
    b = await call(bridge, "od.resolve", ["01", "751", "0012"])
    assert a["result"] == b["result"]
    assert a["result"]["matched"] == "centreWildcard" and a["result"]["centre"] == "0000"


@pytest.mark.parametrize(
    "params",
    [
        {"regime": "1x", "caisse": "751", "centre": "0601"},
        {"regime": "01", "caisse": "7510", "centre": "0601"},
        {"regime": "01", "caisse": "751"},
        {"regime": "01", "caisse": "751", "centre": "0601", "extra": 1},
        {"regime": True, "caisse": "751", "centre": "0601"},
    ],
)
async def test_invalid_codes_are_invalid_params(bridge, params):
    error = (await call(bridge, "od.resolve", params))["error"]
    assert error["code"] == -32602


async def test_not_found_carries_the_inputs(bridge):
    error = (await call(bridge, "od.resolve", {"regime": "01", "caisse": "000", "centre": "0601"}))["error"]
    assert error["code"] == -32020
    assert error["data"] == {
        "code": "OD_NOT_FOUND", "regime": "01", "caisse": "000", "centre": "0601", "tableVersion": "3.37",
    }


async def test_search(bridge):
    result = (await call(bridge, "od.search", {"query": "mgen tarn", "limit": 2}))["result"]
    assert result["results"][0]["organisme"]["libelle"] == "MGEN TARN"
    assert result["results"][0]["matchedOn"] == "libelle" and result["total"] == 2
    assert result["results"][0]["usualName"] is None and result["results"][0]["organisme"]["matched"] is None
    msa = (await call(bridge, "od.search", {"query": "MSA", "limit": 1}))["result"]["results"][0]
    assert (msa["matchedOn"], msa["usualName"], msa["organisme"]["regime"]) == ("usualName", "MSA", "02")
    for bad in ({"query": ""}, {"query": "x", "limit": 101}, {"query": "x", "limit": 0}, {"query": "x" * 101}):
        assert (await call(bridge, "od.search", bad))["error"]["code"] == -32602


async def test_info_and_regimes(bridge):
    info = (await call(bridge, "od.info"))["result"]
    assert (info["version"], info["rowCount"], info["source"]["kind"]) == ("3.37", 1680, "embedded")
    assert "sesam-vitale.fr" in info["notice"]
    assert info["ageDays"] is None and info["source"].get("origin") is None  # embedded: no import date
    regimes = (await call(bridge, "od.regimes"))["result"]
    by_code = {r["code"]: r for r in regimes["regimes"]}
    assert by_code["01"]["libelle"] == "REGIME GENERAL" and by_code["01"]["rowCount"] == 136
    assert by_code["12"]["rowCount"] == 1


async def test_rollback_needs_a_local_client(bridge, fixtures):
    bridge.od.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    web = Peer(transport="websocket", origin="https://ehr.example.fr", authenticated_by="origin")
    assert (await call(bridge, "od.rollback", peer=web))["error"]["data"]["code"] == "FORBIDDEN"
    assert bridge.od.table.version == "3.70"
    assert (await call(bridge, "od.rollback"))["result"]["version"] == "3.37"
    # rollback swaps active and previous: rolling back again restores the import
    assert (await call(bridge, "od.rollback"))["result"]["version"] == "3.70"


async def test_rollback_with_nothing_to_restore(bridge):
    error = (await call(bridge, "od.rollback"))["error"]
    assert (error["code"], error["data"]["reason"]) == (-32021, "noPreviousTable")


async def test_openrpc_documents_the_methods(bridge):
    doc = (await call(bridge, "rpc.discover"))["result"]
    names = {m["name"] for m in doc["methods"]}
    assert {"od.resolve", "od.search", "od.info", "od.regimes"} <= names


async def test_cli_import_in_another_process_reaches_a_running_server(server, home, fixtures):
    """A server keeps running while `vitale-bridge od import` runs as its own process: the next
    request sees the new table, and subscribers get od.tableChanged."""
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        await client.call("events.subscribe", {"events": ["od.tableChanged"]})
        before = await client.call("od.resolve", {"regime": "01", "caisse": "751", "centre": "0601"})
        assert (before["tableVersion"], before["matched"]) == ("3.37", "centreWildcard")
        env = {**os.environ, "VITALE_BRIDGE_HOME": str(home)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bridge", "od", "import", str(fixtures / "tod-6col-plain-latin1-crlf.csv"), "--json", "--force",
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert json.loads(out)["version"] == "3.70"
        after = await client.call("od.resolve", {"regime": "01", "caisse": "751", "centre": "0601"})
        assert (after["tableVersion"], after["matched"], after["codeCentreInformatique"]) == ("3.70", "exact", "037")
        note = await asyncio.wait_for(client.notifications.get(), 10)
        assert note["method"] == "od.tableChanged"
        assert note["params"] == {
            "version": "3.70", "previousVersion": "3.37", "source": "imported", "rowCount": 4, "reason": "external",
        }
        with pytest.raises(RpcError) as info:  # MGEN TARN is in the embedded table, not in 3.70
            await client.call("od.resolve", {"regime": "91", "caisse": "811", "centre": "0506"})
        assert (info.value.rpc_code, info.value.code_name) == (-32020, "OD_NOT_FOUND")
        rolled = await client.call("od.rollback")
        assert rolled["version"] == "3.37"
        note = await asyncio.wait_for(client.notifications.get(), 10)
        assert (note["params"]["reason"], note["params"]["version"], note["params"]["source"]) == (
            "rollback", "3.37", "embedded",
        )


async def test_watcher_notices_a_change_without_any_request(settings, fixtures):
    from bridge.od.store import OdStore

    bridge = Bridge(settings)
    bridge.od.watch_interval = 0.05
    seen = []
    bridge.od.on_change(seen.append)
    async with bridge:
        OdStore(settings.paths, watch_interval=0).import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
    assert [e.reason for e in seen] == ["external"] and bridge.od.table.version == "3.70"
