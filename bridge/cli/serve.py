"""``vitale-bridge serve``: run the localhost WebSocket server."""

from __future__ import annotations

import argparse
import asyncio

from bridge.cli.common import add_driver, add_port, port_from, prepare, until_stopped
from bridge.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the localhost WebSocket server")
    add_port(p)
    add_driver(p)
    p.add_argument("--no-ipv6", action="store_true", help="bind 127.0.0.1 only")
    p.add_argument("--pkcs11-module", metavar="PATH", help="PKCS#11 module reading the CPS for cps.identity "
                   "(default: pkcs11Module of the system configuration, else the Cryptolib CPS / OpenSC)")
    p.add_argument("--max-message-size", type=int, default=Settings.max_message_size,
                   help=f"bytes (default {Settings.max_message_size})")
    p.add_argument("--idle-timeout", type=float, default=Settings.idle_timeout,
                   help=f"seconds, 0 = never (default {Settings.idle_timeout:g})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.app import Bridge
    from bridge.sysconfig import load_system_config
    from bridge.transport.websocket import WebSocketServer

    load_system_config()  # a broken system configuration stops serve here, saying which file and why
    settings = Settings(
        paths=prepare(args),
        port=port_from(args),
        driver=args.driver,
        profiles=args.profile,
        ipv6=not args.no_ipv6,
        max_message_size=args.max_message_size,
        idle_timeout=args.idle_timeout,
        pkcs11_module=args.pkcs11_module,
    )
    bridge = Bridge(settings)

    async def main() -> None:
        server = WebSocketServer(bridge)
        async with bridge:
            await server.start()
            try:
                await until_stopped()
            finally:
                await server.stop()

    asyncio.run(main())
    return 0
