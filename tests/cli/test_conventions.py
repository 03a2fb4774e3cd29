"""The CLI's conventions (docs/cli.md), checked over the whole parser so that subcommands
added later follow them too: help texts, ``--json`` on data commands, camelCase JSON, the
one exit-code table, and docs/cli.md naming every command and option."""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.cli.main import build_parser
from bridge.errors import OdNotFoundError
from tests.helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = ROOT / "docs" / "cli.md"

#: Commands that serve or run something rather than print data: no --json.
NOT_DATA = {"serve", "native", "demo", "completion"}


def cli(home, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=60, **kw)


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser, help of the subcommand) for every parser of the tree."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from commands(child, (*path, name))


def test_every_option_positional_and_subcommand_has_help():
    missing = []
    for path, parser in commands(build_parser()):
        where = " ".join(path) or "(top level)"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                missing += [f"{where}: subcommand {name}" for name in action.choices if name not in helped]
            elif not action.help:  # argparse.SUPPRESS (deliberately hidden) is a help text
                missing.append(f"{where}: {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_every_data_command_takes_json():
    lacking = []
    for path, parser in commands(build_parser()):
        runs = parser.get_default("func") is not None
        if runs and path and path[0] not in NOT_DATA:
            if not any("--json" in a.option_strings for a in parser._actions):
                lacking.append(" ".join(path))
    assert lacking == []


def test_cli_doc_names_every_command_and_option():
    """docs/cli.md is the one reference: each command path (its last word after its parent's,
    e.g. ``simulate insert|swap``) and each long option appears in it."""
    doc = CLI_DOC.read_text(encoding="utf-8")
    absent = []
    for path, parser in commands(build_parser()):
        parent = rf"`{re.escape(' '.join(path[:-1]))}\b[^`]*?[ |]" if len(path) > 1 else "`"
        if path and not re.search(rf"{parent}{re.escape(path[-1])}(?![\w.-])", doc):
            absent.append(" ".join(path))
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and action.help != argparse.SUPPRESS \
                        and not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", doc):
                    absent.append(f"{' '.join(path)} {flag}")
    assert absent == []


CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def keys(value, where=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{where}.{k}", k
            yield from keys(v, f"{where}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from keys(v, f"{where}[]")


@pytest.mark.parametrize("args", [
    ["install", "--dry-run", "--json", "--browser", "chrome", "--browser", "firefox"],
    ["uninstall", "--json"],
    ["origins", "list", "--json"],
    ["origins", "allow", "https://ehr.example.fr", "--json"],
    ["od", "info", "--json"],
    ["od", "search", "lyon", "--json"],
    ["readers", "--driver", "simulator", "--profile", "famille", "--json"],
    ["read", "--driver", "simulator", "--profile", "famille", "--profile", "cps3", "--json"],
    ["doctor", "--json", "--port", "1"],
    ["simulate", "--list", "--json"],
])
def test_json_output_keys_are_camel_case(tmp_path, args):
    r = cli(tmp_path, *args)
    assert r.returncode in (0, 1), r.stderr  # doctor fails checks on a bare machine: still JSON
    bad = [where for where, k in keys(json.loads(r.stdout)) if not CAMEL.match(k)]
    assert bad == []


def test_origins_allow_and_revoke_print_json(tmp_path):
    allowed = json.loads(cli(tmp_path, "origins", "allow", "https://ehr.example.fr", "--json").stdout)
    assert allowed == {"origin": "https://ehr.example.fr", "action": "allowed", "user": ["https://ehr.example.fr"]}
    revoked = json.loads(cli(tmp_path, "origins", "revoke", "https://ehr.example.fr", "--json").stdout)
    assert revoked == {"origin": "https://ehr.example.fr", "action": "revoked", "user": []}
    again = cli(tmp_path, "origins", "revoke", "https://ehr.example.fr", "--json")
    assert again.returncode == 2 and json.loads(again.stderr)["error"]["code"] == "USAGE"


@pytest.mark.parametrize("args,exit_code,code", [
    (["od", "resolve", "01", "000", "0000", "--json"], 1, OdNotFoundError.rpc_code),
    (["origins", "revoke", "https://nowhere.example", "--json"], 2, "USAGE"),
    (["simulate", "status", "--json"], 3, "UNREACHABLE"),
    (["rpc", "bridge.hello", "--port", "FREE", "--json"], 3, "UNREACHABLE"),
])
def test_with_json_errors_are_json_on_stderr(tmp_path, args, exit_code, code):
    r = cli(tmp_path, *[str(free_port()) if a == "FREE" else a for a in args])
    assert (r.returncode, r.stdout) == (exit_code, "")
    assert json.loads(r.stderr)["error"]["code"] == code


def test_watch_json_prints_the_initial_state_first(tmp_path):
    sim = ["--driver", "simulator", "--profile", "famille"]
    readers = json.loads(cli(tmp_path, "readers", *sim, "--json").stdout)
    r = cli(tmp_path, "watch", *sim, "--json", "--for", "0.5")
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout.splitlines()[0])
    assert first == {"readers": readers, "driver": "simulator"}
    plain = cli(tmp_path, "watch", *sim, "--for", "0.5")
    assert plain.stdout.splitlines()[0] == f"{readers[0]['name']}: vitale2 ATR {readers[0]['atr']}"


# --- exit codes: every row of docs/cli.md's table, each shown by real runs ---------------------


def interrupted_while_waiting(home) -> subprocess.CompletedProcess:
    """``rpc`` against a port that accepts TCP and never answers the WebSocket handshake;
    Ctrl-C (SIGINT) once the request has arrived."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--home", str(home), "rpc", "bridge.hello",
                                 "--port", str(server.getsockname()[1])],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        server.settimeout(30)
        conn, _ = server.accept()
        with conn:
            assert conn.recv(4096).startswith(b"GET / HTTP/1.1")  # it now waits for our answer
            time.sleep(0.2)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def closed_stdout(home) -> subprocess.CompletedProcess:
    from tests.helpers.pipes import into_closed_pipe

    return into_closed_pipe(home, "od", "search", "0", "--limit", "100")


EXIT_CASES = {
    0: [lambda h: cli(h, "origins", "list"), lambda h: cli(h, "od", "resolve", "01", "751", "0601")],
    1: [lambda h: cli(h, "od", "resolve", "01", "000", "0000"),  # OD_NOT_FOUND from the table
        lambda h: cli(h, "read", "--driver", "simulator", "--scope", "full")],  # no card
    2: [lambda h: cli(h, "--no-such-option"), lambda h: cli(h),
        lambda h: cli(h, "rpc", "bridge.hello", "{not json"),
        lambda h: cli(h, "od", "search", "lyon", "--limit", "0"),
        lambda h: cli(h, "serve", "--port", "99999", "--driver", "simulator"),  # not a failed bind
        lambda h: cli(h, "install", "--dry-run", "--host-path", str(h / "missing-binary")),
        lambda h: cli(h, "origins", "allow", "https://ehr.example.fr/path")],
    3: [lambda h: cli(h, "rpc", "bridge.hello", "--port", str(free_port())),
        lambda h: cli(h, "simulate", "status")],
    130: [interrupted_while_waiting],
    141: [closed_stdout],
}


def documented_exit_codes() -> set[int]:
    section = CLI_DOC.read_text(encoding="utf-8").split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(m) for m in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}


def test_the_exit_code_table_is_the_tested_one():
    assert documented_exit_codes() == set(EXIT_CASES)


@pytest.mark.parametrize("code", sorted(EXIT_CASES))
def test_exit_codes(tmp_path, code):
    for i, run in enumerate(EXIT_CASES[code]):
        home = tmp_path / str(i)
        home.mkdir()
        r = run(home)
        assert r.returncode == code, (i, r.stderr)
        if code in (1, 2, 3):
            assert r.stderr.strip(), "an error says what is wrong"
        if code in (130, 141):
            assert r.stderr == ""
