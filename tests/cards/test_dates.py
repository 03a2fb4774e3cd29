import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.cards import dates


@pytest.mark.parametrize(
    "raw, iso, lunar, missing_century",
    [
        ("19800512", dt.date(1980, 5, 12), False, False),
        ("20000229", dt.date(2000, 2, 29), False, False),
        ("19000229", None, True, False),  # 1900 is not a leap year
        ("19800013", None, True, False),  # month 00
        ("19801305", None, True, False),  # month 13
        ("19800500", None, True, False),  # day 00
        ("19820230", None, True, False),  # 30 February
        ("800512", None, False, True),
        ("801305", None, True, True),
        ("", None, False, False),
        ("1980-05-12", None, False, False),  # not the card's format: kept, not parsed
    ],
)
def test_birth_date(raw, iso, lunar, missing_century):
    parsed = dates.birth_date(raw)
    assert parsed.raw == raw
    assert (parsed.iso, parsed.lunar, parsed.missing_century) == (iso, lunar, missing_century)


@pytest.mark.parametrize(
    "value, text",
    [(b"19800512", "19800512"), (bytes.fromhex("19800512"), "19800512"), (b"", ""), (b"\xe9t\xe9", "été")],
)
def test_decode(value, text):
    assert dates.decode(value) == text


@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_real_dates_round_trip(day):
    raw = f"{day.year:04d}{day.month:02d}{day.day:02d}"
    parsed = dates.birth_date(raw)
    assert parsed.iso == day and not parsed.lunar and parsed.raw == raw


@given(st.integers(1000, 2999), st.integers(0, 99), st.integers(0, 99))
def test_raw_always_kept_and_iso_only_when_real(year, month, day):
    raw = f"{year:04d}{month:02d}{day:02d}"
    parsed = dates.birth_date(raw)
    assert parsed.raw == raw
    try:
        real = dt.date(year, month, day)
    except ValueError:
        real = None
    assert parsed.iso == real
    assert parsed.lunar is (real is None)
