"""While `vitale-bridge demo` runs, the other commands of the same home use its bench: `readers`,
`read` and `doctor` from another terminal see the virtual readers, and `simulate stop` says the
bench belongs to the demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.bench.discover import ENV_SOCKET, running_bench
from tests.helpers.servers import free_port

CLI = [sys.executable, "-m", "bridge"]


@pytest.fixture
def demo(tmp_path):
    from bridge.bench.preflight import message, missing

    if problems := missing():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(message(problems))
    env = {k: v for k, v in os.environ.items() if k != ENV_SOCKET}  # another terminal: no bench env
    proc = subprocess.Popen(
        [*CLI, "--home", str(tmp_path), "demo", "--port", str(free_port()), "--page-port", str(free_port()),
         "--timing", "instant"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (proc.stdout.readline() or "").startswith("Ctrl-C"):
            assert proc.poll() is None, proc.stderr.read()
        yield tmp_path, env
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def cli(home: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--home", str(home), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_other_commands_of_the_home_use_the_demo_bench(demo):
    home, env = demo
    state = running_bench(home / "data")
    assert state and state["owner"] == "demo"
    out = cli(home, env, "readers", "--json")
    assert out.returncode == 0, out.stderr
    readers = {r["name"]: r for r in json.loads(out.stdout)}
    assert readers["Vitale 00 00"]["cardType"] == "vitale2" and readers["CPS 00 00"]["cardType"] == "cps3"
    out = cli(home, env, "read", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["beneficiaries"][0]["prenom"] == "PIERRE"
    out = cli(home, env, "doctor")
    assert "virtual readers of this home's running bench (demo pid" in out.stdout, out.stdout
    # 'simulate stop' does not stop someone else's bench, and says whose it is.
    out = cli(home, env, "simulate", "stop")
    assert out.returncode == 1 and "belongs to 'vitale-bridge demo'" in out.stderr
    assert running_bench(home / "data") is not None


def test_another_home_does_not_see_it(demo, tmp_path_factory):
    _home, env = demo
    other = tmp_path_factory.mktemp("other-home")
    assert running_bench(other / "data") is None
    out = cli(other, env, "simulate", "status")
    assert out.returncode == 3
