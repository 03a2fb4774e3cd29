"""The simulator's methods change what the bridge reads: token holders only (never a web
origin, nor the extension's ports), shipped profile names only (never a file named from the
wire), typed errors that echo nothing (security review §2.7)."""

from __future__ import annotations

import shutil
from importlib import resources

import pytest
from websockets.asyncio.client import connect

from bridge.client import BridgeClient, RpcError
from bridge.identity import CHROME_EXTENSION_ID
from bridge.settings import save_user_origins

INSERT = '{"jsonrpc":"2.0","method":"simulator.insert","params":{"profile":"cps3"},"id":1}'
REMOVE = '{"jsonrpc":"2.0","method":"simulator.remove","params":{"reader":"Simulated Vitale Reader"},"id":2}'


@pytest.mark.parametrize("origin", ["https://ehr.example.fr", f"chrome-extension://{CHROME_EXTENSION_ID}"])
async def test_origins_cannot_change_cards(server, origin):
    import json

    save_user_origins(server.settings.paths, ["https://ehr.example.fr"])
    async with connect(f"ws://127.0.0.1:{server.port}/", origin=origin) as ws:
        for request in (INSERT, REMOVE):
            await ws.send(request)
            answer = json.loads(await ws.recv())
            assert answer["error"]["data"]["code"] == "FORBIDDEN"


async def test_token_holder_can(server):
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        assert (await client.call("simulator.insert", {"profile": "cps3"}))["reader"]


async def test_profile_files_are_never_named_from_the_wire(server, tmp_path, monkeypatch):
    """A file in the bridge's working directory used to be read when its name was sent."""
    shipped = resources.files("bridge.profiles").joinpath("data", "cps3.json")
    with resources.as_file(shipped) as source:
        shutil.copy(source, tmp_path / "mine.json")
    monkeypatch.chdir(tmp_path)
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        for name in ("mine.json", "mine", "nope"):
            with pytest.raises(RpcError) as caught:
                await client.call("simulator.insert", {"profile": name})
            assert caught.value.code_name == "PROFILE_NOT_FOUND"
            assert name not in caught.value.message and "mine" not in str(caught.value.data)
