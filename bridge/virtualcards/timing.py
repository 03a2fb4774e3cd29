"""How long a real card takes to answer: the ISO/IEC 7816-3 character timing, from the ATR.

A contact card talks at one *elementary time unit* (etu) per bit::

    etu = Fi / (Di · f)

with Fi (clock rate conversion) and Di (baud rate adjustment) from the ATR's TA1 (Fi = 372,
Di = 1 when there is no TA1) and f the clock the reader gives the card (4 MHz here by default;
ISO 7816-3 allows 1-5 MHz for the default Fi, readers commonly use 3.5-4.8 MHz). A character
costs 12 etu in T=0 (start bit, 8 data bits, parity, 2 etu of guard time) plus the extra guard
time N of TC1 (N = 255 means none). So:

* Vitale 2 (``3B 75 13 ..``: TA1 = 13, Fi 372, Di 4): etu 23.25 µs, 279 µs a byte, ~3.6 kB/s;
* CPS3 (``3B AC ..``: no TA1, Fi 372, Di 1): etu 93 µs, 1.116 ms a byte, ~0.9 kB/s.

(The reader is assumed to have switched to TA1's speed with a PPS exchange, as PC/SC readers
do; the ATR itself always comes at Fi 372, Di 1.)

One T=0 command moves: the 5-byte header (CLA INS P1 P2 P3), one procedure byte (the ACK that
lets data flow) when data goes either way, the command data, the response data, and SW1 SW2.
To that comes the card's own *processing time* per command: :data:`DEFAULT_PROCESSING` (1 ms),
an assumption, not a measurement: no public figures of a carte Vitale or CPS exist, and 1 ms
is the order of a native (non-Java) card OS answering SELECT or READ BINARY from EEPROM.
Both the clock and the processing time are configurable (``vitale-bridge simulate --clock-mhz
--processing-ms``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Reader clock given to the card, in Hz (ISO 7816-3 default range 1-5 MHz; 4 MHz is common).
DEFAULT_CLOCK_HZ = 4_000_000
#: Card processing time per command, in seconds (an assumption: see the module docstring).
DEFAULT_PROCESSING = 0.001

# ISO/IEC 7816-3 table 7 (Fi, from TA1's high nibble) and table 8 (Di, from its low nibble).
_FI = (372, 372, 558, 744, 1116, 1488, 1860, None, None, 512, 768, 1024, 1536, 2048, None, None)
_DI = (None, 1, 2, 4, 8, 16, 32, 64, 12, 20, None, None, None, None, None, None)

#: etu per character in T=0 before the extra guard time N of TC1.
CHARACTER_ETU = 12
T0_HEADER = 5


@dataclass(frozen=True)
class AtrParameters:
    """What the ATR says about speed: Fi, Di and the extra guard time N (in etu)."""

    fi: int = 372
    di: int = 1
    extra_guard: int = 0

    @classmethod
    def from_atr(cls, atr: bytes) -> AtrParameters:
        """Read TA1 and TC1 (the interface bytes of the first group); defaults when absent or RFU."""
        if len(atr) < 2:
            return cls()
        y1 = atr[1] >> 4
        pos = 2
        ta1: int | None = None
        tc1: int | None = None
        if y1 & 0x1:
            ta1 = atr[pos] if pos < len(atr) else None
            pos += 1
        if y1 & 0x2:
            pos += 1  # TB1: programming voltage, nothing to do with speed
        if y1 & 0x4:
            tc1 = atr[pos] if pos < len(atr) else None
        fi, di = 372, 1
        if ta1 is not None and _FI[ta1 >> 4] and _DI[ta1 & 0x0F]:
            fi, di = _FI[ta1 >> 4] or fi, _DI[ta1 & 0x0F] or di
        guard = 0 if tc1 in (None, 255) else tc1
        return cls(fi, di, guard)


@dataclass(frozen=True)
class TimingModel:
    """The time a card of a given ATR takes for one command-response pair."""

    clock_hz: float = DEFAULT_CLOCK_HZ
    processing: float = DEFAULT_PROCESSING

    def __post_init__(self) -> None:
        if not 1_000 <= self.clock_hz <= 20_000_000:
            raise ValueError("the reader clock must be between 1 kHz and 20 MHz")
        if not 0 <= self.processing <= 1.0:
            raise ValueError("the processing time must be between 0 and 1 s per command")

    def etu(self, params: AtrParameters) -> float:
        return params.fi / (params.di * self.clock_hz)

    def byte_time(self, params: AtrParameters) -> float:
        return (CHARACTER_ETU + params.extra_guard) * self.etu(params)

    @staticmethod
    def characters(command: bytes, response: bytes) -> int:
        """Characters on the I/O line for one T=0 exchange of *command* and *response*.

        A case-4 APDU goes out as a case-3 TPDU (its Le byte is not sent); a 4-byte APDU gets
        P3 = 00. The response is its data and SW1 SW2.
        """
        data_out = 0
        if len(command) > 5:
            data_out = command[4]
        data_in = max(0, len(response) - 2)
        ack = 1 if (data_out or data_in) else 0
        return T0_HEADER + ack + data_out + data_in + 2

    def exchange(self, atr: bytes | AtrParameters, command: bytes, response: bytes) -> float:
        """Seconds from the first header byte to the last status byte, processing included."""
        params = atr if isinstance(atr, AtrParameters) else AtrParameters.from_atr(atr)
        return self.characters(command, response) * self.byte_time(params) + self.processing
