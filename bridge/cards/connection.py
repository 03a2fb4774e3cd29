"""The small interface between card applications and whatever carries the APDUs.

A :class:`Connection` is everything :mod:`bridge.cards.vitale` and :mod:`bridge.cards.cps`
need: send one APDU and get ``(data, sw)`` back. The pyscard adapter, the in-process simulator
and the scripted fakes of the unit tests all implement it, so the card logic is tested once and
runs the same everywhere. A :class:`Driver` finds readers, opens connections and reports
reader/card changes; it is the only thing that differs between ``pcsc`` and ``simulator``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class Connection(Protocol):
    reader: str
    atr: bytes

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command APDU; return the response data and the status word (e.g. 0x9000)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Exclusive access to the card for the duration of one read (SCardBeginTransaction)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ProtectedBeneficiary:
    qualite: str
    #: None when the licensed API does not give it.
    rang_naissance: int | None = None
    #: Up to three périodes de droits, as on the card: (start YYYYMMDD, end YYYYMMDD).
    droits: tuple[tuple[str | None, str | None], ...] = ()


@dataclass(frozen=True)
class ProtectedVitaleData:
    """What the licensed SESAM-Vitale reading API returns beyond the clear data.

    Only the simulator can produce it (its profiles hold the AMO data); over plain PC/SC the
    card refuses these files, which is why no pcsc connection implements
    :class:`ProtectedDataReader`.
    """

    regime: str
    caisse: str
    centre: str
    code_gestion: str | None
    #: Per bénéficiaire, in card order.
    beneficiaries: tuple[ProtectedBeneficiary, ...]
    #: Group 101 of the licensed API also gives the card's serial number and end of validity.
    serial_number: str | None = None
    validity_end: str | None = None


@runtime_checkable
class ProtectedDataReader(Protocol):
    def read_protected(self) -> ProtectedVitaleData: ...


@dataclass(frozen=True)
class ReaderState:
    """One reader as the driver sees it: its name and the ATR of the card in it, if any."""

    name: str
    atr: bytes | None = None
    #: Changes at every insertion/removal (pcsc-lite's event counter): tells a card swapped
    #: for an identical one between two looks.
    generation: int = 0

    @property
    def card_present(self) -> bool:
        return self.atr is not None


Snapshot = dict[str, ReaderState]


class Driver(Protocol):
    """Readers and connections. All methods may block: the service calls them in a thread."""

    name: str
    #: True when :meth:`readers` costs nothing (no IPC): the service then asks it every time
    #: instead of trusting the watcher's snapshot, which may lag an insertion.
    fresh_listing: bool

    def open(self) -> None: ...

    def close(self) -> None: ...

    def readers(self) -> Snapshot:
        """The readers now connected and their cards (raises PcscUnavailableError)."""
        ...

    def connect(self, reader: str) -> Connection:
        """A connection to the card in *reader* (NoCardError, ReaderNotFoundError, CardBusyError)."""
        ...

    def wait_for_change(self, known: Snapshot, timeout: float) -> Snapshot:
        """Block until the readers or cards differ from *known*, or *timeout* seconds pass.

        Returns the current snapshot. Raises PcscUnavailableError while the service is down
        (the caller retries); returns early when :meth:`cancel` is called.
        """
        ...

    def cancel(self) -> None:
        """Wake up a blocked :meth:`wait_for_change` (from another thread)."""
        ...


@dataclass
class Exchange:
    command: bytes
    data: bytes
    sw: int


@dataclass
class RecordingConnection:
    """Wraps a connection and keeps every exchange: APDU counts for tests and benchmarks."""

    inner: Connection
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def reader(self) -> str:
        return self.inner.reader

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        data, sw = self.inner.transmit(apdu)
        self.exchanges.append(Exchange(bytes(apdu), bytes(data), sw))
        return data, sw

    def transaction(self) -> AbstractContextManager[None]:
        return self.inner.transaction()

    def close(self) -> None:
        self.inner.close()

    @property
    def bytes_exchanged(self) -> int:
        """Command bytes sent plus response bytes received (data and status words)."""
        return sum(len(e.command) + len(e.data) + 2 for e in self.exchanges)

    def commands(self) -> Iterator[str]:
        for e in self.exchanges:
            yield e.command.hex().upper()
