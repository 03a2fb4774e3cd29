"""The PC/SC CPS and its PKCS#11 token, tied together on the bench.

The virtual CPS (PC/SC bench, pcscd + vpcd) gives presence and its card number; SoftHSM
stands in for the card's PKCS#11 view. With two tokens in SoftHSM, the bridge must pick the
one whose serial is in the card number the CPS gives over PC/SC (``3F00/D003``): the rule a
real Cryptolib token would be matched by. The CPS profile is written for the test so that its
card number holds the serial SoftHSM gave the token.
"""

from __future__ import annotations

import json

import pytest

from bridge import profiles
from bridge.app import Bridge
from bridge.settings import Settings
from tests.helpers import certs
from tests.helpers.softhsm import AUTH_LABEL, MODULE, SoftHsm


@pytest.fixture
def two_tokens(tmp_path, monkeypatch, hsm):  # hsm: SoftHSM is installed (or the test fails in CI)
    pair = SoftHsm.create(tmp_path / "pair")
    for holder, label in ((certs.ZOE, "CPS A"), (certs.LUC, "CPS B")):
        pair.add_token(label)
        pair.write_certificate(label, certs.certificate_der(holder), AUTH_LABEL)
    monkeypatch.setenv("SOFTHSM2_CONF", str(pair.conf))
    return pair


def cps_profile(tmp_path, card_number: str):
    data = profiles.load("cps3").model_dump(mode="json", by_alias=True)
    data.update(name="cps3-bench-match", cardNumber=card_number)
    path = tmp_path / "cps3-match.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


async def test_the_token_whose_serial_is_the_card_number(vitale_readers, two_tokens, tmp_path, paths):
    serial_b = two_tokens.serial("CPS B")
    reader = vitale_readers.insert(cps_profile(tmp_path, "8025" + serial_b.upper()), "CPS")
    async with Bridge(Settings(paths=paths, port=0, ipv6=False, driver="pcsc", pkcs11_module=MODULE)) as bridge:
        identity = await bridge.cps_identity.identity()
        assert identity.nom == certs.LUC.nom
        assert identity.token.match == "tokenSerial" and identity.token.serial_number == serial_b
        assert identity.reader == reader
        from bridge.rpc import Peer

        session = bridge.open_session(Peer(transport="inproc", authenticated_by="local"))
        answer = json.loads(await bridge.handle(
            {"jsonrpc": "2.0", "id": 1, "method": "cps.status", "params": {"identity": True}}, session
        ))["result"]
        assert answer["present"] and answer["reader"] == reader
        assert answer["identity"]["nom"] == certs.LUC.nom and answer["identity"]["token"]["match"] == "tokenSerial"


async def test_no_token_matches_the_card(vitale_readers, two_tokens, tmp_path, paths):
    from bridge.errors import NoTokenError

    vitale_readers.insert(cps_profile(tmp_path, "80250000010000000000"), "CPS")
    async with Bridge(Settings(paths=paths, port=0, ipv6=False, driver="pcsc", pkcs11_module=MODULE)) as bridge:
        with pytest.raises(NoTokenError) as caught:
            await bridge.cps_identity.identity()
    assert caught.value.details["tokens"] == 2

