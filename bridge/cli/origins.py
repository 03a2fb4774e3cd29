"""``vitale-bridge origins list|allow|revoke``: web origins allowed to open the WebSocket."""

from __future__ import annotations

import argparse

from bridge.cli.common import paths_from, print_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("origins", help="origins allowed to connect to the WebSocket directly")
    osub = p.add_subparsers(dest="origins_command", metavar="ACTION", required=True)
    lst = osub.add_parser("list", help="show allowed origins")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=list_)
    allow = osub.add_parser("allow", help="allow an origin (exact scheme://host[:port])")
    allow.add_argument("origin")
    allow.set_defaults(func=allow_)
    revoke = osub.add_parser("revoke", help="revoke an origin")
    revoke.add_argument("origin")
    revoke.set_defaults(func=revoke_)


def list_(args: argparse.Namespace) -> int:
    from bridge.identity import extension_origins
    from bridge.settings import web_origins

    builtin = extension_origins()
    web, source = web_origins(paths_from(args))
    if args.json:
        print_json({"extension": builtin, source: web})
    else:
        for o in builtin:
            print(f"{o}  (vitale-bridge extension)")
        for o in web:
            print(o if source == "user" else f"{o}  (set by the organisation)")
    return 0


def allow_(args: argparse.Namespace) -> int:
    from bridge.errors import SetupError
    from bridge.settings import normalize_origin, save_user_origins, user_origins, web_origins
    from bridge.sysconfig import config_path

    paths = paths_from(args)
    origin = normalize_origin(args.origin)
    if web_origins(paths)[1] == "system":
        raise SetupError(
            f"The organisation sets the allowed origins in {config_path()} (websocketAllowedOrigins): "
            f"your own list is not used. Ask your IT department to add {origin} there."
        )
    save_user_origins(paths, [*user_origins(paths), origin])
    print(f"allowed {origin}")
    return 0


def revoke_(args: argparse.Namespace) -> int:
    from bridge.settings import save_user_origins, user_origins

    paths = paths_from(args)
    current = user_origins(paths)
    if args.origin not in current:
        raise ValueError(f"{args.origin} is not in the allowed origins")
    save_user_origins(paths, [o for o in current if o != args.origin])
    print(f"revoked {args.origin}")
    return 0
