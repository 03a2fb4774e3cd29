"""extension/build.py: one source tree, a Chrome and a Firefox package, reproducible zips."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bridge import identity

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"


def _load_build():
    spec = importlib.util.spec_from_file_location("extension_build", EXTENSION / "build.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _chrome_id(key_b64: str) -> str:
    digest = hashlib.sha256(base64.b64decode(key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def test_chrome_manifest_carries_the_key_of_our_extension_id():
    chrome = build.manifest_for("chrome")
    assert chrome["key"] == identity.EXTENSION_PUBLIC_KEY
    assert _chrome_id(chrome["key"]) == identity.CHROME_EXTENSION_ID
    assert chrome["background"] == {"service_worker": "src/background/main.js", "type": "module"}
    assert "browser_specific_settings" not in chrome
    options = (EXTENSION / "src/options/options.js").read_text(encoding="utf-8")
    assert f'"{identity.CHROME_EXTENSION_ID}"' in options, "the options page knows the built-in id"


def test_firefox_manifest_has_the_gecko_id_and_no_key():
    firefox = build.manifest_for("firefox")
    assert firefox["browser_specific_settings"]["gecko"]["id"] == identity.FIREFOX_ADDON_ID
    assert firefox["background"] == {"scripts": ["src/background/main.js"], "type": "module"}
    assert "key" not in firefox and "minimum_chrome_version" not in firefox


def test_unknown_target_is_refused_before_anything_is_removed():
    with pytest.raises(ValueError, match="unknown target"):
        build.manifest_for("safari")


def test_content_script_is_a_classic_script_with_the_protocol_inlined():
    code = build.bundle_content_script()
    assert not any(line.lstrip().startswith(("import ", "export ")) for line in code.splitlines())
    assert 'const CHANNEL = "vitale-bridge";' in code
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    if node.returncode == 0:  # parses as a classic (non-module) script
        check = subprocess.run(
            ["node", "-e", "new (require('vm').Script)(require('fs').readFileSync(0, 'utf8'))"],
            input=code, capture_output=True, text=True,
        )
        assert check.returncode == 0, check.stderr


def test_build_writes_both_packages_reproducibly(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "DIST", tmp_path / "dist")
    first = build.build()
    zips = {t: out["zip"].read_bytes() for t, out in first.items()}
    second = build.build()
    assert {t: out["zip"].read_bytes() for t, out in second.items()} == zips, "same sources, same bytes"
    version = json.loads((EXTENSION / "manifest.json").read_text())["version"]
    for target in ("chrome", "firefox"):
        package = tmp_path / "dist" / f"vitale-bridge-{target}-{version}.zip"
        with zipfile.ZipFile(package) as zf:
            assert zf.testzip() is None
            names = zf.namelist()
            assert names == sorted(names)
            manifest = json.loads(zf.read("manifest.json"))
            assert manifest == build.manifest_for(target)
            assert zf.read("src/content/content.js").decode() == build.bundle_content_script()
            assert {i.date_time for i in zf.infolist()} == {build.ZIP_DATE}
        on_disk = sorted(p.relative_to(first[target]["dir"]).as_posix() for p in first[target]["dir"].rglob("*") if p.is_file())
        assert names == on_disk


def test_command_line_reports_an_unknown_target():
    bad = subprocess.run([sys.executable, str(EXTENSION / "build.py"), "safari"], capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown target" in bad.stderr
