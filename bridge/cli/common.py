"""Helpers shared by subcommands: paths from --home, logging, JSON output, running until stopped."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bridge.settings import Paths


def paths_from(args: argparse.Namespace) -> Paths:
    return Paths.resolve(getattr(args, "home", None))


def prepare(args: argparse.Namespace, level: str | None = None, *, log_file: bool = True) -> Paths:
    """The paths of --home, created user-only, and logging set up (stderr, plus the rotating
    log file for commands that run the bridge)."""
    from bridge import logs

    paths = paths_from(args)
    paths.ensure()
    logs.setup(level or args.log_level, paths.log_file if log_file else None)
    return paths


async def until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM (where the platform lets asyncio catch them)."""
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    await stop.wait()


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def add_port(parser: argparse.ArgumentParser) -> None:
    """--port; read it with :func:`port_from` (the system configuration may set the default)."""
    from bridge.identity import DEFAULT_PORT

    parser.add_argument(
        "--port", type=int, default=None,
        help=f"WebSocket port (default: websocketPort of the system configuration, else {DEFAULT_PORT})",
    )


def port_from(args: argparse.Namespace) -> int:
    from bridge.settings import configured_port

    return args.port if args.port is not None else configured_port()


def add_driver(parser: argparse.ArgumentParser) -> None:
    """--driver and --profile, shared by the commands that run the bridge."""
    parser.add_argument("--driver", choices=["pcsc", "simulator"], default="pcsc", help="card driver (default pcsc)")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME_OR_FILE",
        help="simulator: card profile to insert (repeatable; shipped name or JSON file)",
    )
