"""The files of the user's OD folder, and the one way each is written.

::

    state.json                      {"active": NAME, "previous": NAME|null}; NAME is a table
                                    file below, or "embedded" for the default shipped table
    table-<time>-<sha>.json         checked tables (snapshot format), at most two kept
    .lock                           serialises writers (two ``od import`` at once)

Every file is written with :func:`bridge.fileio.atomic_write` (temporary file, fsync, rename)
under :func:`bridge.fileio.file_lock`, so at every instant ``state.json`` names a complete file;
an OS error (disk full, read-only folder) becomes an :class:`~bridge.errors.OdTableInvalidError` with
``reason: "storage"`` saying that the previous table is still active.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from bridge.errors import OdTableInvalidError
from bridge.fileio import atomic_write, file_lock, json_text
from bridge.settings import Paths

EMBEDDED = "embedded"
STATE_FILE = "state.json"
LOCK_FILE = ".lock"


@contextlib.contextmanager
def writing(paths: Paths, folder: Path) -> Iterator[None]:
    """Writers one at a time, across processes; OS errors become OdTableInvalidError."""
    try:
        paths.ensure()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = file_lock(folder / LOCK_FILE)
        lock.acquire()
    except OSError as exc:
        raise storage_error(folder, exc) from None
    try:
        yield
    finally:
        lock.release()


def write(path: Path, data: bytes) -> None:
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise storage_error(path.parent, exc) from None


def write_state(folder: Path, state: dict[str, str]) -> None:
    data = json_text({**state, "changedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    write(folder / STATE_FILE, data.encode())


def collect_garbage(folder: Path, keep: set[str]) -> None:
    for path in folder.glob("table-*.json"):
        if path.name not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
    for path in folder.glob(".*.tmp"):  # left by a crash mid-write
        with contextlib.suppress(OSError):
            path.unlink()


def table_name(value: object) -> str | None:
    """A table name from state.json, refusing anything that is not a plain file name."""
    if not isinstance(value, str) or not value:
        return None
    if value == EMBEDDED or (value.startswith("table-") and value.endswith(".json") and "/" not in value and "\\" not in value):
        return value
    return None


def version_of(folder: Path, name: str | None) -> str | None:
    """The version of a stored table, read from the head of its file (no full parse)."""
    if not name:
        return None
    try:
        with open(folder / name, "rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
        marker = '"version":"'
        start = head.index(marker) + len(marker)
        return head[start : head.index('"', start)]
    except (OSError, ValueError):
        return None


def storage_error(where: Path, exc: OSError) -> OdTableInvalidError:
    return OdTableInvalidError(
        f"Cannot store the OD table in {where}: {exc.strerror or exc}. The previous table is still "
        "active. Free disk space or fix the folder's permissions, then import again.",
        errno=exc.errno,
        reason="storage",
    )
