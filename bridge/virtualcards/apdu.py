"""Command APDUs as a virtual card receives them, the status words it answers, and its AIDs.

The card side of ISO 7816-4 short APDUs only: a virtual card parses what it is given (the
application's APDU exactly as sent: vpcd does no T=0 transformation, nor does the simulator
driver) and answers bytes.

Status words are the card layer's :class:`bridge.iso7816.SW` (numbers of the standard; the
bench tests pin the bytes literally). The AIDs are spelt here again, on purpose: they are what
the reader must find on the card, and a reader with a wrong AID must fail against these cards,
which it could not if both sides read the same constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bridge.iso7816 import SW

__all__ = ["AID", "SW", "Command", "MalformedApdu", "sw_bytes"]

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_GET_RESPONSE = 0xC0
INS_GET_DATA_BER = 0xCB


class AID(bytes, Enum):
    """Application identifiers (DF names) of the virtual cards, from the public card notes."""

    MF_VITALE = bytes.fromhex("D2500000024D465F564954414C45")  # "MF_VITALE"
    VITALE = bytes.fromhex("D250000002564954414C45")  # "VITALE"
    CPX = bytes.fromhex("E828BD080F80250000 01FF0010".replace(" ", ""))  # IAS-ECC CPx, contact


class MalformedApdu(ValueError):
    """The bytes are not a short APDU (answered 67 00)."""


@dataclass(frozen=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    #: Expected length Ne (1..256; a Le byte of 00 means 256), or None when absent.
    ne: int | None = None

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        """Short APDU cases 1-4. A 5-byte APDU is case 2 (P3 = Le), as a T=0 TPDU is."""
        if len(raw) < 4:
            raise MalformedApdu(f"{len(raw)} bytes")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, ne=body[0] or 256)
        lc = body[0]
        if lc == 0 or len(body) not in (1 + lc, 2 + lc):
            raise MalformedApdu("Lc does not match the data")
        data = bytes(body[1 : 1 + lc])
        ne = None if len(body) == 1 + lc else (body[-1] or 256)
        return cls(cla, ins, p1, p2, data, ne)


def sw_bytes(sw: int) -> bytes:
    return sw.to_bytes(2, "big")
