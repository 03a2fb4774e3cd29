"""Resolution: the exact row, then the caisse's centre 0000 row, and nothing invented."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bridge.errors import OdNotFoundError
from bridge.od.codes import InvalidOdCodeError
from bridge.od.models import OdSource, OrganismeDestinataire
from bridge.od.official import read_official
from bridge.od.table import DuplicateKeyError, OdRow, OdTable


@pytest.fixture
def table(fixtures) -> OdTable:
    parsed = read_official(fixtures / "tod-6col-plain-latin1-crlf.csv")
    return OdTable(parsed.rows, version=parsed.version, source=OdSource(kind="imported"),
                   regime_names={"01": "REGIME GENERAL"})


def test_exact_row_wins_over_the_wildcard(table):
    od = table.resolve("01", "751", "0601")
    assert (od.od, od.code_centre_informatique, od.centre, od.matched) == ("751", "037", "0601", "exact")
    assert od.table_version == "3.70"
    assert od.regime_libelle == "REGIME GENERAL"


def test_centre_wildcard(table):
    od = table.resolve("01", "751", "0123")
    assert (od.od, od.code_centre_informatique, od.centre, od.matched) == ("751", "036", "0000", "centreWildcard")
    assert od.libelle == "CPAM de Paris"


def test_the_wildcard_row_itself_is_an_exact_match(table):
    assert table.resolve("01", "751", "0000").matched == "exact"


def test_no_wildcard_no_guess(table):
    """99/751 has a row for centre 0601 only: another centre is not found, not 'nearest'."""
    with pytest.raises(OdNotFoundError) as info:
        table.resolve("99", "751", "0602")
    assert info.value.details == {"regime": "99", "caisse": "751", "centre": "0602", "tableVersion": "3.70"}
    assert "0602" not in info.value.message  # in the details only: no input echoed in a message


def test_unknown_regime_or_caisse(table):
    for codes in [("03", "751", "0000"), ("01", "752", "0000")]:
        with pytest.raises(OdNotFoundError):
            table.resolve(*codes)


def test_short_codes_are_padded(table):
    assert table.resolve("1", "751", "601") is table.resolve("01", "751", "0601")
    assert table.resolve(1, 751, 601).od == "751"  # type: ignore[arg-type]


@pytest.mark.parametrize("codes", [("1x", "751", "0601"), ("01", "7510", "0601"), ("01", "751", ""), ("", "", "")])
def test_invalid_codes(table, codes):
    with pytest.raises(InvalidOdCodeError):
        table.resolve(*codes)


def test_answers_are_frozen_and_reused(table):
    first = table.resolve("02", "011", "0000")
    assert table.resolve("02", "011", "0000") is first
    with pytest.raises(ValidationError):
        first.od = "999"  # type: ignore[misc]
    assert isinstance(first, OrganismeDestinataire)


def test_wire_form_uses_camel_case(table):
    wire = table.resolve("99", "751", "0601").to_wire()
    assert wire["codeCentreInformatique"] == "044"
    assert wire["tableVersion"] == "3.70" and wire["matched"] == "exact"
    assert wire["codePostal"] is None


def test_regime_name_from_the_rows_of_a_14_column_file(fixtures):
    parsed = read_official(fixtures / "tod-14col-plain-latin1-crlf.csv")
    table = OdTable(parsed.rows, version=parsed.version, source=OdSource(kind="imported"))
    od = table.resolve("91", "811", "0506")
    assert od.regime_libelle == "M.G.E.N."
    assert (od.adresse1, od.code_postal, od.commune, od.cedex) == ("4 rue Pierre Loti", "81019", "ALBI", "CEDEX 9")


def test_every_field_of_the_row_reaches_the_answer():
    """The answer is built from the row by field name (the row's ``regime_name`` is the wire's
    ``regime_libelle``): nothing the table holds is lost on the way."""
    values = {f: f"{i:02d}" for i, f in enumerate(OdRow._fields) if f != "line"}
    values.update(regime="01", caisse="751", centre="0601", od="752", code_centre_informatique="044")
    row = OdRow(**values, line=7)
    table = OdTable([row], version="3.70", source=OdSource(kind="imported"))
    od = table.resolve("01", "751", "0601")
    values["regime_libelle"] = values.pop("regime_name")
    assert od.model_dump(exclude={"table_version", "matched"}) == values
    assert set(OrganismeDestinataire.model_fields) == set(values) | {"table_version", "matched"}


def test_a_table_refuses_duplicate_keys():
    row = OdRow("01", "751", "0000", "A", "751", "036")
    with pytest.raises(DuplicateKeyError):
        OdTable([row, OdRow("01", "751", "0000", "B", "752", "036")], version="1", source=OdSource(kind="imported"))


def test_wildcard_cache_is_bounded(table, monkeypatch):
    from bridge.od import table as table_module

    monkeypatch.setattr(table_module, "MAX_CACHED_WILDCARD_KEYS", 10)
    for centre in range(1, 100):
        assert table.resolve("01", "751", f"{centre + 1000:04d}").matched == "centreWildcard"
    assert table._wildcard_cached == 10
