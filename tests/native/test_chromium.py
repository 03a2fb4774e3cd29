"""A real round trip through Chromium's native messaging (Debian chromium, Playwright, headless).

The test extension in ``extension/`` carries the same public key as the real one, so its id is
``CHROME_EXTENSION_ID`` and the manifest we generate (allowed_origins) must let it in. The host
is started by Chromium itself, through the launcher that ``install`` would write.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from bridge.identity import CHROME_EXTENSION_ID, EXTENSION_PUBLIC_KEY, NATIVE_HOST_NAME
from bridge.install.manifest import launcher_text, manifest_text
from tests.helpers.hostproc import CHROME_ORIGIN

EXTENSION = Path(__file__).resolve().parent / "extension"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "bridge.hello", "params": {"clientName": "chromium-test", "clientVersion": "1"}}


def test_test_extension_has_the_real_key():
    assert json.loads((EXTENSION / "manifest.json").read_text())["key"] == EXTENSION_PUBLIC_KEY


@pytest.fixture
async def chromium(tmp_path, home):
    from playwright.async_api import async_playwright

    user_data = tmp_path / "chromium-profile"
    hosts_dir = user_data / "NativeMessagingHosts"
    hosts_dir.mkdir(parents=True)
    launcher = tmp_path / "host" / "vitale-bridge-host"
    launcher.parent.mkdir()
    launcher.write_text(launcher_text("linux", sys.executable, str(home)))
    launcher.chmod(0o755)
    (hosts_dir / f"{NATIVE_HOST_NAME}.json").write_text(manifest_text("chrome", str(launcher)))
    async with async_playwright() as p:
        ctx = await p.chromium.launch_persistent_context(
            str(user_data),
            executable_path=CHROMIUM,
            headless=True,
            ignore_default_args=["--disable-extensions"],
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync",
                f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}",
            ],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        try:
            sw = ctx.service_workers[0] if ctx.service_workers else await ctx.wait_for_event("serviceworker")
            yield sw
        finally:
            await ctx.close()


def _log(home: Path) -> str:
    path = home / "logs" / "vitale-bridge.log"
    return path.read_text() if path.exists() else ""


async def test_extension_id_is_derived_from_the_shared_key(chromium):
    assert chromium.url == f"chrome-extension://{CHROME_EXTENSION_ID}/sw.js"


async def test_send_native_message_round_trip(chromium, home):
    answer = await chromium.evaluate("m => sendOnce(m)", HELLO)
    assert answer["id"] == 1
    assert answer["result"]["transport"] == "native"
    assert answer["result"]["name"] == "vitale-bridge"
    # Chromium passed our extension's origin, and the host logged it (not any personal data)
    assert f"native port opened ({CHROME_ORIGIN})" in _log(home)


async def test_port_carries_several_requests_and_the_host_exits_on_disconnect(chromium, home):
    messages = [
        HELLO,
        {"jsonrpc": "2.0", "id": 2, "method": "events.subscribe", "params": {"events": ["card.inserted"]}},
        {"jsonrpc": "2.0", "id": 3, "method": "no.such.method"},
        {"jsonrpc": "2.0", "id": "é", "method": "bridge.hello", "params": {"clientName": "médecin", "clientVersion": "1"}},
    ]
    answers = await chromium.evaluate("([m, n]) => overPort(m, n)", [messages, 4])
    by_id = {a["id"]: a for a in answers}
    assert by_id[1]["result"]["transport"] == "native"
    assert by_id[2]["result"]["subscribed"] == ["card.inserted"]
    assert by_id[3]["error"]["code"] == -32601
    assert "result" in by_id["é"]
    # port.disconnect() closes the host's stdin: the host must notice and exit by itself
    for _ in range(100):
        if _log(home).count("native port closed") >= 1:
            break
        await asyncio.sleep(0.1)
    assert "native port closed" in _log(home)


async def test_largest_answer_today_arrives_whole(chromium):
    """rpc.discover is the largest answer today; it must arrive whole and parse (under 1 MiB)."""
    answer = await chromium.evaluate("m => sendOnce(m)", {"jsonrpc": "2.0", "id": 9, "method": "rpc.discover"})
    assert answer["result"]["openrpc"].startswith("1.")
