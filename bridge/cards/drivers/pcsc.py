"""The PC/SC driver: the only module that imports pyscard.

It uses pyscard's thin ``smartcard.scard`` layer (the PC/SC calls themselves) because the
bridge needs what the higher layers hide: an exclusive transaction per read
(``SCardBeginTransaction``), ``SCardGetStatusChange`` on the ``\\\\?PnP?\\Notification`` pseudo
reader to hear readers come and go, ``SCardCancel`` to stop waiting, and the raw return codes
to recover when pcscd restarts (the context is dropped and established again on
``SCARD_E_NO_SERVICE``, ``SCARD_E_SERVICE_STOPPED`` or an invalid handle).

Return codes become the bridge's typed errors in :func:`_error`, and only there.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from smartcard import scard as s

from bridge.cards.connection import ReaderState, Snapshot
from bridge.errors import (
    BridgeError,
    CardCommunicationError,
    CardRemovedError,
    NoCardError,
    PcscUnavailableError,
    ReaderBusyError,
    ReaderNotFoundError,
    TimedOutError,
)

log = logging.getLogger("vitale_bridge.pcsc")

PNP_READER = "\\\\?PnP?\\Notification"

#: Return codes meaning "the PC/SC service or our context is gone": re-establish.
SERVICE_LOST = frozenset(
    code & 0xFFFFFFFF
    for code in (
        s.SCARD_E_NO_SERVICE,
        s.SCARD_E_SERVICE_STOPPED,
        s.SCARD_E_INVALID_HANDLE,
        s.SCARD_F_COMM_ERROR,
        getattr(s, "SCARD_E_INVALID_PARAMETER", s.SCARD_E_NO_SERVICE),
    )
)
CARD_GONE = frozenset(
    code & 0xFFFFFFFF for code in (s.SCARD_W_REMOVED_CARD, s.SCARD_E_NO_SMARTCARD, s.SCARD_W_UNPOWERED_CARD)
)
#: Passing faults (another program reset the card, keyboard-integrated readers dropping a
#: transaction): the card is still there and a new attempt usually succeeds.
TRANSIENT = frozenset(code & 0xFFFFFFFF for code in (s.SCARD_W_RESET_CARD, s.SCARD_E_NOT_TRANSACTED))
READER_GONE = frozenset(
    code & 0xFFFFFFFF for code in (s.SCARD_E_UNKNOWN_READER, s.SCARD_E_READER_UNAVAILABLE)
)
OK = s.SCARD_S_SUCCESS
#: SCardStatus states meaning a card is still in the reader.
#: (pcsc-lite values of SCARD_PRESENT, SWALLOWED, POWERED, NEGOTIABLE, SPECIFIC; pyscard's
#: scard module does not export them.)
PRESENT_STATES = 0x04 | 0x08 | 0x10 | 0x20 | 0x40
#: Longest wait for the reader to confirm a removal after a failed exchange (seconds).
REMOVAL_VERDICT = 1.0


def _u(code: int) -> int:
    return code & 0xFFFFFFFF


def _error(code: int, *, reader: str | None = None, during_read: bool = False) -> BridgeError:
    """The one translation of a PC/SC return code into a bridge error."""
    code = _u(code)
    details = {"pcsc": f"0x{code:08X}"}
    if reader:
        details["reader"] = reader
    if code in SERVICE_LOST:
        return PcscUnavailableError(**details)
    if code in CARD_GONE:
        return CardRemovedError(**details) if during_read else NoCardError(**details)
    if code in READER_GONE:
        return CardRemovedError(**details) if during_read else ReaderNotFoundError(**details)
    if code == _u(s.SCARD_E_SHARING_VIOLATION):
        return ReaderBusyError(**details)
    if code in TRANSIENT:
        error = CardCommunicationError(
            "The card was reset or the reader dropped the exchange (another program may be using "
            "the card). Retry.", **details
        )
        error.retryable = True
        return error
    if code == _u(s.SCARD_E_TIMEOUT):
        return TimedOutError(**details)
    if code == _u(s.SCARD_W_UNRESPONSIVE_CARD):
        return CardCommunicationError(
            "The card does not respond. Check that it is inserted the right way round.", **details
        )
    return CardCommunicationError(
        f"The smart-card service reported an error ({s.SCardGetErrorMessage(code)}). Retry.", **details
    )


class PcscConnection:
    """One card connection, on a PC/SC context of its own.

    pcsc-lite serialises the calls made on one context: a read waiting in
    SCardBeginTransaction for another read's transaction would otherwise stop that read's
    SCardTransmit, the watcher's listing and SCardCancel — a deadlock. Own contexts are cheap
    (one socket to pcscd; the driver pools them so a read does not pay for a new one) and make
    reads independent.
    """

    def __init__(
        self, hcard: int, protocol: int, reader: str, atr: bytes,
        context: int | None = None, release: Callable[[int], None] | None = None,
    ) -> None:
        self._context = context
        self._release = release
        self._hcard: int | None = hcard
        self._protocol = protocol
        self.reader = reader
        self.atr = atr

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        hresult, response = s.SCardTransmit(self._hcard, self._protocol, list(apdu))
        if hresult != OK:
            raise self._failure(_error(hresult, reader=self.reader, during_read=True))
        if len(response) < 2:
            raise self._failure(CardCommunicationError(reader=self.reader, reason="shortResponse"))
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def _failure(self, error: BridgeError) -> BridgeError:
        """Tell a card pulled out from a card that misbehaved.

        A card pulled out mid-exchange first shows up as a failed or empty transmit
        (``SCARD_E_NOT_TRANSACTED``, no status word); the reader driver only reports the
        removal at its next presence poll (pcscd polls every 400 ms). Wait for that verdict,
        briefly, so the client gets CARD_REMOVED rather than a vague card error.
        """
        if isinstance(error, CardRemovedError):
            return error
        deadline = time.monotonic() + REMOVAL_VERDICT
        while time.monotonic() < deadline:
            hresult, _name, state, _proto, _atr = s.SCardStatus(self._hcard)
            if _u(hresult) in CARD_GONE or _u(hresult) in READER_GONE or (
                hresult == OK and not state & PRESENT_STATES
            ):
                return CardRemovedError(reader=self.reader)
            if hresult != OK:
                break
            time.sleep(0.02)
        return error

    @contextmanager
    def transaction(self) -> Iterator[None]:
        hresult = s.SCardBeginTransaction(self._hcard)
        if hresult != OK:
            raise _error(hresult, reader=self.reader, during_read=True)
        try:
            yield
        finally:
            s.SCardEndTransaction(self._hcard, s.SCARD_LEAVE_CARD)

    def close(self) -> None:
        if self._hcard is not None:
            with contextlib.suppress(Exception):
                s.SCardDisconnect(self._hcard, s.SCARD_LEAVE_CARD)
            self._hcard = None
        if self._context is not None and self._release is not None:
            self._release(self._context)  # back to the driver's pool, for the next read
        self._context = None


class PcscDriver:
    name = "pcsc"
    fresh_listing = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: int | None = None  # for listing and connecting
        self._watch_context: int | None = None  # only for the blocking GetStatusChange
        self._watch_states: dict[str, int] = {}
        #: Contexts for card connections, one per open connection, reused (see PcscConnection).
        self._pool: list[int] = []
        #: Set by cancel(): a wait that had not started blocking yet must not block either.
        self._cancelled = threading.Event()
        #: Counts the PC/SC services lost (pcscd restarted): a new pcscd counts card events
        #: from zero again, so the generation is (epoch << 16) | the reader's event counter.
        self._epoch = 0

    # --- contexts --------------------------------------------------------------------------

    @staticmethod
    def _establish() -> int:
        hresult, context = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
        if hresult != OK:
            raise PcscUnavailableError(pcsc=f"0x{_u(hresult):08X}")
        return int(context)

    def _ctx(self) -> int:
        with self._lock:
            if self._context is None:
                self._context = self._establish()
            return self._context

    def _drop(self, context: int | None) -> None:
        """Forget a context that PC/SC no longer knows (pcscd restarted)."""
        with self._lock:
            self._epoch += 1
            if context is not None and context == self._context:
                self._context = None
            if context is not None and context == self._watch_context:
                self._watch_context = None
                self._watch_states = {}
        if context is not None:
            with contextlib.suppress(Exception):  # already gone with the old pcscd
                s.SCardReleaseContext(context)

    def open(self) -> None:
        # Contexts are established lazily, so a bridge starts even without pcscd.
        self._cancelled.clear()

    def close(self) -> None:
        for context in (self._context, self._watch_context):
            self._drop(context)
        self._forget_pool()

    # --- Driver interface ------------------------------------------------------------------

    def _list(self, context: int) -> list[str]:
        hresult, names = s.SCardListReaders(context, [])
        if _u(hresult) == _u(s.SCARD_E_NO_READERS_AVAILABLE):
            return []
        if hresult != OK:
            if _u(hresult) in SERVICE_LOST:
                self._drop(context)
            raise _error(hresult)
        return list(names)

    def _states(self, context: int, names: list[str], *, again: bool = True) -> Snapshot:
        if not names:
            return {}
        hresult, states = s.SCardGetStatusChange(context, 0, [(n, s.SCARD_STATE_UNAWARE) for n in names])
        if hresult != OK:
            if _u(hresult) in SERVICE_LOST:
                self._drop(context)
                raise _error(hresult)
            if again and (_u(hresult) in READER_GONE or _u(hresult) == _u(s.SCARD_E_TIMEOUT)):
                # A reader went away between the listing and this look: list once more.
                return self._states(context, self._list(context), again=False)
            raise _error(hresult)
        return {name: self._reader_state(name, event, atr) for name, event, atr in states}

    def _reader_state(self, name: str, event: int, atr: list[int]) -> ReaderState:
        """pcsc-lite (and Windows) put the reader's card-event count in the high word of
        dwEventState: it moves at every insertion and removal pcscd sees."""
        present = bool(event & s.SCARD_STATE_PRESENT) and not event & s.SCARD_STATE_MUTE
        generation = (self._epoch << 16) | ((event >> 16) & 0xFFFF)
        return ReaderState(name, bytes(atr) if present and atr else None, generation)

    def readers(self) -> Snapshot:
        # A context that died with a restarted pcscd is dropped by _list: one more try, on a
        # new context, tells "pcscd restarted" (answer) from "pcscd is down" (raise).
        for attempt in (1, 2):
            context = self._ctx()
            try:
                return self._states(context, self._list(context))
            except PcscUnavailableError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _lease(self) -> int:
        with self._lock:
            if self._pool:
                return self._pool.pop()
        return self._establish()

    def _give_back(self, context: int) -> None:
        with self._lock:
            if len(self._pool) < 4:
                self._pool.append(context)
                return
        with contextlib.suppress(Exception):
            s.SCardReleaseContext(context)

    def _forget_pool(self) -> None:
        """pcscd went away: the pooled contexts died with it."""
        with self._lock:
            pool, self._pool = self._pool, []
        for context in pool:
            with contextlib.suppress(Exception):
                s.SCardReleaseContext(context)

    def connect(self, reader: str) -> PcscConnection:
        # A pooled context may have died with a restarted pcscd: then try once with a new one.
        for attempt in (1, 2):
            context = self._lease()  # a context per open connection: see PcscConnection
            hresult, hcard, protocol = s.SCardConnect(
                context, reader, s.SCARD_SHARE_SHARED, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1
            )
            if hresult == OK:
                break
            if _u(hresult) in SERVICE_LOST:
                with contextlib.suppress(Exception):
                    s.SCardReleaseContext(context)
                self._forget_pool()
                self._drop(self._context)  # the shared context died with pcscd too
                if attempt == 1:
                    continue
            else:
                self._give_back(context)
            raise _error(hresult, reader=reader)
        hresult, _name, _state, _proto, atr = s.SCardStatus(hcard)
        if hresult != OK:
            s.SCardDisconnect(hcard, s.SCARD_LEAVE_CARD)
            self._give_back(context)
            raise _error(hresult, reader=reader)
        return PcscConnection(hcard, protocol, reader, bytes(atr), context, self._give_back)

    def wait_for_change(self, known: Snapshot, timeout: float) -> Snapshot:
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._watch_context is None:
                self._watch_context = self._establish()
            context = self._watch_context
        current = self._states(context, self._list(context))
        if current != known:
            return current
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._cancelled.is_set():
                return current
            states = [(name, self._watch_states.get(name, s.SCARD_STATE_UNAWARE)) for name in current]
            pnp = self._watch_states.get(PNP_READER, len(current) << 16)
            states.append((PNP_READER, pnp))
            # Readers we have not seen yet start from their present state, not UNAWARE
            # (which would return at once).
            for i, (name, state) in enumerate(states):
                if state == s.SCARD_STATE_UNAWARE and name in current:
                    st = current[name]
                    states[i] = (name, (s.SCARD_STATE_PRESENT if st.atr else s.SCARD_STATE_EMPTY) | ((st.generation & 0xFFFF) << 16))
            hresult, events = s.SCardGetStatusChange(context, max(1, int(remaining * 1000)), states)
            code = _u(hresult)
            if code == _u(s.SCARD_E_TIMEOUT):
                return current
            if code == _u(s.SCARD_E_CANCELLED):
                return current
            if hresult != OK:
                if code in SERVICE_LOST or code == _u(s.SCARD_E_NO_SERVICE):
                    self._drop(context)
                    raise PcscUnavailableError(pcsc=f"0x{code:08X}")
                # A reader vanished between the listing and the wait: look again.
                return self._states(context, self._list(context))
            for name, event, _atr in events:
                self._watch_states[name] = event & ~s.SCARD_STATE_CHANGED
            current_after = self._states(context, self._list(context))
            if current_after != known:
                return current_after

    def cancel(self) -> None:
        self._cancelled.set()
        context = self._watch_context
        if context is not None:
            with contextlib.suppress(Exception):  # released meanwhile: nothing to wake
                s.SCardCancel(context)
