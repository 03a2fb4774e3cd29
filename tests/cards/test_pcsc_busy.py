"""Busy and awkward readers through pcscd (the bench): another program holding the card
exclusively, passing faults, short reader names, dual-slot readers."""

import time

import pytest
from smartcard import scard as s

from bridge.doctor import _busy_readers
from bridge.errors import CardCommunicationError, CardRemovedError, ReaderBusyError
from tests.helpers.pcsc import ExclusiveHolder, inject_once, recording


async def test_card_held_exclusively_gives_reader_busy_after_a_bounded_wait(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("famille")
    pcsc_bridge.cards.busy_wait = 0.5
    with ExclusiveHolder(reader):
        started = time.monotonic()
        with pytest.raises(ReaderBusyError) as info:
            await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
        waited = time.monotonic() - started
        assert info.value.code == "READER_BUSY" and "another program" in info.value.message.lower()
        assert 0.4 <= waited < 3.0  # it waited and retried, then gave up: bounded
        assert await pcsc_bridge.cards.busy_readers() == [reader]
        [check] = await _busy_readers(pcsc_bridge)
        assert check.status == "warn" and reader in check.name and "busy" in check.summary
    assert await pcsc_bridge.cards.busy_readers() == []
    assert len((await pcsc_bridge.cards.read_vitale(reader=reader)).beneficiaries) == 4


async def test_a_short_exclusive_hold_is_waited_for(vitale_readers, pcsc_bridge):
    reader = vitale_readers.insert("famille")
    with ExclusiveHolder(reader) as holder:
        holder.release_after(0.4)
        result = await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    assert len(result.beneficiaries) == 4


@pytest.mark.parametrize("code", [s.SCARD_W_RESET_CARD, s.SCARD_E_NOT_TRANSACTED], ids=["reset", "not-transacted"])
async def test_a_passing_fault_mid_read_is_retried(vitale_readers, pcsc_bridge, monkeypatch, code):
    reader = vitale_readers.insert("famille")
    expected = await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    failed = inject_once(monkeypatch, "SCardTransmit", code, at=3)  # mid-transaction
    with recording(pcsc_bridge) as recorders:
        result = await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    assert failed == [3] and len(recorders) == 2  # the failed attempt, then a whole new one
    assert result.beneficiaries == expected.beneficiaries


async def test_a_reset_before_the_transaction_is_retried(vitale_readers, pcsc_bridge, monkeypatch):
    reader = vitale_readers.insert("famille")
    failed = inject_once(monkeypatch, "SCardBeginTransaction", s.SCARD_W_RESET_CARD)
    result = await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    assert failed == [1] and len(result.beneficiaries) == 4


async def test_a_fault_that_persists_is_reported_after_bounded_retries(vitale_readers, pcsc_bridge, monkeypatch):
    reader = vitale_readers.insert("famille")
    failed = inject_once(monkeypatch, "SCardTransmit", s.SCARD_E_NOT_TRANSACTED, times=100)
    with pytest.raises(CardCommunicationError) as info:
        await pcsc_bridge.cards.read_vitale(reader=reader, cache=False)
    assert not isinstance(info.value, CardRemovedError)
    assert info.value.code == "CARD_COMMUNICATION" and len(failed) == 3  # first attempt + 2 retries


async def test_short_reader_names_pick_the_reader_holding_the_right_card(vitale_readers, pcsc_bridge):
    # "CPS" names two slots (00 00, 00 01) of one device; with none holding a card that is
    # "no card", not READER_NOT_FOUND (several match).
    assert (await pcsc_bridge.cards.cps_status(reader="CPS")).present is False
    assert len((await pcsc_bridge.cards.card_status(reader="Vitale"))["readers"]) == 1
    vitale_readers.insert("famille")
    vitale_readers.insert("cps3")
    await pcsc_bridge.cards.wait_for_card("cps3")
    assert (await pcsc_bridge.cards.cps_status(reader="CPS")).present
    status = await pcsc_bridge.cards.card_status(reader="CPS")
    assert [r.card_type for r in status["readers"]] == ["cps3"]
    read = await pcsc_bridge.cards.read_vitale(reader="vitale")
    assert read.card_type == "vitale2"
