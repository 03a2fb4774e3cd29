"""Reads through the real PC/SC stack: pcscd + vpcd virtual cards (the bench), ``pcsc`` driver."""

import pytest

from bridge.api.cards import read_vitale
from bridge.errors import CpsRequiredError, NoCardError, UnsupportedCardError
from tests.helpers.pcsc import freeze_watcher, recording


async def test_readers_and_card_types(vitale_readers, pcsc_bridge):
    vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    readers = {r.name: r for r in await pcsc_bridge.cards.refresh_readers()}
    vitale = readers[vitale_readers.pcsc_reader("Vitale")]
    cps = readers[vitale_readers.pcsc_reader("CPS")]
    assert (vitale.card_present, vitale.card_type) == (True, "vitale2")
    assert (cps.card_present, cps.card_type) == (True, "cps3")
    assert vitale.atr == "3B751300004509EA9000"


async def test_family_read_with_the_fewest_apdus(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("famille")
    with recording(pcsc_bridge) as recorders:
        result = await pcsc_bridge.cards.read_vitale(reader=reader)
    [rec] = recorders
    commands = list(rec.commands())
    # T=0 on the wire: SELECTs answer 61xx and their FCI is never fetched (no GET RESPONSE);
    # READ BINARY with Le=00 answers 6Cxx and is sent again with the exact length.
    assert [e.sw >> 8 for e in rec.exchanges] == [0x61, 0x6C, 0x90, 0x61, 0x6C, 0x90]
    assert commands[0] == "00A40000023F00" and commands[3] == "00A404000BD250000002564954414C45"
    assert commands[1] == "00B0820000" and commands[2][:8] == "00B08200"
    assert not any(c.startswith("00C0") for c in commands)
    assert result.card_type == "vitale2" and result.availability.reason_code == "cpsAbsent"
    assert len(result.beneficiaries) == 4
    assert all(b.nir.key_valid for b in result.beneficiaries)
    # The bench's rang tag (83) is not a public fact: kept, in hex, where it was found.
    assert any(u.tag == "83" for u in result.beneficiaries[3].unknown_tags)


@pytest.mark.parametrize(
    "profile, check",
    [
        ("naissance-lunaire", lambda r: all(b.date_naissance.lunar and b.date_naissance.iso is None for b in r.beneficiaries)),
        ("siecle-manquant", lambda r: r.beneficiaries[0].date_naissance.missing_century),
        ("corse", lambda r: [b.nir.number[5:7] for b in r.beneficiaries] == ["2A", "2B"] and all(b.nir.key_valid for b in r.beneficiaries)),
        ("msa-provisoire", lambda r: r.beneficiaries[0].nir.provisional),
    ],
)
async def test_profiles_that_break_readers(vitale_readers, pcsc_bridge, profile, check):
    reader = vitale_readers.insert(profile)
    assert check(await pcsc_bridge.cards.read_vitale(reader=reader))


async def test_full_scope_over_pcsc_says_the_card_protects_amo(vitale_readers, pcsc_bridge):
    vitale_readers.insert("famille")
    with pytest.raises(CpsRequiredError):
        await pcsc_bridge.cards.read_vitale(reader="Vitale", scope="full")
    vitale_readers.insert("cps3")
    await pcsc_bridge.cards.wait_for_card("cps3")
    result = await read_vitale(pcsc_bridge, reader="Vitale")  # auto: a CPS is present
    assert result.availability.scope == "full"
    assert result.availability.amo is False
    assert result.availability.reason_code == "protectedByCard" and "licensed" in result.availability.reason
    assert result.amo is None and all(b.amo is None for b in result.beneficiaries)
    assert result.od_status == "noAmo" and result.organisme_destinataire is None
    assert len(result.beneficiaries) == 4


async def test_cps_status(vitale_readers, pcsc_bridge):
    vitale_readers.insert("cps3")
    await pcsc_bridge.cards.wait_for_card("cps3")
    with recording(pcsc_bridge) as recorders:
        status = await pcsc_bridge.cards.cps_status()
    # T=0: the SELECT's FCP is left unfetched, the PIN counters come with GET RESPONSE.
    commands = list(recorders[0].commands())
    assert commands[0] == "00A40904043F00D003" and commands[1] == "00B000000C"
    assert commands[2].startswith("00CB3FFF") and commands[3].startswith("00C00000")
    assert len(commands) == 4
    assert status.present and status.card_type == "cps3"
    assert status.card_number and len(status.card_number) == 20
    assert status.pin_tries_max == 3 and status.pin_tries_remaining is not None


async def test_vitale1_and_empty_reader(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("vitale1")
    with pytest.raises(UnsupportedCardError) as info:
        await pcsc_bridge.cards.read_vitale(reader=reader)
    assert info.value.details["cardType"] == "vitale1"
    vitale_readers.remove()
    with pytest.raises(NoCardError):
        await pcsc_bridge.cards.read_vitale(reader=reader)


async def test_directory_path_on_the_virtual_card(vitale_readers, pcsc_bridge):
    """The fallback path (cardpeek style) against the same card: protected files are reported
    as such, the card template is found, nothing is invented."""
    from bridge.cards.apdu import FileNotFoundOnCard
    from bridge.cards.vitale import VitaleSession

    class DirectoryOnly(VitaleSession):
        def _read_short_path(self):
            raise FileNotFoundOnCard(0x6A82, 0xB0)

    reader = vitale_readers.insert("carte-expiree")
    connection = pcsc_bridge.cards.driver.connect(reader)
    try:
        with connection.transaction():
            data = DirectoryOnly(connection).read_clear()
    finally:
        connection.close()
    assert data.path == "directory"
    assert data.protected_files == ["AMO_ASSU", "AMO_BENE"]
    assert data.validity.raw_start == "20100101"
    assert [b.nom for b in data.beneficiaries] == ["PERIME"] and data.beneficiaries[0].nir.key_valid


async def test_cps_status_on_a_named_reader_asks_pcsc_when_the_watcher_lags(vitale_readers, pcsc_bridge, monkeypatch):
    """Just after an insert the watcher may not have seen the card yet: cps.status on the
    named reader must then ask PC/SC, not answer "not present" from the watcher's snapshot."""
    freeze_watcher(pcsc_bridge, monkeypatch)
    reader = vitale_readers.insert("cps3")
    assert not pcsc_bridge.cards.cps_present(pcsc_bridge.cards.snapshot)
    status = await pcsc_bridge.cards.cps_status(reader=reader)
    assert status.present and status.card_type == "cps3"


async def test_the_cps_reader_for_cps_identity_is_found_before_the_watcher_sees_it(vitale_readers, pcsc_bridge, monkeypatch):
    """cps.identity ties the PKCS#11 token to the PC/SC reader holding the CPS: just after an
    insert that reader is found by asking PC/SC, not missed because the watcher lags."""
    freeze_watcher(pcsc_bridge, monkeypatch)
    reader = vitale_readers.insert("cps3")
    assert not pcsc_bridge.cards.cps_present(pcsc_bridge.cards.snapshot)
    assert await pcsc_bridge.cards.cps_reader() == reader
    assert await pcsc_bridge.cards.cps_reader(reader) == reader
    assert await pcsc_bridge.cards.cps_reader("Vitale") is None
