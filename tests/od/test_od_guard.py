"""The import guard and ``od diff``: a valid file that would gut the table is refused, a normal
update passes. The files are real-looking official TODs built from the embedded table (14
columns, quoted, Windows-1252/Latin-1, CRLF, version pseudo-row)."""

from __future__ import annotations

import json

import pytest

from bridge.cli.main import EXIT_ERROR, main
from bridge.errors import OdImportSuspiciousError
from bridge.od.diff import REMOVED_SHARE
from bridge.od.store import OdStore, load_embedded
from tests.helpers.od_testdata import official_file

EMBEDDED = load_embedded()


@pytest.fixture
def store(paths) -> OdStore:
    return OdStore(paths, watch_interval=0)


def _reasons(exc_info) -> set[str]:
    return {s["reason"] for s in exc_info.value.details["suspicious"]}


def _unchanged(store: OdStore) -> None:
    assert (store.table.version, len(store.table), store.table.source.kind) == ("3.37", 1680, "embedded")
    assert store.resolve("99", "751", "0601").od == "752"


def test_a_normal_update_passes(store, tmp_path):
    rows = list(EMBEDDED.rows)
    del rows[10:12]  # two caisses merged away
    rows[20] = rows[20]._replace(od="999")  # one re-routed
    rows.append(EMBEDDED.rows[0]._replace(caisse="998", libelle="NOUVELLE CAISSE"))
    report = store.import_file(official_file(tmp_path / "TOD.csv", rows, version="3.38"))
    c = report.comparison
    assert (report.version, report.forced, c.added, c.removed, c.rerouted) == ("3.38", False, 1, 2, 1)
    assert c.suspicious == [] and store.table.version == "3.38"
    assert [x.change for x in c.changes] == ["removed", "removed", "rerouted", "added"]


def test_a_truncated_official_file_is_refused(store, tmp_path):
    """The case of the issue: a file cut at a line boundary (148 rows, 2 régimes)."""
    path = official_file(tmp_path / "TOD.csv", version="3.38")
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:150]) + b"\r\n")  # header + version row + 148 rows
    with pytest.raises(OdImportSuspiciousError) as info:
        store.import_file(path)
    data = info.value.to_data()
    assert data["code"] == "OD_IMPORT_SUSPICIOUS" and info.value.rpc_code == -32022
    assert (data["file"]["rowCount"], data["file"]["regimeCount"], data["removed"]) == (148, 2, 1532)
    assert (data["active"]["version"], data["active"]["rowCount"], data["active"]["source"]) == ("3.37", 1680, "embedded")
    assert _reasons(info) == {"manyRemoved", "regimeRemoved"}
    assert "1532 of the 1680 active rows" in info.value.message and "--force" in info.value.message
    _unchanged(store)
    assert not list(store.dir.glob("table-*.json"))  # nothing stored either
    report = store.import_file(path, force=True)
    assert report.forced and store.table.version == "3.38" and len(store.table) == 148


def test_a_file_missing_one_regime_is_refused(store, tmp_path):
    rows = [r for r in EMBEDDED.rows if r.regime != "08"]  # 3 rows: far under the share
    with pytest.raises(OdImportSuspiciousError) as info:
        store.import_file(official_file(tmp_path / "TOD.csv", rows))
    assert _reasons(info) == {"regimeRemoved"}
    assert "régime 08" in info.value.message
    regime = next(r for r in info.value.details["regimes"] if r["regime"] == "08")
    assert (regime["activeRows"], regime["fileRows"], regime["removed"]) == (3, 0, 3)
    _unchanged(store)


def test_an_older_version_is_refused(store, tmp_path):
    with pytest.raises(OdImportSuspiciousError) as info:
        store.import_file(official_file(tmp_path / "TOD.csv", version="3.36"))
    assert _reasons(info) == {"olderVersion"}
    assert "3.36 is older than the active 3.37" in info.value.message
    _unchanged(store)
    assert store.import_file(official_file(tmp_path / "same.csv", version="3.37")).comparison.suspicious == []


def test_re_routing_many_keys_is_refused(store, tmp_path):
    rows = [r._replace(od="999") if i % 9 == 0 else r for i, r in enumerate(EMBEDDED.rows)]  # 11 %
    with pytest.raises(OdImportSuspiciousError) as info:
        store.import_file(official_file(tmp_path / "TOD.csv", rows))
    assert _reasons(info) == {"manyRerouted"}
    _unchanged(store)


def test_the_removal_threshold(store, tmp_path):
    """At most 5 % of the active rows may go; one more row is refused."""
    allowed = int(REMOVED_SHARE * len(EMBEDDED))  # 84 of 1,680
    big = [r for r in EMBEDDED.rows if r.regime in ("02", "99")]
    keep = lambda n: [r for r in EMBEDDED.rows if r not in set(big[:n])]  # noqa: E731
    with pytest.raises(OdImportSuspiciousError) as info:
        store.import_file(official_file(tmp_path / "over.csv", keep(allowed + 1)))
    assert _reasons(info) == {"manyRemoved"}
    assert store.import_file(official_file(tmp_path / "at.csv", keep(allowed))).comparison.removed == allowed


def test_the_guard_compares_with_the_imported_table(store, tmp_path):
    store.import_file(official_file(tmp_path / "a.csv", version="3.40"))
    with pytest.raises(OdImportSuspiciousError) as info:
        store.import_file(official_file(tmp_path / "b.csv", version="3.39"))
    assert info.value.details["active"]["source"] == "a.csv" and _reasons(info) == {"olderVersion"}


def run(capsys, *argv):
    code = main(["od", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_diff_and_import(home, capsys, tmp_path):
    rows = [r for r in EMBEDDED.rows if r.regime != "08"]
    path = official_file(tmp_path / "TOD.csv", rows, version="3.38")
    code, out, _ = run(capsys, "diff", str(path))
    assert code == 0
    assert "active: TOD 3.37, 1680 rows, 21 régimes (embedded)" in out
    assert "file:   TOD 3.38, 1677 rows, 20 régimes (TOD.csv)" in out
    assert "0 added, 3 removed, 0 re-routed, 1677 unchanged" in out
    assert "removed  08 756 0100  was" in out and "would refuse this file without --force" in out
    code, out, _ = run(capsys, "diff", str(path), "--json")
    diff = json.loads(out)
    assert (diff["removed"], [s["reason"] for s in diff["suspicious"]]) == (3, ["regimeRemoved"])
    code, _, err = run(capsys, "import", str(path), "--json")
    error = json.loads(err)["error"]
    assert code == EXIT_ERROR and error["code"] == -32022
    assert error["data"]["code"] == "OD_IMPORT_SUSPICIOUS" and error["data"]["removed"] == 3
    code, out, _ = run(capsys, "import", str(path), "--force")
    assert code == 0 and "imported TOD 3.38: 1677 rows" in out and "imported with --force" in out
    code, out, _ = run(capsys, "diff", str(official_file(tmp_path / "same.csv", rows, version="3.38")))
    assert "0 added, 0 removed, 0 re-routed, 1677 unchanged" in out and "would accept" in out
