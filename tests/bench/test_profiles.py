"""The shipped profiles: valid, with correct NIR keys, and covering every reader trap they claim."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge import profiles

NAMES = profiles.shipped_names()
VITALE = [n for n in NAMES if profiles.load(n).kind == "vitale"]


def nir_key(first13: str) -> str:
    """Independent of the card layer: 97 - (13 digits mod 97), Corsica 2A -> 19, 2B -> 18."""
    digits = first13.upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def beneficiaries():
    for name in VITALE:
        for i, b in enumerate(profiles.load(name).beneficiaries):
            yield pytest.param(b, id=f"{name}[{i}]")


def test_defaults_and_required_profiles_are_shipped():
    required = {"famille", "cps3", "cps4", "adulte", "naissance-lunaire", "siecle-manquant", "corse",
                "msa-provisoire", "slm-etudiant", "cnda-test", "carte-expiree", "vitale1"}
    assert required <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_profile_loads_and_its_name_matches_the_file(name):
    p = profiles.load(name)
    assert p.name == name and p.description
    assert bytes.fromhex(p.atr)


@pytest.mark.parametrize("b", list(beneficiaries()))
def test_nir_keys_are_valid(b):
    assert len(b.nir) == 15
    assert b.nir[13:] == nir_key(b.nir[:13])


def test_corsican_examples_of_the_public_notes():
    assert nir_key("253072B073004") == "70" and nir_key("253072A073004") == "43"


def test_the_traps_are_really_in_the_profiles():
    famille = profiles.load("famille").beneficiaries
    assert len(famille) == 4
    assert [b.qualite for b in famille] == ["0", "2", "6", "6"]
    twins = famille[2:]
    assert twins[0].date_naissance == twins[1].date_naissance
    assert [t.rang_naissance for t in twins] == [1, 2]

    lunar = profiles.load("naissance-lunaire").beneficiaries
    for b in lunar:
        month, day = int(b.date_naissance[4:6]), int(b.date_naissance[6:8])
        assert month == 0 or month > 12 or day == 0
    assert len(profiles.load("siecle-manquant").beneficiaries[0].date_naissance) == 6
    corse = {b.nir[5:7] for b in profiles.load("corse").beneficiaries}
    assert corse == {"2A", "2B"}
    msa = profiles.load("msa-provisoire")
    assert msa.amo.regime == "02" and msa.beneficiaries[0].nir.startswith("555555")
    slm = profiles.load("slm-etudiant").amo
    assert (slm.regime, slm.caisse, slm.centre) == ("99", "751", "0601")
    cnda = profiles.load("cnda-test").amo
    assert (cnda.caisse, cnda.centre) == ("349", "0349")
    expired = profiles.load("carte-expiree")
    assert dt.datetime.strptime(expired.validity_end, "%Y%m%d").date() < dt.date.today()
    assert profiles.load("vitale1").card_type == "vitale1"
    assert profiles.load("cps3-pin-bloque").pin_tries_remaining == 0


@pytest.mark.parametrize("name", VITALE)
def test_every_vitale_profile_has_amo_data_for_the_simulator(name):
    p = profiles.load(name)
    assert p.amo.regime and len(p.amo.caisse) == 3 and len(p.amo.centre) == 4
    assert all(b.droits for b in p.beneficiaries)
