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
