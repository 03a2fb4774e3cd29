"""The README's first command: `vitale-bridge demo` reads the simulated card, serves the bridge
and the demo page, and leaves nothing behind when stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bridge.client import BridgeClient
from tests.helpers.servers import free_port


def pcscd_pids(parent: int | None = None) -> set[int]:
    """Live pcscd processes (only the children of *parent* when given: other test runs on the
    machine may start their own)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                if (entry / "comm").read_text().strip() != "pcscd" or "State:\tZ" in status:
                    continue
                ppid = int(status.split("PPid:")[1].split()[0])
                if parent is None or ppid == parent:
                    pids.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


@pytest.mark.parametrize("driver", ["pcsc", "simulator"])
def test_demo_reads_serves_and_stops_cleanly(tmp_path, driver):
    if driver == "pcsc":
        from bridge.bench.preflight import message, missing

        if problems := missing():
            (pytest.fail if os.environ.get("CI") else pytest.skip)(message(problems))
    port, page_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "--home", str(tmp_path), "demo", "--driver", driver,
         "--port", str(port), "--page-port", str(page_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        out = "".join(lines)
        assert "Ctrl-C" in out, out + proc.stderr.read() if proc.poll() is not None else out
        # The terminal shows the family card read through the chosen driver.
        assert "EXEMPLE" in out and "PIERRE" in out
        if driver == "simulator":
            assert "OD:" in out and "AMO: régime" in out
        else:
            assert "AMO: not read" in out  # over PC/SC the card keeps it closed, and we say so
        page = urllib.request.urlopen(f"http://127.0.0.1:{page_port}/", timeout=5).read().decode()
        assert "<html" in page.lower()
        sdk = urllib.request.urlopen(f"http://127.0.0.1:{page_port}/sdk/vitale-bridge.js", timeout=5)
        assert sdk.status == 200

        async def read() -> dict:
            token = (tmp_path / "config" / "token").read_text().strip()
            async with BridgeClient.connect(port=port, token=token) as client:
                return await client.call("vitale.read", {"scope": "clear"})

        result = asyncio.run(read())
        assert [b["prenom"] for b in result["beneficiaries"]][:2] == ["PIERRE", "CLAIRE"]
        started = pcscd_pids(parent=proc.pid)
        if driver == "pcsc":
            assert started, "the demo on the bench runs its own pcscd"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    time.sleep(0.5)
    assert started & pcscd_pids() == set(), "demo left a pcscd behind"
