"""Helpers for the real-stack card tests: the ``pcsc`` driver beside the bench (fixture ``pcsc_bridge`` in conftest)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading

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



#: A second PC/SC client, as the billing software is: it takes the card in *reader* with
#: SCARD_SHARE_EXCLUSIVE, says "held", and lets go when a line arrives on its stdin.
_HOLDER = r"""
import sys
from smartcard import scard as s
hresult, ctx = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
hresult, hcard, _proto = s.SCardConnect(ctx, sys.argv[1], s.SCARD_SHARE_EXCLUSIVE, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1)
print("held" if hresult == s.SCARD_S_SUCCESS else f"failed {hresult & 0xFFFFFFFF:08X}", flush=True)
sys.stdin.readline()
s.SCardDisconnect(hcard, s.SCARD_LEAVE_CARD)
s.SCardReleaseContext(ctx)
print("released", flush=True)
"""


class ExclusiveHolder:
    """Another process holding the card exclusively (``with ExclusiveHolder(reader) as h``)."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ExclusiveHolder:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, self.reader], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line == "held", f"the second PC/SC client could not take the card: {line!r}"
        return self

    def release(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.stdout.readline()
            self.process.wait(5)

    def release_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.release)
        timer.start()
        return timer

    def __exit__(self, *exc: object) -> None:
        try:
            self.release()
        finally:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)


def inject_once(monkeypatch, name: str, code: int, *, at: int = 1, times: int = 1) -> list[int]:
    """Make the PC/SC call *name* (``SCardTransmit``, ``SCardBeginTransaction``) of the pcsc
    driver answer *code* at its *at*-th call, *times* times in a row, as a keyboard-integrated
    reader or a card reset by another program does; the real call otherwise. Returns the list
    of call numbers that failed."""
    from bridge.cards.drivers import pcsc

    real = getattr(pcsc.s, name)
    calls = {"n": 0}
    failed: list[int] = []

    def call(*args):
        calls["n"] += 1
        if at <= calls["n"] < at + times:
            failed.append(calls["n"])
            return code if name == "SCardBeginTransaction" else (code, [])
        return real(*args)

    monkeypatch.setattr(pcsc.s, name, call)
    return failed


def freeze_watcher(bridge: Bridge, monkeypatch) -> None:
    """The watcher keeps looking but no longer applies what it sees: changes then happen
    "between two polls", and only a fresh look (the reader's event counter) can tell."""

    async def frozen(_new):
        return None

    monkeypatch.setattr(bridge.cards.watcher, "_apply", frozen)
