"""What ``vitale-bridge policy`` writes is what a real Chromium hands to the extension.

The policy is written to the real path, /etc/chromium/policies/managed/, but inside a private
mount namespace where /etc/chromium is a copy (tests/helpers/policy_probe.py): the machine's
browsers and the other tests never see it. Needs root (unshare, mount) and Chromium. The
extension's own behaviour with those values (no consent window for a pre-approved origin...)
is tested with the extension (tests/browser/).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.identity import CHROME_EXTENSION_ID
from tests.browser.conftest import extension_build  # noqa: F401 - the fixture, shared
from tests.helpers.browser import CHROMIUM, _require
from tests.helpers.namespaces import why_no_private_mount_namespace

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_chromium_gives_the_extension_the_managed_storage_policy_wrote(extension_build, tmp_path):  # noqa: F811
    if reason := why_no_private_mount_namespace():
        pytest.skip(f"the policy goes to /etc/chromium, in a private mount namespace: {reason}")
    _require(CHROMIUM, "chromium")
    manifest = json.loads((extension_build["chrome"] / "manifest.json").read_text())
    if "managed_schema" not in manifest.get("storage", {}):
        pytest.skip("this extension build declares no storage.managed_schema: Chromium gives it no managed storage")
    args = ["--origin", "https://ehr.example.fr", "--origin", "http://localhost:8080",
            "--blocked-origin", "https://evil.example.fr", "--transport", "native", "--websocket-port", "28000"]
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", sys.executable, "-m", "tests.helpers.policy_probe",
         str(extension_build["chrome"]), str(tmp_path), json.dumps(args)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["extensionId"] == CHROME_EXTENSION_ID
    assert seen["managed"] == {
        "allowedOrigins": ["https://ehr.example.fr", "http://localhost:8080"],
        "blockedOrigins": ["https://evil.example.fr"],
        "transport": "native",
        "websocketPort": 28000,
    }
    assert not Path("/etc/chromium/policies/managed/vitale-bridge.json").exists()  # the namespace kept it
