"""Command APDUs as a virtual card receives them, and the status words it answers.

The card side of ISO 7816-4 short APDUs only: a virtual card parses what vpcd forwards (the
application's APDU exactly as sent, since vpcd does no T=0 transformation) and answers bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

# Status words the virtual cards answer (ISO 7816-4 names).
SW_OK = 0x9000
SW_BYTES_REMAINING = 0x6100  # | remaining: data waits for GET RESPONSE (T=0)
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_STATUS = 0x6982  # security status not satisfied (protected file)
SW_CONDITIONS = 0x6985  # conditions of use not satisfied (e.g. nothing to GET RESPONSE)
SW_NO_CURRENT_EF = 0x6986
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_WRONG_OFFSET = 0x6B00
SW_EXACT_LENGTH = 0x6C00  # | exact Le: resend the same command with this Le (T=0)
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0
INS_GET_RESPONSE = 0xC0
INS_GET_DATA_BER = 0xCB


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
