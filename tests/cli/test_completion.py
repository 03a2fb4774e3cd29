"""Shell completion: the scripts ``vitale-bridge completion bash|zsh`` print, loaded in the
real shells, complete what the parser knows (subcommands, options, choices, files).

bash: the script is sourced in a non-interactive ``bash`` and its function is called with
``COMP_WORDS``/``COMP_CWORD`` set as readline would set them. zsh: ``compinit`` must pick the
file up from ``$fpath`` by its ``#compdef`` line, and the function is called with ``words`` and
``CURRENT`` set, the completion system's output functions recording what they were given.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys

import pytest

from bridge.cli.main import build_parser


def generated(shell: str) -> str:
    r = subprocess.run([sys.executable, "-m", "bridge", "completion", shell], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory):
    path = tmp_path_factory.mktemp("completion") / "vitale-bridge"
    path.write_text(generated("bash"))
    return path


def bash_complete(script, *lines: list[str]) -> list[list[str]]:
    """What the completion offers for each command line (the last word is being completed)."""
    body = [f"source {shlex.quote(str(script))}", "complete -p vitale-bridge >/dev/null || exit 9"]
    for words in lines:
        body.append("COMP_WORDS=(" + " ".join(shlex.quote(w) for w in words) + ")")
        body.append(f"COMP_CWORD={len(words) - 1}; _vitale_bridge; echo \"${{COMPREPLY[*]}}\"")
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(body)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [line.split() for line in r.stdout.splitlines()]


def test_the_commands_print_scripts_the_package_can_install():
    assert generated("bash").startswith("# bash completion for vitale-bridge")
    assert generated("zsh").startswith("#compdef vitale-bridge\n")
    r = subprocess.run([sys.executable, "-m", "bridge", "completion", "fish"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2


def test_bash_completes_subcommands_options_and_values(bash_script, tmp_path):
    (tmp_path / "TOD-3.40.csv").write_text("x")
    got = bash_complete(
        bash_script,
        ["vitale-bridge", ""],
        ["vitale-bridge", "o"],
        ["vitale-bridge", "--home", "/tmp", "od", "s"],  # a global option's value is skipped
        ["vitale-bridge", "od", "search", "--"],
        ["vitale-bridge", "--log-level", "W"],
        ["vitale-bridge", "read", "--scope", "f"],
        ["vitale-bridge", "read", "--scope", "=", "c"],  # --scope=c, as readline splits it
        ["vitale-bridge", "simulate", "insert", "cor"],  # shipped profile names
        ["vitale-bridge", "completion", ""],
        ["vitale-bridge", "od", "import", str(tmp_path / "TOD")],
        ["vitale-bridge", "od", "resolve", "01", ""],  # free text: nothing to offer
        ["vitale-bridge", "rpc", "od.res"],  # the methods the dispatcher registers
    )
    assert "serve" in got[0] and "completion" in got[0] and "od" in got[0]
    assert got[1] == ["origins", "od"]
    assert got[2] == ["search"]
    assert got[3] == ["--help", "--limit", "--json"]
    assert got[4] == ["WARNING"]
    assert got[5] == ["full"]
    assert got[6] == ["clear"]
    assert got[7] == ["corse"]
    assert got[8] == ["bash", "zsh"]
    assert got[9] == [str(tmp_path / "TOD-3.40.csv")]
    assert got[10] == []
    assert got[11] == ["od.resolve"]


def _paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every command path of the parser with its subcommand names and option flags."""
    subs, flags = [], []
    children = []
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            subs += list(a.choices)
            children += list(a.choices.items())
        elif a.option_strings and a.help != argparse.SUPPRESS:
            flags += a.option_strings
    yield path, subs, flags
    for name, child in children:
        yield from _paths(child, (*path, name))


def test_bash_knows_every_command_and_option_of_the_parser(bash_script):
    """Generated from the parser: a subcommand added later is completed with no extra work."""
    paths = list(_paths(build_parser()))
    lines = []
    for path, _subs, _flags in paths:
        lines += [["vitale-bridge", *path, ""], ["vitale-bridge", *path, "-"]]
    got = bash_complete(bash_script, *lines)
    for i, (path, subs, flags) in enumerate(paths):
        assert set(subs) <= set(got[2 * i]), path
        assert sorted(got[2 * i + 1]) == sorted(flags), path


ZSH_HARNESS = r"""
fpath=({folder} $fpath)
autoload -U compinit && compinit -u -d {folder}/.zcompdump
print -r -- "registered: $_comps[vitale-bridge]"
# The completion system's output functions, recording what they are given.
_describe() {{ local -a arr; arr=("${{(@P)${{@[-1]}}}}"); print -r -- "describe: ${{(j: :)${{(@)arr%%:*}}}}"; }}
compadd() {{ [[ $1 == -- ]] && shift; print -r -- "compadd: $*"; }}
_files() {{ print -r -- "files: $*"; }}
compset() {{ :; }}
source {folder}/_vitale-bridge
t() {{ words=("$@"); CURRENT=${{#words}}; _vitale_bridge; }}
t vitale-bridge ''
t vitale-bridge --home /tmp od ''
t vitale-bridge od search --
t vitale-bridge simulate swap ''
t vitale-bridge --home ''
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (installer/setup.sh --test installs it)")
def test_zsh_loads_the_script_and_completes(tmp_path):
    (tmp_path / "_vitale-bridge").write_text(generated("zsh"))
    r = subprocess.run(["zsh", "-f", "-c", ZSH_HARNESS.format(folder=tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "registered: _vitale-bridge"
    assert lines[1].startswith("describe: serve demo ") and "completion" in lines[1]
    od_commands = next(a for a in build_parser()._subparsers._group_actions[0].choices["od"]._actions
                       if isinstance(a, argparse._SubParsersAction)).choices
    assert lines[2] == "describe: " + " ".join(od_commands)
    assert lines[3] == "describe: -h --help --limit --json"
    assert lines[4].startswith("compadd: adulte ") and "famille" in lines[4]
    assert lines[5] == "files: "  # a profile may also be a JSON file
    assert lines[6] == "files: -/"  # --home takes a folder


ZPTY_HARNESS = r"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=({folder} $fpath); autoload -U compinit; compinit -u -d {folder}/.zcompdump'
seen=""
wait_for() {{  # read the terminal until $1 shows (the line editor echoes what completion inserts)
    local deadline=$((SECONDS + 20)) chunk
    while (( SECONDS < deadline )); do
        zpty -r -t z chunk && seen+=$chunk
        [[ $seen == *$1* ]] && return 0
        sleep 0.1
    done
    print -r -- "timeout waiting for $1"
    return 1
}}
zpty -w -n z $'vitale-bridge --log-level DEBUG od se\t'
wait_for 'od search' && print "completed: od search"
seen=""
zpty -w -n z $'--li\t'
wait_for ' --limit' && print "completed: --limit"
zpty -d z
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (installer/setup.sh --test installs it)")
def test_zsh_line_editor_completes_with_the_installed_file(tmp_path):
    """An interactive zsh on a pseudo-terminal, the file autoloaded from $fpath as the package
    installs it, Tab pressed: the line editor inserts the subcommand, then the option."""
    (tmp_path / "_vitale-bridge").write_text(generated("zsh"))
    r = subprocess.run(["zsh", "-f", "-c", ZPTY_HARNESS.format(folder=tmp_path)],
                       capture_output=True, text=True, timeout=90)
    assert r.stdout.splitlines() == ["completed: od search", "completed: --limit"], r.stdout + r.stderr
