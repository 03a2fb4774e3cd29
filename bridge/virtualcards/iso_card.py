"""A virtual card with a file system: ISO 7816-4 SELECT and READ BINARY, T=0 style.

Shared by the Vitale 2 and CPS cards. The answers (see docs/virtual-cards.md):

* SELECT (``A4``): P1 ``00`` FID (``3F00`` = MF; else a child of the current DF, then of the
  MF), ``01`` child DF, ``02`` EF of the current DF, ``04`` DF name (exact), ``08`` path from
  the MF, ``09`` path from the current DF (a leading ``3F00`` allowed); P2 ``00``/``04``
  answer ``61 xx`` and the FCP comes with GET RESPONSE, P2 ``0C`` answers ``90 00``.
  Not found ``6A 82``; other P1/P2 ``6A 86``; FID of the wrong length ``67 00``.
* READ BINARY (``B0``): P1 bit 8 set = short file identifier in P1 bits 1-5 and offset P2
  (the EF becomes current); else a 15-bit offset in the current EF (``69 86`` when none).
  Protected EF ``69 82``; offset at or past the end ``6B 00``; Ne bytes when the file has
  that many from the offset, else ``6C <bytes left>``.
"""

from __future__ import annotations

from bridge.virtualcards import apdu
from bridge.virtualcards.apdu import SW, Command, sw_bytes
from bridge.virtualcards.card import VirtualCard
from bridge.virtualcards.filesystem import DF, EF

MF_FID = 0x3F00


class IsoCard(VirtualCard):
    def __init__(self, atr: bytes, mf: DF) -> None:
        self.mf = mf
        self.current_df: DF = mf
        self.current_ef: EF | None = None
        super().__init__(atr)

    def on_reset(self) -> None:
        self.current_df = self.mf
        self.current_ef = None

    def process(self, cmd: Command) -> bytes:
        if cmd.cla != 0x00:
            return sw_bytes(SW.CLA_NOT_SUPPORTED)
        if cmd.ins == apdu.INS_SELECT:
            return self.select(cmd)
        if cmd.ins == apdu.INS_READ_BINARY:
            return self.read_binary(cmd)
        return self.other(cmd)

    def other(self, cmd: Command) -> bytes:
        return sw_bytes(SW.INS_NOT_SUPPORTED)

    # --- SELECT -----------------------------------------------------------------------------------
    def select(self, cmd: Command) -> bytes:
        if cmd.p2 not in (0x00, 0x04, 0x0C):
            return sw_bytes(SW.INCORRECT_P1P2)
        try:
            found = self._find(cmd.p1, cmd.data)
        except ValueError:
            return sw_bytes(SW.WRONG_LENGTH)
        if found is None:
            return sw_bytes(SW.FILE_NOT_FOUND)
        if isinstance(found, str):  # "p1": a P1 this card does not know
            return sw_bytes(SW.INCORRECT_P1P2)
        if isinstance(found, DF):
            self.current_df, self.current_ef = found, None
        else:
            df, ef = found
            self.current_df, self.current_ef = df, ef
        if cmd.p2 == 0x0C:
            return sw_bytes(SW.OK)
        fcp = found.fcp() if isinstance(found, DF) else found[1].fcp()
        return self.outgoing(fcp)

    def _find(self, p1: int, data: bytes) -> DF | tuple[DF, EF] | str | None:
        if p1 == 0x04:
            return self.mf.by_name(data) if data else None
        if p1 in (0x00, 0x01, 0x02):
            if p1 == 0x00 and not data:
                return self.mf
            if len(data) != 2:
                raise ValueError("FID")
            fid = int.from_bytes(data, "big")
            if fid == MF_FID and p1 == 0x00:
                return self.mf
            for df in (self.current_df, self.mf):
                if p1 in (0x00, 0x01) and (child := df.df(fid)):
                    return child
                if p1 in (0x00, 0x02) and (ef := df.ef(fid)):
                    return (df, ef)
            return None
        if p1 in (0x08, 0x09):
            if not data or len(data) % 2:
                raise ValueError("path")
            fids = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
            df = self.mf if p1 == 0x08 else self.current_df
            if fids[0] == MF_FID:
                df, fids = self.mf, fids[1:]
            for i, fid in enumerate(fids):
                last = i == len(fids) - 1
                if (child := df.df(fid)) is not None:
                    df = child
                    continue
                if last and (ef := df.ef(fid)) is not None:
                    return (df, ef)
                return None
            return df
        return "p1"

    # --- READ BINARY ------------------------------------------------------------------------------
    def read_binary(self, cmd: Command) -> bytes:
        if cmd.p1 & 0x80:
            if cmd.p1 & 0x60:
                return sw_bytes(SW.INCORRECT_P1P2)
            ef = self.current_df.ef_by_sfi(cmd.p1 & 0x1F)
            if ef is None:
                return sw_bytes(SW.FILE_NOT_FOUND)
            self.current_ef = ef
            offset = cmd.p2
        else:
            ef = self.current_ef
            if ef is None:
                return sw_bytes(SW.NO_CURRENT_EF)
            offset = (cmd.p1 << 8) | cmd.p2
        if ef.protected:
            return sw_bytes(SW.SECURITY_STATUS)
        if cmd.ne is None:
            return sw_bytes(SW.WRONG_LENGTH)
        if offset >= ef.size:
            return sw_bytes(SW.WRONG_OFFSET)
        return self.exact(cmd, ef.content[offset:])
