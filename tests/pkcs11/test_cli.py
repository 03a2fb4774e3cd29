"""``vitale-bridge cps`` as a user runs it, and proof from the module's side that no PIN is
used: OpenSC's pkcs11-spy sits between the bridge and SoftHSM and logs every PKCS#11 call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import certs
from tests.helpers.softhsm import MODULE, SPY

ROOT = Path(__file__).resolve().parents[2]


def cps(hsm, tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, **hsm.env, "VITALE_BRIDGE_HOME": str(tmp_path / "home"), **(env or {})}
    environ.pop("VITALE_BRIDGE_SYSTEM_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "bridge", "cps", *args],
        capture_output=True, text=True, env=environ, cwd=ROOT, timeout=60, check=False,
    )


def test_json_names_the_holder(hsm, tmp_path):
    out = cps(hsm.made["zoe"], tmp_path, "--pkcs11-module", MODULE, "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["identifiantNational"] == "810100000017"
    assert (result["typeIdentifiant"], result["numero"]) == ("rpps", "10100000017")
    assert (result["nom"], result["prenom"], result["profession"]) == ("MARTIN", "Zoé", "Sage-femme")
    assert result["expired"] is False
    assert result["token"]["module"] == MODULE


def test_text_is_the_popup_line(hsm, tmp_path):
    out = cps(hsm.made["ines"], tmp_path, "--pkcs11-module", MODULE)
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first == "Carte CPS : Inès BENALI — Infirmier (ADELI 751234567)"
    assert "Certificat d'Authentification CPS" in out.stdout


def test_an_expired_card_says_so(hsm, tmp_path):
    out = cps(hsm.made["paul"], tmp_path, "--pkcs11-module", MODULE)
    assert out.returncode == 0, out.stderr
    assert "(EXPIRED)" in out.stdout
    assert json.loads(cps(hsm.made["paul"], tmp_path, "--pkcs11-module", MODULE, "--json").stdout)["expired"] is True


def test_errors_are_typed_and_plain(hsm, tmp_path):
    missing = cps(hsm.made["zoe"], tmp_path, "--pkcs11-module", str(tmp_path / "none.so"), "--json")
    assert missing.returncode == 1
    error = json.loads(missing.stderr)["error"]
    assert error["code"] == -32050 and error["data"]["code"] == "PKCS11_UNAVAILABLE"
    assert "Cryptolib CPS" in error["message"]
    empty = cps(hsm.made["empty"], tmp_path, "--pkcs11-module", MODULE)
    assert empty.returncode == 1 and empty.stderr.startswith("error NO_TOKEN: ")
    plain = cps(hsm.made["plain"], tmp_path, "--pkcs11-module", MODULE)
    assert plain.returncode == 1 and plain.stderr.startswith("error NO_CERTIFICATE: ")
    assert "Traceback" not in missing.stderr + empty.stderr + plain.stderr


@pytest.mark.skipif(SPY is None, reason="OpenSC's pkcs11-spy.so is not installed")
def test_read_only_session_and_no_login(hsm, tmp_path):
    """Every call the bridge makes, as the module saw it: a session without CKF_RW_SESSION,
    never C_Login, and the certificate read (the spy logs it) all the same."""
    log = tmp_path / "spy.log"
    out = cps(hsm.made["luc"], tmp_path, "--pkcs11-module", SPY, "--json",
              env={"PKCS11SPY": MODULE, "PKCS11SPY_OUTPUT": str(log)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["nom"] == certs.LUC.nom
    calls = log.read_text(errors="replace")
    assert "C_OpenSession" in calls and "C_FindObjects" in calls and "C_GetAttributeValue" in calls
    assert "C_Login" not in calls and "C_InitPIN" not in calls and "C_SetPIN" not in calls
    lines = calls.splitlines()
    flags = [int(lines[i + 3].split("=")[1], 16) for i, line in enumerate(lines) if line.endswith(": C_OpenSession")]
    assert flags, "the spy shows the session flags"
    assert all(f & 0x4 and not f & 0x2 for f in flags), flags  # CKF_SERIAL_SESSION, never CKF_RW_SESSION
