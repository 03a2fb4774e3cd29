"""Card sessions: a second read of the same card, still in its reader, answered from memory.

An EHR reads the card again each time a form opens; the card has not changed, and a real card
takes a second or more to read. A session keeps what one insertion of one card gave, keyed by
the reader's state at the read: its name, the card's ATR and the reader's *event counter*
(pcsc-lite and Windows count card insertions and removals in the high word of
``dwEventState``; :attr:`~bridge.cards.connection.ReaderState.generation`). A session is used
only while a fresh look at the reader shows the very same state, so a card swapped for another
between two looks (the counter moved) is never taken for the previous one, however fast.

A session ends when the card is removed or reset, the reader disappears, PC/SC restarts (the
driver folds its restarts into the generation too) or the bridge stops. Sessions live in this
process's memory only: nothing is ever written to disk.

What a session may answer: a read with the AMO data (scope ``full``) only from a read that
asked for it; a clear read from either. The CPx rule is not stored: the caller applies it at
every call, with the CPS present *now*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.cards.connection import ReaderState, Snapshot
from bridge.cards.reading import VitaleOutcome


@dataclass
class CardSession:
    state: ReaderState
    #: What the card gave, by whether the protected (AMO) data was asked for.
    outcomes: dict[bool, VitaleOutcome] = field(default_factory=dict)


class CardSessions:
    def __init__(self) -> None:
        self._by_reader: dict[str, CardSession] = {}

    def __len__(self) -> int:
        return len(self._by_reader)

    def lookup(self, state: ReaderState, want_protected: bool) -> VitaleOutcome | None:
        """What this insertion of this card gave, if it may answer a read wanting that much."""
        session = self._by_reader.get(state.name)
        if session is None or not state.card_present:
            return None
        if session.state != state:  # another card, or the same one taken out and put back
            del self._by_reader[state.name]
            return None
        outcomes = session.outcomes
        return outcomes.get(True) if want_protected else outcomes.get(False) or outcomes.get(True)

    def store(self, state: ReaderState, outcome: VitaleOutcome, want_protected: bool) -> None:
        session = self._by_reader.get(state.name)
        if session is None or session.state != state:
            session = self._by_reader[state.name] = CardSession(state)
        session.outcomes[want_protected] = outcome

    def end(self, reader: str) -> None:
        self._by_reader.pop(reader, None)

    def end_all(self) -> None:
        self._by_reader.clear()

    def prune(self, snapshot: Snapshot) -> None:
        """End the sessions whose reader no longer shows the same card (removed, swapped, reader
        gone, PC/SC down: an empty snapshot)."""
        for name, session in list(self._by_reader.items()):
            if snapshot.get(name) != session.state:
                del self._by_reader[name]
