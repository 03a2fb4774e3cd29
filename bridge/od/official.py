"""Read the TOD file as the GIE SESAM-Vitale publishes it, refusing anything doubtful.

The file is ``;``-separated, Latin-1, CRLF, in a plain and an every-field-quoted variant, with
either the official 6 columns or the historic 14 (with addresses). Real copies differ in the
spelling of the header (accents, case), so columns are found by name. The parser reads the
whole file before anything is used: one bad row makes the whole file an
:class:`~bridge.errors.OdTableInvalidError` naming the file and the line, because a half-read routing
table would send claims to the wrong organisme without anyone noticing.

Decisions (documented in docs/od-table.md):

- Bytes, encodings and ZIP archives: :mod:`bridge.od.files` (regular files only, size limit
  enforced while reading, UTF-16 recognised and refused with how to convert it).
- Blank lines are skipped and counted; every other line is a row or an error.
- The ``Version de la table`` pseudo-row gives the version and is not a data row.
- Two rows with one (régime, caisse, centre): same OD and code centre informatique -> the first
  is kept and the repeat reported as a warning; a different routing -> error, both lines named
  (choosing one would be inventing a routing rule).
- A file without a header line is accepted only when it has exactly 6 or 14 columns and its
  first row is numeric; the documented column order is then used, and this is reported.
- Columns the bridge does not know are reported as ignored, not silently dropped.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bridge.od.codes import WIDTHS, InvalidOdCodeError, normalize
from bridge.od.files import MAX_FILE_BYTES, decode, read_bytes, unzip
from bridge.od.files import error as _error

__all__ = ["MAX_FILE_BYTES", "ParsedTable", "decode", "parse_official", "read_official"]
from bridge.od.table import OdRow
from bridge.od.text import fold

#: Most rows accepted (the official table has a few thousand).
MAX_ROWS = 200_000
#: Errors collected before giving up, so the user can fix several at once.
MAX_ERRORS = 20
MAX_WARNINGS = 50

REQUIRED = ("regime", "caisse", "centre", "libelle", "od", "code_centre_informatique")
#: How each field is named to the user (the official column names).
LABELS = {
    "regime": "code régime", "caisse": "caisse gestionnaire", "centre": "centre gestionnaire",
    "libelle": "libellé", "od": "organisme destinataire",
    "code_centre_informatique": "code centre informatique",
}
OFFICIAL_6 = REQUIRED
HISTORIC_14 = (
    "regime", "caisse", "centre", "libelle", "regime_name", "od", "code_centre_informatique",
    "adresse1", "adresse2", "commune", "code_postal", "cedex", "telephone", "fax",
)
#: The file's layout, as ``od import --json`` names it (a wire value: lowerCamelCase) and as a
#: sentence shows it.
LAYOUT_TEXT = {"sixColumn": "6-column", "fourteenColumn": "14-column", "other": "other layout"}

#: Header names (folded: no accents, lower case, single spaces) -> field of OdRow.
HEADER_NAMES: dict[str, str] = {}
for _field, _names in {
    "regime": ["code regime", "regime code", "code du regime", "code grand regime", "cod regime"],
    "caisse": ["caisse gestionnaire", "caisse", "code caisse", "code caisse gestionnaire"],
    "centre": ["centre gestionnaire", "centre", "code centre", "code centre gestionnaire"],
    "libelle": ["libelle", "libelle organisme", "libelle od", "nom", "nom organisme"],
    "od": ["organisme destinataire", "code organisme destinataire", "od", "code od",
           "org destinataire"],
    "code_centre_informatique": ["code centre informatique", "centre informatique", "cci",
                                 "code cci"],
    "regime_name": ["regime", "libelle regime", "nom regime", "nom du regime"],
    "adresse1": ["adresse 1", "adresse1", "adresse", "adresse ligne 1"],
    "adresse2": ["adresse 2", "adresse2", "adresse ligne 2", "complement adresse"],
    "commune": ["commune", "ville", "localite"],
    "code_postal": ["code postal", "cp", "codepostal"],
    "cedex": ["cedex"],
    "telephone": ["telephone", "tel", "numero de telephone"],
    "fax": ["fax", "telecopie", "numero de fax"],
}.items():
    for _name in _names:
        HEADER_NAMES[_name] = _field

_LINE_END = re.compile(r"\r\n|\n|\r")


@dataclass(frozen=True)
class ParsedTable:
    """A whole file read and checked; nothing here has touched the active table yet."""

    file_name: str
    sha256: str
    rows: tuple[OdRow, ...]
    version: str | None
    encoding: str
    quoted: bool
    header: bool
    layout: str  #: a key of LAYOUT_TEXT (a wire value: ``od import --json``)
    regime_names: dict[str, str]
    warnings: tuple[str, ...]
    blank_lines: int


def read_official(path: str | Path) -> ParsedTable:
    """Read and check a TOD file (CSV, or a ZIP holding one CSV); regular files only."""
    return parse_official(read_bytes(path), Path(path).name)


def parse_official(data: bytes, name: str = "<data>") -> ParsedTable:
    """Check and read the bytes of a TOD file. Raises OdTableInvalidError naming *name* and the line."""
    sha256 = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04":
        data, name = unzip(data, name)
    text, encoding = decode(data, name)
    return _Parser(name, sha256, encoding).parse(text)


class _Parser:
    def __init__(self, name: str, sha256: str, encoding: str) -> None:
        self.name = name
        self.sha256 = sha256
        self.encoding = encoding
        self.errors: list[dict[str, object]] = []
        self.warnings: list[str] = []
        self.extra_warnings = 0

    # --- helpers -------------------------------------------------------------------------------

    def fail(self, line: int, problem: str) -> None:
        self.errors.append({"line": line, "problem": problem})
        if len(self.errors) >= MAX_ERRORS:
            self.raise_errors()

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.extra_warnings += 1

    def raise_errors(self) -> None:
        first = self.errors[0]
        more = len(self.errors) - 1
        problem = str(first["problem"])
        if more:
            shown = "; ".join(f"line {e['line']}: {e['problem']}" for e in self.errors[1:4])
            problem += f" (and {more} more error{'s' if more > 1 else ''}: {shown}" + ("; ..." if more > 3 else "") + ")"
        raise _error(self.name, first["line"], problem, errors=self.errors)  # type: ignore[arg-type]

    @staticmethod
    def split(line: str) -> tuple[list[str], bool]:
        """Fields of one line, and whether they were quoted."""
        if '"' not in line:
            return line.split(";"), False
        # Every field quoted, no quote inside a field: the common case, without the csv module.
        if line[0] == '"' and line[-1] == '"' and line.count('"') == 2 * (line.count('";"') + 1):
            return line[1:-1].split('";"'), True
        reader = csv.reader([line], delimiter=";", quotechar='"', strict=True)
        return next(reader), True

    # --- the file --------------------------------------------------------------------------------

    def parse(self, text: str) -> ParsedTable:
        lines = _LINE_END.split(text)
        if lines and lines[-1] == "":
            lines.pop()
        blank = 0
        columns: list[str | None] | None = None
        header = False
        quoted_lines = plain_lines = 0
        rows: list[OdRow] = []
        by_key: dict[tuple[str, str, str], OdRow] = {}
        version: str | None = None
        version_line: int | None = None
        regime_name_votes: dict[str, Counter[str]] = {}
        index: _Index | None = None

        for number, line in enumerate(lines, start=1):
            if not line.strip() or not line.strip(' ;"\t'):
                blank += 1
                continue
            try:
                fields, quoted = self.split(line)
            except csv.Error as exc:
                self.fail(number, f"bad quoting ({exc}); fields must be all quoted or none")
                continue
            if columns is None:
                columns, header = self.read_header(fields, number)
                if header:
                    continue
            if quoted:
                quoted_lines += 1
            else:
                plain_lines += 1
            if len(fields) == len(columns) + 1 and not fields[-1].strip():
                fields = fields[:-1]  # a trailing ';' adds an empty field; nothing is lost
            if len(fields) != len(columns):
                self.fail(number, f"{len(fields)} fields where the header has {len(columns)}")
                continue
            if index is None:
                index = self.index(columns)
            libelle = fields[index.libelle].strip()
            if "ersion" in libelle.lower() and fold(libelle).startswith("version de la table"):
                if version is not None:
                    self.fail(number, f"a second 'Version de la table' row (the first is on line {version_line})")
                    continue
                version = self.read_version(fields, index, number)
                version_line = number
                continue
            row = self.read_row(fields, index, libelle, number)
            if row is None:
                continue
            seen = by_key.get(row.key)
            if seen is not None:
                where = "/".join(row.key)
                if (seen.od, seen.code_centre_informatique) == (row.od, row.code_centre_informatique):
                    self.warn(
                        f"line {number} repeats régime/caisse/centre {where} of line {seen.line} "
                        "with the same routing; the first row is kept"
                    )
                else:
                    self.fail(
                        number,
                        f"régime/caisse/centre {where} is already on line {seen.line} with another "
                        f"OD ({seen.od}/{seen.code_centre_informatique} there, "
                        f"{row.od}/{row.code_centre_informatique} here); the file is ambiguous",
                    )
                continue
            by_key[row.key] = row
            rows.append(row)
            if row.regime_name:
                regime_name_votes.setdefault(row.regime, Counter())[row.regime_name] += 1
            if len(rows) > MAX_ROWS:
                self.fail(number, f"more than {MAX_ROWS} rows; this is not a TOD file")
                break

        if columns is None:
            raise _error(self.name, None, "the file is empty")
        if self.errors:
            self.raise_errors()
        if not rows:
            raise _error(self.name, None, "the file has a header but no data rows")
        if version is None:
            self.warn("the file has no 'Version de la table' row; the table version is unknown")
        if quoted_lines and plain_lines:
            self.warn(f"{quoted_lines} lines are quoted and {plain_lines} are not")
        if self.extra_warnings:
            self.warnings.append(f"... and {self.extra_warnings} more warnings")
        found = tuple(c for c in columns if c is not None)
        layout = "fourteenColumn" if set(found) == set(HISTORIC_14) else "sixColumn" if set(found) == set(OFFICIAL_6) else "other"
        return ParsedTable(
            file_name=self.name,
            sha256=self.sha256,
            rows=tuple(rows),
            version=version,
            encoding=self.encoding,
            quoted=quoted_lines > plain_lines,
            header=header,
            layout=layout,
            regime_names={code: votes.most_common(1)[0][0] for code, votes in regime_name_votes.items()},
            warnings=tuple(self.warnings),
            blank_lines=blank,
        )

    def read_header(self, fields: list[str], number: int) -> tuple[list[str | None], bool]:
        names = [fold(f) for f in fields]
        mapped = [HEADER_NAMES.get(n) for n in names]
        if not any(mapped):
            stripped = [f.strip() for f in fields]
            if len(fields) in (6, 14) and all(s.isdigit() for s in stripped[:3]):
                self.warn(
                    f"no header line: the documented {len(fields)}-column order is assumed "
                    f"({'; '.join(OFFICIAL_6 if len(fields) == 6 else HISTORIC_14)})"
                )
                return list(OFFICIAL_6 if len(fields) == 6 else HISTORIC_14), False
            raise _error(
                self.name, number,
                "the first line is not a header naming the columns (expected e.g. 'code régime;"
                "caisse gestionnaire;centre gestionnaire;libellé;organisme destinataire;"
                "code centre informatique')",
            )
        duplicates = [f for f, c in Counter(m for m in mapped if m).items() if c > 1]
        if duplicates:
            raise _error(self.name, number, f"the header names these columns twice: {', '.join(duplicates)}")
        missing = [c for c in REQUIRED if c not in mapped]
        if missing:
            raise _error(
                self.name, number,
                f"the header lacks the column(s) {', '.join(LABELS[m] for m in missing)} "
                f"(found: {'; '.join(f.strip() for f in fields)})",
            )
        ignored = [f.strip() for f, m in zip(fields, mapped, strict=False) if m is None]
        if ignored:
            self.warn(f"columns not used by the bridge were ignored: {', '.join(ignored)}")
        return mapped, True

    @staticmethod
    def index(columns: list[str | None]) -> _Index:
        at = {c: i for i, c in enumerate(columns) if c is not None}
        return _Index(
            libelle=at["libelle"],
            codes=[(name, at[name], width) for name, width in WIDTHS.items()],
            optional=[(name, at[name]) for name in HISTORIC_14 if name not in REQUIRED and name in at],
        )

    def read_version(self, fields: list[str], index: _Index, number: int) -> str | None:
        codes = {name: fields[i].strip() for name, i, _ in index.codes}
        try:
            major, minor = int(codes["regime"]), int(codes["caisse"])
        except ValueError:
            self.fail(number, "the 'Version de la table' row does not hold numbers in régime and caisse")
            return None
        return f"{major}.{minor:02d}"

    def read_row(self, fields: list[str], index: _Index, libelle: str, number: int) -> OdRow | None:
        codes: dict[str, str] = {}
        for name, i, width in index.codes:
            value = fields[i].strip()
            if len(value) != width or not (value.isascii() and value.isdigit()):
                try:
                    value = normalize(name, value)
                except InvalidOdCodeError as exc:
                    self.fail(number, f"{LABELS[name]} {value!r}: {exc.reason} ({width} digits expected)")
                    return None
            codes[name] = value
        optional = {name: (fields[i].strip() or None) for name, i in index.optional}
        return OdRow(libelle=libelle, line=number, **codes, **optional)  # type: ignore[arg-type]  # the named codes are str, the optional ones str | None


@dataclass(frozen=True)
class _Index:
    """Where each field is in a row of this file (found from the header)."""

    libelle: int
    codes: list[tuple[str, int, int]]
    optional: list[tuple[str, int]]
