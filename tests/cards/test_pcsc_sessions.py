"""Card sessions through pcscd (the bench): a repeat read from memory, never the wrong patient."""

import pytest

from bridge.api.cards import read_vitale
from bridge.errors import CpsRequiredError
from tests.helpers.cards import apdu_log, until
from tests.helpers.pcsc import freeze_watcher


def names(result) -> list[str]:
    return [b.prenom for b in result.beneficiaries]


async def test_repeat_read_is_answered_from_memory(vitale_readers, pcsc_bridge, home):
    reader = vitale_readers.insert("famille")
    seen = apdu_log(vitale_readers.slot("Vitale").link.card, "transmit")
    first = await pcsc_bridge.cards.read_vitale(reader=reader)
    assert first.from_cache is False and seen
    seen.clear()
    again = await pcsc_bridge.cards.read_vitale(reader=reader)
    assert again.from_cache is True and seen == []  # not one APDU
    assert again.model_copy(update={"from_cache": False}) == first
    forced = await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    assert forced.from_cache is False and seen  # cache false reads the card
    # Never on disk: nothing the bridge wrote holds the patient's name.
    written = [p for p in home.rglob("*") if p.is_file()]
    assert all(first.beneficiaries[0].nom.encode() not in p.read_bytes() for p in written)


async def test_a_swap_between_two_polls_is_never_the_previous_patient(vitale_readers, pcsc_bridge, monkeypatch):
    reader = vitale_readers.insert("famille")
    before = names(await pcsc_bridge.cards.read_vitale(reader=reader))
    freeze_watcher(pcsc_bridge, monkeypatch)
    seen_by_watcher = pcsc_bridge.cards.snapshot[reader]
    # Out and in again, then another card: all while the watcher looks away.
    vitale_readers.remove("Vitale")
    vitale_readers.insert("famille")
    same_card_again = await pcsc_bridge.cards.read_vitale(reader=reader)
    assert same_card_again.from_cache is False and names(same_card_again) == before
    vitale_readers.swap("adulte")
    after = await pcsc_bridge.cards.read_vitale(reader=reader)
    assert after.from_cache is False and names(after) != before
    assert pcsc_bridge.cards.snapshot[reader] == seen_by_watcher  # the watcher saw none of it
    assert (await pcsc_bridge.cards.refresh())[reader].generation >= seen_by_watcher.generation + 4


async def test_a_full_read_is_not_served_from_a_clear_one(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    await pcsc_bridge.cards.wait_for_card("cps3")
    clear = await pcsc_bridge.cards.read_vitale(reader=reader, scope="clear")
    assert clear.availability.scope == "clear" and clear.from_cache is False
    full = await pcsc_bridge.cards.read_vitale(reader=reader, scope="full")
    assert full.availability.scope == "full" and full.from_cache is False
    assert (await pcsc_bridge.cards.read_vitale(reader=reader, scope="full")).from_cache is True
    clear_again = await pcsc_bridge.cards.read_vitale(reader=reader, scope="clear")  # from the full read
    assert clear_again.from_cache is True and clear_again.availability.reason_code == "notRequested"
    assert clear_again.amo is None


async def test_the_cpx_rule_uses_the_cps_present_now(vitale_readers, pcsc_bridge, monkeypatch):
    reader = vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    await pcsc_bridge.cards.wait_for_card("cps3")
    assert (await read_vitale(pcsc_bridge, reader=reader)).availability.scope == "full"
    freeze_watcher(pcsc_bridge, monkeypatch)  # the watcher still believes the CPS is there
    vitale_readers.remove("CPS")
    result = await read_vitale(pcsc_bridge, reader=reader)
    assert result.from_cache is True  # the same Vitale...
    assert result.availability.scope == "clear" and result.availability.reason_code == "cpsAbsent"
    with pytest.raises(CpsRequiredError):  # ...but no CPS now
        await read_vitale(pcsc_bridge, reader=reader, scope="full")


async def test_removal_and_pcscd_restart_end_the_session(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("famille")
    await pcsc_bridge.cards.read_vitale(reader=reader)
    assert len(pcsc_bridge.cards.sessions) == 1
    vitale_readers.restart_pcscd()
    await pcsc_bridge.cards.wait_for_card("vitale2")
    assert (await pcsc_bridge.cards.read_vitale(reader=reader)).from_cache is False
    await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    assert (await pcsc_bridge.cards.read_vitale(reader=reader)).from_cache is True
    vitale_readers.remove("Vitale")
    await until(lambda: len(pcsc_bridge.cards.sessions) == 0)  # the watcher saw it and ended it
