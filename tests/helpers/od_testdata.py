"""Constants and writers shared by the OD tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "od" / "fixtures"

HEADER_6 = "Code régime;Caisse gestionnaire;Centre gestionnaire;Libellé;Organisme destinataire;Code centre informatique"


def write_tod(path: Path, lines: list[str], *, encoding: str = "latin-1", newline: str = "\r\n") -> Path:
    """An official-format file from text lines (Latin-1 and CRLF unless told otherwise)."""
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def marked_table(path: Path, od: str, version: tuple[int, int], keys: int = 50) -> Path:
    """A table whose every row routes to *od*: a resolve result shows which table answered."""
    lines = [HEADER_6, f"{version[0]};{version[1]};0;Version de la table;0;0"]
    lines += [f"01;{c:03d};0000;CAISSE {c};{od};001" for c in range(1, keys + 1)]
    return write_tod(path, lines)

HEADER_14 = ("code régime;caisse gestionnaire;centre gestionnaire;libellé;régime;organisme destinataire;"
             "code centre informatique;adresse 1;adresse 2;commune;code postal;cédex;téléphone;fax")


def official_file(path: Path, rows=None, *, version: str = "3.38", quoted: bool = True) -> Path:
    """A real-looking official TOD: the embedded table's rows (or *rows*: OdRow tuples) in the
    historic 14-column layout, every field quoted, Latin-1, CRLF, with the version pseudo-row."""
    from bridge.od.store import load_embedded

    table = load_embedded()
    rows = table.rows if rows is None else rows
    major, minor = version.split(".")

    def line(values: list[str]) -> str:
        return ";".join(f'"{v}"' if quoted else v for v in values)

    lines = [line(HEADER_14.split(";")), line([major, minor, "0", "Version de la table", "", "0", "0", *[""] * 7])]
    for r in rows:
        name = r.regime_name or table.regime_names.get(r.regime, "")
        lines.append(line([r.regime, r.caisse, r.centre, r.libelle, name, r.od, r.code_centre_informatique,
                           *[(getattr(r, f) or "") for f in ("adresse1", "adresse2", "commune", "code_postal",
                                                             "cedex", "telephone", "fax")]]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path
