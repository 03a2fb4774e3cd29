"""``vitale-bridge rpc METHOD [JSON_PARAMS]``: call a running bridge and print the result."""

from __future__ import annotations

import argparse
import asyncio
import json

from bridge.cli.common import add_json, add_port, paths_from, port_from, print_json


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rpc", help="call a method of the running bridge (prints the JSON result)")
    p.add_argument("method", help="e.g. bridge.hello, od.resolve, vitale.read")
    p.add_argument("params", nargs="?", help="JSON object or array of params")
    add_port(p)
    add_json(p, "errors as JSON on stderr too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.client import BridgeClient

    params = None
    if args.params:
        try:
            params = json.loads(args.params)
        except ValueError as exc:
            raise ValueError(f"params are not valid JSON: {exc}") from None

    async def call() -> object:
        async with BridgeClient.connect(port=port_from(args), paths=paths_from(args)) as client:
            return await client.call(args.method, params)

    print_json(asyncio.run(call()))
    return 0
