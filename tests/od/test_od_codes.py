"""Code normalisation: padding where it is the only reading, refusal otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.od.codes import WIDTHS, InvalidOdCodeError, normalize


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("regime", "01", "01"),
        ("regime", "1", "01"),
        ("regime", 1, "01"),
        ("regime", " 01 ", "01"),
        ("caisse", "75", "075"),
        ("caisse", "751", "751"),
        ("centre", "0", "0000"),
        ("centre", "601", "0601"),
        ("od", 752, "752"),
        ("code_centre_informatique", "44", "044"),
    ],
)
def test_padding(name, value, expected):
    assert normalize(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("regime", ""),
        ("regime", "   "),
        ("regime", "1a"),
        ("regime", "123"),
        ("regime", "-1"),
        ("regime", -1),
        ("regime", 100),
        ("regime", True),
        ("regime", None),
        ("regime", 1.0),
        ("caisse", "7 51"),
        ("caisse", "0751"),
        ("centre", "06O1"),
        ("centre", "١٢٣"),  # Arabic-Indic digits: str.isdigit() says yes, a TOD code says no
        ("centre", "+601"),
    ],
)
def test_refused(name, value):
    with pytest.raises(InvalidOdCodeError) as info:
        normalize(name, value)
    assert isinstance(info.value, ValueError)
    assert info.value.name == name
    assert f"{WIDTHS[name]} digits" in str(info.value)


@given(st.sampled_from(sorted(WIDTHS)), st.data())
def test_every_number_in_range_pads_to_width(name, data):
    width = WIDTHS[name]
    n = data.draw(st.integers(0, 10**width - 1))
    assert normalize(name, n) == normalize(name, str(n)) == str(n).zfill(width)


@given(st.text(min_size=1, max_size=6).filter(lambda s: not s.strip().isascii() or not s.strip().isdigit()))
def test_anything_not_digits_is_refused(text):
    with pytest.raises(InvalidOdCodeError):
        normalize("centre", text)
