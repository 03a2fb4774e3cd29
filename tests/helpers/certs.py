"""Test certificates in the IGC-Santé subject format, made with ``cryptography``.

The holder is one multi-valued RDN ``SN + CN + GN`` (surname, national identifier, given
name), then ``title`` (the profession) and ``C=FR``; no OU. The issuer is a test CA of our
own ("TEST AC IGC-SANTE"), never a real one. Shared by tests/pkcs11 and the benchmark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TEST_ISSUER = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "VITALE-BRIDGE TESTS"),
        x509.NameAttribute(NameOID.COMMON_NAME, "TEST AC IGC-SANTE PERSONNES"),
    ]
)
#: The private extension arc of the IGC-Santé (1.2.250.1.71.1.2.*): a made-up value, raw.
TEST_PRIVATE_EXTENSION = x509.ObjectIdentifier("1.2.250.1.71.1.2.7")

_KEY = ec.generate_private_key(ec.SECP256R1())  # one key for all: generation is the slow part


@dataclass(frozen=True)
class Holder:
    """A practitioner as the certificate names them."""

    nom: str
    prenom: str
    identifiant: str  # type prefix + number, e.g. "8" + RPPS
    profession: str
    expired: bool = False

    @property
    def numero(self) -> str:
        return self.identifiant[1:]


#: The holders of the test suite: several professions, RPPS and ADELI, one expired.
ZOE = Holder("MARTIN", "Zoé", "810100000017", "Sage-femme")
LUC = Holder("DUPONT-ÉLOI", "Luc", "899700000021", "Médecin")
INES = Holder("BENALI", "Inès", "0751234567", "Infirmier")  # ADELI: 0 + 9 digits
OLD = Holder("ANCIEN", "Paul", "810100000025", "Pharmacien", expired=True)


def build(subject: x509.Name, not_before: dt.datetime, not_after: dt.datetime, *, extension: bool = False) -> bytes:
    """A DER certificate for *subject*, issued by the test CA."""
    from cryptography.hazmat.primitives.serialization import Encoding

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(TEST_ISSUER)
        .public_key(_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if extension:
        builder = builder.add_extension(x509.UnrecognizedExtension(TEST_PRIVATE_EXTENSION, b"\x13\x0210"), critical=False)
    return builder.sign(_KEY, hashes.SHA256()).public_bytes(Encoding.DER)


def certificate_der(holder: Holder, *, now: dt.datetime | None = None) -> bytes:
    """The holder's certificate in the IGC-Santé subject format, with a private extension."""
    now = now or dt.datetime.now(dt.UTC)
    if holder.expired:
        not_before, not_after = now - dt.timedelta(days=3 * 365), now - dt.timedelta(days=30)
    else:
        not_before, not_after = now - dt.timedelta(days=30), now + dt.timedelta(days=3 * 365)
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.SURNAME, holder.nom),
                    x509.NameAttribute(NameOID.COMMON_NAME, holder.identifiant),
                    x509.NameAttribute(NameOID.GIVEN_NAME, holder.prenom),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.TITLE, holder.profession)]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]),
        ]
    )
    return build(subject, not_before, not_after, extension=True)


def common_name_der(common_name: str) -> bytes:
    """A certificate whose subject is a CN only: not the IGC-Santé format (e.g. a VPN
    certificate), or an identifier with no names."""
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return build(name, now - dt.timedelta(days=1), now + dt.timedelta(days=30))


def plain_certificate_der() -> bytes:
    return common_name_der("not a practitioner")
