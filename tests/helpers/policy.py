"""Browser policy files written by the tests themselves: IT's managed storage for the extension
(issue 11 §3). A Chromium policy file applies to every Chromium on the machine while it exists:
each test writes its own uniquely named file just before launching the browser and removes it in
a ``finally``. Debian's firefox-esr reads one ``/etc/firefox/policies/policies.json`` (verified:
not /etc/firefox-esr/), else ``/usr/lib/firefox-esr/distribution/policies.json``, once, when it
starts: the Firefox test creates the first (never replacing one already there) and removes it as
soon as its Firefox has started."""

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


FIREFOX_POLICIES = Path("/etc/firefox/policies/policies.json")


@contextlib.contextmanager
def firefox_policy(managed: dict):
    """policies.json giving our add-on *managed* as its storage.managed, until the block's
    first statement has started Firefox: call the yielded function right after it started."""
    created = [d for d in (FIREFOX_POLICIES.parent, FIREFOX_POLICIES.parent.parent) if not d.exists()]
    try:
        FIREFOX_POLICIES.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(FIREFOX_POLICIES, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except PermissionError:
        pytest.skip(f"cannot write {FIREFOX_POLICIES} (the policy tests need root, as in CI)")
    except FileExistsError:
        pytest.skip(f"{FIREFOX_POLICIES} already exists (another program's policy): not replaced")
    policies = {"policies": {"3rdparty": {"Extensions": {FIREFOX_ADDON_ID: managed}}}}
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(policies, out)

    def remove() -> None:
        FIREFOX_POLICIES.unlink(missing_ok=True)
        for directory in created:
            with contextlib.suppress(OSError):
                directory.rmdir()

    try:
        yield remove
    finally:
        remove()
