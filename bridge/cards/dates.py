"""Dates as cards write them: kept exactly as read, parsed only when they are real dates.

People born abroad may have a "lunar" birth date (day or month ``00``, a month above 12, a day
the month does not have). Some dates come without the century (``YYMMDD``). Neither may be
forced into a calendar date nor dropped: the raw text is the truth, the ISO date is a
convenience offered only when it is certain.
"""

from __future__ import annotations

import calendar
import datetime as dt

from bridge.cards.models import BirthDate


def decode(value: bytes) -> str:
    """The date text from a card value: ASCII digits, or packed BCD as some files use."""
    if value.isdigit():  # bytes.isdigit: ASCII digits only
        return value.decode("ascii")
    hexed = value.hex()
    if hexed.isdigit():  # BCD: every nibble is a decimal digit
        return hexed
    return value.decode("latin-1", errors="replace").strip()


def calendar_date(raw: str) -> dt.date | None:
    """The date for ``YYYYMMDD`` when it exists in the calendar, else None."""
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return None


def _lunar(month: int, day: int, year: int | None) -> bool:
    if not 1 <= month <= 12:
        return True
    limit = calendar.monthrange(year, month)[1] if year else (29 if month == 2 else 31)
    return not 1 <= day <= limit


def birth_date(raw: str) -> BirthDate:
    """A :class:`BirthDate` from the card's text (``YYYYMMDD``, or ``YYMMDD`` without century)."""
    text = raw.strip()
    if len(text) == 8 and text.isdigit():
        iso = calendar_date(text)
        year = int(text[:4]) or None
        return BirthDate(
            raw=text,
            iso=iso,
            lunar=iso is None and year is not None and _lunar(int(text[4:6]), int(text[6:8]), year),
        )
    if len(text) == 6 and text.isdigit():
        return BirthDate(
            raw=text,
            missing_century=True,
            lunar=_lunar(int(text[2:4]), int(text[4:6]), None),
        )
    return BirthDate(raw=text)
