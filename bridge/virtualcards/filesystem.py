"""A tiny ISO 7816-4 file tree for the virtual cards: DFs (found by FID or by name) holding
transparent EFs (found by FID or short file identifier), some of them protected.

Sizes are allocated sizes: content is padded with ``00`` up to the size, as on a real card
where a file is created larger than what it holds; readers must stop at the padding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bridge.virtualcards.tlv import tlv


def padded(content: bytes, *, step: int = 32) -> bytes:
    """Content followed by at least one ``00``, up to the next multiple of *step*."""
    size = -(-(len(content) + 1) // step) * step
    return content + bytes(size - len(content))


@dataclass
class EF:
    fid: int
    content: bytes
    sfi: int | None = None
    #: 8-character name listed in the Vitale directory file (EF 2001).
    label: str = ""
    #: Reading answers 69 82 (security status not satisfied): needs a CPx and the licensed API.
    protected: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    def fcp(self) -> bytes:
        """File control parameters: size, transparent working EF, FID, SFI, activated."""
        body = (
            tlv(0x80, self.size.to_bytes(2, "big"))
            + tlv(0x82, b"\x01")
            + tlv(0x83, self.fid.to_bytes(2, "big"))
            + (tlv(0x88, bytes([self.sfi << 3])) if self.sfi is not None else b"")
            + tlv(0x8A, b"\x05")
        )
        return tlv(0x62, body)


@dataclass
class DF:
    fid: int | None = None
    name: bytes | None = None  # AID / DF name
    efs: list[EF] = field(default_factory=list)
    dfs: list[DF] = field(default_factory=list)
    parent: DF | None = None

    def add(self, child: DF) -> DF:
        child.parent = self
        self.dfs.append(child)
        return child

    def fcp(self) -> bytes:
        body = tlv(0x82, b"\x38")
        if self.fid is not None:
            body += tlv(0x83, self.fid.to_bytes(2, "big"))
        if self.name:
            body += tlv(0x84, self.name)
        return tlv(0x62, body + tlv(0x8A, b"\x05"))

    def ef(self, fid: int) -> EF | None:
        return next((e for e in self.efs if e.fid == fid), None)

    def ef_by_sfi(self, sfi: int) -> EF | None:
        return next((e for e in self.efs if e.sfi == sfi), None)

    def df(self, fid: int) -> DF | None:
        return next((d for d in self.dfs if d.fid == fid), None)

    def walk(self) -> Iterator[DF]:
        yield self
        for d in self.dfs:
            yield from d.walk()

    def by_name(self, name: bytes) -> DF | None:
        return next((d for d in self.walk() if d.name == name), None)
