"""``vitale-bridge serve``: run the localhost WebSocket server."""

from __future__ import annotations

import argparse
import asyncio

from bridge.cli.common import add_driver, add_port, prepare, until_stopped


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the localhost WebSocket server")
    add_port(p)
    add_driver(p)
    p.add_argument("--no-ipv6", action="store_true", help="bind 127.0.0.1 only")
    p.add_argument("--max-message-size", type=int, default=64 * 1024, help="bytes (default 65536)")
    p.add_argument("--idle-timeout", type=float, default=600.0, help="seconds, 0 = never (default 600)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.app import Bridge
    from bridge.settings import Settings
    from bridge.transport.websocket import WebSocketServer

    settings = Settings(
        paths=prepare(args),
        port=args.port,
        driver=args.driver,
        profiles=args.profile,
        ipv6=not args.no_ipv6,
        max_message_size=args.max_message_size,
        idle_timeout=args.idle_timeout,
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
