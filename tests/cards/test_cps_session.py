import pytest

from bridge.cards.cps import CpsSession
from bridge.errors import CardRemovedError, UnsupportedCardError
from tests.helpers.scripted import ScriptedConnection

CPS3 = "3BAC00402A001225006480000310009000"
SELECT = "00A40904043F00D003"
PIN_INFO = "00CB3FFF0A4D087006BF810102A080"


def test_card_number_and_pin_counters_exact_apdus():
    conn = ScriptedConnection(CPS3, [
        (SELECT, "6119"),
        ("00B000000C", "5A0A802500000112345678909000"),
        (PIN_INFO, "610E"),
        ("00C000000E", "700CBF810108A0069A01039B01029000"),
    ])
    info = CpsSession(conn).read()
    assert conn.script == []
    assert info.card_type == "cps3"
    assert info.card_number == "80250000011234567890"
    assert (info.pin_tries_max, info.pin_tries_remaining) == (3, 2)


def test_longer_card_number_file_is_read_to_the_end():
    conn = ScriptedConnection(CPS3, [
        (SELECT, "9000"),
        ("00B000000C", "5A0C80250000011234567890" + "9000"),
        ("00B0000C00", "6C02"),
        ("00B0000C02", "90129000"),
        (PIN_INFO, "6A88"),
    ])
    info = CpsSession(conn).read()
    assert info.card_number == "802500000112345678909012"
    assert info.pin_tries_remaining is None


def test_unreadable_number_keeps_the_card_present():
    conn = ScriptedConnection(CPS3, [(SELECT, "6A82"), (PIN_INFO, "6D00")])
    info = CpsSession(conn).read()
    assert info.card_number is None and info.card_type == "cps3"


def test_vitale_is_not_a_cps():
    with pytest.raises(UnsupportedCardError):
        CpsSession(ScriptedConnection("3B751300004509EA9000", []))


def test_removal_is_not_swallowed():
    conn = ScriptedConnection(CPS3, [(SELECT, "REMOVED")])
    with pytest.raises(CardRemovedError):
        CpsSession(conn).read()
