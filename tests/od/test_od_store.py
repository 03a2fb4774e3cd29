"""The user's active table: import, rollback, other processes, failures that change nothing."""

from __future__ import annotations

import errno
import json
import os
import threading
import time

import pytest

from bridge import fileio
from bridge.errors import OdTableInvalidError
from bridge.od import store as store_module
from bridge.od.store import STATE_FILE, OdStore
from tests.helpers.od_testdata import HEADER_6, marked_table


@pytest.fixture
def store(paths) -> OdStore:
    return OdStore(paths, watch_interval=0)


def _snapshot_dir(store: OdStore) -> dict[str, bytes]:
    if not store.dir.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(store.dir.iterdir()) if p.name != ".lock"}


def test_fresh_home_uses_the_embedded_table(store):
    info = store.info()
    assert (info.version, info.source.kind, info.can_rollback) == ("3.37", "embedded", False)
    assert "sesam-vitale.fr" in info.notice and "od import" in info.notice


def test_import_makes_the_file_active_and_keeps_the_previous(store, fixtures):
    report = store.import_file(fixtures / "tod-6col-quoted-latin1-crlf.csv", force=True)
    assert (report.version, report.row_count, report.previous_version) == ("3.12", 8, "3.37")
    assert (report.layout, report.encoding, report.quoted) == ("sixColumn", "latin-1", True)
    assert store.resolve("99", "751", "0617").libelle == "SMEREP; section locale"
    info = store.info()
    assert (info.version, info.source.kind, info.can_rollback, info.previous_version) == ("3.12", "imported", True, "3.37")
    assert info.source.sha256 == report.sha256 and info.notice is None
    state = json.loads((store.dir / STATE_FILE).read_text())
    assert state["active"].startswith("table-") and state["previous"] == "embedded"
    # the imported table takes precedence: a row the old table has and the new one lacks is gone
    with pytest.raises(Exception, match="No organisme destinataire"):
        store.resolve("02", "011", "0000")


def test_another_process_sees_the_import(paths, store, fixtures):
    other = OdStore(paths, watch_interval=0)  # e.g. the running server
    seen = []
    other.on_change(seen.append)
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    assert other.table.version == "3.37"  # resolve never touches the disk...
    assert other.refresh() is True  # ...refresh does, with one stat
    assert other.table.version == "3.70"
    assert other.refresh() is False
    assert [(e.version, e.previous_version, e.reason) for e in seen] == [("3.70", "3.37", "external")]
    assert OdStore(paths).table.version == "3.70"  # and a new process starts with it


def test_rollback_and_roll_forward(store, fixtures):
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    store.import_file(fixtures / "tod-14col-plain-latin1-crlf.csv", force=True)
    assert store.table.version == "3.37" and store.table.source.kind == "imported"
    assert store.rollback().version == "3.70"
    assert store.info().previous_version == "3.37"
    assert store.rollback().version == "3.37"  # rolling back a rollback restores
    assert store.table.source.kind == "imported"


def test_rollback_to_the_embedded_table(store, fixtures):
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    info = store.rollback()
    assert (info.version, info.source.kind) == ("3.37", "embedded")


def test_nothing_to_roll_back(store):
    with pytest.raises(OdTableInvalidError, match="no previous OD table"):
        store.rollback()


def test_at_most_two_tables_are_kept(store, fixtures):
    for name in ["tod-6col-plain-latin1-crlf.csv", "tod-14col-plain-latin1-crlf.csv", "tod-6col-quoted-latin1-crlf.csv"]:
        store.import_file(fixtures / name, force=True)
    assert len(list(store.dir.glob("table-*.json"))) == 2
    assert not list(store.dir.glob(".*.tmp"))


def test_invalid_file_changes_nothing(store, fixtures, tod_file):
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    before_files, before_table = _snapshot_dir(store), store.table
    bad = tod_file([HEADER_6, "01;751;0000;PARIS;751;036", "01;751;0601;PARIS;7510;036"])
    with pytest.raises(OdTableInvalidError, match="line 3"):
        store.import_file(bad, force=True)
    assert store.table is before_table
    assert _snapshot_dir(store) == before_files


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("fsync", OSError(errno.ENOSPC, "No space left on device")),
        ("mkstemp", PermissionError(errno.EACCES, "Permission denied")),
        ("mkstemp", OSError(errno.EROFS, "Read-only file system")),
    ],
)
def test_storage_failure_keeps_the_previous_table(store, fixtures, monkeypatch, target, error):
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    before_files, before_table = _snapshot_dir(store), store.table

    def fail(*args, **kwargs):
        raise error

    if target == "fsync":
        monkeypatch.setattr(store_module.os, "fsync", fail)
    else:
        monkeypatch.setattr(fileio.tempfile, "mkstemp", fail)
    with pytest.raises(OdTableInvalidError) as info:
        store.import_file(fixtures / "tod-14col-plain-latin1-crlf.csv", force=True)
    assert "previous table is still active" in info.value.message
    assert info.value.details["errno"] == error.errno
    monkeypatch.undo()
    assert store.table is before_table
    assert _snapshot_dir(store) == before_files  # no temp file, no orphan table
    assert OdStore(store.paths).table.version == "3.70"


def test_state_write_failure_after_the_table_file_leaves_no_orphan(store, fixtures, monkeypatch):
    before_files = _snapshot_dir(store)

    def fail(state):
        raise OdTableInvalidError("disk full", errno=errno.ENOSPC)

    monkeypatch.setattr(store, "_write_state", fail)
    with pytest.raises(OdTableInvalidError):
        store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    assert {k: v for k, v in _snapshot_dir(store).items() if k.startswith("table-")} == {
        k: v for k, v in before_files.items() if k.startswith("table-")
    }
    assert store.table.version == "3.37"


def test_damaged_stored_table_falls_back_and_says_so(paths, store, fixtures):
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    active = json.loads((store.dir / STATE_FILE).read_text())["active"]
    (store.dir / active).write_text("{not json")
    fresh = OdStore(paths, watch_interval=0)
    assert fresh.table.version == "3.37"
    assert "damaged" in fresh.info().notice
    # a running store whose file is damaged under it keeps its good table
    os.utime(store.dir / STATE_FILE, ns=(1, 1))
    assert store.refresh() is False
    assert store.table.version == "3.70"


def test_unreadable_state_file_is_reported(paths, store):
    store.dir.mkdir(parents=True, exist_ok=True)
    (store.dir / STATE_FILE).write_text("[1, 2")
    fresh = OdStore(paths, watch_interval=0)
    assert fresh.table.version == "3.37"
    assert "unreadable" in fresh.info().notice


def test_state_file_cannot_point_outside_the_folder(paths, store):
    store.dir.mkdir(parents=True, exist_ok=True)
    (store.dir / STATE_FILE).write_text(json.dumps({"active": "../../etc/passwd", "previous": "/etc/shadow"}))
    fresh = OdStore(paths, watch_interval=0)
    assert fresh.table.version == "3.37"
    assert fresh.info().can_rollback is False


def test_concurrent_resolves_never_see_a_half_table(store, tmp_path):
    """Readers resolve all keys while the table is swapped 24 times: each answer comes from one
    whole table (its OD and its version agree), and no key is ever missing."""
    a = marked_table(tmp_path / "a.csv", "111", (1, 1), keys=200)
    b = marked_table(tmp_path / "b.csv", "222", (2, 2), keys=200)
    store.import_file(a, force=True)
    stop = threading.Event()
    problems: list[str] = []
    counts = [0]
    seen: set[tuple[str, str]] = set()

    def reader() -> None:
        while not stop.is_set():
            table_seen = None
            for caisse in range(1, 201):
                od = store.resolve("01", f"{caisse:03d}", "0042")
                pair = (od.od, od.table_version)
                if pair not in {("111", "1.01"), ("222", "2.02")}:
                    problems.append(f"mixed answer {pair}")
                seen.add(pair)
                counts[0] += 1
                table_seen = pair
            assert table_seen is not None
            time.sleep(0)  # let the writer in: the test is about consistency, not starvation

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(24):
            store.import_file(b if i % 2 == 0 else a, force=True) if i < 4 else store.rollback()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not problems
    assert seen == {("111", "1.01"), ("222", "2.02")}  # the readers did run across swaps
    assert counts[0] > 1000


def test_two_imports_at_once_leave_a_consistent_state(paths, fixtures):
    stores = [OdStore(paths, watch_interval=0) for _ in range(2)]
    files = [fixtures / "tod-6col-plain-latin1-crlf.csv", fixtures / "tod-14col-plain-latin1-crlf.csv"]
    errors: list[BaseException] = []

    def run(s, f):
        try:
            s.import_file(f, force=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(stores, files, strict=False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    state = json.loads((stores[0].dir / STATE_FILE).read_text())
    assert (stores[0].dir / state["active"]).exists() and (stores[0].dir / state["previous"]).exists()
    assert {OdStore(paths).table.version, OdStore(paths).rollback().version} == {"3.70", "3.37"}


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes through read-only modes")
def test_read_only_folder(store, fixtures):
    store.import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    before = _snapshot_dir(store)
    os.chmod(store.dir, 0o500)
    try:
        with pytest.raises(OdTableInvalidError, match="previous table is still active"):
            store.import_file(fixtures / "tod-14col-plain-latin1-crlf.csv", force=True)
    finally:
        os.chmod(store.dir, 0o700)
    assert store.table.version == "3.70" and _snapshot_dir(store) == before


async def test_the_search_index_is_built_in_a_worker_thread(paths, fixtures, monkeypatch):
    """A started store indexes its table off the event loop: no od.search pays tens of ms inline."""
    import asyncio

    from bridge.od import search

    OdStore(paths, watch_interval=0).import_file(fixtures / "tod-6col-plain-latin1-crlf.csv", force=True)
    monkeypatch.setattr(store_module, "WARM_SEARCH_AFTER", 0)
    built_in: list[str] = []
    real_init = search.SearchIndex.__init__

    def init(self, table):
        built_in.append(threading.current_thread().name)
        real_init(self, table)

    monkeypatch.setattr(search.SearchIndex, "__init__", init)
    store = OdStore(paths, watch_interval=0)
    await store.start()
    try:
        for _ in range(100):
            if built_in and store.table._search_index is not None:
                break
            await asyncio.sleep(0.05)
        assert built_in and built_in[0] != threading.main_thread().name
        store.search("paris")
        assert len(built_in) == 1  # the search used that index
        store.import_file(fixtures / "tod-14col-plain-latin1-crlf.csv", force=True)  # a change of table
        for _ in range(100):
            if store.table._search_index is not None:
                break
            await asyncio.sleep(0.05)
        assert len(built_in) == 2 and built_in[1] != threading.main_thread().name  # indexed again, off the loop
    finally:
        await store.stop()
