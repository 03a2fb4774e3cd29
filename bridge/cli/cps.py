"""``vitale-bridge cps``: who holds the CPS card, from its certificate (PKCS#11, no PIN).

Like ``read``, it runs in this process (no running bridge needed): the card driver for the
CPS's reader, and the PKCS#11 module of ``--pkcs11-module``, the system configuration or the
install locations of the Cryptolib CPS / OpenSC. The identity is printed on the
practitioner's own terminal; nothing of it goes to the logs.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bridge.cli.common import add_driver, add_json, paths_from, print_json


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cps", help="who holds the CPS card: RPPS/ADELI, names, profession (no PIN)")
    add_driver(p)
    add_json(p, "print JSON instead of text")
    p.add_argument("--reader", help="the CPS's reader, or a unique part of its name")
    p.add_argument(
        "--pkcs11-module", metavar="PATH",
        help="PKCS#11 module reading the CPS (default: pkcs11Module of the system configuration, "
        "else the Cryptolib CPS or OpenSC where they install)",
    )
    p.set_defaults(func=run_cps)


def format_identity(identity: Any) -> str:
    """The human view: 'Carte CPS : Zoé MARTIN — Sage-femme (RPPS 10100000017)' and details."""
    names = " ".join(n for n in (identity.prenom, identity.nom) if n) or "(no name in the certificate)"
    kind = identity.type_identifiant_libelle or f"type {identity.identifiant_national[0]}"
    line = f"Carte CPS : {names}"
    if identity.profession:
        line += f" — {identity.profession}"
    line += f" ({kind.split(' /')[0]} {identity.numero})"
    cert = identity.certificate
    v = cert.validity
    state = " (EXPIRED)" if v.expired else " (not yet valid)" if v.not_yet_valid else ""
    out = [
        line,
        f"Identifiant national: {identity.identifiant_national}",
        f"Certificate: {cert.label or '(no label)'}, valid {v.not_before:%Y-%m-%d} to {v.not_after:%Y-%m-%d}{state}",
        f"Issuer: {cert.issuer}",
        f"Token: {identity.token.slot_description} (matched: {identity.token.match}), module {identity.token.module}",
    ]
    if identity.reader:
        out.append(f"Reader: {identity.reader}")
    return "\n".join(out)


def run_cps(args: argparse.Namespace) -> int:
    from bridge.app import Bridge
    from bridge.settings import Settings

    settings = Settings(
        paths=paths_from(args), driver=args.driver, profiles=list(args.profile), pkcs11_module=args.pkcs11_module
    )

    async def main() -> Any:
        async with Bridge(settings) as bridge:
            return await bridge.cps_identity.identity(args.reader)

    identity = asyncio.run(main())
    if args.json:
        print_json(identity.to_wire())
    else:
        print(format_identity(identity))
    return 0
