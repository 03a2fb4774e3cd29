"""``vitale-bridge serve``: run the localhost WebSocket server."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bridge.cli.common import add_driver, add_port, paths_from


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the localhost WebSocket server")
    add_port(p)
    add_driver(p)
    p.add_argument("--no-ipv6", action="store_true", help="bind 127.0.0.1 only")
    p.add_argument("--max-message-size", type=int, default=64 * 1024, help="bytes (default 65536)")
    p.add_argument("--idle-timeout", type=float, default=600.0, help="seconds, 0 = never (default 600)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge import logs
    from bridge.app import Bridge
    from bridge.settings import Settings
    from bridge.transport.websocket import run_server

    paths = paths_from(args)
    paths.ensure()
    logs.setup(args.log_level, paths.log_file)
    settings = Settings(
        paths=paths,
        port=args.port,
        driver=args.driver,
        profiles=args.profile,
        ipv6=not args.no_ipv6,
        max_message_size=args.max_message_size,
        idle_timeout=args.idle_timeout,
    )
    bridge = Bridge(settings)

    async def main() -> None:
        task = asyncio.create_task(run_server(bridge))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, task.cancel)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            await task
        except asyncio.CancelledError:
            pass

    asyncio.run(main())
    return 0
