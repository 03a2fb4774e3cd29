"""What a TOD path may point to: regular files only, the size limit enforced while reading, and
UTF-16 recognised (issue 12 §2.6, issue 15). The commands run in a child process with a
timeout, so a regression (reading /dev/zero for ever, blocking on a FIFO) fails instead of
hanging the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bridge.errors import OdTableInvalidError
from bridge.od import files
from bridge.od.official import read_official
from tests.helpers.od_testdata import HEADER_6

posix = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")


def od(home, *argv: str, timeout: float = 30) -> tuple[int, dict]:
    env = {**os.environ, "VITALE_BRIDGE_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "bridge", "od", *argv, "--json"],
        env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    return proc.returncode, json.loads(proc.stderr or b"{}")


@posix
@pytest.mark.parametrize("action", [["import"], ["diff"], ["update", "--source"]])
def test_a_fifo_is_refused_without_blocking(home, tmp_path, action):
    fifo = tmp_path / "tod.csv"
    os.mkfifo(fifo)  # nobody writes: reading it would block for ever
    code, err = od(home, *action, str(fifo))
    assert code == 1 and err["error"]["data"]["code"] == "OD_TABLE_INVALID"
    assert "not a regular file" in err["error"]["message"]


@posix
@pytest.mark.parametrize("action", [["import"], ["diff"], ["update", "--source"]])
def test_dev_zero_is_refused_at_once(home, action):
    code, err = od(home, *action, "/dev/zero")
    assert code == 1 and "a device, pipe or socket, not a regular file" in err["error"]["message"]


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(OdTableInvalidError, match="a folder, not a regular file"):
        read_official(tmp_path)


def test_the_size_limit_is_enforced_on_what_is_read(tmp_path, monkeypatch):
    """The limit holds for the bytes read, not what stat said (a file may grow meanwhile)."""
    path = tmp_path / "tod.csv"
    path.write_bytes(b"x" * 150)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    real_fstat = os.fstat

    def small_fstat(fd):
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, *st[1:6], 10, *st[7:]))  # st_size says 10

    monkeypatch.setattr(files.os, "fstat", small_fstat)
    with pytest.raises(OdTableInvalidError, match="larger than 100 bytes"):
        read_official(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named_with_how_to_convert(tmp_path, encoding):
    path = tmp_path / "tod.csv"
    path.write_bytes(("\r\n".join([HEADER_6, "01;751;0000;PARIS;751;036"]) + "\r\n").encode(encoding))
    with pytest.raises(OdTableInvalidError) as info:
        read_official(path)
    message = info.value.message
    assert "UTF-16" in message and "iconv -f UTF-16 -t UTF-8" in message and "NUL" not in message
