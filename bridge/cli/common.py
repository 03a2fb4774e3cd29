"""Helpers shared by subcommands: paths from --home, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bridge.settings import Paths


def paths_from(args: argparse.Namespace) -> Paths:
    return Paths.resolve(getattr(args, "home", None))


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def add_port(parser: argparse.ArgumentParser) -> None:
    from bridge.identity import DEFAULT_PORT

    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"WebSocket port (default {DEFAULT_PORT})")


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
