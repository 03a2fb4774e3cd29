import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.cards import atr


@pytest.mark.parametrize(
    "value, card_type",
    [
        ("3F 65 25 00 22 09 F9 90 00", "vitale1"),
        ("3F 65 25 00 2C 09 69 90 00", "vitale1"),
        ("3F 65 25 00 52 09 6A 90 00", "vitale1"),
        ("3F 65 25 00 A3 09 6A 90 00", "vitale1"),
        ("3F 65 25 00 A4 09 6A 90 00", "vitale1"),
        ("3B 75 13 00 00 43 09 EA 90 00", "vitale2"),
        ("3B 75 13 00 00 4C 09 EA 90 00", "vitale2"),
        ("3B 75 13 00 00 45 09 FA 90 00", "vitale2"),
        ("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00", "cps3"),
        ("3B AC 00 40 2A 00 12 25 00 64 80 82 02 12 00 90 00", "cps3"),
        ("3B DC 18 FF 00 00 12 25 00 64 80 00 04 01 00 90 00", "cps4"),
        ("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E", "cpsContactless"),
        # Another IAS-ECC CPx under OpenSC's mask.
        ("3B AD 11 22 33 00 12 25 00 64 80 AA BB CC 00 90 00", "cps3"),
        ("3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A", "unknown"),
        ("3F 65 25 00 22 09 F9 90", "unknown"),  # one byte short
        ("", "unknown"),
    ],
)
def test_identify(value, card_type):
    assert atr.identify(value) == card_type
    if value:
        assert atr.identify(bytes.fromhex(value.replace(" ", ""))) == card_type


def test_bytes_and_text_agree():
    assert atr.identify(b"\x3b\x75\x13\x00\x00\x45\x09\xea\x90\x00") == "vitale2"
    assert atr.identify("3b:75:13:00:00:45:09:ea:90:00") == "vitale2"
    assert atr.label("3B7513000045 09EA9000") == "Carte Vitale 2"
    assert atr.identify(None) == "unknown"


@given(st.binary(min_size=0, max_size=33))
def test_any_atr_gets_a_type(value):
    assert atr.identify(value) in {"vitale1", "vitale2", "cps2ter", "cps3", "cps4", "cpsContactless", "unknown"}


@given(st.integers(0, 255))
def test_vitale2_batch_byte_is_free(batch):
    assert atr.identify(bytes([0x3B, 0x75, 0x13, 0, 0, batch, 0x09, 0xEA, 0x90, 0x00])) == "vitale2"
