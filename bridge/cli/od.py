"""``vitale-bridge od resolve|search|diff|import|update|info|regimes|rollback``: the TOD table, locally.

These work on the user's table files directly (no running bridge needed). ``import``,
``update`` and ``rollback`` change the table for every client: a running bridge picks the
change up within a second, without restart. ``diff`` shows what an import would change, and
``import``/``update`` refuse a file that would remove or re-route too much (OD_IMPORT_SUSPICIOUS)
unless ``--force``.
"""

from __future__ import annotations

import argparse
from typing import Any

from bridge.cli.common import paths_from, print_json


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("od", help="the TOD table: resolve codes to the Organisme Destinataire, import, search")
    osub = p.add_subparsers(dest="od_command", metavar="ACTION", required=True)

    resolve = osub.add_parser("resolve", help="the OD of a régime, caisse and centre")
    resolve.add_argument("regime", help="code régime, 2 digits (e.g. 01)")
    resolve.add_argument("caisse", help="caisse gestionnaire, 3 digits (e.g. 751)")
    resolve.add_argument("centre", help="centre gestionnaire, 4 digits (e.g. 0601)")
    resolve.set_defaults(func=resolve_)

    search = osub.add_parser("search", help="find organismes by name, commune, postal code or code prefix")
    search.add_argument("text", nargs="+", help="e.g. 'mgen tarn', 75005, '99 751'")
    search.add_argument("--limit", type=int, default=20, help="at most this many results (1-100, default 20)")
    search.set_defaults(func=search_)

    diff = osub.add_parser("diff", help="what importing a TOD file would change in the active table")
    diff.add_argument("file", help="the TOD CSV or the ZIP holding it")
    diff.set_defaults(func=diff_)

    imp = osub.add_parser("import", help="check a TOD file from sesam-vitale.fr and make it the active table")
    imp.add_argument("file", help="the TOD CSV (plain or quoted, 6 or 14 columns) or the ZIP holding it")
    imp.add_argument("--force", action="store_true", help="import even a file that removes or re-routes much of the table")
    imp.set_defaults(func=import_)

    upd = osub.add_parser("update", help="import the newest TOD file from the source IT configured")
    upd.add_argument("--source", help="a folder or an https:// URL (default: odUpdateSource of the system configuration)")
    upd.add_argument("--force", action="store_true", help="import even a file that removes or re-routes much of the table")
    upd.set_defaults(func=update_)

    info = osub.add_parser("info", help="version, provenance and size of the active table")
    info.set_defaults(func=info_)

    regimes = osub.add_parser("regimes", help="the régimes of the active table")
    regimes.set_defaults(func=regimes_)

    rollback = osub.add_parser("rollback", help="make the previous table active again")
    rollback.set_defaults(func=rollback_)

    for action in (resolve, search, diff, imp, upd, info, regimes, rollback):
        action.add_argument("--json", action="store_true", help="print JSON (errors as JSON on stderr)")


def _store(args: argparse.Namespace) -> Any:
    from bridge.od.store import OdStore

    return OdStore(paths_from(args), watch_interval=0)


def _address(od: Any) -> str:
    street = ", ".join(x for x in (od.adresse1, od.adresse2) if x)
    town = " ".join(x for x in (od.code_postal, od.commune, od.cedex) if x)
    return ", ".join(x for x in (street, town) if x)


def resolve_(args: argparse.Namespace) -> int:
    od = _store(args).resolve(args.regime, args.caisse, args.centre)
    if args.json:
        print_json(od.to_wire())
        return 0
    print(f"OD {od.od}  centre informatique {od.code_centre_informatique}  {od.libelle}")
    rule = "exact row" if od.matched == "exact" else "centre 0000 row of the caisse (no row for this centre)"
    print(f"  régime {od.regime} {od.regime_libelle or ''} · caisse {od.caisse} · centre {od.centre}  [{rule}]")
    address = _address(od)
    if address:
        print(f"  {address}")
    print(f"  TOD {od.table_version}")
    return 0


def search_(args: argparse.Namespace) -> int:
    from bridge.od.search import MAX_LIMIT

    if not 1 <= args.limit <= MAX_LIMIT:
        raise ValueError(f"--limit must be between 1 and {MAX_LIMIT}")
    result = _store(args).search(" ".join(args.text), args.limit)
    if args.json:
        print_json(result.to_wire())
        return 0
    for hit in result.results:
        o = hit.organisme
        where = " ".join(x for x in (o.code_postal, o.commune) if x)
        on = f"{hit.matched_on}: {hit.usual_name}" if hit.usual_name else hit.matched_on
        print(f"{o.regime} {o.caisse} {o.centre}  OD {o.od}/{o.code_centre_informatique}  {o.libelle}"
              + (f"  ({where})" if where else "") + f"  [{on}]")
    shown = len(result.results)
    print(f"{result.total} match{'es' if result.total != 1 else ''}"
          + (f", {shown} shown (--limit)" if shown < result.total else "") + f" in TOD {result.table_version}")
    return 0


def diff_(args: argparse.Namespace) -> int:
    from bridge.od.official import read_official

    return _output(args, _store(args).compare(read_official(args.file)), _print_diff)


def _output(args: argparse.Namespace, result: Any, show: Any) -> int:
    """--json: the result's wire form; otherwise *show* prints it for a person."""
    if args.json:
        print_json(result.to_wire())
    else:
        show(result)
    return 0


def _print_diff(d: Any) -> None:
    a, f = d.active, d.file
    print(f"active: TOD {a.version}, {a.row_count} rows, {a.regime_count} régimes ({a.source})")
    print(f"file:   TOD {f.version}, {f.row_count} rows, {f.regime_count} régimes ({f.source})")
    print(f"{d.added} added, {d.removed} removed, {d.rerouted} re-routed, {d.unchanged_routing} unchanged")
    for r in d.regimes:
        if r.added or r.removed or r.rerouted:
            print(f"  régime {r.regime} {(r.regime_libelle or '')[:40]:<40} {r.active_rows:5d} -> {r.file_rows:5d} rows"
                  f"  +{r.added} -{r.removed} ~{r.rerouted}")
    for c in d.changes:
        routing = {"added": f"-> {c.new_od}/{c.new_code_centre_informatique}",
                   "removed": f"was {c.od}/{c.code_centre_informatique}",
                   "rerouted": f"{c.od}/{c.code_centre_informatique} -> {c.new_od}/{c.new_code_centre_informatique}"}[c.change]
        print(f"  {c.change:<8} {c.regime} {c.caisse} {c.centre}  {routing}  {c.libelle}")
    if d.more_changes:
        print(f"  ... and {d.more_changes} more (--json lists the first {len(d.changes)} too; the counts above are complete)")
    if d.suspicious:
        print("od import would refuse this file without --force:")
        for s in d.suspicious:
            print(f"  - {s.message}")
    else:
        print("od import would accept this file")


def import_(args: argparse.Namespace) -> int:
    return _output(args, _store(args).import_file(args.file, force=args.force), _print_import)


def _print_import(report: Any) -> None:
    from bridge.od.official import LAYOUT_TEXT

    c = report.comparison
    print(f"imported TOD {report.version}: {report.row_count} rows ({report.wildcard_count} centre 0000 rows), "
          f"{LAYOUT_TEXT[report.layout]}, {report.encoding}, {'quoted' if report.quoted else 'plain'}")
    print(f"  {c.added} rows added, {c.removed} removed, {c.rerouted} re-routed"
          + (" (suspicious, imported with --force)" if report.forced else ""))
    for warning in report.warnings:
        print(f"  warning: {warning}")
    print(f"previous table: {report.previous_version or 'none'} (restore it with 'vitale-bridge od rollback')")
    print("running bridges switch to the new table within a second")


def update_(args: argparse.Namespace) -> int:
    from bridge.errors import SetupError
    from bridge.od.update import configured_source, update

    source = args.source or configured_source()
    if not source:
        from bridge.sysconfig import config_path

        raise SetupError(
            f"No OD update source is configured: IT sets \"odUpdateSource\" (a folder or an https:// URL) "
            f"in {config_path()}, or give --source. Nothing was downloaded."
        )
    return _output(args, update(_store(args), source, force=args.force), _print_update)


def _print_update(report: Any) -> None:
    if report.imported is None:
        print(f"already imported: {report.origin} (sha256 {report.sha256[:12]}…) is the active or previous table; nothing changed")
        return
    print(f"from {report.origin}")
    _print_import(report.imported)


def info_(args: argparse.Namespace) -> int:
    _print_info(_store(args).info(), args.json)
    return 0


def rollback_(args: argparse.Namespace) -> int:
    info = _store(args).rollback()
    if not args.json:
        print(f"rolled back: TOD {info.version} ({info.source.kind}) is now active")
    _print_info(info, args.json)
    return 0


def _print_info(info: Any, as_json: bool) -> None:
    if as_json:
        print_json(info.to_wire())
        return
    source = info.source
    print(f"TOD version {info.version} ({source.kind}{', ' + source.file_name if source.file_name else ''})")
    print(f"  {info.row_count} rows, {info.wildcard_count} centre 0000 rows, {info.regime_count} régimes"
          + (", with addresses" if info.has_addresses else ""))
    if source.imported_at:
        print(f"  imported {source.imported_at:%Y-%m-%d %H:%M} UTC ({info.age_days} days ago), sha256 {source.sha256}")
    if source.origin:
        print(f"  from {source.origin}")
    print(f"  {source.description}")
    print(f"  previous table: {info.previous_version or 'none'}")
    for warning in info.warnings:
        print(f"  warning: {warning}")
    if info.notice:
        print(f"note: {info.notice}")


def regimes_(args: argparse.Namespace) -> int:
    result = _store(args).regimes()
    if args.json:
        print_json(result.to_wire())
        return 0
    for r in result.regimes:
        print(f"{r.code}  {r.row_count:5d} rows  {r.libelle or ''}")
    return 0
