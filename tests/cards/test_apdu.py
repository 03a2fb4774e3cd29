import pytest

from bridge.cards import apdu
from bridge.cards.apdu import ApduProcessor, command, with_le
from bridge.errors import CardCommunicationError, CardRemovedError, TimedOutError
from tests.helpers.scripted import ScriptedConnection

ATR = "3B751300004509EA9000"


def test_command_cases():
    assert command(0x00, 0xA4, 0x00, 0x00, b"\x3f\x00").hex() == "00a40000023f00"
    assert command(0x00, 0xB0, 0x82, 0x00, le=0).hex() == "00b0820000"
    assert command(0x00, 0xA4, 0x04, 0x00, b"\x01", le=0).hex() == "00a404000101" + "00"
    assert with_le(bytes.fromhex("00B0820000"), 0x2A).hex() == "00b082002a"
    assert with_le(bytes.fromhex("00A40400010100"), 0x10).hex() == "00a404000101" + "10"
    assert with_le(bytes.fromhex("00A4040001 01".replace(" ", "")), 0x10).hex() == "00a404000101" + "10"
    assert with_le(bytes.fromhex("00C00000"), 5).hex() == "00c0000005"


def test_61xx_get_response_chain():
    conn = ScriptedConnection(ATR, [
        ("00CB3FFF02AABB", "6104"),
        ("00C0000004", "010203046102"),
        ("00C0000002", "05069000"),
    ])
    response = ApduProcessor(conn).send(bytes.fromhex("00CB3FFF02AABB"))
    assert response.data == bytes.fromhex("010203040506") and response.sw == 0x9000
    assert conn.script == []


def test_61xx_not_fetched_when_data_is_not_wanted():
    conn = ScriptedConnection(ATR, [("00A40000023F00", "6115")])
    response = ApduProcessor(conn).send(bytes.fromhex("00A40000023F00"), want_data=False)
    assert response.sw == 0x9000 and conn.sent == ["00A40000023F00"]


def test_6cxx_resend_with_right_le():
    conn = ScriptedConnection(ATR, [("00B0820000", "6C03"), ("00B0820003", "4142439000")])
    assert ApduProcessor(conn).send(bytes.fromhex("00B0820000")).data == b"ABC"
    assert conn.sent == ["00B0820000", "00B0820003"]


def test_6cxx_then_61xx():
    conn = ScriptedConnection(ATR, [("00B0820000", "6C03"), ("00B0820003", "6103"), ("00C0000003", "4142439000")])
    assert ApduProcessor(conn).send(bytes.fromhex("00B0820000")).data == b"ABC"


@pytest.mark.parametrize(
    "sw, cls",
    [
        ("6982", apdu.SecurityStatusError),
        ("6985", apdu.SecurityStatusError),
        ("6A82", apdu.FileNotFoundOnCard),
        ("6B00", apdu.FileNotFoundOnCard),
        ("6D00", apdu.UnsupportedCommandError),
        ("6E00", apdu.UnsupportedCommandError),
        ("6700", apdu.WrongLengthError),
        ("6F00", apdu.StatusWordError),
        ("9999", apdu.StatusWordError),
    ],
)
def test_status_words_become_typed_errors(sw, cls):
    conn = ScriptedConnection(ATR, [("00B0820000", sw)])
    with pytest.raises(cls) as info:
        ApduProcessor(conn).send(bytes.fromhex("00B0820000"))
    assert info.value.sw == int(sw, 16)
    public = info.value.to_bridge_error()  # what leaves a session
    assert isinstance(public, CardCommunicationError) and public.code == "CARD_COMMUNICATION"
    assert public.details == {"sw": sw, "ins": "B0"}


@pytest.mark.parametrize("sw", ["9000", "6282", "6283"])
def test_success_and_warnings_pass(sw):
    conn = ScriptedConnection(ATR, [("00B0820000", "41" + sw)])
    assert ApduProcessor(conn).send(bytes.fromhex("00B0820000")).data == b"A"


def test_card_that_loops_on_61xx_is_cut_off():
    script = [("00B0820000", "6101")] + [("00C0000001", "016101")] * apdu.MAX_RESPONSE_ROUNDS
    conn = ScriptedConnection(ATR, script)
    with pytest.raises(apdu.StatusWordError):
        ApduProcessor(conn).send(bytes.fromhex("00B0820000"))
    assert len(conn.sent) == 1 + apdu.MAX_RESPONSE_ROUNDS


def test_removal_propagates():
    conn = ScriptedConnection(ATR, [("00B0820000", "REMOVED")])
    with pytest.raises(CardRemovedError):
        ApduProcessor(conn).send(bytes.fromhex("00B0820000"))


def test_time_budget():
    conn = ScriptedConnection(ATR, [])
    processor = ApduProcessor(conn, timeout=-1)
    with pytest.raises(TimedOutError):
        processor.send(bytes.fromhex("00B0820000"))
    assert conn.sent == []
