"""Parsing the IGC-Santé subject and tying a token to the CPS reader: pure functions, on
certificates made here and token descriptions written out (no module needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.cards.cps_identity import (
    CpsToken,
    choose_identity,
    holder_of,
    identity_from_certificate,
    match_token,
)
from bridge.cards.pkcs11 import CertificateObject, TokenInfo
from bridge.errors import NoCertificateError
from tests.helpers import certs

TOKEN = CpsToken(module="m.so", slot_description="s", label="l", serial_number="0", match="singleToken")


def obj(der: bytes, label: str = "Certificat d'Authentification CPS") -> CertificateObject:
    return CertificateObject(label=label, object_id="01", der=der)


def test_subject_attributes_are_found_in_the_multi_valued_rdn():
    holder = holder_of([("2.5.4.4", "MARTIN"), ("2.5.4.3", "810100000017"), ("2.5.4.42", "Zoé"),
                        ("2.5.4.12", "Sage-femme"), ("2.5.4.6", "FR")])
    assert holder is not None
    assert (holder.identifiant_national, holder.nom, holder.prenom, holder.profession) == (
        "810100000017", "MARTIN", "Zoé", "Sage-femme")


@pytest.mark.parametrize("cn", ["", "Zoé MARTIN", "vpn.example.fr", "8"])
def test_a_cn_that_is_not_a_national_identifier_names_no_holder(cn):
    assert holder_of([("2.5.4.3", cn), ("2.5.4.4", "X")]) is None


def test_an_unknown_type_digit_is_null_not_guessed():
    holder = certs.Holder("NOM", "Prénom", "2123456789", "Médecin")
    identity = identity_from_certificate(obj(certs.certificate_der(holder)), TOKEN, None)
    assert identity is not None
    assert identity.type_identifiant is None and identity.type_identifiant_libelle is None
    assert identity.numero == "123456789"


@pytest.mark.parametrize(
    ("digit", "kind"),
    [("0", "adeli"), ("1", "cabinetAdeli"), ("3", "finess"), ("4", "siren"), ("5", "siret"), ("6", "cabinetRpps"), ("8", "rpps")],
)
def test_documented_identifier_types(digit, kind):
    holder = certs.Holder("NOM", "Prénom", digit + "123456789/0001", "Pharmacien")
    assert identity_from_certificate(obj(certs.certificate_der(holder)), TOKEN, None).type_identifiant == kind


def test_missing_names_are_null():
    """A CN-only subject (no SN/GN/title) gives the identifier and nulls, nothing invented."""
    identity = identity_from_certificate(obj(certs.common_name_der("810100000017")), TOKEN, None)
    assert (identity.nom, identity.prenom, identity.profession) == (None, None, None)
    assert identity.numero == "10100000017" and identity.certificate.private_extensions == []


def test_not_yet_valid_and_expired_against_the_time_of_the_read():
    der = certs.certificate_der(certs.ZOE)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=4 * 365)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    assert identity_from_certificate(obj(der), TOKEN, None, now=later).expired is True
    assert identity_from_certificate(obj(der), TOKEN, None, now=earlier).certificate.validity.not_yet_valid is True


def test_preference_authentication_then_signature_then_any():
    zoe, luc = certs.certificate_der(certs.ZOE), certs.certificate_der(certs.LUC)
    chosen = choose_identity([obj(luc, "Certificat de Signature CPS"), obj(zoe)], TOKEN, None)
    assert chosen.nom == certs.ZOE.nom
    chosen = choose_identity([obj(certs.plain_certificate_der(), "Certificat d'Authentification CPS"),
                              obj(luc, "other")], TOKEN, None)
    assert chosen.nom == certs.LUC.nom  # the preferred label names no practitioner: the next one
    with pytest.raises(NoCertificateError):
        choose_identity([obj(b"not DER"), obj(certs.plain_certificate_der())], TOKEN, None)


def token(slot: str, serial: str, hw: bool = True, slot_id: int = 0) -> TokenInfo:
    return TokenInfo(slot_id=slot_id, slot_description=slot, hardware_slot=hw, label="CPS", serial=serial,
                     manufacturer="", model="")


def test_one_token_is_the_one():
    only = token("SoftHSM slot ID 0x1", "aa", hw=False)
    assert match_token([only], "CPS 00 00", "80250000019999999901") == (only, "singleToken")


def test_the_slot_named_after_the_reader():
    a = token("Gemalto PC Twin Reader 00 00", "1", slot_id=1)
    b = token("Virtual PCD 00 01", "2", slot_id=2)
    assert match_token([a, b], "Virtual PCD 00 01") == (b, "slotDescription")


def test_the_token_serial_within_the_card_number():
    a = token("slot A", "2900995235", slot_id=1)
    b = token("slot B", "9999999901", slot_id=2)
    assert match_token([a, b], "CPS 00 00") is None  # no card number yet: undecided
    assert match_token([a, b], "CPS 00 00", "80250000019999999901") == (b, "tokenSerial")
    assert match_token([a, b], None, "8025 0000 0129 0099 5235") == (a, "tokenSerial")


def test_nothing_ties_several_tokens():
    a, b = token("slot A", "11", slot_id=1), token("slot B", "11", slot_id=2)
    assert match_token([a, b], "CPS 00 00", "8025000001000000011") is None  # both serials match: no guess
    assert match_token([], "CPS 00 00", "1") is None
