"""``vitale-bridge simulate``: a real pcscd with virtual Vitale and CPS cards, no hardware.

``vitale-bridge simulate`` starts the bench (readers "Vitale" and "CPS"), inserts the default
family profile and a CPS, prints what it did, and runs until Ctrl-C or SIGTERM, then stops
pcscd and every card. While it runs, other commands drive it through its control channel::

    vitale-bridge simulate insert adulte --reader Vitale
    vitale-bridge simulate remove --reader Vitale
    vitale-bridge simulate swap corse
    vitale-bridge simulate status | stop
    vitale-bridge simulate --list
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.virtualcards.timing import TimingModel

DEFAULT_VITALE = "famille"
DEFAULT_CPS = "cps3"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a PC/SC bench with virtual Vitale and CPS cards (no hardware)",
        description="Start pcscd with virtual readers 'Vitale' and 'CPS' and insert virtual cards. "
        "With no action, runs until Ctrl-C; the actions drive a running bench of the same --home.",
    )
    p.add_argument("--profile", default=DEFAULT_VITALE, metavar="NAME_OR_FILE",
                   help=f"Vitale profile to insert at start (default {DEFAULT_VITALE}); 'none' for an empty reader")
    p.add_argument("--cps", default=DEFAULT_CPS, metavar="NAME_OR_FILE",
                   help=f"CPS profile to insert at start (default {DEFAULT_CPS}); 'none' for an empty reader")
    p.add_argument("--list", action="store_true", help="list the shipped profiles and exit")
    p.add_argument("--socket", choices=["auto", "private", "system"], default="auto",
                   help="pcscd socket: 'system' (/run/pcscd, every PC/SC program sees the readers), "
                   "'private' (clients need PCSCLITE_CSOCK_NAME), 'auto' = system when free (default)")
    p.add_argument("--dual", action="append", default=[], metavar="NAME",
                   help="also a dual-slot reader NAME (slots 'NAME 00 00' and 'NAME 00 01'; repeatable)")
    p.add_argument("--ports", type=int, metavar="BASE",
                   help="vpcd ports: BASE, BASE+1 for the first reader, BASE+2... (default: 40000 inside "
                   "pcscd's own network namespace as root, reachable from nowhere else; not root: free ports, "
                   "which vpcd opens on every interface)")
    add_timing(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run, action=None)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    for name, helptext in (("insert", "insert a card (replacing the one in the reader)"),
                           ("swap", "remove the card, wait until PC/SC sees it gone, insert another")):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("profile", metavar="NAME_OR_FILE",
                       help="a shipped profile (see 'simulate --list') or a profile JSON file")
        a.add_argument("--reader", help="bench reader (default: Vitale, or CPS for a CPS profile)")
        a.set_defaults(func=control)
    a = actions.add_parser("remove", help="pull the card out of a reader")
    a.add_argument("--reader", help="bench reader (default Vitale)")
    a.set_defaults(func=control)
    for name, helptext in (("status", "show the readers and their cards"), ("clear", "empty every reader"),
                           ("stop", "stop the running bench")):
        actions.add_parser(name, help=helptext).set_defaults(func=control)
    for a in actions.choices.values():
        a.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")


def add_timing(p: argparse.ArgumentParser) -> None:
    """--timing, --clock-mhz, --processing-ms: shared with 'demo' (docs/virtual-cards.md)."""
    from bridge.virtualcards.timing import DEFAULT_CLOCK_HZ, DEFAULT_PROCESSING

    p.add_argument("--timing", choices=["real", "instant"], default="real",
                   help="real: the cards answer in a real card's time, from their ATR (default); instant: at once")
    p.add_argument("--clock-mhz", type=float, default=DEFAULT_CLOCK_HZ / 1e6, metavar="MHZ",
                   help=f"reader clock given to the cards, for --timing real (default {DEFAULT_CLOCK_HZ / 1e6:g})")
    p.add_argument("--processing-ms", type=float, default=DEFAULT_PROCESSING * 1e3, metavar="MS",
                   help=f"card processing time per command, for --timing real (default {DEFAULT_PROCESSING * 1e3:g})")


def timing_model(args: argparse.Namespace) -> TimingModel:
    """The timing model of --clock-mhz / --processing-ms (SetupError when out of range)."""
    from bridge.errors import SetupError
    from bridge.virtualcards.timing import TimingModel

    try:
        return TimingModel(args.clock_mhz * 1e6, args.processing_ms / 1e3)
    except ValueError as exc:
        raise SetupError(f"{exc}: check --clock-mhz and --processing-ms") from None


def list_profiles(as_json: bool) -> int:
    from bridge import profiles
    from bridge.cli.common import print_json

    rows = []
    for name in profiles.shipped_names():
        p = profiles.load(name)
        rows.append({"name": name, "kind": p.kind, "cardType": p.card_type, "description": p.description,
                     "tags": p.tags})
    if as_json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['name']:<20} {r['cardType']:<8} {r['description']}")
    return 0


def _print_status(status: list[dict[str, Any]], env: dict[str, str]) -> None:
    for s in status:
        card = f"{s['profile']} ({s['cardType']})" if s["profile"] else "empty"
        print(f"  {s['pcscReader'] or s['reader']:<16} {card}")
    if not env:
        print("System PC/SC socket: every PC/SC program on this machine sees these readers.")
    else:
        print("PC/SC clients must use the private socket:")
        for k, v in env.items():
            print(f"  export {k}={v}")


def control(args: argparse.Namespace) -> int:
    from bridge.bench.control import RemoteBench
    from bridge.cli.common import print_json

    bench = RemoteBench.for_home(getattr(args, "home", None))  # BenchControlError: main.report
    if args.action == "stop":
        bench.stop()
        status = []
    elif args.action == "status":
        status = bench.status()
    elif args.action == "clear":
        status = bench.clear()
    elif args.action == "remove":
        status = bench.remove(args.reader)
    else:
        status = getattr(bench, args.action)(args.profile, args.reader)
    if args.json:
        print_json({"status": status, "env": bench.env})
    elif args.action == "stop":
        print("bench stopping")
    else:
        _print_status(status, bench.env)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_profiles(args.json)
    import threading

    from bridge import logs
    from bridge.bench.bench import Bench
    from bridge.cli.common import paths_from, print_json

    paths = paths_from(args)
    paths.ensure()
    logs.setup(args.log_level)
    stop = threading.Event()
    try:
        bench = Bench(home=getattr(args, "home", None), socket=args.socket, dual_readers=args.dual,
                      base_port=args.ports)
    except ValueError as exc:
        from bridge.errors import SetupError

        raise SetupError(f"{exc}: check --dual and --ports") from None
    bench.set_timing(args.timing, timing_model(args))
    bench.owner = "simulate"
    bench.allow_remote_stop = True
    bench.stop_requested = stop

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        bench.start()  # BenchUnavailable is a SetupError: the CLI prints what to install
        if args.profile.lower() != "none":
            bench.insert(args.profile, "Vitale")
        if args.cps.lower() != "none":
            bench.insert(args.cps, "CPS")
        if args.json:
            print_json({"status": bench.status(), "env": bench.env, "pcscdPid": bench.daemon.pid if bench.daemon else None,
                        "timing": bench.timing})
        else:
            print(f"vitale-bridge simulate: virtual readers ready, {bench.timing} timing (Ctrl-C to stop)")
            _print_status(bench.status(), bench.env)
            home = f" --home {args.home}" if getattr(args, "home", None) else ""
            print(f"Drive it: vitale-bridge{home} simulate insert|remove|swap|status ...")
        sys.stdout.flush()
        while not stop.wait(0.5):
            if bench.daemon is None or not bench.daemon.running():
                print("error: pcscd stopped unexpectedly; " + (bench.daemon.log_tail() if bench.daemon else ""),
                      file=sys.stderr)
                return 1
        return 0
    finally:
        bench.stop()
        for s, h in previous.items():
            signal.signal(s, h)
