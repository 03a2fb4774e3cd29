"""`doctor` shows the OD table's age and provenance and warns when it is older than IT allows."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from bridge.doctor import DEFAULT_OD_MAX_AGE_DAYS, OK, WARN, od_table_check
from bridge.od.store import STATE_FILE, OdStore
from tests.helpers.od_testdata import official_file


def _age(store: OdStore, days: int) -> None:
    """Make the active table look imported *days* ago (rewrites its stored provenance)."""
    path = store.dir / json.loads((store.dir / STATE_FILE).read_text())["active"]
    text = path.read_text(encoding="utf-8")
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    start = text.index('"importedAt":"') + len('"importedAt":"')
    path.write_text(text[:start] + stamp + text[text.index('"', start):], encoding="utf-8")


def test_age_and_provenance(paths, tmp_path):
    store = OdStore(paths, watch_interval=0)
    embedded = od_table_check(store.info(), DEFAULT_OD_MAX_AGE_DAYS, update_configured=False)
    assert embedded.status == WARN and "embedded" in embedded.summary and "sesam-vitale.fr" in embedded.fix
    path = official_file(tmp_path / "TOD.csv", version="3.38")
    store.import_file(path)
    fresh = od_table_check(store.info(), 120, update_configured=False)
    assert fresh.status == OK and fresh.summary == f"TOD 3.38 (imported, 1680 rows), imported 0 days ago from {path}"
    _age(store, 130)
    old = OdStore(paths, watch_interval=0).info()
    assert old.age_days == 130
    check = od_table_check(old, 120, update_configured=True)
    assert check.status == WARN and "older than 120 days" in check.summary and "od update" in check.fix
    assert od_table_check(old, 180, update_configured=False).status == OK


def test_doctor_uses_the_system_configured_age(paths, home, tmp_path):
    store = OdStore(paths, watch_interval=0)
    store.import_file(official_file(tmp_path / "TOD.csv", version="3.38"))
    _age(store, 40)
    config = tmp_path / "config.json"
    env = {**os.environ, "VITALE_BRIDGE_HOME": str(home), "VITALE_BRIDGE_SYSTEM_CONFIG": str(config),
           "HOME": str(tmp_path), "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}

    def od_check() -> dict:
        proc = subprocess.run([sys.executable, "-m", "bridge", "doctor", "--json", "--port", "1"], env=env,
                              capture_output=True, text=True, timeout=90)
        return next(c for c in json.loads(proc.stdout)["checks"] if c["name"] == "od table")

    assert od_check()["status"] == OK  # 40 days: within the default
    config.write_text(json.dumps({"odMaxAgeDays": 30, "odUpdateSource": str(tmp_path)}))
    check = od_check()
    assert check["status"] == WARN and "imported 40 days ago" in check["summary"] and "older than 30 days" in check["summary"]
    assert "od update" in check["fix"]
    config.write_text("{not json")  # broken: the configuration check says so; this one uses the default age
    check = od_check()
    assert check["status"] == OK and "imported 40 days ago" in check["summary"]
