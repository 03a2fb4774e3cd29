"""The card methods over a real WebSocket server (simulator driver), and their documentation."""

import asyncio

import pytest

from bridge.client import BridgeClient, RpcError


@pytest.fixture
async def client(server):
    async with BridgeClient.connect(port=server.port, token=server.token) as c:
        yield c


async def test_readers_list(client):
    result = await client.call("readers.list")
    assert result["driver"] == "simulator"
    assert result["readers"] == [
        {"name": "Simulated Vitale Reader", "cardPresent": True, "cardType": "vitale2", "atr": "3B751300004509EA9000"}
    ]


async def test_card_status(client):
    status = await client.call("card.status")
    assert status["vitale"]["cardType"] == "vitale2" and status["cps"] is None
    assert status["cpsPresent"] is False
    with pytest.raises(RpcError) as info:
        await client.call("card.status", {"reader": "nope"})
    assert info.value.code_name == "READER_NOT_FOUND"


async def test_vitale_read_clear_then_cps_required(client):
    result = await client.call("vitale.read")
    assert result["availability"]["scope"] == "clear"
    assert result["availability"]["reasonCode"] == "cpsAbsent"
    assert [b["prenom"] for b in result["beneficiaries"]] == ["PAUL", "JULIE", "LEA", "LOUIS"]
    assert result["beneficiaries"][1]["dateNaissance"] == {
        "raw": "19820230", "iso": None, "lunar": True, "missingCentury": False
    }
    with pytest.raises(RpcError) as info:
        await client.call("vitale.read", {"scope": "full"})
    assert info.value.code_name == "CPS_REQUIRED" and info.value.rpc_code == -32015


async def test_vitale_read_repeat_is_from_cache_unless_cache_false(client):
    first = await client.call("vitale.read")
    again = await client.call("vitale.read")
    forced = await client.call("vitale.read", {"cache": False})
    assert (first["fromCache"], again["fromCache"], forced["fromCache"]) == (False, True, False)
    assert {**again, "fromCache": False} == first


async def test_full_read_with_simulated_cps_and_events(client):
    await client.call("events.subscribe", {"events": ["card.inserted", "card.removed"]})
    inserted = await client.call("simulator.insert", {"profile": "cps3"})
    note = await asyncio.wait_for(client.notifications.get(), 5)
    assert note["method"] == "card.inserted"
    assert note["params"] == {"reader": inserted["reader"], "cardType": "cps3", "atr": "3BAC00402A001225006480000310009000"}
    result = await client.call("vitale.read", {"resolveOd": True})
    assert result["availability"]["scope"] == "full" and result["amo"]["regime"] == "01"
    assert result["odStatus"] == "resolved" and result["organismeDestinataire"]["tableVersion"]
    cps = await client.call("cps.status")
    assert cps["present"] and cps["cardType"] == "cps3" and cps["pinTriesRemaining"] == 3
    await client.call("simulator.remove", {"reader": "CPS"})
    note = await asyncio.wait_for(client.notifications.get(), 5)
    assert note["method"] == "card.removed"
    with pytest.raises(RpcError) as info:
        await client.call("vitale.read", {"scope": "full"})
    assert info.value.code_name == "CPS_REQUIRED"


async def test_unsubscribed_events_are_no_longer_sent(client):
    async def next_method():
        return (await asyncio.wait_for(client.notifications.get(), 5))["method"]

    await client.call("events.subscribe", {"events": ["card.inserted", "card.removed"]})
    left = await client.call("events.unsubscribe", {"events": ["card.removed"]})
    assert left == {"subscribed": ["card.inserted"]}
    await client.call("simulator.insert", {"profile": "cps3"})
    assert await next_method() == "card.inserted"
    # The service publishes a removal before a later insertion: had it been sent, it would come first.
    await client.call("simulator.remove", {"reader": "CPS"})
    await client.call("simulator.insert", {"profile": "cps3"})
    assert await next_method() == "card.inserted"

    again = await client.call("events.subscribe", {"events": ["card.removed"]})
    assert again == {"subscribed": ["card.inserted", "card.removed"]}
    assert await client.call("events.unsubscribe") == {"subscribed": []}  # no params: all
    await client.call("simulator.remove", {"reader": "CPS"})  # card.removed: must not be sent
    await client.call("events.subscribe", {"events": ["card.inserted"]})
    await client.call("simulator.insert", {"profile": "cps3"})
    assert await next_method() == "card.inserted"


async def test_params_are_checked(client):
    for params in ({"scope": "everything"}, {"resolveOD": True}, {"reader": "x" * 500}):
        with pytest.raises(RpcError) as info:
            await client.call("vitale.read", params)
        assert info.value.rpc_code == -32602
    with pytest.raises(RpcError) as info:
        await client.call("simulator.insert", {"profile": "../../etc/passwd"})
    assert info.value.rpc_code == -32602


async def test_discover_documents_the_card_methods(client):
    doc = await client.call("rpc.discover")
    methods = {m["name"]: m for m in doc["methods"]}
    for name in ("readers.list", "card.status", "vitale.read", "cps.status"):
        assert name in methods
    read = methods["vitale.read"]
    assert {p["name"] for p in read["params"]} == {"reader", "scope", "resolveOd", "cache"}
    assert {e["data"]["code"] for e in read["errors"]} >= {"CPS_REQUIRED", "CARD_REMOVED", "UNSUPPORTED_CARD", "NO_CARD"}
    schemas = doc["components"]["schemas"]
    assert read["result"]["schema"]["title"] == "VitaleRead"
    assert "availability" in read["result"]["schema"]["properties"]
    assert {"Beneficiary", "HolderAmo", "RightsPeriod", "OrganismeDestinataire", "Reader", "BirthDate"} <= set(schemas)
    assert "dateNaissance" in schemas["Beneficiary"]["properties"]


async def test_simulator_insert_takes_only_shipped_names_never_a_file(client, tmp_path, monkeypatch):
    """A name the params pattern lets through ("mine.json") may still be a file the driver would
    load: only the shipped-name check stands between the wire and the file system."""
    from importlib import resources

    shipped = resources.files("bridge.profiles").joinpath("data", "cps3.json").read_text(encoding="utf-8")
    (tmp_path / "mine.json").write_text(shipped, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("mine.json", "nope"):
        with pytest.raises(RpcError) as info:
            await client.call("simulator.insert", {"profile": name})
        assert info.value.code_name == "PROFILE_NOT_FOUND"
    assert (await client.call("card.status"))["cps"] is None
