"""The choice of reader: which reader a request means, and which card is where.

Cards are told apart by their ATR, never by the reader's name or slot position: a dual-slot
reader ("... 00 00" / "... 00 01") may hold the Vitale in either slot. A short name ("CPS",
"Vitale") that matches several readers means the one holding a card of the kind the request
reads; a device's empty second slot is never a reason to refuse it.
"""

from __future__ import annotations

import re
from typing import Literal

from bridge.cards import atr as atr_table
from bridge.cards.connection import ReaderState, Snapshot
from bridge.cards.models import Reader
from bridge.errors import NoCardError, NoReaderError, ReaderNotFoundError

Kind = Literal["vitale", "cps"]

#: PC/SC reader names end with two numbers: the device's index and the slot ("... 00 01").
_SLOT_SUFFIX = re.compile(r"\s+\d{2}\s+\d{2}$")


def reader_model(state: ReaderState) -> Reader:
    return Reader(
        name=state.name,
        card_present=state.card_present,
        card_type=atr_table.identify(state.atr) if state.atr else None,
        atr=state.atr.hex().upper() if state.atr else None,
    )


def reader_models(snapshot: Snapshot) -> list[Reader]:
    return [reader_model(s) for s in sorted(snapshot.values(), key=lambda s: s.name)]


def holds(state: ReaderState, kind: Kind | None) -> bool:
    """Whether *state* holds a card (of *kind*, recognised by its ATR)."""
    if not state.atr:
        return False
    if kind is None:
        return True
    card_type = atr_table.identify(state.atr)
    return atr_table.is_vitale(card_type) if kind == "vitale" else atr_table.is_cps(card_type)


def cps_present(snapshot: Snapshot) -> bool:
    return any(holds(s, "cps") for s in snapshot.values())


def _device(name: str) -> str:
    return _SLOT_SUFFIX.sub("", name)


def find_reader(snapshot: Snapshot, name: str, kind: Kind | None = None) -> ReaderState:
    """Exact name, or a case-insensitive part of it ("Vitale" for "Vitale 00 00").

    When the part names several readers, the one holding a card of the wanted kind (any card
    when *kind* is None) is taken; when none does and they are all slots of one device, its
    first slot (the read then says there is no card, which is the truth).
    """
    if name in snapshot:
        return snapshot[name]
    matches = sorted((s for n, s in snapshot.items() if name.lower() in n.lower()), key=lambda s: s.name)
    if len(matches) == 1:
        return matches[0]
    if matches:
        holding = [s for s in matches if holds(s, kind)]
        if len(holding) == 1:
            return holding[0]
        if not holding and len({_device(s.name) for s in matches}) == 1:
            return matches[0]
    raise ReaderNotFoundError(  # the requested name is not echoed (it is the caller's input)
        ("Several readers match the requested name" if matches else "No reader has the requested name")
        + ". List readers with 'vitale-bridge readers' or readers.list.",
        readers=sorted(snapshot),
    )


def pick(snapshot: Snapshot, name: str | None, kind: Kind) -> ReaderState:
    """The reader a read of *kind* uses: the named one, else the first holding such a card."""
    if name:
        return find_reader(snapshot, name, kind)
    if not snapshot:
        raise NoReaderError()
    for state in sorted(snapshot.values(), key=lambda s: s.name):
        if holds(state, kind):
            return state
    if kind == "vitale":
        unknown = [s for s in snapshot.values() if s.atr and atr_table.identify(s.atr) == "unknown"]
        if len(unknown) == 1:
            return unknown[0]  # perhaps a Vitale with an ATR not in the table yet: try it
        raise NoCardError("No carte Vitale is inserted. Insert the patient's card and try again.")
    raise NoCardError("No CPS card is inserted.")
