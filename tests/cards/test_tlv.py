import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.cards import tlv
from bridge.errors import CardCommunicationError


@pytest.mark.parametrize(
    "data, expected",
    [
        ("80 03 414243", [(0x80, "414243")]),
        ("65 05 80 03 414243 00 00 00", [(0x65, "80034142 43".replace(" ", ""))]),
        ("00 00 FF 93 01 31", [(0x93, "31")]),  # padding before an object
        ("7F21 02 0102", [(0x7F21, "0102")]),  # two-byte tag
        ("5F37 81 02 AABB", [(0x5F37, "AABB")]),  # long-form length (81)
        ("BF8101 01 07", [(0xBF8101, "07")]),  # three-byte tag
        ("", []),
        ("00000000", []),
    ],
)
def test_parse(data, expected):
    items = tlv.parse(bytes.fromhex(data.replace(" ", "")))
    assert [(i.tag, i.value.hex().upper()) for i in items] == [(t, v.upper()) for t, v in expected]


def test_long_form_two_bytes():
    value = bytes(range(256)) * 2
    data = bytes.fromhex("7F21 82 0200".replace(" ", "")) + value
    [item] = tlv.parse(data)
    assert item.tag == 0x7F21 and item.value == value and item.constructed


@pytest.mark.parametrize(
    "data",
    [
        "80 05 4142",  # length runs past the end
        "65 81",  # truncated long length
        "65 80 00",  # indefinite form
        "65 84 00000001 00",  # 4-byte length
        "5F",  # truncated multi-byte tag
        "80",  # missing length
    ],
)
def test_lying_lengths_are_card_errors(data):
    with pytest.raises(CardCommunicationError) as info:
        tlv.parse(bytes.fromhex(data.replace(" ", "")))
    assert info.value.code == "CARD_COMMUNICATION"
    assert tlv.complete(bytes.fromhex(data.replace(" ", ""))) is False


def test_children_and_find():
    data = tlv.encode(0x65, tlv.encode(0x80, b"NOM") + tlv.encode(0x81, b"PRENOM"))
    [template] = tlv.parse(data)
    assert template.constructed
    assert template.find(0x81).value == b"PRENOM"
    assert template.find(0x93) is None
    assert [t.tag for t in tlv.walk([template])] == [0x65, 0x80, 0x81]


def test_primitive_values_are_not_parsed():
    # A primitive value that looks like broken TLV must never make parsing fail.
    [item] = tlv.parse(tlv.encode(0x80, b"\x65\x7f"))
    assert not item.constructed
    assert list(tlv.walk([item])) == [item]


tags = st.one_of(
    st.integers(0x01, 0x1E).map(lambda t: t | 0x80),  # one byte, context class
    st.sampled_from([0x5F37, 0x5F38, 0x9F01, 0x5F20]),
)


@given(st.lists(st.tuples(tags, st.binary(max_size=300)), max_size=6), st.integers(0, 8))
def test_round_trip(items, padding):
    data = b"".join(tlv.encode(t, v) for t, v in items) + bytes(padding)
    assert [(i.tag, i.value) for i in tlv.parse(data)] == items


@given(st.binary(max_size=200))
def test_never_crashes_on_garbage(data):
    try:
        for _ in tlv.walk(tlv.parse(data)):
            pass
    except CardCommunicationError:
        pass


@given(st.integers(0, 70000))
def test_length_encoding(n):
    encoded = tlv.encode_length(n)
    value, pos = tlv._read_length(encoded, 0)
    assert (value, pos) == (n, len(encoded))
