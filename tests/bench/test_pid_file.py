"""A private bench's pcscd never touches the system pcscd's /run/pcscd/pcscd.pid (issue 17 §4).

The test runs in a mount namespace of its own where /run/pcscd is a fresh tmpfs holding a
stand-in "system" pid file (the pid of a live process), so it neither depends on nor disturbs
the machine's real /run/pcscd (other benches may run beside it). Root only: making that
namespace needs CAP_SYS_ADMIN.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.namespaces import why_no_private_mount_namespace

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, subprocess, sys, tempfile
    from pathlib import Path
    from bridge.bench import Bench

    pid_file = Path("/run/pcscd/pcscd.pid")
    system = subprocess.Popen(["sleep", "60"])          # the stand-in system pcscd
    pid_file.write_text(f"{system.pid}\\n")
    try:
        with tempfile.TemporaryDirectory() as home:
            with Bench(home=home, control=False) as bench:
                bench.insert("famille")
                during = pid_file.read_text() if pid_file.exists() else None
            after = pid_file.read_text() if pid_file.exists() else None
        print(repr((f"{system.pid}\\n", during, after)))
    finally:
        system.kill()
    """
)


def test_the_system_pid_file_survives_a_private_bench(vitale_bench):
    if reason := why_no_private_mount_namespace():
        pytest.skip(reason)
    # vitale_bench: only to skip (or fail in CI) with the install command when pcscd/vpcd are missing.
    shell = "mount -t tmpfs tmpfs /run/pcscd && exec \"$0\" -c \"$1\""
    os.makedirs("/run/pcscd", exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", shell, sys.executable, SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected, during, after = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    assert during == expected, "the bench's pcscd overwrote the system pid file"
    assert after == expected, "the bench's pcscd deleted the system pid file"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root (to become nobody) and setpriv(1)")
def test_not_root_gets_a_private_run_pcscd_too():
    """The launcher's user + mount namespace path, as an unprivileged user: /run/pcscd is a tmpfs
    of its own there (writable by that user), and the real one is not touched."""
    from bridge.bench.pcscd import _LAUNCHER

    os.makedirs("/run/pcscd", exist_ok=True)  # the mount point, as the bench makes it
    probe = "grep -c ' /run/pcscd .* tmpfs ' /proc/self/mountinfo; touch /run/pcscd/vitale-bench-probe && echo wrote"
    proc = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/env", "python3", "-c",
         _LAUNCHER, "0", "1", "-1", "0", "/bin/sh", "-c", probe],
        capture_output=True, text=True, timeout=30, check=False,
    )
    if "no private /run/pcscd" in proc.stderr:
        pytest.skip("unprivileged user namespaces are disabled here: " + proc.stderr.strip())
    assert proc.stdout.split() == ["1", "wrote"], proc.stderr
    assert not os.path.exists("/run/pcscd/vitale-bench-probe")
