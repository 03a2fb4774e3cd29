"""Find the bench running for a home, so that the other commands of that home use its pcscd.

``vitale-bridge demo`` and ``simulate`` (and every ``Bench`` with a control channel) write
``<home data>/bench/state.json``: the owner's pid, who owns it ("demo", "simulate", a test
session) and the environment a PC/SC client needs (``PCSCLITE_CSOCK_NAME`` for a private
socket). :func:`use_running_bench` reads it and, when that bench is alive, exports its socket
in ``os.environ`` before anything in the process touches PC/SC: libpcsclite reads the variable
once, at the first PC/SC call. So ``vitale-bridge readers``, ``read`` and ``doctor`` from
another terminal see the demo's readers. Cheap (one small file, one ``kill(pid, 0)``, one Unix
socket connect) and silent when there is nothing to find. An explicit ``PCSCLITE_CSOCK_NAME``
in the environment always wins.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

ENV_SOCKET = "PCSCLITE_CSOCK_NAME"
#: Set when this process adopted a bench's socket: ``<owner> pid <pid>`` (doctor explains it).
ENV_ADOPTED = "VITALE_BRIDGE_BENCH"


def state_file(data_dir: Path) -> Path:
    """Where a running bench advertises itself: the bench writes it, clients read it."""
    return data_dir / "bench" / "state.json"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def socket_alive(path: str | os.PathLike[str]) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(os.fspath(path))
        except OSError:
            return False
    return True


def read_state(data_dir: Path) -> dict[str, Any] | None:
    """The state file of this home's bench as written (None when absent or unreadable)."""
    try:
        state = json.loads(state_file(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def running_bench(data_dir: Path) -> dict[str, Any] | None:
    """The state of the bench running for this home (its process and pcscd socket alive), or None."""
    state = read_state(data_dir)
    pid = state.get("pid") if state else None
    if state is None or not isinstance(pid, int) or pid == os.getpid() or not pid_alive(pid):
        return None
    sock = (state.get("env") or {}).get(ENV_SOCKET)
    if sock is not None and not (isinstance(sock, str) and socket_alive(sock)):
        return None
    return state


def use_running_bench(data_dir: Path) -> dict[str, Any] | None:
    """Point this process's PC/SC at the running bench of this home; returns its state, or None."""
    if os.environ.get(ENV_SOCKET):
        return None
    state = running_bench(data_dir)
    if state is None:
        return None
    sock = (state.get("env") or {}).get(ENV_SOCKET)
    if sock:
        os.environ[ENV_SOCKET] = sock
    os.environ[ENV_ADOPTED] = f"{state.get('owner') or 'a bench'} pid {state['pid']}"
    return state
