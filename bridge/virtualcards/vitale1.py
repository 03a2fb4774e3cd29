"""The virtual carte Vitale 1: an ATR (inverse convention) and the ``BC`` class only.

Its memory map is not public, so the bench offers just what lets a reader *detect* it and say
"unsupported": ``BC C0 00 00 08`` answers 8 bytes (ADMAX) + ``90 00`` (``6C 08`` for another
Le); any other ``BC`` instruction ``6D 00``; any other class ``6E 00``.
"""

from __future__ import annotations

from bridge.profiles import VitaleProfile
from bridge.virtualcards.apdu import SW, Command, sw_bytes
from bridge.virtualcards.card import VirtualCard

CLA_B0 = 0xBC
INS_ADMAX = 0xC0
#: Arbitrary but fixed: the real ADMAX encoding is not public.
ADMAX = bytes.fromhex("0000218000000288")


class Vitale1Card(VirtualCard):
    card_type = "vitale1"

    def __init__(self, profile: VitaleProfile) -> None:
        self.profile = profile
        super().__init__(bytes.fromhex(profile.atr))

    def get_response_classes(self) -> tuple[int, ...]:
        return ()  # C0 is ADMAX in class BC; class 00 is unknown to this card

    def process(self, cmd: Command) -> bytes:
        if cmd.cla != CLA_B0:
            return sw_bytes(SW.CLA_NOT_SUPPORTED)
        if cmd.ins == INS_ADMAX and cmd.p1 == 0 and cmd.p2 == 0:
            if cmd.ne != len(ADMAX):
                return sw_bytes(SW.EXACT_LENGTH | len(ADMAX))
            return ADMAX + sw_bytes(SW.OK)
        return sw_bytes(SW.INS_NOT_SUPPORTED)
