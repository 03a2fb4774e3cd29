"""``vitale-bridge policy``: the browser policies an organisation deploys (print, write, remove).

    vitale-bridge policy --origin https://ehr.example.fr [--origin ...] [--blocked-origin ...]
                         [--transport auto|native|websocket] [--websocket-port N]
                         [--browser chrome|chromium|edge|brave|firefox ...]
                         [--update-url URL] [--firefox-install-url URL]
                         [--dry-run | --write | --remove] [--root DIR] [--json]

Without ``--write`` or ``--remove`` nothing is written (``--dry-run`` is the default): the
paths and the exact contents are printed. See docs/install.md.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bridge.cli.common import add_json, print_json

BROWSER_CHOICES = ["chrome", "chromium", "edge", "brave", "firefox", "all"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("policy", help="print or write the browser policies that deploy and configure the extension")
    p.add_argument("--origin", action="append", default=[], metavar="ORIGIN",
                   help="pre-approved web origin, exact (https://host[:port]); repeatable")
    p.add_argument("--blocked-origin", action="append", default=[], metavar="ORIGIN",
                   help="origin always refused, without asking; repeatable")
    p.add_argument("--transport", choices=["auto", "native", "websocket"], help="how the extension reaches the host")
    p.add_argument("--websocket-port", type=int, metavar="N", help="the port the extension uses for the WebSocket")
    p.add_argument("--browser", action="append", choices=BROWSER_CHOICES, help="repeatable; default all")
    p.add_argument("--update-url", metavar="URL",
                   help="Chromium family: force-install the extension from this update manifest (https)")
    p.add_argument("--firefox-install-url", metavar="URL",
                   help="Firefox: force-install the extension from this signed .xpi (https:// or file:///)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--dry-run", dest="action", action="store_const", const="show",
                        help="print the files and their contents (default)")
    action.add_argument("--write", dest="action", action="store_const", const="write", help="write the files")
    action.add_argument("--remove", dest="action", action="store_const", const="remove",
                        help="remove what --write wrote (Firefox: only our entries)")
    p.set_defaults(action="show")
    p.add_argument("--root", type=Path, default=Path("/"),
                   help="write under this folder instead of / (a disk image, a test)")
    add_json(p, "print {files: [{path, content, ...}]} (dry run) or {done: [...]} as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.install import policy, policy_files
    from bridge.install.plan import resolve_browsers

    browsers = resolve_browsers(args.browser)
    if args.action != "remove" and not args.origin:
        raise ValueError("give at least one --origin (the EHR's exact origin, e.g. https://ehr.example.fr)")
    settings = policy.managed_settings(args.origin or [], args.blocked_origin, args.transport, args.websocket_port)
    files = policy.make_policy_plan(
        browsers=browsers, settings=settings, update_url=args.update_url,
        firefox_install_url=args.firefox_install_url,
    )
    root = args.root
    if args.action == "show":
        shown: list[dict[str, Any]] = [
            {"path": str(policy_files.target(root, f)), "browsers": list(f.browsers), "merged": f.merged,
             "content": policy_files.rendered(root, f)}
            for f in files
        ]
        if args.json:
            print_json({"files": shown})
        else:
            import json

            print("dry run, nothing written (--write to write, --remove to undo):")
            for f in shown:
                how = "merged into the existing file" if f["merged"] else "a file of its own"
                print(f"\n# {f['path']}  ({', '.join(f['browsers'])}; {how})")
                print(json.dumps(f["content"], indent=2, ensure_ascii=False))
        return 0
    if root == Path("/") and os.name == "posix" and os.geteuid() != 0:
        raise PermissionError("browser policies live in system folders: run it as root (sudo), or use --root DIR")
    done = policy_files.write(root, files) if args.action == "write" else policy_files.remove(root, files)
    if args.json:
        print_json({"done": done})
    else:
        for line in done:
            print(line)
        if args.action == "write":
            print("restart the browsers (or open chrome://policy, about:policies) for the policies to apply")
    return 0
