#!/usr/bin/env python3
"""Build the extension for each browser family from the one source tree.

    dist/chrome/   + dist/vitale-bridge-chrome-<version>.zip    (MV3 service worker, "key")
    dist/firefox/  + dist/vitale-bridge-firefox-<version>.zip   (MV3 background scripts, gecko id)

Python's standard library only (``zipfile``), so the set-up builds the extension on any
machine that has the bridge's Python, whatever its Node.js: Node is needed only for the
extension's own unit tests and ``web-ext lint``.

``manifest.json`` holds the union of both browsers' keys; each target drops what the other
browser would warn about. The content script is a classic script in browsers, so the shared
protocol module is inlined into it here. Zip entries are sorted and dated 2024-01-01 with fixed
permissions, so the same sources always give the same bytes (reproducible builds).

    python3 extension/build.py [chrome] [firefox]
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
TARGETS = ("chrome", "firefox")
COPY = ("_locales", "icons", "src", "sdk/protocol.js")
CONTENT = "src/content/content.js"
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def manifest_for(target: str) -> dict:
    """The manifest of one browser family, from the shared manifest.json."""
    manifest = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
    background = manifest["background"]
    if target == "chrome":
        manifest.pop("browser_specific_settings", None)
        manifest["background"] = {"service_worker": background["service_worker"], "type": "module"}
    elif target == "firefox":
        manifest.pop("key", None)
        manifest.pop("minimum_chrome_version", None)
        manifest["background"] = {"scripts": background["scripts"], "type": "module"}
    else:
        raise ValueError(f"unknown target {target!r}: choose among {', '.join(TARGETS)}")
    return manifest


def bundle_content_script() -> str:
    """The content script as a classic script: protocol.js inlined, imports/exports removed."""
    protocol = re.sub(
        r"^export (const|function|class) ",
        r"\1 ",
        (ROOT / "sdk/protocol.js").read_text(encoding="utf-8"),
        flags=re.M,
    )
    content = re.sub(
        r'^import \{[^}]*\} from "[^"]+";\n', "", (ROOT / CONTENT).read_text(encoding="utf-8"), flags=re.M
    )
    if re.search(r"^\s*(import|export)\s", protocol + content, flags=re.M):
        raise ValueError("the content script still has an import or export: keep its imports on one line each")
    return (
        f"// Built by build.py from sdk/protocol.js and {CONTENT}: do not edit.\n"
        f'(() => {{\n"use strict";\n{protocol}\n{content}\n}})();\n'
    )


def zip_directory(directory: Path, out_file: Path) -> None:
    """A deflated zip of *directory*: entries sorted, dates and permissions fixed."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    with zipfile.ZipFile(out_file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, so the permissions above are read as such
            zf.writestr(info, path.read_bytes())


def build(targets: tuple[str, ...] | list[str] = TARGETS) -> dict[str, dict[str, Path]]:
    version = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))["version"]
    outputs: dict[str, dict[str, Path]] = {}
    for target in targets:
        manifest = manifest_for(target)  # validates the target before anything is removed
        out = DIST / target
        shutil.rmtree(out, ignore_errors=True)
        for item in COPY:
            src = ROOT / item
            if src.is_dir():
                shutil.copytree(src, out / item)
            else:
                (out / item).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, out / item)
        (out / CONTENT).write_text(bundle_content_script(), encoding="utf-8")
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        package = DIST / f"vitale-bridge-{target}-{version}.zip"
        zip_directory(out, package)
        outputs[target] = {"dir": out, "zip": package}
    return outputs


def main(argv: list[str]) -> int:
    try:
        outputs = build(argv or list(TARGETS))
    except (ValueError, OSError) as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    for target, out in outputs.items():
        print(f"{target}: {out['dir'].relative_to(ROOT)}/ and {out['zip'].relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
