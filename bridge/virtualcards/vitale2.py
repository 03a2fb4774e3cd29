"""The virtual carte Vitale 2, built from a profile (see docs/virtual-cards.md for every answer).

Layout (the public facts of vitale-cards.md, with the bench's choices where they are silent)::

    MF 3F00, DF name "MF_VITALE"
      EF 2002 SFI 2  "IDENTITE"  65 {80 nom, 81 prénom, 82 date de naissance, 83 rang, extra tags}*
    DF "VITALE" (AID D2 50 00 00 02 56 49 54 41 4C 45)
      EF 2001 SFI 1  directory   E0 {A0 {82 entries} 80 entries}
      EF 2004 SFI 2  "NIR"       65 {93 NIR}*   (the i-th 65 matches the i-th of EF 2002)
      EF 2003 SFI 3  "CARTE"     66 {80 start, 81 end, 82 serial number}
      EF 2005 SFI 5  "CERTIF"    7F21 {5F37 signature, 5F38 key remainder} (BER long form)
      EF 2010 SFI 16 "AMO_ASSU"  protected: READ BINARY answers 69 82
      EF 2011 SFI 17 "AMO_BENE"  protected: READ BINARY answers 69 82

Both public reading styles work: Rufus (SELECT MF, READ BINARY SFI 2; SELECT AID VITALE, READ
BINARY SFI 2) and cardpeek (SELECT AID VITALE, SELECT EF 2001, read the directory, select and
read every listed EF). AMO data is never served: a real card needs a CPx and the licensed API.
"""

from __future__ import annotations

import hashlib

from bridge.profiles import VitaleProfile
from bridge.virtualcards.apdu import AID
from bridge.virtualcards.filesystem import DF, EF, padded
from bridge.virtualcards.iso_card import IsoCard
from bridge.virtualcards.tlv import tlv

EF_DIRECTORY, EF_IDENTITE, EF_CARTE, EF_NIR, EF_CERTIF = 0x2001, 0x2002, 0x2003, 0x2004, 0x2005
EF_AMO_ASSURE, EF_AMO_BENEFICIAIRES = 0x2010, 0x2011

#: Directory entry ids (bytes 0-1 of a tag-82 value; bytes 8-9 of a tag-80 value).
ENTRY_MF, ENTRY_VITALE = 1, 2


def text(value: str) -> bytes:
    """Card strings: Latin-1 (real cards' charset is unconfirmed; fictitious names are ASCII)."""
    return value.encode("latin-1")


def identity_file(profile: VitaleProfile) -> bytes:
    out = b""
    for b in profile.beneficiaries:
        body = (
            tlv(0x80, text(b.nom))
            + tlv(0x81, text(b.prenom))
            + tlv(0x82, text(b.date_naissance))
            + tlv(0x83, str(b.rang_naissance).encode("ascii"))
        )
        for tag, value in b.extra_tags.items():
            body += tlv(tag, bytes.fromhex(value))
        out += tlv(0x65, body)
    return out


def nir_file(profile: VitaleProfile) -> bytes:
    return b"".join(tlv(0x65, tlv(0x93, text(b.nir))) for b in profile.beneficiaries)


def card_file(profile: VitaleProfile) -> bytes:
    body = b""
    if profile.validity_start:
        body += tlv(0x80, text(profile.validity_start))
    if profile.validity_end:
        body += tlv(0x81, text(profile.validity_end))
    if profile.serial_number:
        body += tlv(0x82, text(profile.serial_number))
    return tlv(0x66, body)


def certificate_file(profile: VitaleProfile) -> bytes:
    """A fake card certificate: fixed-size random-looking bytes, long enough for long-form lengths."""
    seed = hashlib.sha256(profile.name.encode()).digest()
    signature = (seed * 4)[:128]
    remainder = hashlib.sha256(seed).digest()[:30]
    return tlv("7F21", tlv("5F37", signature) + tlv("5F38", remainder))


def directory_file(entries: list[tuple[str, int, int]]) -> bytes:
    apps = tlv(0x82, ENTRY_MF.to_bytes(2, "big") + b"\x00\x00" + AID.MF_VITALE) + tlv(
        0x82, ENTRY_VITALE.to_bytes(2, "big") + b"\x00\x00" + AID.VITALE
    )
    files = b"".join(
        tlv(0x80, label.encode("ascii").ljust(8)[:8] + entry.to_bytes(2, "big") + fid.to_bytes(2, "big"))
        for label, entry, fid in entries
    )
    return tlv(0xE0, tlv(0xA0, apps) + files)


def build_tree(profile: VitaleProfile) -> DF:
    mf = DF(fid=0x3F00, name=AID.MF_VITALE)
    mf.efs.append(EF(EF_IDENTITE, padded(identity_file(profile)), sfi=2, label="IDENTITE"))
    vitale = mf.add(DF(name=AID.VITALE))
    listed = [
        EF(EF_NIR, padded(nir_file(profile)), sfi=2, label="NIR"),
        EF(EF_CARTE, padded(card_file(profile)), sfi=3, label="CARTE"),
        EF(EF_CERTIF, padded(certificate_file(profile)), sfi=5, label="CERTIF"),
        # Protected AMO files: sized like the data they would hold, never readable here.
        EF(EF_AMO_ASSURE, bytes(64), sfi=16, label="AMO_ASSU", protected=True),
        EF(EF_AMO_BENEFICIAIRES, bytes(96 * len(profile.beneficiaries)), sfi=17, label="AMO_BENE", protected=True),
    ]
    entries = [("IDENTITE", ENTRY_MF, EF_IDENTITE)] + [(e.label, ENTRY_VITALE, e.fid) for e in listed]
    vitale.efs.append(EF(EF_DIRECTORY, padded(directory_file(entries)), sfi=1, label="DIR"))
    vitale.efs.extend(listed)
    return mf


class Vitale2Card(IsoCard):
    card_type = "vitale2"

    def __init__(self, profile: VitaleProfile) -> None:
        self.profile = profile
        super().__init__(bytes.fromhex(profile.atr), build_tree(profile))
