"""Cards that take real time: the ISO 7816-3 model from the ATR, and the carriers that apply it."""

from __future__ import annotations

import time

import pytest

from bridge.cards.drivers.simulator import VITALE_READER, SimulatorDriver
from bridge.virtualcards import make_card
from bridge.virtualcards.timing import AtrParameters, TimingModel

VITALE2 = bytes.fromhex("3B751300004509EA9000")
CPS3 = bytes.fromhex("3BAC00402A001225006480000310009000")
VITALE1 = bytes.fromhex("3F65250052096A9000")


def test_speed_comes_from_ta1_and_tc1():
    assert AtrParameters.from_atr(VITALE2) == AtrParameters(fi=372, di=4, extra_guard=0)
    assert AtrParameters.from_atr(CPS3) == AtrParameters(fi=372, di=1, extra_guard=0)  # no TA1
    assert AtrParameters.from_atr(VITALE1) == AtrParameters(fi=372, di=1, extra_guard=0)  # TB1, TC1 = 00
    assert AtrParameters.from_atr(bytes.fromhex("3B10FF")) == AtrParameters(372, 1)  # TA1 = FF: RFU
    assert AtrParameters.from_atr(bytes.fromhex("3B4002")) == AtrParameters(372, 1, 2)  # TC1 = 2
    assert AtrParameters.from_atr(b"") == AtrParameters()


def test_the_issue_figures_at_4_mhz():
    model = TimingModel()
    vitale = 1 / model.byte_time(AtrParameters.from_atr(VITALE2))
    cps = 1 / model.byte_time(AtrParameters.from_atr(CPS3))
    assert round(vitale) == 3584 and round(cps) == 896  # ~3.6 kB/s and ~0.9 kB/s
    assert 1 / TimingModel(clock_hz=2_000_000).byte_time(AtrParameters.from_atr(VITALE2)) == pytest.approx(vitale / 2)


def test_t0_characters_of_each_case():
    c = TimingModel.characters
    assert c(bytes.fromhex("00A40000023F00"), bytes.fromhex("611C")) == 5 + 1 + 2 + 2  # case 3
    assert c(bytes.fromhex("00B08200A0"), bytes(160) + b"\x90\x00") == 5 + 1 + 160 + 2  # case 2
    assert c(bytes.fromhex("00B0820000"), bytes.fromhex("6CA0")) == 5 + 2  # refused: no ACK, no data
    assert c(bytes.fromhex("00A404000BD250000002564954414C4500"), b"\x61\x10") == 5 + 1 + 11 + 2  # Le not sent
    model = TimingModel(processing=0.002)
    expected = 10 * 12 * 372 / (4 * 4_000_000) + 0.002
    assert model.exchange(VITALE2, bytes.fromhex("00A40000023F00"), bytes.fromhex("611C")) == pytest.approx(expected)


def test_out_of_range_settings_are_refused():
    with pytest.raises(ValueError):
        TimingModel(clock_hz=0)
    with pytest.raises(ValueError):
        TimingModel(processing=-1)


def test_a_paced_card_takes_at_least_the_modelled_time():
    card = make_card("famille")
    card.power_on()
    card.timing = TimingModel()
    apdu = bytes.fromhex("00B08200A0")  # 160 bytes of identity file
    start = time.perf_counter()
    response = card.transmit_paced(apdu)
    elapsed = time.perf_counter() - start
    assert response[-2:] == b"\x90\x00"
    assert elapsed >= card.modelled_time(apdu, response) > 0.045  # 168 characters at 279 µs + 1 ms
    card.timing = None
    assert card.modelled_time(apdu, response) == 0.0


def test_the_simulator_driver_paces_its_cards():
    driver = SimulatorDriver(["famille"])
    driver.set_timing(TimingModel())
    connection = driver.connect(VITALE_READER)
    start = time.perf_counter()
    connection.transmit(bytes.fromhex("00A40000023F00"))
    data, sw = connection.transmit(bytes.fromhex("00B08200A0"))
    elapsed = time.perf_counter() - start
    assert sw == 0x9000 and len(data) == 160
    assert elapsed >= (10 + 168) * 12 * 372 / (4 * 4_000_000) + 2 * 0.001


def test_the_bench_reads_in_real_time_through_pcscd(vitale_readers):
    """Through pcscd, a read is never faster than the model says: the floor is really applied."""
    from smartcard.System import readers as pcsc_readers

    vitale_readers.set_timing("real")
    name = vitale_readers.insert("famille")
    card = vitale_readers.slot("Vitale").link.card
    [reader] = [r for r in pcsc_readers() if str(r) == name]
    connection = reader.createConnection()
    connection.connect()
    try:
        floor = 0.0
        start = time.perf_counter()
        for hexapdu in ("00A40000023F00", "00B08200A0"):
            apdu = bytes.fromhex(hexapdu)
            data, sw1, sw2 = connection.transmit(list(apdu))
            floor += card.modelled_time(apdu, bytes(data) + bytes([sw1, sw2]))
        elapsed = time.perf_counter() - start
    finally:
        connection.disconnect()
    assert (sw1, sw2) == (0x90, 0x00)
    assert elapsed >= floor > 0.045
