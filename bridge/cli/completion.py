"""``vitale-bridge completion bash|zsh``: the shell completion script, generated from the parser.

The script is written from the argparse tree at the time it is printed, so every subcommand,
option and choice that ``--help`` shows is completed, and a new subcommand needs nothing here.
The Debian package installs ``completion bash`` as
``/usr/share/bash-completion/completions/vitale-bridge`` and ``completion zsh`` as
``/usr/share/zsh/vendor-completions/_vitale-bridge``.

The generated scripts are static (no Python runs while the user presses Tab): each knows, per
command path ("" for the top level, "od search" ...), the subcommands, the options, which
options take a value, and what to offer for a value or a positional (choices, shipped profile
names, files, folders). How a value is completed comes from, in order: an ``action.complete``
attribute set by the subcommand ("file", "dir", "profile"), the action's ``choices``, then its
name (``profile`` or metavar ``NAME_OR_FILE``: a shipped profile or a file; ``method``: the
JSON-RPC methods; ``FILE``/``PATH``: a file; ``home``/``DIR``: a folder).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell completion script (bash or zsh)",
        description="Print a completion script generated from this command's options. "
        "bash: source <(vitale-bridge completion bash); zsh: save it as _vitale-bridge in a folder of $fpath.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell the script is for")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bridge.cli.main import build_parser

    commands = tree(build_parser())
    print(bash_script(commands) if args.shell == "bash" else zsh_script(commands), end="")
    return 0


# --- the argparse tree as data ----------------------------------------------------------------


@dataclass
class Values:
    """What to offer for an option's value or a positional."""

    words: list[str] = field(default_factory=list)
    files: str = ""  # "", "file" or "dir"


@dataclass
class Option:
    flags: list[str]
    help: str
    value: Values | None  # None: a flag that takes no value


@dataclass
class Command:
    path: str  # "" for the top level, else the subcommand words joined by spaces
    subcommands: dict[str, str]  # name -> help
    options: list[Option]
    positionals: list[Values]
    repeat_last: bool  # the last positional takes several words (nargs + or *)


def tree(parser: argparse.ArgumentParser) -> list[Command]:
    """Every command path of *parser*, depth first."""
    out: list[Command] = []
    _walk(parser, "", out)
    return out


def _walk(parser: argparse.ArgumentParser, path: str, out: list[Command]) -> None:
    subs: dict[str, str] = {}
    children: list[tuple[str, argparse.ArgumentParser]] = []
    options: list[Option] = []
    positionals: list[Values] = []
    repeat_last = False
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, child in action.choices.items():
                subs[name] = helps.get(name, "")
                children.append((name, child))
        elif action.option_strings:
            value = None if action.nargs == 0 else values_of(action)
            options.append(Option(list(action.option_strings), action.help or "", value))
        else:
            positionals.append(values_of(action))
            repeat_last = action.nargs in ("+", "*", argparse.REMAINDER)
    out.append(Command(path, subs, options, positionals, repeat_last))
    for name, child in children:
        _walk(child, f"{path} {name}".strip(), out)


def values_of(action: argparse.Action) -> Values:
    kind = getattr(action, "complete", None)
    names = {w for x in (action.metavar, action.dest) if isinstance(x, str) for w in re.split(r"[^A-Z]+", x.upper())}
    if kind is None:
        if action.choices:
            return Values([str(c) for c in action.choices])
        if "PROFILE" in names or {"NAME", "OR", "FILE"} <= names:
            kind = "profile"
        elif "METHOD" in names:
            return Values(rpc_methods())
        elif names & {"FILE", "PATH"}:
            kind = "file"
        elif names & {"HOME", "DIR"}:
            kind = "dir"
    if kind == "profile":
        from bridge import profiles

        return Values(list(profiles.shipped_names()), "file")
    return Values([], kind if kind in ("file", "dir") else "")


def rpc_methods() -> list[str]:
    """The JSON-RPC methods of this version (simulator ones included), for ``rpc METHOD``."""
    import tempfile

    from bridge.app import Bridge
    from bridge.settings import Paths, Settings

    with tempfile.TemporaryDirectory() as home:  # nothing is started: the registry is enough
        return sorted(Bridge(Settings(paths=Paths.resolve(home), driver="simulator")).dispatcher.methods)


# --- the scripts: shared tables, then bash, then zsh -----------------------------------------


def _sh(text: str) -> str:
    """*text* as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


#: The data part of both scripts: per command path, what it has (``_vitale_bridge_spec``),
#: and per option or positional, what its value may be (``_vitale_bridge_values``).
TABLES = """_vitale_bridge_spec() {
    @INIT@
    case "$1" in
@SPEC@
    esac
}

_vitale_bridge_values() {
    _vb_words=''; _vb_files=none
    case "$1|$2" in
@VALUES@
    esac
}
"""


def _render(template: str, init: str, commands: list[Command], assign: Callable[[Command], str]) -> str:
    """*template* with the tables filled: *assign(command)* is the shell code that sets the
    ``_vb_*`` variables of one command path, after *init* has cleared them."""
    spec = "\n".join(f"        {_sh(c.path)}) {assign(c)} ;;" for c in commands)
    tables = TABLES.replace("@INIT@", init).replace("@SPEC@", spec).replace("@VALUES@", "\n".join(_value_cases(commands)))
    return template.replace("@TABLES@", tables.rstrip("\n"))


def _value_cases(commands: list[Command]) -> list[str]:
    """``path|--option`` and ``path|#N`` (the N-th positional) -> words and files."""
    lines = []

    def case(key: str, v: Values) -> None:
        if v.words or v.files:
            lines.append(f"        {key}) _vb_words={_sh(' '.join(v.words))}; _vb_files={v.files or 'none'} ;;")

    for c in commands:
        for o in c.options:
            if o.value is not None:
                case("|".join(_sh(f"{c.path}|{flag}") for flag in o.flags), o.value)
        for i, v in enumerate(c.positionals):
            last = c.repeat_last and i == len(c.positionals) - 1
            case(_sh(f"{c.path}|#") + "*" if last else _sh(f"{c.path}|#{i}"), v)
    return lines


# --- bash -------------------------------------------------------------------------------------


def bash_script(commands: list[Command]) -> str:
    def assign(c: Command) -> str:
        flags = [f for o in c.options for f in o.flags]
        valued = [f for o in c.options if o.value is not None for f in o.flags]
        return (f"_vb_subs={_sh(' '.join(c.subcommands))}; _vb_opts={_sh(' '.join(flags))}; "
                f"_vb_vopts={_sh(' '.join(valued))}")

    return _render(BASH_TEMPLATE, "_vb_subs=''; _vb_opts=''; _vb_vopts=''", commands, assign)


BASH_TEMPLATE = r"""# bash completion for vitale-bridge, generated by 'vitale-bridge completion bash'.
# Install: /usr/share/bash-completion/completions/vitale-bridge, or source <(vitale-bridge completion bash)

@TABLES@

_vitale_bridge() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmdpath='' npos=0 expect='' i w target=''
    local _vb_subs _vb_opts _vb_vopts _vb_words _vb_files
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w == = ]]; then expect=1; continue; fi  # --opt=value is split at '='
        if [[ -n $expect ]]; then expect=''; continue; fi
        _vitale_bridge_spec "$cmdpath"
        case $w in
            --*=*) ;;
            -*) [[ " $_vb_vopts " == *" $w "* ]] && expect=1 ;;
            *) if [[ " $_vb_subs " == *" $w "* ]]; then cmdpath=${cmdpath:+$cmdpath }$w; npos=0
               else ((npos++)); fi ;;
        esac
    done
    _vitale_bridge_spec "$cmdpath"
    if [[ $cur == = ]]; then target=$prev; cur=''
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then target=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ -n $expect ]]; then target=$prev
    elif [[ $cur == --*=* ]]; then target=${cur%%=*}; cur=${cur#*=}
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_vb_opts" -- "$cur"))
        return 0
    else
        target="#$npos"
        COMPREPLY=($(compgen -W "$_vb_subs" -- "$cur"))
    fi
    _vitale_bridge_values "$cmdpath" "$target"
    COMPREPLY+=($(compgen -W "$_vb_words" -- "$cur"))
    case $_vb_files in
        file) COMPREPLY+=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
        dir) COMPREPLY+=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
    esac
    return 0
}

complete -F _vitale_bridge vitale-bridge
"""


# --- zsh --------------------------------------------------------------------------------------


def _zdescribe(pairs: list[tuple[str, str]]) -> str:
    """A zsh array of ``name:description`` words for ``_describe``."""
    return "(" + " ".join(_sh(name.replace(":", "\\:") + ":" + " ".join(text.split())) for name, text in pairs) + ")"


def zsh_script(commands: list[Command]) -> str:
    def assign(c: Command) -> str:
        opts = [(flag, o.help) for o in c.options for flag in o.flags]
        valued = [f for o in c.options if o.value is not None for f in o.flags]
        return (f"_vb_subs={_zdescribe(list(c.subcommands.items()))}; _vb_opts={_zdescribe(opts)}; "
                f"_vb_vopts={_sh(' '.join(valued))}")

    return _render(ZSH_TEMPLATE, "_vb_subs=(); _vb_opts=(); _vb_vopts=''", commands, assign)


ZSH_TEMPLATE = r"""#compdef vitale-bridge
# zsh completion for vitale-bridge, generated by 'vitale-bridge completion zsh'.
# Install: /usr/share/zsh/vendor-completions/_vitale-bridge (or any folder of $fpath)

@TABLES@

_vitale_bridge() {
    local cur=${words[CURRENT]} prev=${words[CURRENT-1]}
    local cmdpath='' npos=0 expect='' i w target='' name
    local -a _vb_subs _vb_opts names
    local _vb_vopts _vb_words _vb_files
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        if [[ -n $expect ]]; then expect=''; continue; fi
        _vitale_bridge_spec "$cmdpath"
        case $w in
            --*=*) ;;
            -*) [[ " $_vb_vopts " == *" $w "* ]] && expect=1 ;;
            *) names=()
               for name in $_vb_subs; do names+=(${name%%:*}); done
               if (( ${names[(Ie)$w]} )); then cmdpath=${cmdpath:+$cmdpath }$w; npos=0
               else ((npos++)); fi ;;
        esac
    done
    _vitale_bridge_spec "$cmdpath"
    if [[ -n $expect ]]; then target=$prev
    elif [[ $cur == --*=* ]]; then target=${cur%%=*}; compset -P '*='
    elif [[ $cur == -* ]]; then
        _describe -t options option _vb_opts
        return
    else
        target="#$npos"
        (( ${#_vb_subs} )) && _describe -t commands command _vb_subs
    fi
    _vitale_bridge_values "$cmdpath" "$target"
    [[ -n $_vb_words ]] && compadd -- ${=_vb_words}
    case $_vb_files in
        file) _files ;;
        dir) _files -/ ;;
    esac
}

# Autoloaded from $fpath, this file is the body of the function _vitale-bridge: complete now.
# Sourced (source <(vitale-bridge completion zsh)): register the function instead.
if [[ $funcstack[1] == _vitale-bridge ]]; then
    _vitale_bridge "$@"
else
    compdef _vitale_bridge vitale-bridge
fi
"""
