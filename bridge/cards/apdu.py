"""APDUs: building commands, the T=0 response rules, and status words -> typed errors.

Vitale and CPS contact cards speak T=0 only, so two answers are not errors but instructions:

* ``61 xx``: xx response bytes are waiting; fetch them with GET RESPONSE (``00 C0 00 00 xx``),
  repeatedly while the card keeps answering ``61 xx``.
* ``6C xx``: wrong Le; send the same command again with Le = xx.

:meth:`ApduProcessor.send` applies both and then hands the final status word to
:func:`raise_for_status`, the only place where a status word becomes an exception: a
:class:`StatusWordError` kind carrying the status word, so a session can tell "protected by the
card" from "file absent". What a session does not handle leaves it as the public
:class:`~bridge.errors.CardCommunicationError` (code ``CARD_COMMUNICATION``, details ``sw``, ``ins``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bridge.cards.connection import Connection
from bridge.errors import CardCommunicationError, TimedOutError
from bridge.iso7816 import SW

#: Most GET RESPONSE rounds accepted for one command (a card looping on 61xx is broken).
MAX_RESPONSE_ROUNDS = 64
#: Default time budget for one read (all its APDUs), in seconds.
DEFAULT_TIMEOUT = 10.0


def command(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    """A short APDU (cases 1-4). ``le=0`` means "up to 256 bytes"."""
    out = bytes([cla, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le & 0xFF])
    return out


def with_le(apdu: bytes, le: int) -> bytes:
    """The same command with its Le replaced (or added): the ``6C xx`` rule."""
    if len(apdu) == 4:
        return apdu + bytes([le])
    lc = apdu[4]
    if len(apdu) == 5:  # case 2: the fifth byte is Le
        return apdu[:4] + bytes([le])
    return apdu[: 5 + lc] + bytes([le])


def sw_hex(sw: int) -> str:
    return f"{sw:04X}"


class StatusWordError(Exception):
    """The card refused a command; ``sw`` is the status word.

    Internal to the card layer, like yubikit's ``ApduError``: the sessions tell the kinds apart
    (a protected file is not an absent one) and turn whatever escapes them into the public
    :class:`~bridge.errors.CardCommunicationError` with :meth:`to_bridge_error`. Keeping these
    out of the public error tree keeps one wire code per class there.
    """

    what = "The card refused a command"

    def __init__(self, sw: int, ins: int) -> None:
        self.sw = sw
        self.ins = ins
        super().__init__(f"{self.what} (status {sw_hex(sw)}, instruction {ins:02X})")

    def to_bridge_error(self) -> CardCommunicationError:
        return CardCommunicationError(
            f"{self.what} (status {sw_hex(self.sw)}). Remove the card, insert it again and retry; "
            "if it happens again this card may not be supported.",
            sw=sw_hex(self.sw),
            ins=f"{self.ins:02X}",
        )


class SecurityStatusError(StatusWordError):
    """69 82 / 69 83 / 69 85 / 69 86: the data is protected (needs authentication)."""

    what = "The card protects this data"


class FileNotFoundOnCard(StatusWordError):
    """6A 82 / 6A 83 / 6A 86 / 6A 88 / 6B 00: the file or record is not on this card (or not there)."""

    what = "The card does not have the expected file"


class UnsupportedCommandError(StatusWordError):
    """6D 00 / 6E 00: the card does not know this command or class (another card type)."""

    what = "The card does not support the command"


class WrongLengthError(StatusWordError):
    """67 00 (or a 6C xx that did not settle): the card disagrees about lengths."""

    what = "The card refused the length of a command"


def raise_for_status(sw: int, ins: int) -> None:
    """The one place a status word becomes an exception. 9000 and 62xx warnings pass."""
    if sw == SW.OK or sw >> 8 == 0x62:
        return
    if sw in (SW.SECURITY_STATUS, SW.AUTH_BLOCKED, SW.CONDITIONS_OF_USE, SW.NO_CURRENT_EF):
        raise SecurityStatusError(sw, ins)
    if sw in (SW.FILE_NOT_FOUND, SW.RECORD_NOT_FOUND, SW.INCORRECT_P1P2, SW.WRONG_OFFSET, SW.REFERENCE_NOT_FOUND):
        raise FileNotFoundOnCard(sw, ins)
    if sw in (SW.INS_NOT_SUPPORTED, SW.CLA_NOT_SUPPORTED):
        raise UnsupportedCommandError(sw, ins)
    if sw == SW.WRONG_LENGTH or sw >> 8 == SW.EXACT_LENGTH >> 8:
        raise WrongLengthError(sw, ins)
    raise StatusWordError(sw, ins)


@dataclass
class Response:
    data: bytes
    sw: int


class ApduProcessor:
    """Sends APDUs on a :class:`Connection` with the T=0 rules and a time budget."""

    def __init__(self, connection: Connection, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.connection = connection
        self.deadline = time.monotonic() + timeout

    def _transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if time.monotonic() > self.deadline:
            raise TimedOutError("The card took too long to answer. Remove it, insert it again and retry.")
        return self.connection.transmit(apdu)

    def send(self, apdu: bytes, *, want_data: bool = True) -> Response:
        """Send *apdu*; follow ``6C xx`` and (when *want_data*) ``61 xx``; check the status.

        With ``want_data=False`` a ``61 xx`` is taken as success without fetching the bytes the
        card offers (a SELECT's FCI we do not use): T=0 lets the next command drop them, and
        it saves one exchange.
        """
        data, sw = self._transmit(apdu)
        if sw >> 8 == SW.EXACT_LENGTH >> 8:
            data, sw = self._transmit(with_le(apdu, sw & 0xFF))
        if sw >> 8 == SW.BYTES_REMAINING >> 8:
            if not want_data:
                return Response(data, SW.OK)
            chunks = [data]
            for _ in range(MAX_RESPONSE_ROUNDS):
                get_response = command(0x00, 0xC0, 0, 0, le=sw & 0xFF)
                more, sw = self._transmit(get_response)
                if sw >> 8 == SW.EXACT_LENGTH >> 8:
                    more, sw = self._transmit(with_le(get_response, sw & 0xFF))
                chunks.append(more)
                if sw >> 8 != SW.BYTES_REMAINING >> 8:
                    break
            data = b"".join(chunks)
        raise_for_status(sw, apdu[1])
        return Response(data, sw)
