"""``vitale-bridge demo``: the whole product on one machine with no card reader.

Starts the virtual PC/SC bench (pcscd + virtual readers "Vitale" and "CPS" holding a family's
carte Vitale and a CPS), the bridge on the localhost WebSocket with the ``pcsc`` driver — so
the real PC/SC path is exercised — reads the card once and prints it, and serves the demo EHR
page. With ``--driver simulator`` it skips pcscd and uses in-process cards whose profiles hold
the protected AMO data too, to show the CPx rule and the OD resolution end to end. When pcscd
or vpcd is missing it says what to install and falls back to the simulator.
Everything it started stops on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from bridge.cli.common import add_port, port_from, prepare, until_stopped

if TYPE_CHECKING:
    from bridge.app import Bridge
    from bridge.bench.bench import Bench
    from bridge.settings import Settings
    from bridge.virtualcards.timing import TimingModel

DEMO_PAGE_PORT = 27816


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="run a simulated reader, the bridge and the demo EHR page together")
    add_port(p)
    p.add_argument("--page-port", type=int, default=DEMO_PAGE_PORT, help=f"demo page port (default {DEMO_PAGE_PORT})")
    p.add_argument("--driver", choices=["pcsc", "simulator"], default="pcsc",
                   help="pcsc: virtual readers through pcscd (default); simulator: in-process cards with AMO data")
    p.add_argument("--profile", default="famille", help="carte Vitale profile (default famille)")
    p.add_argument("--cps", default="cps3", help="CPS profile, or 'none' (default cps3)")
    from bridge.cli.simulate import add_timing

    add_timing(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.cli.simulate import timing_model
    from bridge.settings import Settings

    # The terminal is for the demo's own output: routine INFO lines go to the log file only.
    paths = prepare(args, "WARNING" if args.log_level == "INFO" else None)
    timing = timing_model(args) if args.timing == "real" else None
    profiles = [args.profile] + ([] if args.cps.lower() == "none" else [args.cps])
    bench = None
    driver = args.driver
    if driver == "pcsc":
        bench, problem = _start_bench(args, profiles, timing)
        if bench is None:
            print(f"note: the virtual PC/SC bench is not available ({problem}).\n"
                  "      Falling back to the in-process simulator driver.", file=sys.stderr)
            driver = "simulator"
    settings = Settings(paths=paths, port=port_from(args), driver=driver,
                        profiles=profiles if driver == "simulator" else [])
    try:
        asyncio.run(_serve(settings, args.page_port, bench, timing))
    finally:
        if bench is not None:
            bench.stop()
    return 0


def _start_bench(
    args: argparse.Namespace, profiles: list[str], timing: TimingModel | None
) -> tuple[Bench | None, str | None]:
    """Start the bench in the main thread (pcscd is bound to the thread that starts it)."""
    try:
        from bridge.bench.bench import Bench
        from bridge.bench.preflight import BenchUnavailable
    except ImportError as exc:  # pyscard missing
        return None, str(exc)
    try:
        bench = Bench(home=getattr(args, "home", None), socket="private")
        bench.set_timing("real" if timing else "instant", timing)
        bench.owner = "demo"
        bench.start()
    except BenchUnavailable as exc:
        return None, str(exc)
    bench.insert(profiles[0], "Vitale")
    if len(profiles) > 1:
        bench.insert(profiles[1], "CPS")
    return bench, None


async def _serve(settings: Settings, page_port: int, bench: Bench | None, timing: TimingModel | None) -> None:
    from bridge.api.cards import read_vitale
    from bridge.app import Bridge
    from bridge.cli.cards import format_read
    from bridge.demo.server import start_demo_server
    from bridge.errors import BridgeError
    from bridge.identity import DEFAULT_PORT
    from bridge.transport.websocket import WebSocketServer

    on_bench = bench is not None
    bridge = Bridge(settings)
    server = WebSocketServer(bridge)
    set_timing = getattr(getattr(bridge.cards, "driver", None), "set_timing", None)
    if set_timing is not None:  # the simulator driver: its cards take a real card's time too
        set_timing(timing)
    page = start_demo_server(page_port, "127.0.0.1")
    try:
        async with bridge:
            await server.start()
            where = "virtual readers through pcscd (pcsc driver)" if on_bench else "in-process simulator driver"
            print(f"vitale-bridge demo: {where}, {'real' if timing else 'instant'} card timing")
            if bench is not None:
                pcsc = ", ".join(s["pcscReader"] for s in bench.status())
                print(f"Readers: {pcsc} on a private pcscd socket ({', '.join(f'{k}={v}' for k, v in bench.env.items())});\n"
                      "  'vitale-bridge readers | read | doctor' of this home use it from another terminal.")
            await _wait_for_card(bridge)
            try:
                result = await read_vitale(bridge)
                print("\n" + format_read(result) + "\n")
                if on_bench and not result.amo:
                    print("Over PC/SC a real card keeps its AMO data closed, and so does the virtual one.\n"
                          "To see AMO data, the CPx rule and the OD resolved from the TOD table:\n"
                          "  vitale-bridge demo --driver simulator\n")
            except BridgeError as exc:
                print(f"read failed: {exc.code}: {exc.message}", file=sys.stderr)
            print(f"Bridge (JSON-RPC over WebSocket): ws://127.0.0.1:{server.port}/  token: {settings.paths.token_file}")
            print(f"Demo EHR page:                    {page.url}")
            print("  (load the extension from extension/dist/chrome — see docs/extension.md — then open the page)")
            port = "" if server.port == DEFAULT_PORT else f" --port {server.port}"
            print(f"Try: vitale-bridge rpc vitale.read{port} | vitale-bridge od search lyon"
                  + (" | vitale-bridge simulate swap corse" if on_bench else ""))
            print("Ctrl-C stops everything.")
            sys.stdout.flush()
            await until_stopped()
    finally:
        page.close()
        await server.stop()


async def _wait_for_card(bridge: Bridge, timeout: float = 5.0) -> None:
    """The watcher needs a moment to see the virtual card."""
    try:
        await bridge.cards.wait_for_card("vitale2", timeout=timeout)
    except TimeoutError:
        pass  # the read below reports what is missing
