"""BER-TLV encoding for the virtual cards' files (tags given as hex strings, as in profiles)."""

from __future__ import annotations


def length(n: int) -> bytes:
    """BER length: short form up to 127, long form (81 xx, 82 xx xx) above."""
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return b"\x82" + n.to_bytes(2, "big")
    raise ValueError(f"TLV value too long: {n} bytes")


def tlv(tag: str | int, value: bytes) -> bytes:
    """One element. *tag* is ``"65"``, ``"7F21"`` or an int below 0x100."""
    tag_bytes = bytes.fromhex(tag) if isinstance(tag, str) else bytes([tag])
    return tag_bytes + length(len(value)) + value

