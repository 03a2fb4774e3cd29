"""Build the embedded default table ``bridge/od/data/tod-default.json`` from the shared data.

Run from the repository root (the data folder is the project's ``shared/data/od``)::

    python -m bridge.od.build_default --source ../shared/data/od

Inputs, and why each is used:

- ``tod-3.37-alcide-health_centers.json``: the rows. A Django fixture of the open-source
  Calebasse/Alcide billing software, derived from TOD version 3.37 (GIE SESAM-Vitale), with
  addresses. Its ``large_regime`` is the primary key of a row of the régimes file, not a code.
- ``tod-3.37-alcide-large_regimes.json``: régime codes and names of the same era (pk -> code).
- ``snds-IR_GRG_V.csv``: SNDS nomenclature of grands régimes (MPL-2.0); used only to name a
  régime the fixture does not name. The SNDS caisse lists are *not* used: they say which
  caisses exist, not where their claims go, and routing must come from the TOD alone.

Clean-up, and nothing more: surrounding blanks removed and blank runs collapsed; the fixture's
C1 control characters (Windows-1252 bytes read as Latin-1 upstream: ``\\x80`` is ``€``,
``\\x92`` is ``’``, ``\\x96`` is ``–``) restored; empty address fields become null. Codes are
checked (digits, full width) and every row must be unique: the build fails otherwise. The
script is deterministic: the same inputs give byte-identical output (a test checks this).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from pathlib import Path

from bridge.od import snapshot
from bridge.od.codes import normalize
from bridge.od.models import OdSource
from bridge.od.table import OdRow, OdTable

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "data" / "tod-default.json"
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "od"

ROWS_FILE = "tod-3.37-alcide-health_centers.json"
REGIMES_FILE = "tod-3.37-alcide-large_regimes.json"
SNDS_REGIMES_FILE = "snds-IR_GRG_V.csv"

DESCRIPTION = (
    "Embedded default: TOD version 3.37 of the GIE SESAM-Vitale, as carried by the régime/"
    "caisse/centre fixture of the open-source Calebasse/Alcide billing software, with addresses; "
    "régime names from the same fixture. An old snapshot (the GIE published version 3.70 on "
    "28/01/2025; caisses have merged since): import the current official file."
)

_BLANKS = re.compile(r"\s+")
_C1 = re.compile("[\x80-\x9f]")


def clean(value: object) -> str | None:
    if value is None:
        return None
    text = _C1.sub(lambda m: m.group().encode("latin-1").decode("cp1252", errors="replace"), str(value))
    text = _BLANKS.sub(" ", text).strip()
    return text or None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def regime_names(source: Path) -> tuple[dict[int, str], dict[str, str]]:
    """(pk -> code, code -> name) from the fixture, names completed from SNDS."""
    fixture = json.loads((source / REGIMES_FILE).read_text(encoding="utf-8"))
    pk_to_code: dict[int, str] = {}
    names: dict[str, str] = {}
    for item in fixture:
        code = normalize("regime", item["fields"]["code"])
        pk_to_code[int(item["pk"])] = code
        names[code] = clean(item["fields"]["name"]) or code
    with (source / SNDS_REGIMES_FILE).open(encoding="utf-8", newline="") as f:
        for record in csv.DictReader(f, delimiter=";"):
            code = normalize("regime", record["GRG_COD"])
            if code not in names and record.get("TEC_COL") == "0":
                names[code] = clean(record["GRG_LIB"]) or code
    return pk_to_code, names


def build(source: Path) -> bytes:
    pk_to_code, names = regime_names(source)
    fixture = json.loads((source / ROWS_FILE).read_text(encoding="utf-8"))
    rows: list[OdRow] = []
    version: str | None = None
    for item in sorted(fixture, key=lambda i: int(i["pk"])):
        f = item["fields"]
        regime = pk_to_code[int(f["large_regime"])]
        libelle = clean(f["name"]) or ""
        if libelle.casefold().startswith("version de la table"):
            version = f"{int(regime)}.{int(f['health_fund']):02d}"
            continue
        if not f.get("active", True):
            raise SystemExit(f"pk {item['pk']} is inactive: decide how to ship it before building")
        rows.append(
            OdRow(
                regime=regime,
                caisse=normalize("caisse", f["health_fund"]),
                centre=normalize("centre", f["code"]),
                libelle=libelle,
                od=normalize("od", f["dest_organism"]),
                code_centre_informatique=normalize("code_centre_informatique", f["computer_center_code"]),
                regime_name=None,  # from the table-level names, not repeated per row
                adresse1=clean(f.get("address")),
                adresse2=clean(f.get("address_complement")),
                commune=clean(f.get("city")),
                code_postal=clean(f.get("zip_code")),
                cedex=None,  # the fixture writes CEDEX inside the commune
                telephone=clean(f.get("phone")),
                fax=clean(f.get("fax")),
                line=None,
            )
        )
    if version is None:
        raise SystemExit("no 'Version de la table' row in the fixture")
    rows.sort(key=lambda r: r.key)
    source_model = OdSource(kind="embedded", file_name=OUTPUT.name, description=DESCRIPTION)
    OdTable(rows, version=version, source=source_model, regime_names=names)  # checks unique keys
    provenance = {
        "provenance": {
            "publisher": "GIE SESAM-Vitale (Table de codification des Organismes Destinataires)",
            "tableVersion": version,
            "via": "Calebasse/Alcide billing software fixture (ressources.healthcenter, ressources.largeregime)",
            "regimeNamesCompletedFrom": "SNDS nomenclature IR_GRG_V (MPL-2.0)",
            "inputs": {name: sha256(source / name) for name in (ROWS_FILE, REGIMES_FILE, SNDS_REGIMES_FILE)},
            "builtBy": "bridge/od/build_default.py",
            "currentOfficialFile": "https://www.sesam-vitale.fr (TOD - Table des Organismes Destinataires)",
        }
    }
    return snapshot.dump(rows, version=version, source=source_model, regime_names=names, extra=provenance)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with the shared OD data")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the output file is not up to date")
    args = parser.parse_args(argv)
    data = build(args.source)
    if args.check:
        current = args.output.read_bytes() if args.output.exists() else b""
        if current != data:
            print(f"{args.output} is not up to date; run without --check", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    from bridge.fileio import atomic_write

    args.output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.output, data, mode=0o644)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
