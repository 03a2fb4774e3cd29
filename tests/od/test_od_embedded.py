"""The default table shipped in the package: version, provenance, every row resolvable."""

from __future__ import annotations

import json

import pytest

from bridge.od import build_default
from bridge.od.store import DEFAULT_FILE, load_embedded

SHARED = build_default.DEFAULT_SOURCE


@pytest.fixture(scope="module")
def embedded():
    return load_embedded()


def test_version_and_provenance(embedded):
    assert embedded.version == "3.37"
    assert embedded.source.kind == "embedded"
    assert "3.37" in embedded.source.description and "import" in embedded.source.description
    document = json.loads(DEFAULT_FILE.read_bytes())
    provenance = document["provenance"]
    assert provenance["tableVersion"] == "3.37"
    assert set(provenance["inputs"]) == {
        "tod-3.37-alcide-health_centers.json", "tod-3.37-alcide-large_regimes.json", "snds-IR_GRG_V.csv",
    }
    assert "sesam-vitale.fr" in provenance["currentOfficialFile"]


def test_size(embedded):
    # 1,681 rows in the source, one of which is the "Version de la table" pseudo-row.
    assert len(embedded) == 1680
    assert embedded.wildcard_count == 381
    assert embedded.has_addresses


def test_every_row_resolves_to_itself(embedded):
    for row in embedded.rows:
        od = embedded.resolve(row.regime, row.caisse, row.centre)
        assert (od.od, od.code_centre_informatique, od.libelle, od.matched) == (
            row.od, row.code_centre_informatique, row.libelle, "exact",
        )
        assert (od.regime, od.caisse, od.centre) == row.key


def test_every_wildcard_covers_an_unlisted_centre(embedded):
    listed = {r.key for r in embedded.rows}
    for row in embedded.rows:
        if row.centre != "0000":
            continue
        centre = next(f"{n:04d}" for n in range(9999, 0, -1) if (row.regime, row.caisse, f"{n:04d}") not in listed)
        od = embedded.resolve(row.regime, row.caisse, centre)
        assert (od.od, od.centre, od.matched) == (row.od, "0000", "centreWildcard")


def test_known_routings_of_public_copies(embedded):
    assert embedded.resolve("99", "751", "0601").od == "752"
    assert embedded.resolve("99", "751", "0601").code_centre_informatique == "044"
    assert {r.od for r in embedded.rows if r.regime == "04"} == {"110"}  # SNCF
    test_row = embedded.resolve("01", "999", "0000")
    assert test_row.od == "999" and "TEST" in test_row.libelle.upper()


def test_regime_codes_not_pks(embedded):
    """large_regime is the pk of the régimes file: pk 11 is code 12 (CCI Paris)."""
    assert "11" not in {r.regime for r in embedded.rows}
    assert any(r.regime == "12" for r in embedded.rows)
    assert embedded.regime_names["12"].startswith("CHAMBRE DE COMMERCE")


def test_text_is_clean(embedded):
    texts = [getattr(r, f) or "" for r in embedded.rows for f in ("libelle", "adresse1", "adresse2", "commune", "telephone")]
    assert not any(any(0x80 <= ord(c) <= 0x9F for c in t) for t in texts)  # C1 controls restored
    assert not any(t != t.strip() or "  " in t for t in texts)
    assert any("€" in t for t in texts)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared OD data is not on this machine")
def test_shipped_file_is_what_the_build_script_makes():
    assert build_default.build(SHARED) == DEFAULT_FILE.read_bytes()
