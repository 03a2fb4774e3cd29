"""Card profiles: the full content of a virtual card, for the bench and the simulator driver.

A profile describes what a card holds, AMO data included, in the card's own terms (raw strings
such as ``"19800512"``), so that the virtual cards can serve it over APDUs exactly as a real
card would, and the in-process simulator can return what a licensed reader would see.
Shipped profiles live in ``bridge/profiles/data/<name>.json``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

VitaleType = Literal["vitale1", "vitale2"]
CpsType = Literal["cps2ter", "cps3", "cps4", "cpsContactless"]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class ProfileRights(_Model):
    start: str | None = Field(default=None, description="YYYYMMDD")
    end: str | None = Field(default=None, description="YYYYMMDD")


class ProfileBeneficiary(_Model):
    nom: str
    prenom: str
    date_naissance: str = Field(description="As on the card: YYYYMMDD (lunar allowed) or YYMMDD.")
    rang_naissance: int = 1
    nir: str = Field(description="15 characters: 13 (2A/2B allowed) + 2-digit key.")
    qualite: str = "0"
    droits: list[ProfileRights] = Field(default_factory=list, max_length=3)
    #: Extra TLV elements (hex tag -> hex value) inside this beneficiary's template, to
    #: exercise the reader's tolerance of tags it does not know.
    extra_tags: dict[str, str] = Field(default_factory=dict)


class ProfileAmo(_Model):
    regime: str
    caisse: str
    centre: str
    code_gestion: str | None = None


class VitaleProfile(_Model):
    kind: Literal["vitale"] = "vitale"
    name: str
    description: str
    card_type: VitaleType = "vitale2"
    atr: str = Field(default="3B7513000045 09EA9000".replace(" ", ""), description="hex")
    serial_number: str | None = None
    validity_start: str | None = Field(default=None, description="YYYYMMDD, card tag 66/80")
    validity_end: str | None = Field(default=None, description="YYYYMMDD (expired cards)")
    amo: ProfileAmo
    beneficiaries: list[ProfileBeneficiary] = Field(min_length=1, max_length=19)
    #: What the profile is for (the reader trap it exercises), shown by `simulate --list`.
    tags: list[str] = Field(default_factory=list)


class CpsProfile(_Model):
    kind: Literal["cps"] = "cps"
    name: str
    description: str
    card_type: CpsType = "cps3"
    atr: str = "3BAC00402A001225006480000310009000"
    card_number: str = Field(description="Hex of the tag-5A value in the card-number file.")
    #: PIN try counters the card reports (never a PIN).
    pin_tries_max: int = 3
    pin_tries_remaining: int = 3
    tags: list[str] = Field(default_factory=list)


Profile = VitaleProfile | CpsProfile

_DATA = "data"


def shipped_names() -> list[str]:
    folder = resources.files(__package__).joinpath(_DATA)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load(name_or_path: str | Path) -> Profile:
    """Load a shipped profile by name, or a JSON file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        ref = resources.files(__package__).joinpath(_DATA, f"{name_or_path}.json")
        if not ref.is_file():
            raise FileNotFoundError(
                f"no profile {name_or_path!r}; shipped profiles: {', '.join(shipped_names())}"
            )
        text = ref.read_text(encoding="utf-8")
    data = json.loads(text)
    if data.get("kind") == "cps":
        return CpsProfile.model_validate(data)
    return VitaleProfile.model_validate(data)
