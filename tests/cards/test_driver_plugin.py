"""A card driver from another package, the whole path: installed (entry point
``vitale_bridge.drivers``), conformance kit run by that package against itself, chosen with
VITALE_BRIDGE_DRIVER, named by ``doctor`` and ``bridge.hello``, read through ``vitale.read``.

The package (tests/drivers/demo_driver) is installed into this environment with
``pip install -e`` once per test session; the checks run in new processes, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "drivers" / "demo_driver"


def _installed() -> bool:
    from importlib.metadata import entry_points

    return "demo" in {ep.name for ep in entry_points(group="vitale_bridge.drivers")}


@pytest.fixture(scope="session")
def demo_driver() -> str:
    if not _installed():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", str(PACKAGE)],
            check=True, capture_output=True, timeout=300,
        )
    return "demo"


def run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "VITALE_BRIDGE_HOME": str(home), **env}, cwd=PACKAGE,
    )


def test_the_package_passes_the_conformance_kit(demo_driver, tmp_path):
    done = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_the_driver_is_listed_and_chosen(demo_driver, tmp_path):
    listed = run(["-c", "from bridge.cards.drivers import available; print(available())"], tmp_path)
    assert "'demo'" in listed.stdout
    help_text = run(["-m", "bridge", "serve", "--help"], tmp_path).stdout
    assert "demo" in help_text


HELLO_AND_READ = """
import asyncio, json
from bridge.app import Bridge
from bridge.rpc import Peer
from bridge.settings import Settings

async def main():
    bridge = Bridge(Settings(port=0, ipv6=False))
    async with bridge:
        session = bridge.open_session(Peer(transport="inproc", authenticated_by="local"))
        hello = json.loads(await bridge.handle({"jsonrpc": "2.0", "id": 1, "method": "bridge.hello",
            "params": {"clientName": "t", "clientVersion": "1"}}, session))
        read = json.loads(await bridge.handle({"jsonrpc": "2.0", "id": 2, "method": "vitale.read"}, session))
    print(json.dumps({"hello": hello["result"], "read": read["result"]}))

asyncio.run(main())
"""


def test_hello_names_the_driver_and_a_read_goes_through_it(demo_driver, tmp_path):
    done = run(["-c", HELLO_AND_READ], tmp_path, VITALE_BRIDGE_DRIVER="demo")
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["hello"]["driver"] == "demo"
    assert answer["read"]["reader"] == "Demo Reader" and answer["read"]["beneficiaries"]


def test_doctor_names_the_active_driver(demo_driver, tmp_path):
    done = run(["-m", "bridge", "doctor", "--json"], tmp_path, VITALE_BRIDGE_DRIVER="demo")
    report = json.loads(done.stdout)
    text = json.dumps(report)
    assert "driver demo" in text
    assert "Demo Reader" in text
