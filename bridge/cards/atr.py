"""Which card is in the reader, from its ATR alone (no APDU sent).

The table is the public one (pcsc-tools ``smartcard_list.txt``, OpenSC ``card-iasecc.c``), kept
as patterns where ``.`` is any hex digit, so a line reads like the list it comes from. More
specific patterns come first: the OpenSC CPx mask also matches a CPS4, so the CPS4 line must
win before the generic CPx line.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.cards.models import CardType


@dataclass(frozen=True)
class AtrPattern:
    pattern: str  # hex digits and '.' wildcards, no spaces
    card_type: CardType
    label: str

    def matches(self, atr_hex: str) -> bool:
        if len(atr_hex) != len(self.pattern):
            return False
        return all(p == "." or p == a for p, a in zip(self.pattern, atr_hex, strict=False))


def _p(spaced: str, card_type: CardType, label: str) -> AtrPattern:
    return AtrPattern(spaced.replace(" ", "").upper(), card_type, label)


ATR_TABLE: tuple[AtrPattern, ...] = (
    # Vitale 1: Bull CP8 mask, inverse convention (TS = 3F).
    _p("3F 65 25 00 22 09 F9 90 00", "vitale1", "Carte Vitale 1"),
    _p("3F 65 25 00 22 09 69 90 00", "vitale1", "Carte Vitale 1"),
    _p("3F 65 25 00 2C 09 F9 90 00", "vitale1", "Carte Vitale 1"),
    _p("3F 65 25 00 2C 09 69 90 00", "vitale1", "Carte Vitale 1"),
    _p("3F 65 25 00 52 09 6A 90 00", "vitale1", "Carte Vitale 1"),
    _p("3F 65 25 00 A3 09 6A 90 00", "vitale1", "Carte Vitale 1"),
    _p("3F 65 25 00 A4 09 6A 90 00", "vitale1", "Carte Vitale 1"),
    # Vitale 2: T=0, TA1=13; byte 6 varies with the chip batch.
    _p("3B 75 13 00 00 .. 09 EA 90 00", "vitale2", "Carte Vitale 2"),
    _p("3B 75 13 00 00 45 09 FA 90 00", "vitale2", "Carte Vitale 2"),
    # CPx family (IAS-ECC).
    _p("3B DC 18 FF 00 00 12 25 00 64 80 00 04 01 00 90 00", "cps4", "CPS4"),
    _p("3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00", "cps3", "CPS3"),
    _p("3B AC 00 40 2A 00 12 25 00 64 80 82 02 12 00 90 00", "cps3", "CPS3"),
    _p("3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E", "cpsContactless", "CPS3 sans contact"),
    # OpenSC's CPx mask FF:00:00:00:00:FF:FF:FF:FF:FF:FF:00:00:00:FF:FF:FF.
    _p("3B .. .. .. .. 00 12 25 00 64 80 .. .. .. 00 90 00", "cps3", "CPx (IAS-ECC)"),
)

VITALE_TYPES: frozenset[str] = frozenset({"vitale1", "vitale2"})
CPS_TYPES: frozenset[str] = frozenset({"cps2ter", "cps3", "cps4", "cpsContactless"})


def normalize(atr: bytes | str) -> str:
    if isinstance(atr, (bytes, bytearray)):
        return bytes(atr).hex().upper()
    return atr.replace(" ", "").replace(":", "").upper()


def identify(atr: bytes | str | None) -> CardType:
    """The card type for *atr*; ``"unknown"`` when nothing in the table matches."""
    if not atr:
        return "unknown"
    text = normalize(atr)
    for entry in ATR_TABLE:
        if entry.matches(text):
            return entry.card_type
    return "unknown"


def label(atr: bytes | str | None) -> str:
    text = normalize(atr) if atr else ""
    for entry in ATR_TABLE:
        if entry.matches(text):
            return entry.label
    return "Unknown card"


def is_vitale(card_type: str | None) -> bool:
    return card_type in VITALE_TYPES


def is_cps(card_type: str | None) -> bool:
    return card_type in CPS_TYPES
