"""The NIR (numéro de sécurité sociale): key check, Corsica, provisional numbers.

A NIR is 13 characters plus a 2-digit key: key = 97 - (number mod 97). Corsican
départements ``2A`` and ``2B`` count as ``19`` and ``18`` in that computation. Provisional
numbers of the régime agricole start with six ``5`` and are shown as "PROVIS": they are not
real NIRs, so no key verdict is given for them. Whatever the card holds is kept as read.
"""

from __future__ import annotations

import re

from bridge.cards.models import Nir

_SHAPE = re.compile(r"^[12345678]\d{4}(\d{2}|2A|2B)\d{6}$")
PROVISIONAL_PREFIX = "555555"


def _as_int(number: str) -> int:
    return int(number[:5] + number[5:7].replace("2A", "19").replace("2B", "18") + number[7:])


def compute_key(number: str) -> str:
    """The 2-digit key of a 13-character NIR (raises ValueError if it is not one)."""
    number = number.upper()
    if not _SHAPE.match(number) and not (number.isdigit() and len(number) == 13):
        raise ValueError("not a 13-character NIR")
    return f"{97 - _as_int(number) % 97:02d}"


def is_provisional(number: str) -> bool:
    return number.startswith(PROVISIONAL_PREFIX)


def parse(raw: str) -> Nir:
    """A :class:`Nir` from the card's text (normally 15 characters: number + key)."""
    text = raw.strip().replace(" ", "").upper()
    number, key = (text[:13], text[13:15]) if len(text) >= 15 else (text, None)
    provisional = is_provisional(number)
    valid: bool | None
    if provisional or key is None:
        valid = None
    else:
        try:
            valid = key.isdigit() and compute_key(number) == key
        except ValueError:
            valid = False
    return Nir(number=number, key=key, key_valid=valid, provisional=provisional)


def display(nir: Nir | None) -> str:
    """Grouped for people: ``1 80 05 75 123 456 78``; provisional numbers show ``PROVIS``."""
    if nir is None:
        return "-"
    if nir.provisional:
        return "PROVIS"
    n = nir.number
    if len(n) == 13:
        text = f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]}"
    else:
        text = n
    if nir.key:
        text += f" {nir.key}"
    if nir.key_valid is False:
        text += " (clé invalide)"
    return text
