"""Search without a card: names, communes, postal codes, code prefixes; ranked and limited."""

from __future__ import annotations

import pytest

from bridge.od.search import MAX_LIMIT
from bridge.od.store import load_embedded


@pytest.fixture(scope="module")
def index():
    return load_embedded().search_index()


def libelles(result):
    return [h.organisme.libelle for h in result.results]


def test_accents_and_case_are_ignored(index):
    plain = index.search("securite sociale")
    accented = index.search("SÉCURITÉ Sociale")
    assert plain.total == accented.total > 0
    assert libelles(plain) == libelles(accented)


def test_words_in_any_order_and_prefixes(index):
    assert "MGEN TARN" in libelles(index.search("tarn mgen"))
    assert "MGEN TARN" in libelles(index.search("mge tar"))


def test_exact_name_ranks_first(index):
    result = index.search("MGEN TARN")
    assert result.results[0].organisme.libelle == "MGEN TARN"
    assert result.results[0].score > result.results[1].score  # "MGEN TARN ET GARONNE" comes after
    assert libelles(result)[1] == "MGEN TARN ET GARONNE"


def test_dotted_abbreviations(index):
    assert libelles(index.search("M.G.E.N. tarn")) == libelles(index.search("mgen tarn"))[:1] + libelles(index.search("mgen tarn"))[1:]
    assert libelles(index.search("M.G.E.N. tarn"))[0] == "MGEN TARN"
    result = index.search("S.N.C.F")
    assert result.total >= 4 and all(h.organisme.regime == "04" for h in result.results)
    assert {(h.matched_on, h.usual_name) for h in result.results} == {("usualName", "SNCF")}


def test_commune(index):
    result = index.search("albi")
    on = [h.matched_on for h in result.results]
    assert on[0] == "libelle" and "commune" in on  # names first, then organismes located there
    assert on.index("commune") > max(i for i, m in enumerate(on) if m == "libelle")
    assert any(h.organisme.libelle == "MGEN TARN" for h in result.results)  # in ALBI, name says TARN
    assert all("ALBI" in (h.organisme.commune or "").upper() for h in result.results if h.matched_on == "commune")


def test_postal_code(index):
    result = index.search("75005")
    assert result.results[0].organisme.code_postal == "75005"
    assert result.results[0].matched_on == "codePostal"


def test_code_prefix_forms(index):
    full = index.search("99 751 0601")
    assert full.results[0].organisme.libelle == "LMDE Paris" and full.results[0].score == 100
    assert index.search("99/751/0601").results[0] == full.results[0]
    assert index.search("997510601").results[0] == full.results[0]
    assert index.search("99 751 601").results[0] == full.results[0]  # parts padded like codes
    prefix = index.search("99 751")
    assert prefix.total >= 5
    assert all((h.organisme.regime, h.organisme.caisse) == ("99", "751") for h in prefix.results)


def test_od_code(index):
    result = index.search("752")
    od_hits = [h for h in result.results if h.matched_on == "od"]
    assert any(h.organisme.libelle == "LMDE Paris" for h in od_hits)


def test_limit_is_applied_and_capped(index):
    result = index.search("mutuelle", limit=3)
    assert len(result.results) == 3 and result.total > 3
    assert len(index.search("0", limit=10_000).results) <= MAX_LIMIT
    assert len(index.search("mutuelle", limit=0).results) == 1


def test_nothing_matches(index):
    assert index.search("zzzz").total == 0
    assert index.search("   ").total == 0
    assert index.search("...").total == 0


def test_ranking_is_stable(index):
    assert index.search("paris").results == index.search("paris").results


def test_a_row_without_postal_code_is_searchable():
    """A row whose file gave no code postal (optional column) is indexed by its other fields."""
    from bridge.od.models import OdSource
    from bridge.od.table import OdRow, OdTable

    rows = [OdRow("01", "751", "0000", "CPAM PARIS", "751", "036", code_postal="75019"),
            OdRow("01", "972", "0000", "CGSS MARTINIQUE", "972", "036")]
    table = OdTable(rows, version="1", source=OdSource(kind="imported"))
    assert libelles(table.search_index().search("martinique")) == ["CGSS MARTINIQUE"]
    assert libelles(table.search_index().search("75019")) == ["CPAM PARIS"]
