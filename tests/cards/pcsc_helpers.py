"""Helpers for the real-stack card tests: the ``pcsc`` driver beside the bench (fixture ``pcsc_bridge`` in conftest)."""

from __future__ import annotations

import contextlib

from bridge.app import Bridge
from bridge.cards.connection import RecordingConnection
from bridge.settings import Settings


def pcsc_settings(paths) -> Settings:
    return Settings(paths=paths, port=0, ipv6=False, driver="pcsc")


@contextlib.contextmanager
def recording(bridge: Bridge):
    """Wrap every connection the driver opens, to see the exact APDUs on the wire."""
    driver = bridge.cards.driver
    original = driver.connect
    recorders: list[RecordingConnection] = []

    def connect(reader):
        rec = RecordingConnection(original(reader))
        recorders.append(rec)
        return rec

    driver.connect = connect
    try:
        yield recorders
    finally:
        driver.connect = original


def pull_out_after(bench, reader: str, apdus: int) -> None:
    """Make the virtual card in *reader* leave the reader while answering its n-th APDU."""
    card = bench.slot(reader).link.card
    original = card.transmit
    count = {"n": 0}

    def transmit(raw):
        count["n"] += 1
        if count["n"] == apdus:
            bench.remove(reader, wait=False)
        return original(raw)

    card.transmit = transmit


def stop_pcscd(bench) -> dict[str, str | None]:
    """Stop the bench's pcscd (cards out first); returns which profile was in which reader.

    Uses ``Bench.stop_pcscd()`` / ``Bench.start_pcscd()`` when the bench offers them (asked of
    the bench's owner: same socket, reader names and cards after the restart); until then, the
    bench's own parts, keeping the socket path and the reader names.
    """
    profiles = {name: slot.profile_name for name, slot in bench.slots.items()}
    if hasattr(bench, "stop_pcscd") and hasattr(bench, "start_pcscd"):
        bench.stop_pcscd()
        return profiles
    for slot in bench.slots.values():
        if slot.link is not None:
            slot.link.close()
            slot.link, slot.profile_name = None, None
    bench.daemon.stop()
    return profiles


def start_pcscd(bench, profiles: dict[str, str | None]) -> None:
    if hasattr(bench, "stop_pcscd") and hasattr(bench, "start_pcscd"):
        bench.start_pcscd()
        return
    bench.daemon.start()  # same socket path; vpcd ports are picked again
    for name, slot in bench.slots.items():
        slot.port = bench.daemon.ports[name]
    assert bench._probe.wait_readers(bench.reader_names, timeout=5.0) is not None
    for name, profile in profiles.items():
        if profile:
            bench.insert(profile, name)
