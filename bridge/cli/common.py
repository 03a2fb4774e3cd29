"""Helpers shared by subcommands: paths from --home, logging, JSON output, running until stopped."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bridge.settings import Paths


def paths_from(args: argparse.Namespace) -> Paths:
    paths = Paths.resolve(getattr(args, "home", None))
    if getattr(args, "command", None) not in ("simulate", "demo"):  # those own a bench
        try:
            from bridge.bench.discover import use_running_bench
        except ModuleNotFoundError:  # the packaged host ships without the test bench
            return paths
        use_running_bench(paths.data_dir)  # the demo's readers, from another terminal
    return paths


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
    from bridge.fileio import json_text

    sys.stdout.write(json_text(value) + "\n")


def add_json(parser: argparse.ArgumentParser, help: str = "print JSON on stdout (errors as JSON on stderr)") -> None:
    """The one ``--json`` flag of every data command (docs/cli.md: the JSON output)."""
    parser.add_argument("--json", action="store_true", help=help)


def add_port(parser: argparse.ArgumentParser) -> None:
    """--port; read it with :func:`port_from` (the system configuration may set the default)."""
    from bridge.identity import DEFAULT_PORT

    parser.add_argument(
        "--port", type=tcp_port, default=None,
        help=f"WebSocket port (default: websocketPort of the system configuration, else {DEFAULT_PORT})",
    )


def tcp_port(text: str) -> int:
    """argparse type: a TCP port number, so a typo is a usage error (exit 2), not a failed bind."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return port



def port_from(args: argparse.Namespace) -> int:
    from bridge.settings import configured_port

    return args.port if args.port is not None else configured_port()


def add_driver(parser: argparse.ArgumentParser) -> None:
    """--driver and --profile, shared by the commands that run the bridge."""
    from bridge.cards.drivers import available
    from bridge.settings import default_driver

    parser.add_argument(
        "--driver", choices=available(), default=default_driver(),
        help=f"card driver (default {default_driver()}; installed packages may add theirs, see docs/drivers.md)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME_OR_FILE",
        help="simulator: card profile to insert (repeatable; shipped name or JSON file)",
    )
