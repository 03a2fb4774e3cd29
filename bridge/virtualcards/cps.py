"""The virtual CPS (CPx) card: ATR, the card-number file, the PIN try counters. Never a PIN.

* ``00 A4 09 04 04 3F 00 D0 03`` (and the other SELECT forms of :mod:`iso_card`) -> ``61 xx``;
  the FCP of EF D003 with GET RESPONSE.
* ``00 B0 00 00 0C`` -> ``5A 0A <card number, 10 bytes>`` ``90 00`` (``6C 0C`` for Le 00).
* ``00 CB 3F FF 0A 4D 08 70 06 BF 81 01 02 A0 80`` (GET DATA, PIN 01 counters) -> ``61 xx``;
  GET RESPONSE gives ``70 {BF81 01 {A0 {9A 01 max, 9B 01 remaining}}}``.
* SELECT of the IAS-ECC CPx application AID -> ``61 xx`` (FCP with the DF name).
* VERIFY and every other instruction ``6D 00``: PINs are entered through PKCS#11, not here.
"""

from __future__ import annotations

from bridge.profiles import CpsProfile
from bridge.virtualcards import apdu
from bridge.virtualcards.apdu import AID, SW, Command, sw_bytes
from bridge.virtualcards.filesystem import DF, EF
from bridge.virtualcards.iso_card import IsoCard
from bridge.virtualcards.tlv import tlv

EF_CARD_NUMBER = 0xD003
GET_DATA_PIN_COUNTERS = bytes.fromhex("4D087006BF810102A080")


def build_tree(profile: CpsProfile) -> DF:
    mf = DF(fid=0x3F00)
    number = bytes.fromhex(profile.card_number)
    mf.efs.append(EF(EF_CARD_NUMBER, tlv(0x5A, number)))
    mf.add(DF(name=AID.CPX))
    return mf


class CpsCard(IsoCard):
    profile: CpsProfile

    def __init__(self, profile: CpsProfile) -> None:
        self.profile = profile
        self.card_type = profile.card_type
        super().__init__(bytes.fromhex(profile.atr), build_tree(profile))

    def other(self, cmd: Command) -> bytes:
        if cmd.ins == apdu.INS_GET_DATA_BER:
            if (cmd.p1, cmd.p2) != (0x3F, 0xFF):
                return sw_bytes(SW.INCORRECT_P1P2)
            if cmd.data != GET_DATA_PIN_COUNTERS:
                return sw_bytes(SW.REFERENCE_NOT_FOUND)  # referenced data not found
            counters = tlv(0x9A, bytes([self.profile.pin_tries_max])) + tlv(
                0x9B, bytes([self.profile.pin_tries_remaining])
            )
            return self.outgoing(tlv(0x70, tlv("BF8101", tlv(0xA0, counters))))
        return sw_bytes(SW.INS_NOT_SUPPORTED)
