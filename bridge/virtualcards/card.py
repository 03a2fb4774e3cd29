"""What every virtual card shares: power state, and the T=0 transport behaviours.

Contact Vitale and CPS cards speak T=0, so a correct reader must cope with two procedures that
T=1 cards never show: ``61 xx`` (the answer waits; fetch it with GET RESPONSE ``00 C0 00 00 xx``)
and ``6C xx`` (wrong Le; resend the same command with Le = xx). The base class implements both
once, so each card module only says *what* it answers:

* :meth:`VirtualCard.outgoing` — the answer of a case-4 command (SELECT returning an FCP,
  GET DATA): always ``61 xx``, the data then comes with GET RESPONSE;
* :meth:`VirtualCard.exact` — the answer of a case-2 command (READ BINARY): the data when Ne
  fits, ``6C xx`` when Ne asks for more than there is.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from bridge.virtualcards import apdu
from bridge.virtualcards.apdu import SW, Command, sw_bytes
from bridge.virtualcards.timing import AtrParameters, TimingModel

if TYPE_CHECKING:
    from bridge.profiles import Profile

#: Below this, pacing spins instead of sleeping (sleep overshoots by ~0.1 ms on Linux).
_SPIN = 0.0003


def pace_until(deadline: float) -> None:
    """Wait until ``time.perf_counter()`` reaches *deadline*: sleep, then spin the last bit."""
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        if left > _SPIN:
            time.sleep(left - _SPIN)


class VirtualCard(ABC):
    #: Card type as the bridge names it (``vitale2``, ``cps3``...).
    card_type: str = "unknown"
    #: The profile the card serves (set by each card's constructor).
    profile: Profile

    def __init__(self, atr: bytes) -> None:
        self.atr = atr
        self._pending = b""  # answer waiting for GET RESPONSE
        self.powered = False
        #: None: answers at once ("instant"); a model: answers in a real card's time ("real").
        self.timing: TimingModel | None = None
        self._speed = AtrParameters.from_atr(atr)

    # --- power (vpcd control bytes) -----------------------------------------------------------
    def power_on(self) -> None:
        self.powered = True
        self.reset()

    def power_off(self) -> None:
        self.powered = False

    def reset(self) -> None:
        """Back to the state after ATR: no selection, nothing pending."""
        self._pending = b""
        self.on_reset()

    def on_reset(self) -> None:  # noqa: B027 - an optional hook: most cards keep no other state
        pass

    # --- APDUs ------------------------------------------------------------------------------------
    def transmit(self, raw: bytes) -> bytes:
        """One C-APDU in, one R-APDU out. Never raises: every input gets a status word."""
        try:
            cmd = Command.parse(raw)
        except apdu.MalformedApdu:
            self._pending = b""
            return sw_bytes(SW.WRONG_LENGTH)
        if cmd.ins == apdu.INS_GET_RESPONSE and cmd.cla in self.get_response_classes():
            return self._get_response(cmd)
        self._pending = b""  # T=0: GET RESPONSE must follow at once
        try:
            return self.process(cmd)
        except Exception:  # noqa: BLE001 - a card never crashes the bench
            return sw_bytes(SW.NO_PRECISE_DIAGNOSIS)

    def transmit_paced(self, raw: bytes) -> bytes:
        """:meth:`transmit`, answered no sooner than the real card would (see :mod:`.timing`).

        The carriers (vpcd link, simulator driver) call this one; the time spent computing the
        answer counts towards the modelled time, so a command never takes more than the model
        plus the carrier's own cost.
        """
        start = time.perf_counter()
        response = self.transmit(raw)
        if self.timing is not None:
            pace_until(start + self.modelled_time(raw, response))
        return response

    def modelled_time(self, raw: bytes, response: bytes) -> float:
        """Seconds a real card with this ATR takes for this exchange (0 without a model)."""
        return self.timing.exchange(self._speed, raw, response) if self.timing else 0.0

    def get_response_classes(self) -> tuple[int, ...]:
        return (0x00,)

    @abstractmethod
    def process(self, cmd: Command) -> bytes:
        """Answer one command (GET RESPONSE excepted): data + SW as bytes."""

    # --- T=0 helpers -----------------------------------------------------------------------------
    def outgoing(self, data: bytes) -> bytes:
        """A case-4 answer: ``61 xx`` now, the data with GET RESPONSE (xx = 00 means 256)."""
        if not data:
            return sw_bytes(SW.OK)
        self._pending = data
        return sw_bytes(SW.BYTES_REMAINING | (len(data) & 0xFF))

    @staticmethod
    def exact(cmd: Command, available: bytes) -> bytes:
        """A case-2 answer: Ne bytes when there are enough, else ``6C <what there is>``.

        A T=0 card cannot send fewer bytes than P3 announces, so it asks for the exact length.
        """
        if cmd.ne is None:
            return sw_bytes(SW.WRONG_LENGTH)
        if not available:
            return sw_bytes(SW.WRONG_OFFSET)
        if len(available) >= cmd.ne:
            return available[: cmd.ne] + sw_bytes(SW.OK)
        return sw_bytes(SW.EXACT_LENGTH | len(available))

    def _get_response(self, cmd: Command) -> bytes:
        if cmd.p1 or cmd.p2:
            self._pending = b""
            return sw_bytes(SW.INCORRECT_P1P2)
        pending = self._pending
        if not pending:
            return sw_bytes(SW.CONDITIONS_OF_USE)
        if cmd.ne is None:
            return sw_bytes(SW.WRONG_LENGTH)
        if cmd.ne > len(pending):
            # Keep the answer: the reader resends GET RESPONSE with the exact length.
            return sw_bytes(SW.EXACT_LENGTH | len(pending))
        chunk, rest = pending[: cmd.ne], pending[cmd.ne :]
        self._pending = rest
        if rest:
            return chunk + sw_bytes(SW.BYTES_REMAINING | (min(len(rest), 256) & 0xFF))
        return chunk + sw_bytes(SW.OK)
