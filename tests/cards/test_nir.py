import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.cards import nir


@pytest.mark.parametrize(
    "raw, number, key, valid",
    [
        ("295109912611193", "2951099126111", "93", True),
        ("253072B07300470", "253072B073004", "70", True),  # Corsica 2B counts as 18
        ("253072A07300443", "253072A073004", "43", True),  # Corsica 2A counts as 19
        ("253072a07300443", "253072A073004", "43", True),
        ("295109912611194", "2951099126111", "94", False),
        ("253072B07300443", "253072B073004", "43", False),  # 2A's key on a 2B number
        ("2951099126111", "2951099126111", None, None),  # no key on the card
        ("29510991261XX93", "29510991261XX", "93", False),
    ],
)
def test_parse(raw, number, key, valid):
    parsed = nir.parse(raw)
    assert (parsed.number, parsed.key, parsed.key_valid) == (number, key, valid)
    assert parsed.provisional is False


def test_provisional():
    parsed = nir.parse("555555123456712")
    assert parsed.provisional and parsed.key_valid is None
    assert nir.display(parsed) == "PROVIS"


def test_display():
    assert nir.display(nir.parse("295109912611193")) == "2 95 10 99 126 111 93"
    assert nir.display(nir.parse("295109912611194")).endswith("(clé invalide)")
    assert nir.display(None) == "-"


@given(st.from_regex(r"[12][0-9]{2}(0[1-9]|1[0-2])([0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True))
def test_computed_key_always_validates(number):
    key = nir.compute_key(number)
    assert len(key) == 2 and 1 <= int(key) <= 97
    assert nir.parse(number + key).key_valid is True


@given(st.from_regex(r"[12][0-9]{12}", fullmatch=True), st.integers(0, 99))
def test_only_the_right_key_validates(number, key):
    expected = nir.compute_key(number)
    assert nir.parse(f"{number}{key:02d}").key_valid is (f"{key:02d}" == expected)


def test_compute_key_rejects_non_nir():
    with pytest.raises(ValueError):
        nir.compute_key("12345")
