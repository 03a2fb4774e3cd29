"""One virtual card per profile, two carriers: the ``pcsc`` driver on the bench (pcscd + vpcd)
and the ``simulator`` driver (the same cards in process) must answer the same thing.

The only difference allowed is what the simulator serves of its own: the protected AMO data
of a licensed reading (scope ``full``), which over PC/SC the card refuses.
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from bridge import profiles
from bridge.api.cards import read_vitale
from bridge.app import Bridge
from bridge.cards.drivers.simulator import CPS_READER, VITALE_READER, SimulatorDriver
from bridge.errors import BridgeError
from bridge.settings import Paths, Settings

NAMES = profiles.shipped_names()
VITALE = [n for n in NAMES if profiles.load(n).kind == "vitale"]
CPS = [n for n in NAMES if profiles.load(n).kind == "cps"]


@pytest_asyncio.fixture
async def pcsc(vitale_readers, paths):
    b = Bridge(Settings(paths=paths, port=0, ipv6=False, driver="pcsc"))
    async with b:
        yield b


@pytest_asyncio.fixture
async def sim(tmp_path):
    b = Bridge(Settings(paths=Paths.resolve(tmp_path / "sim-home"), port=0, ipv6=False, driver="simulator"))
    async with b:
        yield b


async def _outcome(call):
    """The result as wire JSON without the reader's name, or the error's code and details."""
    try:
        result = await call()
    except BridgeError as exc:
        details = {k: v for k, v in exc.details.items() if k != "reader"}
        return {"error": exc.code, "details": details}
    wire = result.model_dump(mode="json", by_alias=True)
    wire.pop("reader", None)
    return wire


@pytest.mark.parametrize("name", VITALE)
async def test_clear_reads_agree(name, vitale_readers, pcsc, sim):
    reader = vitale_readers.insert(name)
    sim.cards.driver.insert(name)
    over_pcsc = await _outcome(lambda: read_vitale(pcsc, reader, "clear", True, cache=False))
    in_process = await _outcome(lambda: read_vitale(sim, VITALE_READER, "clear", True, cache=False))
    assert over_pcsc == in_process
    if "error" not in over_pcsc:
        # Honest fields: nothing the clear files do not attest is filled in.
        assert over_pcsc["serialNumber"] is None
        assert all(b["rangNaissance"] is None for b in over_pcsc["beneficiaries"])


@pytest.mark.parametrize("name", VITALE)
async def test_full_read_adds_only_the_licensed_data(name, vitale_readers, pcsc, sim):
    """With a CPS: pcsc says the card protects AMO data; the simulator adds it, nothing else."""
    reader = vitale_readers.insert(name)
    vitale_readers.insert("cps3")
    sim.cards.driver.insert(name)
    sim.cards.driver.insert("cps3")
    over_pcsc = await _outcome(lambda: read_vitale(pcsc, reader, "full", False, cache=False))
    in_process = await _outcome(lambda: read_vitale(sim, VITALE_READER, "full", False, cache=False))
    if "error" in over_pcsc:
        assert over_pcsc == in_process
        return
    assert over_pcsc["availability"]["reasonCode"] == "protectedByCard"
    assert in_process["availability"]["amo"] is True and in_process["amo"]
    licensed = profiles.load(name)
    assert in_process["serialNumber"] == licensed.serial_number
    assert [b["rangNaissance"] for b in in_process["beneficiaries"]] == [
        b.rang_naissance for b in licensed.beneficiaries
    ]
    # Take the licensed parts away: what is left is what PC/SC gave.
    for wire in (over_pcsc, in_process):
        wire.pop("availability")
        wire.pop("amo")
        wire.pop("serialNumber")
        wire.pop("odStatus")  # noAmo over PC/SC (AMO closed), notRequested in process (resolveOd false)
        if wire["validity"]:
            wire["validity"].update(end=None, rawEnd=None)
            if not any(wire["validity"].values()):
                wire["validity"] = None
        for b in wire["beneficiaries"]:
            b.update(amo=None, rangNaissance=None)
    assert over_pcsc == in_process


@pytest.mark.parametrize("name", CPS)
async def test_cps_status_agrees(name, vitale_readers, pcsc, sim):
    reader = vitale_readers.insert(name)
    sim.cards.driver.insert(name)
    over_pcsc = await _outcome(lambda: pcsc.cards.cps_status(reader))
    in_process = await _outcome(lambda: sim.cards.cps_status(CPS_READER))
    assert over_pcsc == in_process


def test_insert_without_a_reader_replaces_the_card_of_its_kind():
    """simulator.insert {profile} means what 'vitale-bridge simulate insert' means on the bench."""
    driver = SimulatorDriver(["famille", "cps3"])
    assert driver.insert("adulte") == VITALE_READER
    assert driver.insert("cps4") == CPS_READER
    assert sorted(driver.readers()) == sorted([VITALE_READER, CPS_READER])
    assert driver.card(VITALE_READER).profile.name == "adulte"
    assert driver.card(CPS_READER).profile.name == "cps4"
