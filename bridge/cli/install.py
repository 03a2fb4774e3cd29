"""``vitale-bridge install`` / ``uninstall``: register the native host with the browsers."""

from __future__ import annotations

import argparse
import os

from bridge.cli.common import add_json, paths_from, print_json

BROWSER_CHOICES = ["chrome", "chromium", "edge", "brave", "firefox", "all"]


def _scope(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--user", dest="scope", action="store_const", const="user", help="for this user (default)")
    g.add_argument("--system", dest="scope", action="store_const", const="system", help="for every user (needs root/admin)")
    p.set_defaults(scope="user")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("install", help="register the native messaging host with the browsers")
    p.add_argument(
        "--browser",
        action="append",
        choices=BROWSER_CHOICES,
        help="repeatable; default all",
    )
    _scope(p)
    p.add_argument("--host-path", help="the host program the manifests point to (e.g. the PyInstaller binary)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    add_json(p, "print the plan (and what was written) as JSON")
    p.set_defaults(func=install)

    u = sub.add_parser("uninstall", help="remove exactly what 'install' wrote")
    _scope(u)
    add_json(u, "print what was removed as JSON")
    u.set_defaults(func=uninstall)


def _bridge_home(args: argparse.Namespace) -> str | None:
    home = getattr(args, "home", None) or os.environ.get("VITALE_BRIDGE_HOME")
    return str(paths_from(args).config_dir.parent) if home else None


def _check_privileges(scope: str) -> None:
    if scope == "system" and os.name == "posix" and os.geteuid() != 0:
        raise PermissionError("a --system install writes to system folders: run it as root (sudo)")


def install(args: argparse.Namespace) -> int:
    from bridge.install import apply, plan_here

    paths = paths_from(args)
    plan = plan_here(
        scope=args.scope,
        browsers=args.browser,
        data_dir=paths.data_dir,
        host_path=args.host_path,
        bridge_home=_bridge_home(args),
    )
    if args.dry_run:
        if args.json:
            print_json(plan.to_json())
        else:
            print("dry run, nothing written:")
            for line in plan.describe():
                print("  " + line)
        return 0
    _check_privileges(args.scope)
    if args.scope == "user":
        paths.ensure()
    done = apply.install(plan)
    if args.json:
        print_json({"plan": plan.to_json(), "done": done})
    else:
        for line in done:
            print(line)
        print(f"native host registered for {', '.join(plan.browsers)} ({args.scope}); undo with 'vitale-bridge uninstall'")
    return 0


def uninstall(args: argparse.Namespace) -> int:
    from bridge.install import apply, record_here

    _check_privileges(args.scope)
    done = apply.uninstall(record_here(scope=args.scope, data_dir=paths_from(args).data_dir))
    if args.json:
        print_json({"done": done})
    else:
        for line in done:
            print(line)
    return 0
