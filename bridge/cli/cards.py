"""``vitale-bridge readers``, ``read`` and ``watch``: the card layer from a terminal.

Like ``ykman``, these run in this process against the card driver (pyscard by default), so
they work without a running bridge; ``--driver simulator --profile NAME`` uses virtual cards.
Tables print names as read from the card: this is the practitioner's own terminal, and
nothing here goes to the logs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from typing import Any

from bridge.cli.common import add_driver, add_json, paths_from, print_json, until_stopped
from bridge.fileio import json_text


def _add_driver_and_json(p: argparse.ArgumentParser) -> None:
    add_driver(p)
    add_json(p)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("readers", help="list card readers and the cards in them")
    _add_driver_and_json(p)
    p.set_defaults(func=run_readers)

    p = sub.add_parser("read", help="read the carte Vitale (bénéficiaires, NIR, AMO, OD)")
    _add_driver_and_json(p)
    p.add_argument("--reader", help="reader name, or a unique part of it")
    p.add_argument(
        "--scope", choices=["auto", "clear", "full"], default="auto",
        help="auto (default): full when a CPS is present; clear; full (needs a CPS)",
    )
    p.add_argument("--no-od", action="store_true", help="do not resolve the organisme destinataire")
    p.set_defaults(func=run_read)

    p = sub.add_parser("watch", help="print reader and card events as they happen (Ctrl-C to stop)")
    _add_driver_and_json(p)
    p.add_argument("--for", dest="duration", type=float, default=0.0, help="stop after this many seconds (0 = never)")
    p.set_defaults(func=run_watch)


def _bridge(args: argparse.Namespace) -> Any:
    from bridge.app import Bridge
    from bridge.settings import Settings

    return Bridge(Settings(paths=paths_from(args), driver=args.driver, profiles=list(args.profile)))


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def run_readers(args: argparse.Namespace) -> int:
    from bridge.cards.atr import label

    async def main() -> list[Any]:
        async with _bridge(args) as bridge:
            readers: list[Any] = await bridge.cards.readers()
            return readers

    readers = asyncio.run(main())
    if args.json:
        print_json([r.to_wire() for r in readers])
        return 0
    if not readers:
        print("No card reader found. Plug in a reader (or use --driver simulator --profile famille).")
        return 0
    rows = [
        [r.name, label(r.atr) if r.card_present else "(empty)", r.atr or "-"]
        for r in readers
    ]
    print(_table(rows, ["Reader", "Card", "ATR"]))
    return 0


def format_read(result: Any) -> str:
    """The human view of a VitaleRead: bénéficiaires, NIR, AMO, OD."""
    from bridge.cards.nir import display

    out = [f"Carte {result.card_type} in {result.reader}"]
    if result.serial_number:
        out.append(f"Serial number: {result.serial_number}")
    v = result.validity
    if v and (v.raw_start or v.raw_end):
        expired = " (EXPIRED)" if v.end and v.end < dt.date.today() else ""
        out.append(f"Validity: from {v.raw_start or '?'} to {v.raw_end or '?'}{expired}")
    rows = []
    for i, b in enumerate(result.beneficiaries, 1):
        date = b.date_naissance
        shown = date.iso.isoformat() if date.iso else date.raw
        if date.lunar:
            shown += " (lunaire)"
        if date.missing_century:
            shown += " (sans siècle)"
        qualite = b.amo.qualite_libelle or b.amo.qualite if b.amo else "-"
        rang = str(b.rang_naissance) if b.rang_naissance is not None else "unknown"  # never a default 1
        rows.append([str(i), b.nom, b.prenom, shown, rang, display(b.nir), qualite])
    out += ["", _table(rows, ["#", "Nom", "Prénom", "Naissance", "Rang", "NIR", "Qualité"]), ""]
    if result.amo:
        a = result.amo
        out.append(
            f"AMO: régime {a.regime}, caisse {a.caisse}, centre {a.centre}"
            + (f", code gestion {a.code_gestion}" if a.code_gestion else "")
        )
        for i, b in enumerate(result.beneficiaries, 1):
            if b.amo and b.amo.droits:
                periods = ", ".join(f"{d.raw_start or '?'}-{d.raw_end or '?'}" for d in b.amo.droits)
                out.append(f"  droits #{i}: {periods}")
    else:
        out.append(f"AMO: not read. {result.availability.reason or ''}".rstrip())
    od = result.organisme_destinataire
    if od is not None:
        out.append(f"OD: {od.od} (centre informatique {od.code_centre_informatique}) {od.libelle}, TOD {od.table_version}")
    elif result.od_status == "notFound":
        out.append("OD: not found in the TOD table for these codes (import the current table: vitale-bridge od import).")
    elif result.od_status == "unavailable":
        out.append("OD: no TOD table available.")
    return "\n".join(out)


def run_read(args: argparse.Namespace) -> int:
    async def main() -> Any:
        async with _bridge(args) as bridge:
            from bridge.api.cards import read_vitale

            return await read_vitale(bridge, args.reader, args.scope, not args.no_od)

    result = asyncio.run(main())
    if args.json:
        print_json(result.to_wire())
    else:
        print(format_read(result))
    return 0


def run_watch(args: argparse.Namespace) -> int:
    """The readers' state first (plain: one line each; ``--json``: one line shaped like the
    ``readers.list`` result), then one line per event (``--json``: the JSON-RPC notification).
    When stdout's reader goes away (``| head``), the watch ends: the broken pipe surfaces in
    ``main``, which exits quietly."""
    import sys
    import time

    from bridge.rpc import Peer

    gone: list[BaseException] = []

    def emit(line: str) -> None:
        print(line, flush=True)

    async def printer(message: dict[str, Any]) -> None:
        params = message.get("params") or {}
        try:
            if args.json:
                emit(json_text(message, indent=None))
            else:
                card = f" {params.get('cardType')}" if params.get("cardType") else ""
                atr = f" ATR {params['atr']}" if params.get("atr") else ""
                emit(f"{time.strftime('%H:%M:%S')} {message['method']:<15} {params.get('reader')}{card}{atr}")
        except OSError as exc:  # the event hub would swallow it: stop watching instead
            gone.append(exc)
            stopped.set()

    stopped = asyncio.Event()

    async def main() -> None:
        async with _bridge(args) as bridge:
            readers = await bridge.cards.readers()
            if args.json:
                emit(json_text({"readers": [r.to_wire() for r in readers], "driver": bridge.cards.driver.name},
                               indent=None))
            else:
                for r in readers:
                    state = f"{r.card_type} ATR {r.atr}" if r.card_present else "empty"
                    emit(f"{r.name}: {state}")
            session = bridge.open_session(Peer(transport="inproc", authenticated_by="local"), send=printer)
            session.subscriptions.add("*")
            if not args.json:
                print("Watching (Ctrl-C to stop)...", file=sys.stderr, flush=True)
            waits = [asyncio.ensure_future(until_stopped()), asyncio.ensure_future(stopped.wait())]
            try:  # until Ctrl-C / SIGTERM, stdout closed, or --for seconds
                await asyncio.wait(waits, timeout=args.duration if args.duration > 0 else None,
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
                await bridge.close_session(session)

    asyncio.run(main())
    if gone:
        raise gone[0]
    return 0
