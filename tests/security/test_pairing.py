"""The host side of the host proof (docs/security.md, "Host proof"; /work spec shared with the
extension): the pair command, bridge.pairingKey on native only, hostProof in bridge.hello."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys

import pytest

from bridge.client import BridgeClient, RpcError
from bridge.settings import load_or_create_pairing_key


def expected_proof(key: str, challenge: str) -> str:
    mac = hmac.new(key.encode("ascii"), ("vitale-bridge host proof v1\n" + challenge).encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def pair(home, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bridge", "--home", str(home), "pair", *args],
        capture_output=True, text=True, timeout=60, check=True,
    )


def test_pair_prints_the_grouped_key(home, paths):
    out = pair(home).stdout.splitlines()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){4}", out[0])
    assert out[1].startswith("Saisissez ce code dans les options de l'extension")
    assert out[0].replace("-", "") == load_or_create_pairing_key(paths)
    data = json.loads(pair(home, "--json").stdout)
    assert data["pairingKey"] == out[0].replace("-", "") and data["grouped"] == out[0]
    renewed = json.loads(pair(home, "--new", "--json").stdout)["pairingKey"]
    assert renewed != data["pairingKey"] and load_or_create_pairing_key(paths) == renewed


async def test_hello_proves_the_host(server):
    challenge = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        plain = await client.call("bridge.hello", {"clientName": "t", "clientVersion": "1"})
        assert plain["hostProof"] is None
        proved = await client.call("bridge.hello", {"clientName": "t", "clientVersion": "1", "challenge": challenge})
        key = load_or_create_pairing_key(server.settings.paths)
        assert proved["hostProof"] == expected_proof(key, challenge)
        # pair --new while the bridge runs: the next proof uses the new key
        new_key = load_or_create_pairing_key(server.settings.paths, new=True)
        again = await client.call("bridge.hello", {"clientName": "t", "clientVersion": "1", "challenge": challenge})
        assert again["hostProof"] == expected_proof(new_key, challenge)
        for bad in ("short", "x" * 129, "not base64url!" * 3):
            with pytest.raises(RpcError) as caught:
                await client.call("bridge.hello", {"clientName": "t", "clientVersion": "1", "challenge": bad})
            assert caught.value.code_name == "INVALID_PARAMS"


async def test_pairing_key_forbidden_on_the_websocket(server):
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        with pytest.raises(RpcError) as caught:
            await client.call("bridge.pairingKey")
    assert caught.value.code_name == "FORBIDDEN"
    assert not re.search(r"[A-Z2-7]{20}", caught.value.message)


async def test_pairing_key_answered_on_native(settings):
    from bridge.app import Bridge
    from bridge.rpc import Peer

    bridge = Bridge(settings)
    session = bridge.open_session(Peer(transport="native", authenticated_by="native-manifest"))
    answer = json.loads(await bridge.handle('{"jsonrpc":"2.0","method":"bridge.pairingKey","id":1}', session))
    assert answer["result"] == {"pairingKey": load_or_create_pairing_key(settings.paths)}
