"""Run inside a private mount namespace (``unshare -m``) by test_policy_browser.py: write the
Chromium policy with ``vitale-bridge policy --write`` to the real /etc/chromium path, which is
a private copy here (the machine's own folder and other processes never see it), start
Chromium with the extension, and print what the extension reads from ``storage.managed``.

    unshare -m --propagation private python -m tests.helpers.policy_probe EXTENSION_DIR WORK_DIR ARGS_JSON   (from the repository root)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    extension, work, policy_args = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
    private = work / "etc-chromium"
    if Path("/etc/chromium").is_dir():
        shutil.copytree("/etc/chromium", private, symlinks=True)
        subprocess.run(["mount", "--bind", str(private), "/etc/chromium"], check=True)
    else:  # nothing to hide: a tmpfs on a new mount point would need /etc/chromium to exist
        raise SystemExit("/etc/chromium does not exist: install chromium")
    subprocess.run([sys.executable, "-m", "bridge", "policy", "--browser", "chromium", *policy_args, "--write"],
                   cwd=ROOT, check=True, capture_output=True)
    from playwright.sync_api import sync_playwright

    from tests.helpers.browser import launch_chromium

    with sync_playwright() as p:
        ctx, ext_id = launch_chromium(p, work / "profile", extension)
        try:
            sw = ctx.service_workers[0]
            managed = sw.evaluate("chrome.storage.managed.get(null)")
        finally:
            ctx.close()
    print(json.dumps({"extensionId": ext_id, "managed": managed}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
