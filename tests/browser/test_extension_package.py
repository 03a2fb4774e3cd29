"""The extension's own checks, from pytest: node's unit tests and web-ext lint (Firefox)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.browser.conftest import EXTENSION


def _node() -> str:
    node = shutil.which("node")
    if not node:
        pytest.fail("node (>= 20) is needed for the extension: apt-get install -y nodejs npm", pytrace=False)
    return node


def test_node_unit_tests_pass():
    out = subprocess.run([_node(), "--test", "test/"], cwd=EXTENSION, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "# fail 0" in out.stdout


def test_web_ext_lint_is_clean(extension_build):
    web_ext = EXTENSION / "node_modules" / ".bin" / "web-ext"
    if not web_ext.exists():
        message = "web-ext is not installed: run 'npm ci' in extension/"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    out = subprocess.run(
        [str(web_ext), "lint", "--source-dir", str(extension_build["firefox"]), "--warnings-as-errors", "--output", "json"],
        cwd=EXTENSION, capture_output=True, text=True, timeout=180,
    )
    assert out.returncode == 0, out.stdout[-4000:]
