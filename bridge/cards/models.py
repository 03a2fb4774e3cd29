"""What a read returns: the wire models for readers, cards, beneficiaries and AMO data.

Field names follow the domain (see docs/glossary.md). Values are kept exactly as the card gives
them (strings), with parsed forms added only when they are certain: a birth date gets an ISO
date only when it is a real calendar date; a NIR gets ``keyValid`` only when it has a key.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from bridge.wire import WireModel

CardType = Literal[
    "vitale1", "vitale2", "cps2ter", "cps3", "cps4", "cpsContactless", "unknown"
]
Scope = Literal["clear", "full"]


class Reader(WireModel):
    name: str
    card_present: bool
    card_type: CardType | None = None
    atr: str | None = Field(default=None, description="ATR as upper-case hex, no spaces.")


class CardEvent(WireModel):
    """Params of the card.inserted / card.removed / reader.added / reader.removed notifications."""

    reader: str
    card_type: CardType | None = None
    atr: str | None = None


class BirthDate(WireModel):
    raw: str = Field(description="Exactly as on the card (YYYYMMDD, or YYMMDD when the century is missing).")
    iso: dt.date | None = Field(default=None, description="Only when raw is a real calendar date.")
    lunar: bool = Field(default=False, description="Day or month is not a calendar value (born abroad).")
    missing_century: bool = False


class Nir(WireModel):
    """Numéro d'inscription au répertoire (numéro de sécurité sociale)."""

    number: str = Field(description="13 characters (2A/2B allowed for Corsica).")
    key: str | None = Field(default=None, description="2-digit key, when the card gives one.")
    key_valid: bool | None = None
    provisional: bool = Field(default=False, description="Provisional number (régime agricole), shown PROVIS.")


class RightsPeriod(WireModel):
    """Période de droits AMO (dates parsed only when they are real calendar dates)."""

    start: dt.date | None = None
    end: dt.date | None = None
    raw_start: str | None = Field(default=None, description="As on the card (YYYYMMDD).")
    raw_end: str | None = Field(default=None, description="As on the card (YYYYMMDD).")


class HolderAmo(WireModel):
    """Protected AMO data of the card's holder: the codes that route claims."""

    regime: str = Field(description="Code régime, 2 digits.", examples=["01"])
    caisse: str = Field(description="Caisse gestionnaire, 3 digits.", examples=["751"])
    centre: str = Field(description="Centre gestionnaire, 4 digits.", examples=["0601"])
    code_gestion: str | None = Field(default=None, examples=["10"])


class BeneficiaryAmo(WireModel):
    """Protected AMO data of one beneficiary."""

    qualite: str = Field(description="Qualité code: 0 assuré, 2 conjoint, 6 enfant, ...")
    qualite_libelle: str | None = None
    droits: list[RightsPeriod] = Field(default_factory=list, max_length=3)


class UnknownTag(WireModel):
    """A TLV element the reader does not understand, preserved rather than dropped."""

    tag: str
    value: str = Field(description="Hex.")
    path: str = Field(default="", description="Where it was found, e.g. 'EF2001/65[1]'.")


class Beneficiary(WireModel):
    nom: str
    prenom: str
    date_naissance: BirthDate
    rang_naissance: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Birth rank among twins, or null when the card did not give it: no publicly attested tag "
            "of the clear files holds it, so only the licensed reading (scope 'full') gives it."
        ),
    )
    nir: Nir | None = None
    amo: BeneficiaryAmo | None = Field(default=None, description="Only with scope 'full'.")
    unknown_tags: list[UnknownTag] = Field(default_factory=list)


class Validity(WireModel):
    start: dt.date | None = None
    end: dt.date | None = None
    raw_start: str | None = None
    raw_end: str | None = None


class Availability(WireModel):
    """Which parts of the card this read could return, and why not the others."""

    scope: Scope
    identity: bool
    amo: bool
    reason: str | None = Field(
        default=None, description="Why the protected (AMO) data is absent, in plain words."
    )
    reason_code: Literal["cpsAbsent", "protectedByCard", "notRequested"] | None = None


class VitaleRead(WireModel):
    """What the card gave (``vitale.read`` adds the OD: :class:`bridge.api.cards.VitaleRead`)."""

    reader: str
    card_type: CardType
    atr: str
    serial_number: str | None = Field(
        default=None,
        description="Null unless the licensed reading (scope 'full') gave it: no attested clear tag holds it.",
    )
    validity: Validity | None = Field(
        default=None,
        description=(
            "Null when the card gave no validity. start: tag 66/80 of a clear file, when read; end: only "
            "from the licensed reading (scope 'full')."
        ),
    )
    beneficiaries: list[Beneficiary]
    amo: HolderAmo | None = Field(default=None, description="Only with scope 'full'.")
    availability: Availability
    unknown_tags: list[UnknownTag] = Field(default_factory=list)
    from_cache: bool = Field(
        default=False,
        description=(
            "True when this answer came from the bridge's memory of the same card, still in its "
            "reader since it was read (a card session); vitale.read with cache false reads the card."
        ),
    )


class CpsStatus(WireModel):
    """Result of ``cps.status``."""

    present: bool
    reader: str | None = None
    card_type: CardType | None = None
    atr: str | None = None
    card_number: str | None = Field(
        default=None, description="Hex of the tag-5A value of the public file 3F00/D003, when readable."
    )
    pin_tries_max: int | None = None
    pin_tries_remaining: int | None = Field(default=None, description="PIN tries left (never the PIN).")
