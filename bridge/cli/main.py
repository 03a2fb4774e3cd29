"""Entry point of ``vitale-bridge``. Exceptions become messages here, and only here.

Each module in :data:`COMMANDS` has ``add_parser(subparsers)`` which adds its subcommands and
sets ``func`` (a callable taking the parsed args and returning an exit code). Imports are lazy
so that ``--version`` and ``native`` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from bridge import PROTOCOL_VERSION, __version__

COMMANDS = [
    "bridge.cli.serve",
    "bridge.cli.demo",
    "bridge.cli.cards",
    "bridge.cli.cps",
    "bridge.cli.rpc",
    "bridge.cli.pair",
    "bridge.cli.origins",
    "bridge.cli.simulate",
    "bridge.cli.od",
    "bridge.cli.native",
    "bridge.cli.install",
    "bridge.cli.policy",
    "bridge.cli.doctor",
    "bridge.cli.completion",
]

#: Exit codes, one table in docs/cli.md: 0 ok, 1 an error (the bridge's, the card's, a failed
#: doctor check), 2 usage, 3 cannot reach the bridge (or the bench), 130 interrupted (Ctrl-C),
#: 141 the reader of stdout went away (``| head``): 128 + SIGPIPE, what a shell reports for a
#: program killed by SIGPIPE, so ``set -o pipefail`` scripts see the usual status.
EXIT_ERROR, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 1, 2, 3, 130, 141


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vitale-bridge",
        description="Read the carte Vitale and the CPS from web EHRs (local JSON-RPC host).",
    )
    parser.add_argument(
        "--version", action="version", version=f"vitale-bridge {__version__} (protocol {PROTOCOL_VERSION})"
    )
    parser.add_argument("--home", help="keep all config and data under this folder (env VITALE_BRIDGE_HOME)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="stderr and log file verbosity (default INFO; DEBUG never logs card data either)")
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
    args = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)  # --help and --version write (and may meet a closed pipe)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)  # a usage error: stdout stays for results
            return EXIT_USAGE
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at interpreter exit, where a broken pipe would be noise
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place errors become messages
        if broken_pipe(exc):
            return quiet_exit_on_broken_pipe()
        try:
            return report(exc, as_json=getattr(args, "json", False))
        except OSError as again:  # stderr itself is a closed pipe (``2>&1 | head``)
            if broken_pipe(again):
                return quiet_exit_on_broken_pipe()
            raise


def broken_pipe(exc: BaseException) -> bool:
    """EPIPE on stdout/stderr: whoever read our output stopped reading (``| head -1``).
    Not a failure to reach the bridge: the command did its work until nobody wanted more."""
    import errno

    return isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE)


def quiet_exit_on_broken_pipe() -> int:
    """Follow the Unix convention (``yes | head``): say nothing, exit 128 + SIGPIPE.

    Python ignores SIGPIPE, so the write raised instead of killing us; the ``finally`` blocks
    of the command (a bench to stop, a session to close) have run on the way here. stdout and
    stderr then point at /dev/null so the interpreter's last flush cannot complain either.
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
    return EXIT_BROKEN_PIPE


def report(exc: BaseException, *, as_json: bool = False) -> int:
    from bridge.client import RpcError
    from bridge.errors import BridgeError, SetupError

    payload: dict[str, Any]
    if isinstance(exc, SetupError):
        payload = {"code": "ERROR", "message": str(exc)}
        code, text = EXIT_ERROR, f"error: {exc}"
    elif isinstance(exc, RpcError):
        payload = {"code": exc.rpc_code, "message": exc.message, "data": exc.data}
        code, text = EXIT_ERROR, f"error {exc.code_name or exc.rpc_code}: {exc.message}" + findings(exc.data)
    elif isinstance(exc, BridgeError):
        payload = {"code": exc.rpc_code, "message": exc.message, "data": exc.to_data()}
        code, text = EXIT_ERROR, f"error {exc.code}: {exc.message}" + findings(payload["data"])
    elif (bench := sys.modules.get("bridge.bench.control")) and isinstance(exc, bench.BenchControlError):
        payload = {"code": "UNREACHABLE" if exc.code == "NOT_RUNNING" else "ERROR", "message": exc.message,
                   "data": {"code": exc.code}}
        code, text = (EXIT_UNREACHABLE if exc.code == "NOT_RUNNING" else EXIT_ERROR), f"error {exc.code}: {exc.message}"
    elif (refused := handshake_problem(exc)) is not None:
        payload = {"code": "UNREACHABLE", "message": refused}
        code, text = EXIT_UNREACHABLE, f"cannot use the bridge: {refused}"
    elif isinstance(exc, (ConnectionRefusedError, ConnectionError, OSError)) and not isinstance(
        exc, (FileNotFoundError, PermissionError)
    ):
        payload = {"code": "UNREACHABLE", "message": str(exc)}
        code, text = EXIT_UNREACHABLE, (
            f"cannot reach the bridge ({exc}). Is it running? Start it with 'vitale-bridge serve'."
        )
    elif (invalid := validation_findings(exc)) is not None:
        payload = {"code": "USAGE", "message": f"invalid {exc.title}", "data": {"errors": invalid}}  # type: ignore[attr-defined]
        code, text = EXIT_USAGE, f"error: invalid {exc.title}" + findings(payload["data"])  # type: ignore[attr-defined]
    elif isinstance(exc, (FileNotFoundError, PermissionError, ValueError)):
        payload = {"code": "USAGE", "message": str(exc)}
        code, text = EXIT_USAGE, f"error: {exc}"
    else:
        payload = {"code": "INTERNAL", "message": type(exc).__name__}
        code, text = EXIT_ERROR, f"internal error: {type(exc).__name__}: {exc}"
    if as_json:
        from bridge.fileio import json_text

        print(json_text({"error": payload}, indent=None), file=sys.stderr)
    else:
        print(text, file=sys.stderr)
    return code


def handshake_problem(exc: BaseException) -> str | None:
    """What a refused WebSocket opening means for the user (None: *exc* is something else).

    The usual cause of a 401 is a token read from another home than the running bridge's
    (``--home``/``VITALE_BRIDGE_HOME`` differ between ``serve`` and the client).
    """
    ws = sys.modules.get("websockets.exceptions")  # loaded only if a connection was tried
    if ws is None or not isinstance(exc, ws.InvalidHandshake):
        return None
    if isinstance(exc, ws.InvalidStatus):
        status = exc.response.status_code
        if status == 401:
            return ("the bridge refused the token (HTTP 401). Use the same --home (or VITALE_BRIDGE_HOME) "
                    "as the running 'vitale-bridge serve'.")
        return f"the server on this port refused the WebSocket connection (HTTP {status})."
    return "what answers on this port is not a vitale-bridge (no WebSocket handshake). Check --port."


def validation_findings(exc: BaseException) -> list[dict[str, Any]] | None:
    """A pydantic ValidationError raised in this process (a profile file, a setting) as the
    same ``loc``/``msg``/``type`` findings the bridge sends: pydantic's own text quotes the
    input values, which may be personal data (a NIR, a name)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return None
    from bridge.rpc.dispatcher import _validation_details  # the one rule for the wire and here

    return _validation_details(exc)


def findings(data: object) -> str:
    """The field-level findings of an error (``data.errors``: pydantic's ``loc``, ``msg``,
    ``type``, as ``-32602 Invalid params`` carries them), one line each, for the human output.

    Only those three keys are shown: an ``input`` or ``ctx`` that a peer might send could hold
    the caller's own values (personal data), and errors never echo input values.
    """
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return ""
    lines = []
    for e in errors:
        if not isinstance(e, dict):
            continue
        loc = e.get("loc")
        where = ".".join(str(p) for p in loc) if isinstance(loc, list) and loc else "(params)"
        kind = f" ({e['type']})" if isinstance(e.get("type"), str) else ""
        lines.append(f"\n  {where}: {e.get('msg', '')}{kind}")
    return "".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
