"""`vitale-bridge od import` on a really full disk and a really read-only data folder.

tests/od/test_od_store.py simulates ENOSPC/EROFS at each write with monkeypatching (and skips
its chmod test as root, who writes through modes). Here the data folder is a tiny tmpfs: first
filled to the last byte, then remounted read-only. The CLI must fail with a message that says
the previous table is still active, and both the CLI and a bridge that was already running
must go on resolving with the previous table. Needs root (mount); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.od.store import OdStore
from bridge.settings import Paths

FIXTURES = Path(__file__).resolve().parents[1] / "od" / "fixtures"
FIRST = FIXTURES / "tod-6col-plain-latin1-crlf.csv"  # version 3.70, 4 rows
SECOND = FIXTURES / "tod-14col-plain-latin1-crlf.csv"


def _mount_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(where)],
                          capture_output=True, check=False).returncode == 0


@pytest.fixture
def small_home(tmp_path):
    home = tmp_path / "home"
    data = home / "data"
    if not _mount_tmpfs(data):
        pytest.skip("needs root and mount(8) for a real full / read-only filesystem")
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VITALE_BRIDGE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "bridge", "od", *args], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def fill(folder: Path) -> None:
    """Write until the filesystem refuses even one more byte."""
    for name, block in (("filler", 4096), ("filler2", 1)):
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * block)
        except OSError:
            pass
        finally:
            os.close(fd)


@pytest.mark.parametrize("fault", ["disk-full", "read-only"])
def test_import_on_a_broken_data_folder_keeps_the_previous_table(small_home, fault):
    assert cli(small_home, "import", "--force", str(FIRST)).returncode == 0
    running = OdStore(Paths.resolve(small_home))  # a bridge already running
    assert running.table.version == "3.70"
    od_dir = small_home / "data" / "od"
    before = sorted(p.name for p in od_dir.iterdir())
    if fault == "disk-full":
        fill(small_home / "data")
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_home / "data")], check=True)

    out = cli(small_home, "import", "--json", "--force", str(SECOND))
    assert out.returncode != 0
    error = json.loads(out.stdout or out.stderr)["error"]
    assert error["data"]["code"] == "OD_TABLE_INVALID", error
    assert error["data"]["reason"] == "storage"
    assert "previous table is still active" in error["message"], error["message"]
    assert "Traceback" not in out.stderr

    if fault == "disk-full":
        assert sorted(p.name for p in od_dir.iterdir()) == before, "a partial table file was left"
    info = json.loads(cli(small_home, "info", "--json").stdout)
    assert info["version"] == "3.70"
    resolved = cli(small_home, "resolve", "--json", "99", "751", "0601")
    assert resolved.returncode == 0 and json.loads(resolved.stdout)["od"] == "752"
    running.refresh()
    assert running.table.version == "3.70"
    assert running.resolve("99", "751", "0601").od == "752"
