"""``vitale-bridge readers | read | watch`` in-process on the simulator driver."""

import json
import subprocess
import sys

from bridge.cli.main import main
from tests.helpers.cards import profile


def sim(*names):
    out = ["--driver", "simulator"]
    for n in names:
        out += ["--profile", profile(n)]
    return out


def test_readers_table(home, capsys):
    assert main(["readers", *sim("famille4", "cps3")]) == 0
    out = capsys.readouterr().out
    assert "Simulated Vitale Reader" in out and "Carte Vitale 2" in out and "CPS3" in out


def test_read_table_with_amo_and_od(home, capsys):
    assert main(["read", *sim("famille4", "cps3")]) == 0
    out = capsys.readouterr().out
    assert "MARTIN" in out and "19820230 (lunaire)" in out
    assert "1 80 05 75 123 456 27" in out
    assert "AMO: régime 01, caisse 751, centre 0601" in out
    assert "OD: " in out


def test_read_json_clear(home, capsys):
    assert main(["read", "--json", "--scope", "clear", *sim("famille4")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["availability"]["reasonCode"] == "notRequested"


def test_read_errors_become_messages(home, capsys):
    assert main(["read", "--scope", "full", *sim("famille4")]) == 1
    assert "CPS_REQUIRED" in capsys.readouterr().err
    assert main(["read", *sim("vitale1")]) == 1
    assert "UNSUPPORTED_CARD" in capsys.readouterr().err


def test_watch_prints_the_initial_state(home):
    proc = subprocess.run(
        [sys.executable, "-m", "bridge", "watch", "--for", "0.3", *sim("famille4")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Simulated Vitale Reader: vitale2" in proc.stdout
