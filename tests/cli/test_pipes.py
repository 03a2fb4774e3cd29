"""A reader of our stdout that goes away (``| head -1``) ends the command quietly, with the
Unix status 128 + SIGPIPE, and is never taken for "cannot reach the bridge".

The pipes are real: the read end is closed before the command writes (deterministic, unlike a
race with ``head``), plus a real shell pipeline into ``head -1``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from tests.helpers.pipes import into_closed_pipe

BROKEN_PIPE = 141


@pytest.mark.parametrize("args", [
    ["od", "search", "02", "--limit", "100"],
    ["od", "search", "02", "--limit", "100", "--json"],
    ["od", "info"],
    ["readers", "--driver", "simulator", "--profile", "famille"],
    ["watch", "--driver", "simulator", "--profile", "famille"],
    ["watch", "--driver", "simulator", "--profile", "famille", "--json"],  # would run forever if unnoticed
    ["completion", "bash"],
])
def test_local_commands_exit_quietly_into_a_closed_pipe(tmp_path, args):
    r = into_closed_pipe(tmp_path, *args)
    assert (r.returncode, r.stderr) == (BROKEN_PIPE, "")


def test_rpc_into_a_closed_pipe_is_not_an_unreachable_bridge(running):
    r = into_closed_pipe(running.home, "rpc", "od.search", '{"query": "02", "limit": 100}',
                         "--port", str(running.port))
    assert (r.returncode, r.stderr) == (BROKEN_PIPE, "")


def test_a_closed_stderr_too_stays_quiet(tmp_path):
    """``2>&1 | head``: the error message itself meets the closed pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        r = subprocess.run([sys.executable, "-m", "bridge", "--home", str(tmp_path), "od", "resolve", "01", "000", "0000"],
                           stdout=write_end, stderr=write_end, timeout=60)
    finally:
        os.close(write_end)
    assert r.returncode == BROKEN_PIPE


def test_a_shell_pipeline_into_head(tmp_path):
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "bridge", "--home", str(tmp_path),
                                            "od", "search", "0", "--limit", "100"])
    r = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd} | head -1"], capture_output=True, text=True, timeout=60)
    assert len(r.stdout.splitlines()) == 1
    assert r.stderr == ""
    assert r.returncode in (0, BROKEN_PIPE)  # 0 when all the output fitted in the pipe before head left


def test_watch_ends_when_its_reader_goes_away_between_events(vitale_readers):
    """The initial state is read, then the reader leaves: the next card event meets the closed
    pipe inside the event fan-out (which would swallow the error) and must still end the watch."""
    vitale_readers.insert("famille", "Vitale")
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "watch", "--json"], stdout=write_end,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **vitale_readers.env})
    os.close(write_end)
    with os.fdopen(read_end) as out:
        assert "readers" in out.readline()  # the initial state: the watch is running
    vitale_readers.remove("Vitale")
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, err) == (BROKEN_PIPE, "")
