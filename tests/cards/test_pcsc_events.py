"""Events, removal mid-read and two readers through pcscd (the bench), ``pcsc`` driver."""

import asyncio

import pytest

from bridge.errors import CardRemovedError, NoCardError
from tests.helpers.cards import Recorder, apdu_log, until
from tests.helpers.pcsc import pull_out_after, recording


async def test_insert_and_remove_events(vitale_readers, pcsc_bridge):
    recorder = Recorder(pcsc_bridge)
    reader = vitale_readers.insert("famille")
    await until(lambda: ("card.inserted", "vitale2") in recorder.events())
    inserted = recorder.messages[-1]["params"]
    assert inserted == {"reader": reader, "cardType": "vitale2", "atr": "3B751300004509EA9000"}
    vitale_readers.insert("cps3")
    await until(lambda: ("card.inserted", "cps3") in recorder.events())
    vitale_readers.remove("Vitale")
    await until(lambda: ("card.removed", "vitale2") in recorder.events())
    assert recorder.messages[-1]["params"]["reader"] == reader
    # A swap (same card type out, another in) is a removal then an insertion.
    recorder.messages.clear()
    vitale_readers.insert("adulte")
    vitale_readers.swap("famille")
    await until(lambda: recorder.events().count(("card.inserted", "vitale2")) == 2)
    assert ("card.removed", "vitale2") in recorder.events()


async def test_card_pulled_out_mid_read(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("famille")
    pull_out_after(vitale_readers, "Vitale", apdus=3)
    with recording(pcsc_bridge) as recorders, pytest.raises(CardRemovedError) as info:
        await pcsc_bridge.cards.read_vitale(reader=reader)
    assert info.value.code == "CARD_REMOVED"
    assert len(recorders[0].exchanges) <= 3  # stopped there: no partial result was built
    await pcsc_bridge.cards.wait_for_card(present=False)
    with pytest.raises(NoCardError):
        await pcsc_bridge.cards.read_vitale(reader=reader)
    vitale_readers.insert("famille")
    assert len((await pcsc_bridge.cards.read_vitale(reader=reader)).beneficiaries) == 4


async def test_two_readers_at_once(vitale_readers, pcsc_bridge):
    vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    await pcsc_bridge.cards.wait_for_card("cps3")
    await pcsc_bridge.cards.wait_for_card("vitale2")
    status = await pcsc_bridge.cards.card_status()
    assert status["vitale"].card_type == "vitale2" and status["cps"].card_type == "cps3"
    assert status["cps_present"]
    reads = await asyncio.gather(
        pcsc_bridge.cards.read_vitale(cache=False), pcsc_bridge.cards.cps_status(),
        pcsc_bridge.cards.read_vitale(cache=False), pcsc_bridge.cards.cps_status(),
    )
    assert reads[0] == reads[2] and reads[1] == reads[3]
    assert reads[0].availability.reason_code == "protectedByCard"
    assert reads[1].present and reads[1].card_number


async def test_same_reader_reads_are_serialised(vitale_readers, pcsc_bridge):
    vitale_readers.insert("famille")
    await pcsc_bridge.cards.wait_for_card("vitale2")
    seen = apdu_log(vitale_readers.slot("Vitale").link.card, "transmit")  # as the card receives them
    await pcsc_bridge.cards.read_vitale()
    single = list(seen)
    seen.clear()
    results = await asyncio.gather(*(pcsc_bridge.cards.read_vitale(cache=False) for _ in range(4)))
    assert all(r == results[0] for r in results)
    assert seen == single * 4  # four whole reads one after the other, never interleaved
