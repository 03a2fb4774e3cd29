"""Who holds the CPS: the practitioner's identity from the card's certificates, without a PIN.

The CPS certificates (IGC-Santé) name their holder in the subject: one multi-valued RDN
``SN + CN + GN`` (surname, national identifier, given name), ``title`` = the profession,
``C=FR``, no OU. The national identifier (*identifiant national de PS*) is a one-digit type
followed by the number (ANS, MOS ``idNat_PS``): ``8`` + RPPS, ``0`` + ADELI, and for staff
registered by a structure ``1`` (cabinet ADELI), ``3`` (FINESS), ``4`` (SIREN), ``5`` (SIRET),
``6`` (cabinet RPPS), each followed by the structure's number and an internal identifier.

Parsing uses ``cryptography``; only the certificate is read, never a key. Which PKCS#11 token
is the CPS in which PC/SC reader is decided by :func:`match_token`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from bridge.cards.pkcs11 import CertificateObject, TokenInfo
from bridge.errors import NoCertificateError
from bridge.wire import WireModel

IdentifierType = Literal["rpps", "adeli", "cabinetAdeli", "finess", "siren", "siret", "cabinetRpps"]
Match = Literal["slotDescription", "tokenSerial", "singleToken"]

#: The type digit of the identifiant national, and its label.
IDENTIFIER_TYPES: dict[str, tuple[IdentifierType, str]] = {
    "0": ("adeli", "ADELI"),
    "1": ("cabinetAdeli", "Cabinet ADELI / identifiant interne"),
    "3": ("finess", "FINESS / identifiant interne"),
    "4": ("siren", "SIREN / identifiant interne"),
    "5": ("siret", "SIRET / identifiant interne"),
    "6": ("cabinetRpps", "Cabinet RPPS / identifiant interne"),
    "8": ("rpps", "RPPS"),
}

#: Certificate labels of the Cryptolib CPS, in the order they are preferred.
PREFERRED_LABELS = ("Certificat d'Authentification CPS", "Certificat de Signature CPS", "Certificat Technique CPS")
#: The arc of the IGC-Santé's private extensions (product type, profession code...).
PRIVATE_ARC = "1.2.250.1.71."

_OID_SN, _OID_GN, _OID_CN, _OID_TITLE = "2.5.4.4", "2.5.4.42", "2.5.4.3", "2.5.4.12"
_IDENTIFIER = re.compile(r"^[0-9][0-9A-Za-z/]{1,40}$")


class CertificateValidity(WireModel):
    not_before: dt.datetime
    not_after: dt.datetime
    expired: bool = Field(description="notAfter is in the past at the time of the read.")
    not_yet_valid: bool = False


class PrivateExtension(WireModel):
    """An IGC-Santé private extension (1.2.250.1.71.*), raw: its meaning is not public."""

    oid: str
    value: str = Field(description="DER of the extension value, hex.")


class CpsCertificate(WireModel):
    label: str = Field(description="The PKCS#11 object label, e.g. \"Certificat d'Authentification CPS\".")
    issuer: str = Field(description="The issuing CA, RFC 4514 string.")
    serial_number: str = Field(description="Certificate serial number, hex.")
    validity: CertificateValidity
    private_extensions: list[PrivateExtension] = Field(default_factory=list, max_length=16)


class CpsToken(WireModel):
    """The PKCS#11 token the identity was read from, and how it was tied to the reader."""

    module: str = Field(description="Path of the PKCS#11 module.")
    slot_description: str
    label: str
    serial_number: str
    match: Match = Field(
        description="slotDescription: the slot is named after the CPS's PC/SC reader; tokenSerial: "
        "the token serial is the card number read over PC/SC; singleToken: the module shows one "
        "token only (a software token, or one card), used as is."
    )


class CpsIdentity(WireModel):
    """Result of ``cps.identity``: the holder of the CPS, from its certificate."""

    reader: str | None = Field(
        default=None, description="The PC/SC reader of the CPS, when the token could be tied to one."
    )
    identifiant_national: str = Field(description="Type digit + number, as in the certificate's CN.")
    type_identifiant: IdentifierType | None = Field(
        default=None, description="null when the type digit is not one the ANS documents."
    )
    type_identifiant_libelle: str | None = None
    numero: str = Field(description="The RPPS / ADELI (or structure) number: the identifier without its type digit.")
    nom: str | None = Field(default=None, description="Surname (SN), as in the certificate.")
    prenom: str | None = Field(default=None, description="Given name (GN), as in the certificate.")
    profession: str | None = Field(default=None, description="The certificate's title, e.g. 'Médecin'.")
    expired: bool
    certificate: CpsCertificate
    token: CpsToken


@dataclass(frozen=True)
class Holder:
    identifiant_national: str
    nom: str | None
    prenom: str | None
    profession: str | None


def holder_of(subject_attributes: list[tuple[str, str]]) -> Holder | None:
    """The IGC-Santé holder named by a subject's (oid, value) pairs, or None when it names none.

    The attributes are looked up anywhere in the subject (multi-valued RDN or not); the CN
    must be a national identifier (type digit + number)."""
    first: dict[str, str] = {}
    for oid, value in subject_attributes:
        first.setdefault(oid, value)
    cn = first.get(_OID_CN, "").strip()
    if not _IDENTIFIER.match(cn):
        return None
    return Holder(cn, first.get(_OID_SN), first.get(_OID_GN), first.get(_OID_TITLE))


def identity_from_certificate(
    obj: CertificateObject, token: CpsToken, reader: str | None, now: dt.datetime | None = None
) -> CpsIdentity | None:
    """Parse one certificate; None when it does not name a health professional."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(obj.der)
        attributes = [(a.oid.dotted_string, a.value) for a in cert.subject if isinstance(a.value, str)]
    except ValueError:
        return None
    holder = holder_of(attributes)
    if holder is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    validity = CertificateValidity(
        not_before=not_before, not_after=not_after, expired=not_after < now, not_yet_valid=not_before > now
    )
    extensions = [
        PrivateExtension(oid=e.oid.dotted_string, value=e.value.value.hex().upper())
        for e in cert.extensions
        if e.oid.dotted_string.startswith(PRIVATE_ARC) and isinstance(e.value, x509.UnrecognizedExtension)
    ][:16]
    kind = IDENTIFIER_TYPES.get(holder.identifiant_national[0])
    return CpsIdentity(
        reader=reader,
        identifiant_national=holder.identifiant_national,
        type_identifiant=kind[0] if kind else None,
        type_identifiant_libelle=kind[1] if kind else None,
        numero=holder.identifiant_national[1:],
        nom=holder.nom,
        prenom=holder.prenom,
        profession=holder.profession,
        expired=validity.expired,
        certificate=CpsCertificate(
            label=obj.label,
            issuer=cert.issuer.rfc4514_string(),
            serial_number=format(cert.serial_number, "X"),
            validity=validity,
            private_extensions=extensions,
        ),
        token=token,
    )


def choose_identity(
    certificates: list[CertificateObject], token: CpsToken, reader: str | None, now: dt.datetime | None = None
) -> CpsIdentity:
    """The holder from the preferred certificate (authentication, then signature, then the
    contactless technical one, then any other naming a practitioner); NO_CERTIFICATE if none."""

    def rank(obj: CertificateObject) -> int:
        return PREFERRED_LABELS.index(obj.label) if obj.label in PREFERRED_LABELS else len(PREFERRED_LABELS)

    for obj in sorted(certificates, key=rank):
        identity = identity_from_certificate(obj, token, reader, now)
        if identity is not None:
            return identity
    raise NoCertificateError(certificates=len(certificates))


def _norm(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def match_token(tokens: list[TokenInfo], reader: str | None, card_number: str | None = None) -> tuple[TokenInfo, Match] | None:
    """Which token is the CPS in *reader*, or None when nothing tells.

    1. A single token: it is the one (a software token is tied to no reader; a module that
       sees one card sees that one).
    2. The slot description names the reader: OpenSC names its slots after the PC/SC reader
       (the reader name, possibly followed by the card's label).
    3. The token serial equals the card number the CPS gives over PC/SC (``3F00/D003``), or
       one contains the other (a token serial is at most 16 characters). The caller reads the
       card number only when the first two rules did not decide.
    """
    if len(tokens) == 1:
        return tokens[0], "singleToken"
    if reader:
        named = [t for t in tokens if t.slot_description and (reader in t.slot_description or t.slot_description in reader)]
        if len(named) == 1:
            return named[0], "slotDescription"
    number = _norm(card_number or "")
    if number:
        same = [t for t in tokens if _norm(t.serial) and (_norm(t.serial) in number or number in _norm(t.serial))]
        if len(same) == 1:
            return same[0], "tokenSerial"
    return None
