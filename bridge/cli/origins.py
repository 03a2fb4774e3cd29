"""``vitale-bridge origins list|allow|revoke``: web origins allowed to open the WebSocket."""

from __future__ import annotations

import argparse

from bridge.cli.common import add_json, paths_from, print_json

ORIGIN_HELP = "exact origin as the browser sends it: scheme://host[:port], no path (e.g. https://ehr.example.fr)"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("origins", help="origins allowed to connect to the WebSocket directly")
    osub = p.add_subparsers(dest="origins_command", metavar="ACTION", required=True)
    lst = osub.add_parser("list", help="show allowed origins")
    add_json(lst, "print {extension, user} as JSON")
    lst.set_defaults(func=list_)
    allow = osub.add_parser("allow", help="allow an origin (exact scheme://host[:port])")
    allow.add_argument("origin", help=ORIGIN_HELP)
    add_json(allow, "print {origin, action, user} as JSON")
    allow.set_defaults(func=allow_)
    revoke = osub.add_parser("revoke", help="revoke an origin")
    revoke.add_argument("origin", help="an origin shown by 'origins list' (exact string)")
    add_json(revoke, "print {origin, action, user} as JSON")
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


def _changed(args: argparse.Namespace, origin: str, action: str, user: list[str]) -> int:
    if args.json:
        print_json({"origin": origin, "action": action, "user": user})
    else:
        print(f"{action} {origin}")
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
    return _changed(args, origin, "allowed", user_origins(paths))


def revoke_(args: argparse.Namespace) -> int:
    from bridge.settings import save_user_origins, user_origins

    paths = paths_from(args)
    current = user_origins(paths)
    if args.origin not in current:
        raise ValueError(f"{args.origin} is not in the allowed origins (see 'vitale-bridge origins list')")
    save_user_origins(paths, [o for o in current if o != args.origin])
    return _changed(args, args.origin, "revoked", user_origins(paths))
