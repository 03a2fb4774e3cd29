"""``vitale-bridge native``: serve one Native Messaging port on stdin/stdout.

Browsers normally start the host themselves (through the manifest written by ``install``) and
pass the caller's identity as arguments; those arguments are accepted here too, so a launcher
script may simply run ``vitale-bridge native "$@"``.
"""

from __future__ import annotations

import argparse

from bridge.cli.common import add_driver, paths_from
from bridge.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("native", help="serve Native Messaging on stdin/stdout (started by the browser)")
    p.add_argument(
        "caller",
        nargs="*",
        help="what the browser passes: chrome-extension://ID/, or Firefox's manifest path and add-on id",
    )
    p.add_argument("--parent-window", help=argparse.SUPPRESS)  # Chrome on Windows
    add_driver(p)
    p.add_argument(
        "--max-message-size",
        type=int,
        default=Settings.max_message_size,
        help=f"largest message accepted from the browser, bytes (default {Settings.max_message_size})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge import logs
    from bridge.transport import native

    if args.max_message_size < 1:
        raise ValueError("--max-message-size must be a positive number of bytes")
    paths = paths_from(args)
    paths.ensure()
    logs.setup(args.log_level, paths.log_file)
    settings = Settings(
        paths=paths,
        driver=args.driver,
        profiles=args.profile,
        max_message_size=args.max_message_size,
    )
    return native.run(settings, origin=native.caller_origin(args.caller))
