"""CardService on the simulator driver: the CPx rule, OD resolution (bridge.api.cards), events, removal, serialisation."""

import asyncio

import pytest

from bridge.api.cards import read_vitale
from bridge.errors import (
    CardRemovedError,
    CpsRequiredError,
    NoCardError,
    NoReaderError,
    ReaderNotFoundError,
    UnsupportedCardError,
)
from tests.helpers.cards import Recorder, apdu_log, profile, until


async def test_no_reader_then_no_card(bridge):
    with pytest.raises(NoReaderError):
        await bridge.cards.read_vitale()
    bridge.cards.driver.add_reader("Empty Reader")
    with pytest.raises(NoCardError):
        await bridge.cards.read_vitale()
    assert (await bridge.cards.cps_status()).present is False


async def test_readers_list(bridge):
    sim = bridge.cards.driver
    sim.insert(profile("famille4"))
    sim.insert(profile("cps3"))
    readers = await bridge.cards.readers()
    assert [(r.name, r.card_type) for r in readers] == [
        ("Simulated CPS Reader", "cps3"),
        ("Simulated Vitale Reader", "vitale2"),
    ]
    assert readers[1].atr == "3B751300004509EA9000"


async def test_clear_read_without_cps(bridge):
    bridge.cards.driver.insert(profile("famille4"))
    result = await read_vitale(bridge)
    assert result.availability.scope == "clear"
    assert result.availability.reason_code == "cpsAbsent"
    assert result.amo is None and all(b.amo is None for b in result.beneficiaries)
    assert result.od_status == "noAmo"
    assert len(result.beneficiaries) == 4


async def test_full_scope_without_cps_is_refused(bridge):
    bridge.cards.driver.insert(profile("famille4"))
    with pytest.raises(CpsRequiredError) as info:
        await bridge.cards.read_vitale(scope="full")
    assert info.value.code == "CPS_REQUIRED"


async def test_full_read_with_cps_resolves_the_od(bridge):
    bridge.cards.driver.insert(profile("famille4"))
    bridge.cards.driver.insert(profile("cps3"))
    result = await read_vitale(bridge)  # auto -> full because a CPS is present
    assert result.availability.scope == "full" and result.availability.amo
    assert (result.amo.regime, result.amo.caisse, result.amo.centre, result.amo.code_gestion) == ("01", "751", "0601", "10")
    quals = [(b.amo.qualite, b.amo.qualite_libelle, b.rang_naissance) for b in result.beneficiaries]
    assert quals == [("0", "assuré", 1), ("2", "conjoint", 1), ("6", "enfant", 1), ("6", "enfant", 2)]
    droits = result.beneficiaries[0].amo.droits[0]
    assert (droits.raw_start, droits.raw_end, droits.end.isoformat()) == ("20240101", "20261231", "2026-12-31")
    assert result.od_status == "resolved"
    assert result.organisme_destinataire.od and result.organisme_destinataire.caisse == "751"
    wire = result.to_wire()
    assert wire["organismeDestinataire"]["codeCentreInformatique"]
    assert wire["availability"] == {"scope": "full", "identity": True, "amo": True, "reason": None, "reasonCode": None}


async def lagging_watcher(bridge, monkeypatch, first: str) -> None:
    """The pcsc driver's case: listing costs a round trip, so reads trust the watcher's snapshot.
    The watcher sees *first* inserted, then keeps looking but no longer applies what it sees."""
    monkeypatch.setattr(bridge.cards.driver, "fresh_listing", False)
    bridge.cards.driver.insert(profile(first))
    await bridge.cards.wait_for_card()

    async def lagging(_new):
        await asyncio.sleep(0.05)

    monkeypatch.setattr(bridge.cards.watcher, "_apply", lagging)


async def test_a_vitale_the_watcher_has_not_seen_yet_is_read(bridge, monkeypatch):
    await lagging_watcher(bridge, monkeypatch, "cps3")
    bridge.cards.driver.insert(profile("famille4"))
    assert "vitale2" not in [r.card_type for r in await bridge.cards.readers()]  # the snapshot lags
    result = await bridge.cards.read_vitale(scope="full")
    assert result.card_type == "vitale2" and result.availability.amo


async def test_a_cps_the_watcher_has_not_seen_yet_counts_for_the_cpx_rule(bridge, monkeypatch):
    await lagging_watcher(bridge, monkeypatch, "famille4")
    bridge.cards.driver.insert(profile("cps3"))
    assert not bridge.cards.cps_present(bridge.cards.snapshot)  # the snapshot lags
    result = await bridge.cards.read_vitale()  # auto: full, since a CPS is in fact present
    assert result.availability.scope == "full" and result.availability.amo
    assert (await bridge.cards.read_vitale(scope="full")).availability.amo


async def test_explicit_clear_with_cps(bridge):
    bridge.cards.driver.insert(profile("famille4"))
    bridge.cards.driver.insert(profile("cps3"))
    result = await bridge.cards.read_vitale(scope="clear")
    assert result.availability.reason_code == "notRequested" and result.amo is None


async def test_od_not_found_does_not_fail_the_read(bridge):
    bridge.cards.driver.insert(profile("unknownod"))
    bridge.cards.driver.insert(profile("cps3"))
    result = await read_vitale(bridge, scope="full")
    assert result.amo.caisse == "000"
    assert result.od_status == "notFound" and result.organisme_destinataire is None


async def test_resolve_od_false(bridge):
    bridge.cards.driver.insert(profile("famille4"))
    bridge.cards.driver.insert(profile("cps3"))
    result = await read_vitale(bridge, resolve=False)
    assert result.amo is not None and result.od_status == "notRequested"


async def test_without_an_od_store(bridge, monkeypatch):
    monkeypatch.delattr(bridge, "od", raising=False)
    bridge.cards.driver.insert(profile("famille4"))
    bridge.cards.driver.insert(profile("cps3"))
    result = await read_vitale(bridge)
    assert result.amo is not None and result.od_status == "unavailable"


async def test_vitale1_is_unsupported(bridge):
    bridge.cards.driver.insert(profile("vitale1"))
    [reader] = await bridge.cards.readers()
    assert reader.card_type == "vitale1"
    with pytest.raises(UnsupportedCardError) as info:
        await bridge.cards.read_vitale()
    assert info.value.details["cardType"] == "vitale1"


async def test_reader_by_part_of_its_name(bridge):
    bridge.cards.driver.insert(profile("famille4"))
    bridge.cards.driver.insert(profile("seul"), "Simulated Vitale Reader 2")  # no reader = replace
    assert (await bridge.cards.read_vitale(reader="vitale reader 2")).beneficiaries[0].nom == "DURAND"
    with pytest.raises(ReaderNotFoundError):  # matches both Vitale readers
        await bridge.cards.read_vitale(reader="Vitale")
    with pytest.raises(ReaderNotFoundError):
        await bridge.cards.read_vitale(reader="nope")


async def test_cps_status(bridge):
    bridge.cards.driver.insert(profile("cps3"))
    status = await bridge.cards.cps_status()
    assert status.present and status.card_type == "cps3"
    assert status.card_number == "80250000011234567890"
    assert (status.pin_tries_max, status.pin_tries_remaining) == (3, 2)


async def test_removed_mid_read_gives_card_removed_and_no_result(bridge):
    sim = bridge.cards.driver
    reader = sim.insert(profile("famille4"))
    sim.card(reader).remove_after = 3  # pulled out after the third APDU
    with pytest.raises(CardRemovedError):
        await bridge.cards.read_vitale()
    assert sim.card(reader) is None
    with pytest.raises(NoCardError):
        await bridge.cards.read_vitale()


async def test_reads_of_one_reader_never_interleave(bridge):
    sim = bridge.cards.driver
    reader = sim.insert(profile("famille4"))
    log = apdu_log(sim.card(reader).card, "transmit")  # the virtual card itself
    await bridge.cards.read_vitale()
    single = list(log)
    log.clear()
    results = await asyncio.gather(*(bridge.cards.read_vitale(cache=False) for _ in range(3)))
    assert log == single * 3
    assert all(r == results[0] for r in results)


async def test_events(bridge):
    recorder = Recorder(bridge)
    sim = bridge.cards.driver
    sim.insert(profile("famille4"))
    await until(lambda: ("card.inserted", "vitale2") in recorder.events(), timeout=2.0)
    sim.insert(profile("cps3"))
    await until(lambda: ("card.inserted", "cps3") in recorder.events(), timeout=2.0)
    sim.remove("Simulated Vitale Reader")
    await until(lambda: ("card.removed", "vitale2") in recorder.events(), timeout=2.0)
    sim.insert(profile("seul"), reader="Simulated Vitale Reader")
    sim.remove_reader("Simulated CPS Reader")
    await until(lambda: ("reader.removed", None) in recorder.events(), timeout=2.0)
    methods = [m for m, _ in recorder.events()]
    assert methods.count("reader.added") == 2
    # A reader going away with its card reports the card removed first.
    cps_reader = [m["method"] for m in recorder.messages if m["params"]["reader"] == "Simulated CPS Reader"]
    assert cps_reader == ["reader.added", "card.inserted", "card.removed", "reader.removed"]
    params = recorder.messages[0]["params"]
    assert set(params) == {"reader", "cardType", "atr"}


async def test_swap_between_two_looks_is_seen(bridge):
    """The same card type pulled out and another put in: removed + inserted, not silence."""
    recorder = Recorder(bridge)
    sim = bridge.cards.driver
    reader = sim.insert(profile("famille4"))
    await until(lambda: recorder.events().count(("card.inserted", "vitale2")) == 1, timeout=2.0)
    sim.insert(profile("seul"), reader=reader)  # same ATR, new generation
    await until(lambda: recorder.events().count(("card.inserted", "vitale2")) == 2, timeout=2.0)
    assert ("card.removed", "vitale2") in recorder.events()


async def test_a_read_that_blocks_times_out(bridge, monkeypatch):
    """Another program holding the card (a transaction that never ends) gives TIMED_OUT, not a hang."""
    import threading

    from bridge.errors import TimedOutError

    sim = bridge.cards.driver
    reader = sim.insert(profile("famille4"))
    release = threading.Event()
    original = sim.connect

    def stuck(name):
        release.wait(5)
        return original(name)

    monkeypatch.setattr(sim, "connect", stuck)
    monkeypatch.setattr(bridge.cards, "read_timeout", 0.1)
    monkeypatch.setattr("bridge.cards.service.READ_GRACE", 0.1)
    try:
        with pytest.raises(TimedOutError):
            await bridge.cards.read_vitale(reader=reader)
    finally:
        release.set()


async def test_dual_slot_reader_cards_are_told_apart_by_atr(bridge):
    """One device, two slots: whichever slot holds the Vitale, it is found by its ATR."""
    sim = bridge.cards.driver
    sim.insert(profile("cps3"), reader="Dual Reader 00 00")
    sim.insert(profile("famille4"), reader="Dual Reader 00 01")
    for name in (None, "Dual Reader", "dual"):
        result = await read_vitale(bridge, reader=name)
        assert result.reader == "Dual Reader 00 01" and result.availability.amo  # the CPS counts
    assert (await bridge.cards.cps_status(reader="Dual")).reader == "Dual Reader 00 00"


async def test_card_session_ends_with_the_reader_or_the_bridge(paths):
    from bridge.app import Bridge
    from bridge.settings import Settings

    bridge = Bridge(Settings(paths=paths, port=0, ipv6=False, driver="simulator"))
    async with bridge:
        sim = bridge.cards.driver
        reader = sim.insert(profile("famille4"))
        assert (await bridge.cards.read_vitale()).from_cache is False
        assert (await bridge.cards.read_vitale()).from_cache is True
        sim.remove_reader(reader)
        await until(lambda: len(bridge.cards.sessions) == 0)  # reader gone: session gone
        sim.insert(profile("famille4"), reader=reader)
        assert (await bridge.cards.read_vitale()).from_cache is False
        assert len(bridge.cards.sessions) == 1
    assert len(bridge.cards.sessions) == 0  # the bridge stopped
