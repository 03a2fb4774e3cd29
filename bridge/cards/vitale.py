"""The carte Vitale application: what a Vitale 2 gives in the clear, read with few APDUs.

The format is not public; this follows what public readers attest (see docs/cards.md):

1. The short path (Rufus): ``SELECT MF``, ``READ BINARY`` of short file 2 (identity: one
   ``65`` template per bénéficiaire with ``80`` nom, ``81`` prénom, ``82`` date de naissance),
   then ``SELECT`` the VITALE application and ``READ BINARY`` of its short file 2 (one ``65``
   per bénéficiaire with ``93`` NIR). The i-th template of one file is the i-th of the other.
   Four to six APDUs for a whole family.
2. The directory path (cardpeek), used only when the short path is refused: select the VITALE
   application, read EF ``2001`` (a directory of the application's files), then read each
   listed file. Files the card protects (AMO data) answer a security status error and are
   reported as protected, never guessed.

Unknown tags are kept (hex, with where they were found). Vitale 1 cards are identified from
the ATR and refused with :class:`~bridge.errors.UnsupportedCardError`: their memory map is
only given to licensed vendors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

from bridge.cards import atr as atr_table
from bridge.cards import dates, nir, tlv
from bridge.cards.apdu import (
    ApduProcessor,
    FileNotFoundOnCard,
    SecurityStatusError,
    StatusWordError,
    UnsupportedCommandError,
    WrongLengthError,
    command,
)
from bridge.cards.connection import Connection, ProtectedVitaleData
from bridge.cards.models import (
    Beneficiary,
    BeneficiaryAmo,
    CardType,
    HolderAmo,
    RightsPeriod,
    UnknownTag,
    Validity,
)
from bridge.errors import CardCommunicationError, UnsupportedCardError

log = logging.getLogger("vitale_bridge.cards")



class AID(bytes, Enum):
    """Application identifiers (DF names) of the carte Vitale 2 (public readers: cardpeek, Rufus)."""

    VITALE = bytes.fromhex("D250000002564954414C45")  # "VITALE"
    MF_VITALE = bytes.fromhex("D2500000024D465F564954414C45")  # "MF_VITALE"


FID_MF = bytes.fromhex("3F00")
FID_DIRECTORY = bytes.fromhex("2001")
SFI_DATA = 2

INS_SELECT = 0xA4
INS_READ_BINARY = 0xB0

TAG_BENEFICIAIRE = 0x65
TAG_CARTE = 0x66
TAG_NOM = 0x80
TAG_PRENOM = 0x81
TAG_NAISSANCE = 0x82
TAG_NIR = 0x93
TAG_VALIDITE_DEBUT = 0x80  # inside TAG_CARTE
TAG_DIRECTORY_AID = 0x82
TAG_DIRECTORY_FILE = 0x80

#: A READ BINARY step: Le = 00 asks for up to 256 bytes.
STEP = 256
#: Largest file accepted (a family card's files are a few hundred bytes).
MAX_FILE = 16 * 1024

QUALITES = {
    "0": "assuré",
    "1": "ascendant, descendant ou collatéral",
    "2": "conjoint",
    "3": "conjoint divorcé",
    "4": "concubin",
    "5": "conjoint séparé",
    "6": "enfant",
    "8": "conjoint veuf",
    "9": "autre ayant droit",
}

VITALE1_MESSAGE = (
    "This is a carte Vitale 1. Its memory layout is only disclosed to licensed (CNDA-referenced) "
    "software, so vitale-bridge cannot read it. Ask the patient for their carte Vitale 2 (with "
    "photo) or the apCV app, or read this card with the licensed SESAM-Vitale software."
)


def text(value: bytes) -> str:
    """Card text: ASCII in practice; Latin-1 is accepted since the charset is not confirmed."""
    value = value.rstrip(b"\x00")
    if value.isascii():
        return value.decode("ascii").strip()
    try:
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return value.decode("latin-1").strip()


@dataclass
class VitaleClearData:
    """Everything the card gave in the clear, already parsed."""

    card_type: CardType
    beneficiaries: list[Beneficiary]
    validity: Validity | None = None
    unknown_tags: list[UnknownTag] = field(default_factory=list)
    #: Names (or ids) of files the card refused with a security status error.
    protected_files: list[str] = field(default_factory=list)
    #: "short" (Rufus path) or "directory" (cardpeek path).
    path: str = "short"


class VitaleSession:
    """One read of one carte Vitale, inside the caller's exclusive transaction."""

    def __init__(self, connection: Connection, *, timeout: float = 10.0) -> None:
        self.connection = connection
        self.card_type = atr_table.identify(connection.atr)
        if self.card_type == "vitale1":
            raise UnsupportedCardError(VITALE1_MESSAGE, cardType="vitale1", reader=connection.reader)
        if atr_table.is_cps(self.card_type):
            raise UnsupportedCardError(
                "This reader holds a CPS (professional card), not a carte Vitale. Insert the "
                "patient's carte Vitale, or name its reader.",
                cardType=self.card_type,
                reader=connection.reader,
            )
        self.apdu = ApduProcessor(connection, timeout=timeout)

    # --- APDU steps ----------------------------------------------------------------------------

    def _select_mf(self) -> None:
        self.apdu.send(command(0x00, INS_SELECT, 0x00, 0x00, FID_MF), want_data=False)

    def _select_aid(self, aid: bytes) -> None:
        self.apdu.send(command(0x00, INS_SELECT, 0x04, 0x00, aid), want_data=False)

    def _select_ef(self, fid: bytes) -> None:
        self.apdu.send(command(0x00, INS_SELECT, 0x02, 0x00, fid), want_data=False)

    def _read(self, first: bytes) -> bytes:
        """Read a file from offset 0: *first* is the offset-0 READ BINARY (by SFI or current EF).

        Stops at a short answer, or when a full step ends on padding with every object
        complete: no read beyond what the data needs.
        """
        data = self.apdu.send(first).data
        while len(data) % STEP == 0 and data and len(data) < MAX_FILE:
            if data[-1] in tlv.PADDING and tlv.complete(data):
                break
            offset = len(data)
            try:
                more = self.apdu.send(
                    command(0x00, INS_READ_BINARY, (offset >> 8) & 0x7F, offset & 0xFF, le=0)
                ).data
            except (FileNotFoundOnCard, WrongLengthError):
                break  # end of file exactly on a step boundary
            if not more:
                break
            data += more
            if len(more) < STEP:
                break
        return data

    def _read_sfi(self, sfi: int) -> bytes:
        return self._read(command(0x00, INS_READ_BINARY, 0x80 | sfi, 0x00, le=0))

    def _read_current(self) -> bytes:
        return self._read(command(0x00, INS_READ_BINARY, 0x00, 0x00, le=0))

    # --- reading -------------------------------------------------------------------------------

    def read_clear(self) -> VitaleClearData:
        """The identity data of every bénéficiaire, NIRs, card validity; no partial result."""
        try:
            try:
                files = self._read_short_path()
                path = "short"
                protected: list[str] = []
            except (FileNotFoundOnCard, UnsupportedCommandError, WrongLengthError, SecurityStatusError) as exc:
                log.info("short Vitale path refused (%04X); reading the directory", exc.sw)
                files, protected = self._read_directory_path()
                path = "directory"
        except StatusWordError as exc:
            raise exc.to_bridge_error() from None
        data = parse_files(files, self.card_type)
        data.protected_files = protected
        data.path = path
        return data

    def _read_short_path(self) -> list[tuple[str, bytes]]:
        self._select_mf()
        identity = self._read_sfi(SFI_DATA)
        if identity.lstrip(b"\x00\xff")[:1] != bytes([TAG_BENEFICIAIRE]):
            raise FileNotFoundOnCard(0x6A82, INS_READ_BINARY)  # no 65 template: try the directory
        try:
            self._select_aid(AID.VITALE)
        except UnsupportedCommandError:
            raise
        except StatusWordError as exc:
            if self.card_type == "unknown":
                raise self._not_vitale() from exc
            raise
        nirs = self._read_sfi(SFI_DATA)
        return [("MF/02", identity), ("VITALE/02", nirs)]

    def _not_vitale(self) -> UnsupportedCardError:
        return UnsupportedCardError(
            "The card in this reader is not a carte Vitale 2 (it has no VITALE application).",
            cardType=self.card_type,
            reader=self.connection.reader,
        )

    def _read_directory_path(self) -> tuple[list[tuple[str, bytes]], list[str]]:
        try:
            self._select_aid(AID.VITALE)
            self._select_ef(FID_DIRECTORY)
            directory = self._read_current()
        except StatusWordError as exc:
            raise self._not_vitale() from exc
        files: list[tuple[str, bytes]] = []
        protected: list[str] = []
        current_aid: bytes = AID.VITALE
        for name, aid, fid in parse_directory(directory):
            try:
                if aid and aid != current_aid:
                    self._select_aid(aid)
                    current_aid = aid
                self._select_ef(fid)
                files.append((f"{name or fid.hex().upper()}", self._read_current()))
            except SecurityStatusError:
                protected.append(name or fid.hex().upper())
            except FileNotFoundOnCard:
                continue
        return files, protected


# --- parsing (pure) -------------------------------------------------------------------------


def parse_directory(data: bytes) -> list[tuple[str, bytes, bytes]]:
    """Entries of EF 2001 as (file name, AID, EF id). AIDs come from the ``82`` entries."""
    aids: dict[bytes, bytes] = {}
    entries: list[tuple[str, bytes, bytes]] = []
    for item in tlv.walk(tlv.parse(data)):
        if item.tag == TAG_DIRECTORY_AID and len(item.value) > 4:
            aids[item.value[:2]] = item.value[4:]
    for item in tlv.walk(tlv.parse(data)):
        if item.tag == TAG_DIRECTORY_FILE and len(item.value) >= 12:
            name = text(item.value[:8])
            entries.append((name, aids.get(item.value[8:10], b""), item.value[10:12]))
    return entries


def parse_files(files: list[tuple[str, bytes]], card_type: CardType = "vitale2") -> VitaleClearData:
    """Merge the ``65`` templates of every file, i-th with i-th, into bénéficiaires."""
    merged: list[dict[int, bytes]] = []
    unknown: list[list[UnknownTag]] = []
    card_unknown: list[UnknownTag] = []
    validity: Validity | None = None
    for file_name, content in files:
        index = 0
        for item in tlv.parse(content):
            if item.tag == TAG_BENEFICIAIRE:
                if index == len(merged):
                    merged.append({})
                    unknown.append([])
                fields = merged[index]
                for child in item.children():
                    known = child.tag in (TAG_NOM, TAG_PRENOM, TAG_NAISSANCE, TAG_NIR)
                    if known and child.tag not in fields:
                        fields[child.tag] = child.value
                    elif not (known and fields.get(child.tag) == child.value):
                        unknown[index].append(
                            UnknownTag(tag=child.tag_hex, value=child.value.hex().upper(),
                                       path=f"{file_name}/65[{index}]")
                        )
                index += 1
            elif item.tag == TAG_CARTE:
                for child in item.children():
                    if child.tag == TAG_VALIDITE_DEBUT and validity is None:
                        raw = dates.decode(child.value)
                        validity = Validity(start=dates.calendar_date(raw), raw_start=raw)
                    else:
                        card_unknown.append(
                            UnknownTag(tag=child.tag_hex, value=child.value.hex().upper(),
                                       path=f"{file_name}/66")
                        )
            else:
                card_unknown.append(
                    UnknownTag(tag=item.tag_hex, value=item.value.hex().upper(), path=file_name)
                )
    beneficiaries = []
    for fields, extra in zip(merged, unknown, strict=False):
        raw_nir = fields.get(TAG_NIR)
        beneficiaries.append(
            Beneficiary(
                nom=text(fields.get(TAG_NOM, b"")),
                prenom=text(fields.get(TAG_PRENOM, b"")),
                date_naissance=dates.birth_date(dates.decode(fields.get(TAG_NAISSANCE, b""))),
                nir=nir.parse(text(raw_nir)) if raw_nir else None,
                unknown_tags=extra,
            )
        )
    if not beneficiaries:
        raise CardCommunicationError(
            "The carte Vitale gave no bénéficiaire. Remove it, insert it again and retry.",
            reason="noBeneficiary",
        )
    return VitaleClearData(card_type=card_type, beneficiaries=beneficiaries, validity=validity,
                           unknown_tags=card_unknown)


def amo_from_protected(
    protected: ProtectedVitaleData, beneficiaries: list[Beneficiary]
) -> tuple[HolderAmo, list[Beneficiary]]:
    """Attach the licensed-read AMO data to the bénéficiaires read in the clear (same order)."""
    assure = HolderAmo(
        regime=protected.regime,
        caisse=protected.caisse,
        centre=protected.centre,
        code_gestion=protected.code_gestion,
    )
    out = []
    for i, b in enumerate(beneficiaries):
        if i < len(protected.beneficiaries):
            p = protected.beneficiaries[i]
            amo = BeneficiaryAmo(
                qualite=p.qualite,
                qualite_libelle=QUALITES.get(p.qualite),
                droits=[
                    RightsPeriod(
                        start=dates.calendar_date(s or ""),
                        end=dates.calendar_date(e or ""),
                        raw_start=s,
                        raw_end=e,
                    )
                    for s, e in p.droits[:3]
                ],
            )
            b = b.model_copy(update={"amo": amo, "rang_naissance": p.rang_naissance})
        out.append(b)
    return assure, out
