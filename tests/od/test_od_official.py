"""Reading the GIE's file: both variants, both layouts, the version row, every error's line."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import OdTableInvalidError
from bridge.od.official import decode, parse_official, read_official
from tests.helpers.od_testdata import HEADER_6


def test_six_columns_quoted_latin1_crlf(fixtures):
    parsed = read_official(fixtures / "tod-6col-quoted-latin1-crlf.csv")
    assert parsed.layout == "sixColumn"
    assert parsed.encoding == "latin-1"
    assert parsed.quoted and parsed.header
    assert parsed.version == "3.12"  # "3";"12";"1";"Version de la table"
    assert len(parsed.rows) == 8  # 9 lines after the header, minus the version row
    by_key = {r.key: r for r in parsed.rows}
    aisne = by_key[("01", "021", "0000")]  # written "1";"21";"0";...;"21";"11"
    assert (aisne.od, aisne.code_centre_informatique, aisne.libelle) == ("021", "011", "CPAM de l'Aisne")
    assert by_key[("99", "751", "0617")].libelle == "SMEREP; section locale"  # ';' inside quotes
    assert by_key[("03", "037", "0100")].libelle == "Sécurité sociale des indépendants Île-de-France"
    assert by_key[("99", "751", "0601")].line == 8
    assert all(r.adresse1 is None and r.regime_name is None for r in parsed.rows)


def test_six_columns_plain(fixtures):
    parsed = read_official(fixtures / "tod-6col-plain-latin1-crlf.csv")
    assert (parsed.layout, parsed.quoted, parsed.version) == ("sixColumn", False, "3.70")
    assert [r.key for r in parsed.rows] == [
        ("01", "751", "0000"), ("01", "751", "0601"), ("02", "011", "0000"), ("99", "751", "0601"),
    ]
    assert parsed.rows[2].libelle == "MSA Ain-Rhône"


def test_fourteen_columns_plain_with_addresses(fixtures):
    parsed = read_official(fixtures / "tod-14col-plain-latin1-crlf.csv")
    assert (parsed.layout, parsed.quoted, parsed.version) == ("fourteenColumn", False, "3.37")
    assert parsed.encoding == "windows-1252"  # the € of a phone number is byte 0x80
    mgen = next(r for r in parsed.rows if r.key == ("91", "811", "0506"))
    assert (mgen.adresse1, mgen.adresse2, mgen.commune, mgen.code_postal, mgen.cedex) == (
        "4 rue Pierre Loti", "BP 75", "ALBI", "81019", "CEDEX 9",
    )
    assert mgen.regime_name == "M.G.E.N."
    mfp = next(r for r in parsed.rows if r.regime == "94")
    assert mfp.telephone == "0821 089 000 - 0,12€/mn"
    assert mfp.adresse2 == "3, rue Nestor Gréhant"
    assert mfp.fax is None  # empty optional fields are absent, not ""
    assert parsed.regime_names["01"] == "REGIME GENERAL"


def test_columns_are_found_by_name_not_position(fixtures):
    """The UTF-8 copy has the same data in another column order and an upper-case header."""
    latin = read_official(fixtures / "tod-14col-plain-latin1-crlf.csv")
    utf8 = read_official(fixtures / "tod-14col-quoted-utf8-lf.csv")
    assert utf8.encoding == "utf-8" and utf8.quoted
    assert utf8.rows == latin.rows
    assert utf8.version == latin.version


def test_decoding_rule():
    assert decode("é".encode()) == ("é", "utf-8")
    assert decode("é".encode("latin-1")) == ("é", "latin-1")
    assert decode(b"\xef\xbb\xbfabc") == ("abc", "utf-8")
    assert decode(b"\x80") == ("€", "windows-1252")
    assert decode(b"\x81\xe9") == ("\x81é", "latin-1")  # 0x81 is undefined in Windows-1252


def test_blank_lines_and_trailing_separator_are_harmless(tod_file):
    path = tod_file([HEADER_6, "", "01;751;0000;PARIS;751;036;", "   ", "99;751;0601;LMDE;752;044", ""])
    parsed = read_official(path)
    assert len(parsed.rows) == 2
    assert parsed.blank_lines == 3  # "", "   " and the last ""


def test_headerless_documented_order_is_reported(tod_file):
    parsed = read_official(tod_file(['"01";"751";"0000";"PARIS";"751";"036"']))
    assert not parsed.header
    assert parsed.rows[0].od == "751"
    assert any("no header line" in w for w in parsed.warnings)


def test_missing_version_is_a_warning_not_a_guess(tod_file):
    parsed = read_official(tod_file([HEADER_6, "01;751;0000;PARIS;751;036"]))
    assert parsed.version is None
    assert any("Version de la table" in w for w in parsed.warnings)


def test_quoted_and_plain_lines_in_one_file_are_read_and_reported(tod_file):
    """A file is one variant or the other; a mix is read whole (quotes are unambiguous) but said."""
    parsed = read_official(tod_file([HEADER_6, '"01";"751";"0000";"PARIS; 1er";"751";"036"',
                                     "99;751;0601;LMDE;752;044"]))
    assert [(r.libelle, r.od) for r in parsed.rows] == [("PARIS; 1er", "751"), ("LMDE", "752")]
    assert any("1 lines are quoted and 1 are not" in w for w in parsed.warnings)


def test_unknown_columns_are_reported(tod_file):
    parsed = read_official(tod_file([HEADER_6 + ";Date de mise à jour", "01;751;0000;PARIS;751;036;2024-01-01"]))
    assert any("Date de mise à jour" in w for w in parsed.warnings)


def test_identical_duplicate_is_kept_once_and_reported(tod_file):
    parsed = read_official(
        tod_file([HEADER_6, "01;751;0000;PARIS;751;036", "01;751;0;Paris (bis);751;36"])
    )
    assert len(parsed.rows) == 1 and parsed.rows[0].libelle == "PARIS"
    assert any("line 3 repeats" in w and "line 2" in w for w in parsed.warnings)


def test_zip_with_one_csv_is_read(fixtures):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("TOD_370.csv", (fixtures / "tod-6col-plain-latin1-crlf.csv").read_bytes())
    parsed = parse_official(buffer.getvalue(), "tod.zip")
    assert parsed.version == "3.70" and len(parsed.rows) == 4
    assert parsed.file_name == "tod.zip:TOD_370.csv"


# --- errors: the file, the line, the reason; nothing kept ----------------------------------------


def _error(data: bytes | list[str]) -> OdTableInvalidError:
    if isinstance(data, list):
        data = ("\r\n".join(data) + "\r\n").encode("latin-1")
    with pytest.raises(OdTableInvalidError) as info:
        parse_official(data, "TOD.csv")
    return info.value


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        ([HEADER_6, "01;751;0000;PARIS;751;036", "01;751;0601;PARIS"], 3, "4 fields where the header has 6"),
        ([HEADER_6, "01;751;0000;PARIS;751;036", "O1;752;0000;X;752;036"], 3, "code régime 'O1'"),
        ([HEADER_6, "01;7510;0000;PARIS;751;036"], 2, "caisse gestionnaire '7510'"),
        ([HEADER_6, "01;751;0000;PARIS;;036"], 2, "organisme destinataire ''"),
        ([HEADER_6, '"01";"751";"0000";"PA"RIS";"751";"036"'], 2, "bad quoting"),
        ([HEADER_6, "3;12;1;Version de la table;0;0", "3;13;1;Version de la table;0;0"], 3, "second 'Version"),
        (
            [HEADER_6, "01;751;0000;PARIS;751;036", "01;751;0000;PARIS;752;036"],
            3,
            "already on line 2 with another OD",
        ),
    ],
)
def test_bad_row_names_file_and_line(lines, line, words):
    error = _error(lines)
    assert error.details["line"] == line
    assert error.message.startswith(f"TOD.csv, line {line}: ")
    assert words in error.message
    assert "active table was not changed" in error.message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        ((HEADER_6 + "\r\n").encode("latin-1"), "no data rows"),
        (
            b"code regime;caisse;centre\r\n01;751;0000\r\n",
            "lacks the column(s) libell\u00e9, organisme destinataire, code centre informatique",
        ),
        (b"a;b;c\r\n1;2;3\r\n", "not a header"),
        (b"Libelle;Libell\xe9;code regime;caisse;centre;od;cci\r\n", "twice: libelle"),
        (b"01;751;0000;PARIS;751;036\x00\r\n", "NUL bytes"),
        (b"PK\x03\x04garbage", "ZIP archive is damaged"),
    ],
)
def test_bad_file(data, words):
    assert words in _error(data).message


def test_several_errors_are_reported_together():
    error = _error([HEADER_6, "01;751;0000;PARIS;751", "x;751;0000;A;751;036", "01;751;0001;B;751;036"])
    assert error.details["line"] == 2
    assert [e["line"] for e in error.details["errors"]] == [2, 3]
    assert "and 1 more error" in error.message and "line 3" in error.message


def test_file_too_large(tmp_path, monkeypatch):
    from bridge.od import files

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 200)
    with pytest.raises(OdTableInvalidError, match="larger than 100 bytes"):
        read_official(path)


def test_unreadable_file_is_a_table_error(tmp_path):
    with pytest.raises(OdTableInvalidError, match="Cannot read"):
        read_official(tmp_path / "missing.csv")


# --- nothing is silently dropped -------------------------------------------------------------------

_libelle = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters='";\x7f', blacklist_categories=("Cc",)),
    max_size=30,
).filter(lambda s: s.strip() and not s.strip().lower().startswith("version de la table"))


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(0, 99), st.integers(0, 999), st.integers(0, 9999)),
        st.tuples(_libelle, st.integers(0, 999), st.integers(0, 999)),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
    st.sampled_from(["latin-1", "utf-8"]),
    st.sampled_from(["\r\n", "\n"]),
)
def test_every_row_is_read_back(table, quoted, encoding, newline):
    def cell(v: object) -> str:
        return f'"{v}"' if quoted else str(v)

    lines = [";".join(cell(c) for c in HEADER_6.split(";"))]
    for (r, c, ce), (lib, od, cci) in table.items():
        lines.append(";".join(cell(v) for v in (r, c, ce, lib, od, cci)))
    parsed = parse_official((newline.join(lines) + newline).encode(encoding), "gen.csv")
    assert len(parsed.rows) == len(table)
    got = {r.key: (r.libelle, r.od, r.code_centre_informatique) for r in parsed.rows}
    for (r, c, ce), (lib, od, cci) in table.items():
        assert got[(f"{r:02d}", f"{c:03d}", f"{ce:04d}")] == (lib.strip(), f"{od:03d}", f"{cci:03d}")
