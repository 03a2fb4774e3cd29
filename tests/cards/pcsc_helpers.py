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

