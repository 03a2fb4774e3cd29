"""Search finds what clerks type (usual names, 2A/2B) and every hit says truthfully what matched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.od.search import CORSICA, MAX_LIMIT
from bridge.od.store import load_embedded
from bridge.od.text import fold
from bridge.od.usual_names import USUAL_NAMES

TABLE = load_embedded()
DOC = Path(__file__).resolve().parents[2] / "docs" / "od-table.md"


@pytest.fixture(scope="module")
def index():
    return TABLE.search_index()


def test_msa_finds_the_agricultural_regime_first(index):
    result = index.search("MSA", limit=MAX_LIMIT)
    regime_02 = sum(1 for r in TABLE.rows if r.regime == "02")
    assert result.total == regime_02 + 1  # + S.I.M.S.A. MUTUELLE ACTION, whose libellé contains "msa"
    assert {(h.organisme.regime, h.matched_on, h.usual_name) for h in result.results} == {("02", "usualName", "MSA")}
    simsa = index.search("simsa").results[0]  # ranked after every row of the régime
    assert simsa.organisme.libelle.startswith("S.I.M.S.A") and simsa.score < result.results[-1].score


@pytest.mark.parametrize(
    ("query", "regime", "label"),
    [
        ("CPAM", "01", "CPAM"), ("msa", "02", "MSA"), ("CNMSS", "08", "CNMSS"), ("ENIM", "06", "ENIM"),
        ("CRPCEN", "10", "CRPCEN"), ("MGEN", "91", "MGEN"), ("SNCF", "04", "SNCF"), ("RATP", "05", "RATP"),
        ("sécurité sociale des indépendants", "03", "SSI"), ("MFP", "94", "MFP"), ("MNH", "95", "MNH"),
        ("LMDE", "99", "LMDE"), ("Banque de France", "99", "Banque de France"), ("IEG", "99", "CAMIEG"),
        ("régime local Alsace-Moselle", "01", "régime local Alsace-Moselle"), ("cavimac", "90", "CAVIMAC"),
    ],
)
def test_usual_names(index, query, regime, label):
    first = index.search(query).results[0]
    assert (first.organisme.regime, first.matched_on, first.usual_name) == (regime, "usualName", label)


def test_regime_local_is_the_caisses_of_the_three_departements(index):
    hits = index.search("alsace moselle", limit=MAX_LIMIT).results
    assert {(h.organisme.regime, h.organisme.caisse[:2]) for h in hits} == {
        (r, d) for r in ("01", "02") for d in ("57", "67", "68")
    }
    assert all(h.usual_name == "régime local Alsace-Moselle" for h in hits)


def test_a_usual_name_with_other_words(index):
    result = index.search("msa ajaccio")
    assert result.total == 3
    assert {(h.organisme.regime, h.organisme.libelle, h.usual_name) for h in result.results} == {("02", "AJACCIO", "MSA")}
    assert index.search("mgen 2b").results[0].organisme.libelle == "MGEN HAUTE CORSE"
    assert index.search("mgen 2b").total == 1


def test_a_prefix_of_a_usual_name(index):
    hit = index.search("crpc").results[0]
    assert (hit.organisme.regime, hit.matched_on, hit.usual_name) == ("10", "usualName", "CRPCEN")
    assert index.search("alsa mos").results[0].usual_name == "régime local Alsace-Moselle"


@pytest.mark.parametrize("dept", ["2A", "2B", "2a", " 2b "])
def test_corsican_departements(index, dept):
    caisse, postal = CORSICA[dept.strip().lower()]
    result = index.search(dept, limit=MAX_LIMIT)
    assert result.total >= 5
    for h in result.results:
        o = h.organisme
        if h.matched_on == "codePostal":
            assert (o.code_postal or "")[:3] in postal
        else:
            assert (h.matched_on, o.caisse) == ("code", caisse)
    names = {h.organisme.libelle for h in result.results}
    assert ("MGEN CORSE DU SUD" if caisse == "201" else "MGEN HAUTE CORSE") in names  # no postal code: by caisse
    in_20 = sum(1 for r in TABLE.rows if (r.code_postal or "").startswith("20"))
    assert index.search("20").total == in_20  # Corsican postal codes, like any other département's


def test_search_results_resolve_nothing(index):
    result = index.search("lmde paris")
    assert result.results and all(h.organisme.matched is None for h in result.results)
    assert TABLE.resolve("99", "751", "0601").matched == "exact"  # resolution keeps saying its rule


def _claim_holds(hit, query: str) -> bool:
    """What matchedOn says, checked against the row itself."""
    o, words = hit.organisme, fold(query).split()
    words = [w for w in words if w not in CORSICA]
    if hit.matched_on == "libelle":
        return all(w in fold(o.libelle) or any(x.startswith(w) for x in fold(f"{o.libelle} {o.commune or ''}").split())
                   for w in words)
    if hit.matched_on == "commune":
        return all(any(x.startswith(w) for x in fold(o.commune or "").split()) for w in words)
    if hit.matched_on == "regimeLibelle":
        text = fold(f"{o.regime_libelle or ''} {o.libelle} {o.commune or ''}").split()
        return all(any(x.startswith(w) for x in text) for w in words)
    if hit.matched_on == "usualName":
        labels = (hit.usual_name or "").split(" + ")
        names = " ".join(n for u in USUAL_NAMES if u.label in labels for n in u.folded).split()
        text = fold(f"{o.regime_libelle or ''} {o.libelle} {o.commune or ''}").split() + names
        return all(any(x.startswith(w) for x in text) for w in words)
    if hit.matched_on == "codePostal":
        digits = re.sub(r"\D", "", query)
        return bool(o.code_postal) and (o.code_postal.startswith(digits) or bool(fold(query).split()[0] in CORSICA))
    if hit.matched_on == "od":
        return o.od == query.strip()
    return hit.matched_on == "code"


_WORDS = sorted({w for r in TABLE.rows for w in fold(f"{r.libelle} {r.commune or ''}").split() if w.isalpha()})
_USUAL = sorted({n for u in USUAL_NAMES for n in u.folded})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS + _USUAL + ["2a", "2b"]), min_size=1, max_size=3), st.integers(0, 3))
def test_every_hit_says_truthfully_what_matched(index, words, cut):
    query = " ".join(w[: max(1, len(w) - cut)] for w in words)
    for hit in index.search(query, limit=MAX_LIMIT).results:
        assert _claim_holds(hit, query), (query, hit.matched_on, hit.usual_name, hit.organisme.libelle)


def test_usual_names_come_from_the_table_and_are_documented():
    text = DOC.read_text(encoding="utf-8")
    names = {fold(TABLE.regime_names[c]) for c in TABLE.regime_names}
    for usual in USUAL_NAMES:
        assert f"`{usual.label}`" in text, usual.label
        if usual.regime_phrases:  # one of them at least names a régime of the embedded table
            assert any(phrase in n for phrase in usual.regime_phrases for n in names), usual.label
