"""Constants and writers shared by the OD tests (importable: conftest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

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
