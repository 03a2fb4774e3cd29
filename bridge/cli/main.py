"""Entry point of ``vitale-bridge``. Exceptions become messages here, and only here.

Each module in :data:`COMMANDS` has ``add_parser(subparsers)`` which adds its subcommands and
sets ``func`` (a callable taking the parsed args and returning an exit code). Imports are lazy
so that ``--version`` and ``native`` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from bridge import PROTOCOL_VERSION, __version__

COMMANDS = [
    "bridge.cli.serve",
    "bridge.cli.demo",
    "bridge.cli.cards",
    "bridge.cli.rpc",
    "bridge.cli.origins",
    "bridge.cli.simulate",
    "bridge.cli.od",
    "bridge.cli.native",
    "bridge.cli.install",
    "bridge.cli.policy",
    "bridge.cli.doctor",
]

#: Exit codes: 0 ok, 1 the bridge answered with an error, 2 usage, 3 cannot reach the bridge.
EXIT_ERROR, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vitale-bridge",
        description="Read the carte Vitale and the CPS from web EHRs (local JSON-RPC host).",
    )
    parser.add_argument(
        "--version", action="version", version=f"vitale-bridge {__version__} (protocol {PROTOCOL_VERSION})"
    )
    parser.add_argument("--home", help="keep all config and data under this folder (env VITALE_BRIDGE_HOME)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Browsers start native hosts with an extension origin or a manifest path as argv[1].
    from bridge.cli.launch import browser_launch

    launched = browser_launch(argv)
    if launched is not None:
        return launched
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place errors become messages
        return report(exc, as_json=getattr(args, "json", False))


def report(exc: BaseException, *, as_json: bool = False) -> int:
    from bridge.client import RpcError
    from bridge.errors import BridgeError, SetupError

    if isinstance(exc, SetupError):
        payload = {"code": "ERROR", "message": str(exc)}
        code, text = EXIT_ERROR, f"error: {exc}"
    elif isinstance(exc, RpcError):
        payload = {"code": exc.rpc_code, "message": exc.message, "data": exc.data}
        code, text = EXIT_ERROR, f"error {exc.code_name or exc.rpc_code}: {exc.message}"
    elif isinstance(exc, BridgeError):
        payload = {"code": exc.rpc_code, "message": exc.message, "data": exc.to_data()}
        code, text = EXIT_ERROR, f"error {exc.code}: {exc.message}"
    elif isinstance(exc, (ConnectionRefusedError, ConnectionError, OSError)) and not isinstance(
        exc, (FileNotFoundError, PermissionError)
    ):
        payload = {"code": "UNREACHABLE", "message": str(exc)}
        code, text = EXIT_UNREACHABLE, (
            f"cannot reach the bridge ({exc}). Is it running? Start it with 'vitale-bridge serve'."
        )
    elif isinstance(exc, (FileNotFoundError, PermissionError, ValueError)):
        payload = {"code": "USAGE", "message": str(exc)}
        code, text = EXIT_USAGE, f"error: {exc}"
    else:
        payload = {"code": "INTERNAL", "message": type(exc).__name__}
        code, text = EXIT_ERROR, f"internal error: {type(exc).__name__}: {exc}"
    if as_json:
        print(json.dumps({"error": payload}, ensure_ascii=False), file=sys.stderr)
    else:
        print(text, file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
