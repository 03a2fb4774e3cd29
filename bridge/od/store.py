"""The active TOD table of this user: embedded default, imports, rollback, live reload.

Files under ``Paths.od_dir``: see :mod:`bridge.od.folder`.

Why this shape: an import writes the new table file, then replaces ``state.json`` — both with
temp file + fsync + ``os.replace`` — so at every instant ``state.json`` names a complete file,
and a crash or a full disk leaves the previous state in force. Readers never parse CSV: they
load the snapshot the import produced.

In memory, the table is an immutable :class:`~bridge.od.table.OdTable` held in one attribute;
a change is one reference assignment, so a concurrent ``resolve`` sees the old table or the new
one, never a mix. ``resolve`` itself never touches the disk. ``refresh`` (one ``stat`` of
``state.json``) picks up a table imported by another process: the ``od.*`` methods call it on
each request and the watcher service every second, which also publishes ``od.tableChanged``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from bridge.errors import OdImportSuspiciousError, OdTableInvalidError
from bridge.od import diff, folder, snapshot
from bridge.od.models import (
    OdDiff,
    OdImportReport,
    OdInfo,
    OdRegimes,
    OdSearchResult,
    OdSource,
    OdTableChanged,
    OrganismeDestinataire,
)
from bridge.od.official import LAYOUT_TEXT, ParsedTable, read_official
from bridge.od.search import DEFAULT_LIMIT
from bridge.od.table import OdTable
from bridge.settings import Paths

log = logging.getLogger("vitale_bridge.od")

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "tod-default.json"
EMBEDDED, STATE_FILE = folder.EMBEDDED, folder.STATE_FILE

#: Seconds after the service starts before the search index is built in a worker thread.
WARM_SEARCH_AFTER = 1.0

IMPORT_HINT = (
    "Download the current TOD from sesam-vitale.fr (page 'TOD - Table des Organismes "
    "Destinataires') and run 'vitale-bridge od import FILE'."
)

Listener = Callable[[OdTableChanged], None]


@functools.lru_cache(maxsize=4)
def load_embedded(path: Path = DEFAULT_FILE) -> OdTable:
    """The default table shipped in the package (loaded once per process: it never changes)."""
    return snapshot.load(path.read_bytes(), path.name)


class OdStore:
    """The user's active TOD table and the operations that change it."""

    def __init__(self, paths: Paths, *, default_file: Path = DEFAULT_FILE, watch_interval: float = 1.0) -> None:
        self.paths = paths
        self.default_file = default_file
        self.watch_interval = watch_interval
        self._listeners: list[Listener] = []
        self._reload_lock = threading.Lock()
        #: Why the active table is not the one state.json names (damaged file), for od info.
        self._problem: str | None = None
        self._state_problem: str | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._warm_handle: asyncio.TimerHandle | None = None
        self._state_path = os.fspath(paths.od_dir / STATE_FILE)  # a str: stat() on every request
        #: The event loop of the service, once started (for listeners called from threads).
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stamp = self._state_stamp()
        self._table = self._load_from_state(self._read_state())

    # --- reading -----------------------------------------------------------------------------

    @property
    def dir(self) -> Path:
        return self.paths.od_dir

    @property
    def table(self) -> OdTable:
        return self._table

    def resolve(self, regime: str, caisse: str, centre: str) -> OrganismeDestinataire:
        """Exact row, else the caisse's centre 0000 row (see :meth:`OdTable.resolve`)."""
        return self._table.resolve(regime, caisse, centre)

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> OdSearchResult:
        return self._table.search_index().search(query, limit)

    def regimes(self) -> OdRegimes:
        table = self._table
        return OdRegimes(table_version=table.version, regimes=table.regimes())

    def info(self) -> OdInfo:
        table = self._table
        state = self._read_state()
        previous = state.get("previous")
        notice = self._problem or self._state_problem
        if notice is None and table.source.kind == "embedded":
            notice = (
                f"The active table is the embedded TOD {table.version}, an old snapshot kept so "
                "that the bridge works offline; caisses have merged since. " + IMPORT_HINT
            )
        imported = table.source.imported_at
        if imported is not None and imported.tzinfo is None:
            imported = imported.replace(tzinfo=dt.UTC)
        return OdInfo(
            version=table.version,
            source=table.source,
            row_count=len(table),
            wildcard_count=table.wildcard_count,
            regime_count=len({r.regime for r in table.rows}),
            has_addresses=table.has_addresses,
            loaded_at=table.loaded_at,
            age_days=None if imported is None else max(0, (dt.datetime.now(dt.UTC) - imported).days),
            can_rollback=previous is not None,
            previous_version=self._version_of(previous) if previous else None,
            notice=notice,
            warnings=list(table.warnings),
        )

    def on_change(self, listener: Listener) -> None:
        """Call *listener* (synchronously, in the thread that swapped) after each change."""
        self._listeners.append(listener)

    def refresh(self) -> bool:
        """Load the active table again if another process changed it. One ``stat`` otherwise."""
        stamp = self._state_stamp()
        if stamp == self._stamp:
            return False
        with self._reload_lock:
            if stamp == self._stamp:
                return False
            previous = self._table
            table = self._load_from_state(self._read_state())
            self._stamp = stamp
            if table is previous:
                return False
            self._swap(table, "external", previous)
        return True

    # --- changing ------------------------------------------------------------------------------

    def compare(self, parsed: ParsedTable) -> OdDiff:
        """What making *parsed* active would change (the embedded default counts as active)."""
        self.refresh()
        return diff.compare(
            self._table, parsed.rows, version=parsed.version or "unknown", source=parsed.file_name, sha256=parsed.sha256
        )

    def import_file(self, path: str | Path, *, force: bool = False) -> OdImportReport:
        """Check the whole official file, then make it the active table for every client.

        Nothing on disk or in memory changes unless the file is entirely valid, passes the
        guard of :mod:`bridge.od.diff` (or *force*), and is stored.
        """
        return self.import_parsed(read_official(path), origin=str(Path(path).absolute()), force=force)

    def import_parsed(self, parsed: ParsedTable, *, origin: str | None = None, force: bool = False) -> OdImportReport:
        """:meth:`import_file` for a file already read (``od update`` reads from a share or a URL)."""
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        version = parsed.version or "unknown"
        source = OdSource(
            kind="imported",
            file_name=parsed.file_name,
            sha256=parsed.sha256,
            origin=origin,
            description=f"Imported official TOD file {parsed.file_name} ({LAYOUT_TEXT[parsed.layout]}, {parsed.encoding}).",
            imported_at=now,
        )
        regime_names = {**load_embedded(self.default_file).regime_names, **parsed.regime_names}
        table = OdTable(
            parsed.rows, version=version, source=source, regime_names=regime_names, warnings=parsed.warnings
        )
        data = snapshot.dump(
            parsed.rows, version=version, source=source, regime_names=regime_names, warnings=parsed.warnings
        )
        name = f"table-{now:%Y%m%dT%H%M%S}-{parsed.sha256[:12]}.json"
        with self._writing():
            comparison = self.compare(parsed)  # under the lock: against what is active now
            if comparison.suspicious and not force:
                raise OdImportSuspiciousError(
                    f"{parsed.file_name} was not imported: {diff.describe(comparison)}. The active table "
                    f"(TOD {comparison.active.version}, {comparison.active.row_count} rows) is unchanged. "
                    f"Compare with 'vitale-bridge od diff FILE'; if this is the right file, import it with --force.",
                    **comparison.to_wire(),
                )
            state = self._read_state()
            old_active = state.get("active") or EMBEDDED
            if old_active == name:  # the same file imported twice within one second
                name = name.replace(".json", f"-{os.getpid()}.json")
            table_path = self.dir / name
            folder.write(table_path, data)
            try:
                self._write_state({"active": name, "previous": old_active})
            except OdTableInvalidError:
                with contextlib.suppress(OSError):
                    table_path.unlink()
                raise
            folder.collect_garbage(self.dir, {name, old_active})
            previous_version = self._version_of(old_active)
        self._install(table, "import")
        return OdImportReport(
            version=version,
            row_count=len(table),
            wildcard_count=table.wildcard_count,
            layout=parsed.layout,
            encoding=parsed.encoding,
            quoted=parsed.quoted,
            header=parsed.header,
            previous_version=previous_version,
            sha256=parsed.sha256,
            stored_as=str(table_path),
            forced=bool(comparison.suspicious),
            comparison=comparison,
            warnings=list(parsed.warnings),
        )

    def known_sha256(self) -> set[str]:
        """SHA-256 of the active and previous tables' files: ``od update`` does not import them again."""
        known = {self._table.source.sha256}
        previous = self._read_state().get("previous")
        if previous and previous != EMBEDDED:
            with contextlib.suppress(OdTableInvalidError):
                known.add(self._load_named(previous).source.sha256)
        return {k for k in known if k}

    def rollback(self) -> OdInfo:
        """Make the previous table active again; the current one becomes the previous."""
        with self._writing():
            state = self._read_state()
            previous = state.get("previous")
            if not previous:
                raise OdTableInvalidError(
                    "There is no previous OD table to roll back to (nothing was imported yet).",
                    reason="noPreviousTable",
                )
            table = self._load_named(previous)
            self._write_state({"active": previous, "previous": state.get("active") or EMBEDDED})
        self._install(table, "rollback")
        return self.info()

    # --- service (watcher) ---------------------------------------------------------------------

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.refresh()
        if self._watcher is None and self.watch_interval > 0:
            self._watcher = asyncio.create_task(self._watch(), name="od-table-watcher")
        # After start-up, not during it: the host answers its first requests first.
        self._warm_handle = self.loop.call_later(WARM_SEARCH_AFTER, self._warm_search)

    def _warm_search(self) -> None:
        """Build the active table's search index in a worker thread, so that no ``od.search``
        pays for it (tens of ms) on the event loop."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        table = self._table
        loop.call_soon_threadsafe(lambda: loop.run_in_executor(None, table.search_index) and None)

    async def stop(self) -> None:
        if self._warm_handle is not None:
            self._warm_handle.cancel()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_interval)
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - the watcher must survive anything
                log.warning("OD table refresh failed: %s", type(exc).__name__)

    # --- internals -----------------------------------------------------------------------------

    def _install(self, table: OdTable, reason: str) -> None:
        with self._reload_lock:
            previous = self._table
            self._stamp = self._state_stamp()
            self._problem = None
            self._swap(table, reason, previous)

    def _swap(self, table: OdTable, reason: str, previous: OdTable) -> None:
        self._table = table  # the one assignment every reader depends on
        if self._warm_handle is not None:  # a started service: index the new table off the loop
            self._warm_search()
        log.info("OD table %s active (%s, %d rows, %s)", table.version, table.source.kind, len(table), reason)
        event = OdTableChanged(
            version=table.version,
            previous_version=previous.version,
            source=table.source.kind,
            row_count=len(table),
            reason=reason,
        )
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001
                log.warning("OD table listener failed: %s", type(exc).__name__)

    def _state_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._state_path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _read_state(self) -> dict[str, str | None]:
        try:
            state = json.loads((self.dir / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            self._state_problem = None
            return {"active": EMBEDDED, "previous": None}
        except (OSError, ValueError) as exc:
            state = exc
        if not isinstance(state, dict):
            log.warning("OD state file unreadable: %s", type(state).__name__)
            self._state_problem = (
                f"The OD state file {self.dir / STATE_FILE} is unreadable; the embedded table is "
                "used. Import the TOD file again."
            )
            return {"active": EMBEDDED, "previous": None}
        self._state_problem = None
        return {
            "active": folder.table_name(state.get("active")) or EMBEDDED,
            "previous": folder.table_name(state.get("previous")),
        }

    def _load_named(self, name: str) -> OdTable:
        if name == EMBEDDED:
            return load_embedded(self.default_file)
        path = self.dir / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise OdTableInvalidError(
                f"The stored OD table {path} cannot be read ({exc.strerror}). Import the TOD file again.",
                file=name,
            ) from None
        return snapshot.load(data, name)

    def _load_from_state(self, state: dict[str, str | None]) -> OdTable:
        """The table *state* names; on a damaged file the current (or embedded) one, reported."""
        name = state.get("active") or EMBEDDED
        try:
            table = self._load_named(name)
        except OdTableInvalidError as exc:
            log.warning("OD table %s unusable (%s); keeping the current table", name, exc.code)
            self._problem = exc.message
            current = getattr(self, "_table", None)
            return current if current is not None else load_embedded(self.default_file)
        self._problem = None
        return table

    def _version_of(self, name: str | None) -> str | None:
        if name == EMBEDDED:
            return load_embedded(self.default_file).version
        return folder.version_of(self.dir, name)

    def _writing(self) -> contextlib.AbstractContextManager[None]:
        return folder.writing(self.paths, self.dir)

    def _write_state(self, state: dict[str, str]) -> None:
        folder.write_state(self.dir, state)
