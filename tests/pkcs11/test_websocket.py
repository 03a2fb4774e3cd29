"""cps.identity and cps.status {identity: true} over a real WebSocket to a ``vitale-bridge serve``
process whose system configuration names SoftHSM as the PKCS#11 module; the holder's identity
never reaches the logs at the default level, and only allowed origins may ask for it."""

from __future__ import annotations

import json
import os
import re

import pytest

from bridge.client import BridgeClient, RpcError
from bridge.settings import save_user_origins
from tests.helpers import certs
from tests.helpers.servers import start_server, stop_server
from tests.helpers.softhsm import MODULE


def _secrets(*holders: certs.Holder) -> set[str]:
    out: set[str] = set()
    for h in holders:
        out |= {h.nom, h.prenom, h.identifiant, h.numero}
    return out


def _leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if re.search(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])", text))


@pytest.fixture
def serve_with(tmp_path):
    """``serve_with(hsm)``: a serve process (simulator driver) using that SoftHSM folder."""
    started = []

    def start(hsm, *extra: str, system_module: str = MODULE):
        config = tmp_path / "system-config.json"
        config.write_text(json.dumps({"pkcs11Module": system_module}), encoding="utf-8")
        env = {**os.environ, **hsm.env, "VITALE_BRIDGE_SYSTEM_CONFIG": str(config)}
        env.pop("VITALE_BRIDGE_LOG_LEVEL", None)
        served = start_server(tmp_path / f"home{len(started)}", env, "--driver", "simulator", *extra)
        started.append(served)
        return served

    yield start
    for served in started:
        stop_server(served)


async def test_identity_over_the_websocket_and_not_in_the_logs(hsm, serve_with):
    served = serve_with(hsm.made["zoe"])
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        identity = await client.call("cps.identity")
        again = await client.call("cps.identity", {})  # warm: the module stays loaded
        status = await client.call("cps.status", {"identity": True})
        plain = await client.call("cps.status")
        doc = await client.call("rpc.discover")
    assert (identity["nom"], identity["prenom"], identity["profession"]) == ("MARTIN", "Zoé", "Sage-femme")
    assert (identity["typeIdentifiant"], identity["numero"]) == ("rpps", "10100000017")
    assert again["identifiantNational"] == identity["identifiantNational"]
    assert status["present"] is False  # the simulator has no CPS: the software token stands alone
    assert status["identity"]["numero"] == "10100000017" and status["identityError"] is None
    assert plain["identity"] is None and plain["identityError"] is None  # not asked, not read
    methods = {m["name"]: m for m in doc["methods"]}
    assert methods["cps.identity"]["x-personalData"] is True
    assert {e["data"]["code"] for e in methods["cps.identity"]["errors"]} >= {"PKCS11_UNAVAILABLE", "NO_TOKEN", "NO_CERTIFICATE"}
    output = served.output()
    assert "cps identity read" in output  # the log says what happened...
    assert not _leaks(output, _secrets(certs.ZOE)), output  # ...and nothing of who


async def test_errors_over_the_websocket(hsm, serve_with):
    served = serve_with(hsm.made["empty"])
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        with pytest.raises(RpcError) as caught:
            await client.call("cps.identity")
        status = await client.call("cps.status", {"identity": True})
        with pytest.raises(RpcError) as bad:
            await client.call("cps.identity", {"reader": "x" * 201})
    assert caught.value.rpc_code == -32051 and caught.value.code_name == "NO_TOKEN"
    assert status["identity"] is None and status["identityError"]["code"] == "NO_TOKEN"
    assert bad.value.rpc_code == -32602


async def test_only_allowed_origins_get_the_identity(hsm, serve_with):
    served = serve_with(hsm.made["luc"])
    origin = "https://ehr.example.fr"
    with pytest.raises(Exception):  # noqa: B017 - the handshake is refused (403): no JSON-RPC at all
        async with BridgeClient.connect(port=served.port, origin=origin) as client:
            await client.call("cps.identity")
    save_user_origins(served.paths, [origin])
    async with BridgeClient.connect(port=served.port, origin=origin) as client:
        assert (await client.call("cps.identity"))["nom"] == certs.LUC.nom
    assert not _leaks(served.output(), _secrets(certs.LUC))


async def test_serve_takes_the_module_from_its_option(hsm, serve_with, tmp_path):
    served = serve_with(hsm.made["ines"], "--pkcs11-module", MODULE, system_module=str(tmp_path / "absent.so"))
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        assert (await client.call("cps.identity"))["typeIdentifiant"] == "adeli"
