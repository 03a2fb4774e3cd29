"""``vitale-bridge od ...``: each action, human and --json output, exit codes."""

from __future__ import annotations

import json

import pytest

from bridge.cli.main import EXIT_ERROR, EXIT_USAGE, main


def run(capsys, *argv):
    code = main(["od", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_resolve(home, capsys):
    code, out, _ = run(capsys, "resolve", "99", "751", "0601")
    assert code == 0 and "OD 752" in out and "LMDE Paris" in out and "TOD 3.37" in out
    code, out, _ = run(capsys, "resolve", "1", "751", "12", "--json")
    result = json.loads(out)
    assert code == 0 and (result["od"], result["matched"], result["centre"]) == ("751", "centreWildcard", "0000")


def test_resolve_errors(home, capsys):
    code, _, err = run(capsys, "resolve", "01", "000", "0000")
    assert code == EXIT_ERROR and "OD_NOT_FOUND" in err
    code, _, err = run(capsys, "resolve", "01", "7x1", "0000", "--json")
    assert code == EXIT_USAGE and "caisse is not valid" in json.loads(err)["error"]["message"]


def test_search(home, capsys):
    code, out, _ = run(capsys, "search", "mgen", "tarn")
    assert code == 0 and out.splitlines()[0].startswith("91 811 0506") and "2 matches" in out
    code, out, _ = run(capsys, "search", "mutuelle", "--limit", "2", "--json")
    assert len(json.loads(out)["results"]) == 2
    assert run(capsys, "search", "x", "--limit", "500")[0] == EXIT_USAGE
    code, out, _ = run(capsys, "search", "msa", "ajaccio")
    assert code == 0 and out.splitlines()[0].endswith("[usualName: MSA]") and "3 matches" in out


def test_import_info_rollback(home, capsys, fixtures):
    code, out, _ = run(capsys, "import", str(fixtures / "tod-14col-plain-latin1-crlf.csv"), "--force")
    assert code == 0 and "imported TOD 3.37: 6 rows" in out and "14-column" in out and "previous table: 3.37" in out
    code, out, _ = run(capsys, "info", "--json")
    info = json.loads(out)
    assert (info["source"]["kind"], info["rowCount"], info["canRollback"]) == ("imported", 6, True)
    code, out, _ = run(capsys, "import", str(fixtures / "tod-6col-quoted-latin1-crlf.csv"), "--json", "--force")
    assert json.loads(out)["previousVersion"] == "3.37" and json.loads(out)["version"] == "3.12"
    code, out, _ = run(capsys, "rollback")
    assert code == 0 and "rolled back: TOD 3.37 (imported) is now active" in out and "TOD version 3.37 (imported" in out
    code, out, _ = run(capsys, "regimes", "--json")
    assert {r["code"] for r in json.loads(out)["regimes"] if r["rowCount"]} == {"01", "02", "91", "94", "99"}


def test_import_of_a_bad_file(home, capsys, tod_file):
    bad = tod_file(["Code régime;Caisse;Centre;Libellé;Organisme destinataire;Code centre informatique",
                    "01;751;0000;PARIS;751"])
    code, _, err = run(capsys, "import", str(bad), "--json")
    error = json.loads(err)["error"]
    assert code == EXIT_ERROR and error["data"]["code"] == "OD_TABLE_INVALID" and error["data"]["line"] == 2
    code, out, _ = run(capsys, "info")
    assert "embedded" in out and "sesam-vitale.fr" in out


def test_info_says_the_embedded_table_is_old(home, capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0 and "TOD version 3.37 (embedded" in out
    assert "old snapshot" in out and "vitale-bridge od import FILE" in out


@pytest.mark.parametrize("argv", [["od"], ["od", "resolve", "01"]])
def test_usage(home, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
