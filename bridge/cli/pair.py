"""``vitale-bridge pair [--new] [--json]``: the code that pairs the extension with this bridge.

The extension uses it on the WebSocket fallback to check that the host it reached is this
user's bridge (docs/security.md, "Host proof"). With native messaging the extension fetches it
by itself; the user types it only when the WebSocket is the only channel.
"""

from __future__ import annotations

import argparse

from bridge.cli.common import add_json, paths_from, print_json

INSTRUCTIONS = (
    "Saisissez ce code dans les options de l'extension vitale-bridge (« Code d'appairage ») / "
    "Type this code in the vitale-bridge extension's options (\"Code d'appairage\")."
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pair", help="print the pairing code to type in the extension's options")
    p.add_argument("--new", action="store_true", help="make a new code (existing pairings stop working)")
    add_json(p, "print {pairingKey, grouped, instructions} as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.pairing import grouped
    from bridge.settings import load_or_create_pairing_key

    key = load_or_create_pairing_key(paths_from(args), new=args.new)
    if args.json:
        print_json({"pairingKey": key, "grouped": grouped(key), "instructions": INSTRUCTIONS})
    else:
        print(grouped(key))
        print(INSTRUCTIONS)
    return 0
