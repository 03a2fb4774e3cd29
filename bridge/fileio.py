"""Writing files so that a reader never sees half of one, and one lock for every writer.

Every file the bridge rewrites (settings, token, OD tables, install records, the bench's state)
goes through :func:`atomic_write`: a uniquely named temporary file in the same folder, written,
flushed and fsync'ed, then renamed over the target, and the folder fsync'ed. Two writers never
share a temporary name, and a crash leaves either the old file or the new one.

:func:`json_text` is the one JSON encoder for files and for what the CLI prints (UTF-8 text as
is, indented for people, or on one line); :func:`write_json` writes such a file atomically. The
wire has its own, stricter and compact, in :mod:`bridge.rpc.protocol`; the OD snapshot keeps its
one-row-per-line layout (:mod:`bridge.od.snapshot`).

:func:`file_lock` is the one inter-process lock (filelock: ``fcntl`` on POSIX, ``msvcrt`` on
Windows), used where two processes may write the same files (two ``od import`` at once).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

__all__ = ["atomic_write", "file_lock", "fsync_dir", "json_text", "write_json"]


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o600) -> None:
    """Replace *path* with *data* atomically; the file gets *mode* (user-only by default).

    Raises :class:`OSError` (disk full, read-only folder ...) with the target unchanged and no
    temporary file left behind; callers translate it into their own error.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if os.name == "posix":
                os.fchmod(f.fileno(), mode)
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """*value* as JSON for a file or the terminal: non-ASCII text as is (the files are UTF-8),
    indented by *indent*, or on one line with ``indent=None`` (JSON lines)."""
    return json.dumps(value, ensure_ascii=False, indent=indent)


def write_json(path: str | os.PathLike[str], value: Any, *, mode: int = 0o600) -> None:
    """Replace the JSON file *path* with *value* (:func:`json_text`, newline-terminated), atomically."""
    atomic_write(path, json_text(value) + "\n", mode=mode)


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename in *path* durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_lock(path: str | os.PathLike[str], *, timeout: float = -1) -> FileLock:
    """An exclusive inter-process lock on *path* (created 0600); use it as a context manager.

    ``timeout=-1`` waits for ever; a positive timeout raises ``filelock.Timeout``.
    """
    return FileLock(str(path), timeout=timeout, mode=0o600)
