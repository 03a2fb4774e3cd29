"""Browser policy files written by the tests themselves: IT's managed storage for the extension
(issue 11 §3). A Chromium policy file applies to every Chromium on the machine while it exists:
each test writes its own uniquely named file just before launching the browser and removes it in
a ``finally``. Firefox reads ``policies.json`` from ``$MOZ_SYSTEM_CONFIG_DIR/policies/`` when
that variable is set (else /etc/firefox-esr/policies/ on Debian, /etc/firefox/policies/ for
Mozilla's builds, then the distribution/ folder): the Firefox test uses a directory of its own
and never touches the machine's."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path

import pytest

from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID

CHROMIUM_MANAGED = Path("/etc/chromium/policies/managed")


@contextlib.contextmanager
def chromium_policy(managed: dict):
    """A managed policy giving our extension *managed* as its storage.managed, for as long as the
    block runs (Chromium reads it when it starts)."""
    created = [d for d in (CHROMIUM_MANAGED, CHROMIUM_MANAGED.parent) if not d.exists()]
    try:
        CHROMIUM_MANAGED.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        pytest.skip(f"cannot write {CHROMIUM_MANAGED} (the policy tests need root, as in CI)")
    path = CHROMIUM_MANAGED / f"vitale-bridge-test-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps({"3rdparty": {"extensions": {CHROME_EXTENSION_ID: managed}}}), encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        for directory in created:
            # Only if still empty: another program may have put its own policy there meanwhile.
            with contextlib.suppress(OSError):
                directory.rmdir()


def firefox_policy_dir(root: Path, managed: dict) -> Path:
    """A system configuration directory for Firefox (MOZ_SYSTEM_CONFIG_DIR) holding
    policies/policies.json with *managed* for our add-on."""
    (root / "policies").mkdir(parents=True, exist_ok=True)
    policies = {"policies": {"3rdparty": {"Extensions": {FIREFOX_ADDON_ID: managed}}}}
    (root / "policies" / "policies.json").write_text(json.dumps(policies), encoding="utf-8")
    return root
