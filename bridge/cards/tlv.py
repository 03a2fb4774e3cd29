"""BER-TLV as Vitale 2 and CPS cards write it (ISO 7816-4 / X.690 subset).

Cards pad files with ``00`` (and sometimes ``FF``) bytes between or after objects, use
multi-byte tags (``7F21``, ``5F37``) and long-form lengths (``81 xx``, ``82 xx xx``). A length
that runs past the end of the data means the card (or the read) is wrong: that is reported as
:class:`~bridge.errors.CardCommunicationError`, never as a crash or a silently shortened value.
Constructed values are parsed on demand (:meth:`Tlv.children`) so an odd template the reader
does not use can never make a read fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from bridge.errors import CardCommunicationError

#: Bytes ISO 7816-4 allows between BER-TLV objects; at a tag position they are skipped.
PADDING = (0x00, 0xFF)

#: Deepest nesting accepted by :func:`walk` (real files have 3 levels).
MAX_DEPTH = 8


class Tlv(NamedTuple):
    """One object: the tag as an int (``0x7F21`` for two bytes) and the raw value."""

    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        """Bit 6 of the first tag byte: the value is itself a list of TLV objects."""
        first = self.tag
        while first > 0xFF:
            first >>= 8
        return bool(first & 0x20)

    @property
    def tag_hex(self) -> str:
        return tag_to_hex(self.tag)

    def children(self) -> list[Tlv]:
        return parse(self.value)

    def find(self, tag: int) -> Tlv | None:
        """First direct child with *tag*, or None."""
        for child in self.children():
            if child.tag == tag:
                return child
        return None


def tag_to_hex(tag: int) -> str:
    width = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(width, "big").hex().upper()


def _malformed(what: str, offset: int) -> CardCommunicationError:
    return CardCommunicationError(
        "The card returned malformed data (" + what + "). Remove the card, insert it again and retry; "
        "if it happens again the card may be damaged.",
        reason="malformedTlv",
        offset=offset,
    )


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    tag = first
    pos += 1
    if first & 0x1F == 0x1F:  # multi-byte tag: following bytes while bit 8 is set
        while True:
            if pos >= len(data):
                raise _malformed("truncated tag", pos)
            b = data[pos]
            tag = (tag << 8) | b
            pos += 1
            if not b & 0x80:
                break
            if tag > 0xFFFFFFFF:
                raise _malformed("tag longer than 4 bytes", pos)
    return tag, pos


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise _malformed("missing length", pos)
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 3:  # indefinite form, or more than 16 MB: not a smart-card file
        raise _malformed("unsupported length form", pos - 1)
    if pos + count > len(data):
        raise _malformed("truncated length", pos)
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def parse(data: bytes) -> list[Tlv]:
    """All top-level TLV objects of *data*, skipping padding bytes between them."""
    out: list[Tlv] = []
    pos = 0
    n = len(data)
    while pos < n:
        first = data[pos]
        if first == 0x00 or first == 0xFF:
            pos += 1
            continue
        if first & 0x1F != 0x1F and pos + 1 < n and data[pos + 1] < 0x80:
            # The common case, one-byte tag and short length, without the helpers' calls.
            tag, length, pos = first, data[pos + 1], pos + 2
        else:
            tag, pos = _read_tag(data, pos)
            length, pos = _read_length(data, pos)
        end = pos + length
        if end > n:
            raise _malformed(f"length {length} runs past the end of the data", pos)
        out.append(Tlv(tag, bytes(data[pos:end])))
        pos = end
    return out


def complete(data: bytes) -> bool:
    """Whether *data* ends on an object boundary (False when the last object is cut short).

    Used to decide whether a file read in 256-byte steps needs another step.
    """
    try:
        parse(data)
    except CardCommunicationError:
        return False
    return True


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def encode(tag: int, value: bytes) -> bytes:
    """One TLV object (used by the simulator's virtual cards and by tests)."""
    width = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(width, "big") + encode_length(len(value)) + value


def walk(items: list[Tlv], depth: int = 0) -> Iterator[Tlv]:
    """Depth-first iteration over *items* and the children of constructed ones."""
    if depth > MAX_DEPTH:
        raise _malformed("nesting too deep", 0)
    for item in items:
        yield item
        if item.constructed:
            yield from walk(item.children(), depth + 1)
