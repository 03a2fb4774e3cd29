"""Names from ISO/IEC 7816-4 that the card layer and the virtual cards both speak."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["SW"]


class SW(IntEnum):
    """Status words by their ISO 7816-4 names (as yubikit's ``SW``).

    Shared by the card layer (:mod:`bridge.cards`) and the virtual cards
    (:mod:`bridge.virtualcards`): these are fixed numbers of the standard, and the bench tests
    pin the bytes the cards answer literally, so sharing the names cannot hide a wrong value on
    either side. They live here, beneath both, so neither package imports the other for them.
    ``BYTES_REMAINING`` and ``EXACT_LENGTH`` are families: the low byte carries a length (``SW.BYTES_REMAINING | 0x1C``).
    """

    OK = 0x9000
    BYTES_REMAINING = 0x6100  # | remaining: data waits for GET RESPONSE (T=0)
    WRONG_LENGTH = 0x6700
    SECURITY_STATUS = 0x6982  # security status not satisfied (protected file)
    AUTH_BLOCKED = 0x6983
    CONDITIONS_OF_USE = 0x6985  # e.g. nothing to GET RESPONSE
    NO_CURRENT_EF = 0x6986
    WRONG_DATA = 0x6A80
    FILE_NOT_FOUND = 0x6A82
    RECORD_NOT_FOUND = 0x6A83
    INCORRECT_P1P2 = 0x6A86
    REFERENCE_NOT_FOUND = 0x6A88
    WRONG_OFFSET = 0x6B00
    EXACT_LENGTH = 0x6C00  # | exact Le: resend the same command with this Le (T=0)
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00
    NO_PRECISE_DIAGNOSIS = 0x6F00
