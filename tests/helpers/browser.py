"""Helpers of the browser tests: the native host launcher and manifest, the WebSocket host,
Chromium's launch, the consent window. Fixtures using them are in conftest.py."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME
from tests.helpers.servers import start_server, stop_server

REPO = Path(__file__).resolve().parents[2]


EXTENSION = REPO / "extension"


ARTIFACTS = REPO / "test-artifacts"


CHROMIUM = os.environ.get("VITALE_BRIDGE_CHROMIUM", "/usr/bin/chromium")


FIREFOX = os.environ.get("VITALE_BRIDGE_FIREFOX", "/usr/bin/firefox-esr")


PROFILES = ("famille", "cps3")


def _require(path: str, what: str) -> None:
    if not Path(path).exists() and not shutil.which(path):
        message = f"{what} not found at {path}: apt-get install -y --no-install-recommends {what}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def write_native_host(
    manifest_dir: Path,
    home: Path,
    *,
    firefox: bool = False,
    profiles=PROFILES,
    pcsc_env: dict[str, str] | None = None,
) -> Path:
    """A launcher for the native host and its manifest in *manifest_dir*: the simulator driver
    with *profiles*, or, given *pcsc_env* (the bench's environment), the pcsc driver."""
    manifest_dir.mkdir(parents=True, exist_ok=True)
    launcher = manifest_dir / "vitale-bridge-host.sh"
    if pcsc_env is None:
        driver = "--driver simulator " + " ".join(f"--profile {p}" for p in profiles)
        exports = ""
    else:
        driver = "--driver pcsc"
        exports = "".join(f"export {k}='{v}'\n" for k, v in pcsc_env.items())
    launcher.write_text(
        "#!/bin/sh\n"
        f"export VITALE_BRIDGE_HOME='{home}'\n"
        f"{exports}"
        f"cd '{REPO}'\n"
        f"exec '{sys.executable}' -m bridge native {driver} \"$@\"\n",
        encoding="utf-8",
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    manifest = {
        "name": NATIVE_HOST_NAME,
        "description": "vitale-bridge (test, simulated cards)",
        "path": str(launcher),
        "type": "stdio",
    }
    if firefox:
        manifest["allowed_extensions"] = [FIREFOX_ADDON_ID]
    else:
        manifest["allowed_origins"] = [f"chrome-extension://{CHROME_EXTENSION_ID}/"]
    (manifest_dir / f"{NATIVE_HOST_NAME}.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return launcher


class WsHost:
    """``vitale-bridge serve --driver simulator`` in a subprocess (tests/helpers/servers.py's
    start_server), and its card controls."""

    def __init__(self, home: Path, profiles=PROFILES) -> None:
        profile_args = [a for p in profiles for a in ("--profile", p)]
        self.served = start_server(home, None, "--driver", "simulator", *profile_args)
        self.home, self.port = home, self.served.port
        self.env = {**os.environ, "VITALE_BRIDGE_HOME": str(home)}

    def rpc(self, method: str, params: dict | None = None):
        args = [sys.executable, "-m", "bridge", "rpc", "--port", str(self.port), method]
        if params is not None:
            args.append(json.dumps(params))
        out = subprocess.run(args, env=self.env, cwd=REPO, capture_output=True, text=True, timeout=20, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{method} failed: {out.stderr}")
        return json.loads(out.stdout) if out.stdout.strip() else None

    def cli(self, *args: str) -> str:
        """Run a ``vitale-bridge`` command against this host's home (e.g. ``origins allow``)."""
        out = subprocess.run(
            [sys.executable, "-m", "bridge", *args], env=self.env, cwd=REPO, capture_output=True, text=True,
            timeout=20, check=True,
        )
        return out.stdout

    def remove(self, reader: str = "Simulated Vitale Reader"):
        return self.rpc("simulator.remove", {"reader": reader})

    def insert(self, profile: str, reader: str | None = None):
        params = {"profile": profile}
        if reader:
            params["reader"] = reader
        return self.rpc("simulator.insert", params)

    def close(self) -> None:
        stop_server(self.served)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def launch_chromium(playwright, user_data_dir: Path, extension: Path, *extra: str):
    """Debian's Chromium, new headless mode, with our unpacked extension; returns (context, id)."""
    ctx = playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        ignore_default_args=["--disable-extensions"],
        args=[*CHROMIUM_ARGS, f"--disable-extensions-except={extension}", f"--load-extension={extension}", *extra],
    )
    sw = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=10000)
    extension_id = sw.url.split("/")[2]
    return ctx, extension_id


def open_with_consent(ctx, page, url: str, decision: str | None):
    """Open *url* in *page*; answer the consent window with *decision* ('always', 'once',
    'refuse'), or return it unanswered when decision is None. Returns the consent page."""
    with ctx.expect_page(timeout=10000) as info:
        page.goto(url)
    consent = info.value
    consent.wait_for_selector("body[data-ready=true]")
    if decision is not None:
        answer_consent(consent, decision)
    return consent


def answer_consent(consent, decision: str) -> None:
    """Click a consent button. The window closes as a result, possibly while Playwright is
    still finishing the click: that closing is the expected outcome, not an error."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        consent.click(f"[data-testid=consent-{decision}]", no_wait_after=True)
    except PlaywrightError:
        if not consent.is_closed():
            raise
    if not consent.is_closed():
        consent.wait_for_event("close", timeout=5000)


RECORD_MESSAGES = """
window.__vbSeen = [];
window.addEventListener('message', (e) => { try { window.__vbSeen.push(JSON.stringify(e.data)); } catch (_) {} });
"""


def open_extension_page(ctx, extension_id: str, name: str, *, viewport: tuple[int, int] | None = None):
    """Open the extension's ``popup`` or ``options`` page in a new tab, once it has rendered."""
    page = ctx.new_page()
    if viewport is not None:
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(f"chrome-extension://{extension_id}/src/{name}/{name}.html")
    page.wait_for_selector("body[data-ready=true]")
    return page


def set_extension_settings(ctx, extension_id: str, *, port: int | None = None, transport: str | None = None) -> None:
    """Change the extension's settings through its options page, as a user would."""
    options = open_extension_page(ctx, extension_id, "options")
    if port is not None:
        options.fill("[data-testid=port]", str(port))
    if transport is not None:
        options.check(f"input[name=transport][value={transport}]")
    options.click("[data-testid=save]")
    options.wait_for_selector("#saved:not([hidden])")
    options.close()


def type_pairing_code(ctx, extension_id: str, code: str) -> str:
    """Type a pairing code in the options page, as the user would; returns what the page said."""
    options = open_extension_page(ctx, extension_id, "options")
    options.fill("[data-testid=pairing-code]", code)
    options.click("[data-testid=pairing-save]")
    options.wait_for_selector("[data-testid=pairing-result]:not([hidden])")
    said = options.text_content("[data-testid=pairing-result]")
    options.close()
    return said
