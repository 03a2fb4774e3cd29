"""How much a carte Vitale read costs, against the floor of the same APDUs replayed raw.

Run: ``python benchmarks/bench_read.py [--rounds 200]`` (starts its own PC/SC bench: pcscd +
vpcd virtual cards; needs pcscd, vsmartcard-vpcd and pyscard).

For a 1- and a 4-bénéficiaire Vitale 2, in one run:

* APDUs and bytes exchanged by a clear-data read (command bytes + response bytes + SW);
* time of the card layer's read through pcscd (``CardService.read_vitale``: reader lookup,
  connect, exclusive transaction, APDUs with the T=0 rules, parsing, models, disconnect);
* the floor: raw pyscard replaying exactly the same APDUs with the same PC/SC pattern
  (SCardConnect, SCardBeginTransaction, SCardTransmit x n, SCardEndTransaction,
  SCardDisconnect) on an already established context, no parsing at all;
* the same floor run through ``asyncio.to_thread`` (the bridge must not block its event loop:
  this is the floor for any asyncio host), and, for reference, the same APDUs alone on an
  already open connection (transmits only).

Target: card layer within 1.2x of the floor, and no more APDUs than the data needs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROFILES = (("adulte", 1), ("famille", 4))


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


class Floor:
    """Raw pyscard: the same PC/SC calls and APDUs as a read, nothing else."""

    def __init__(self, reader: str, commands: list[bytes]) -> None:
        from smartcard import scard as s

        self.s = s
        self.reader = reader
        self.apdus = [list(c) for c in commands]
        hresult, self.context = s.SCardEstablishContext(s.SCARD_SCOPE_USER)
        assert hresult == s.SCARD_S_SUCCESS
        hresult, self.open_card, self.open_protocol = s.SCardConnect(
            self.context, reader, s.SCARD_SHARE_SHARED, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1
        )

    def read(self) -> None:
        s = self.s
        hresult, card, protocol = s.SCardConnect(
            self.context, self.reader, s.SCARD_SHARE_SHARED, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1
        )
        assert hresult == s.SCARD_S_SUCCESS
        s.SCardBeginTransaction(card)
        for apdu in self.apdus:
            s.SCardTransmit(card, protocol, apdu)
        s.SCardEndTransaction(card, s.SCARD_LEAVE_CARD)
        s.SCardDisconnect(card, s.SCARD_LEAVE_CARD)

    def transmits(self) -> None:
        for apdu in self.apdus:
            self.s.SCardTransmit(self.open_card, self.open_protocol, apdu)

    def close(self) -> None:
        self.s.SCardDisconnect(self.open_card, self.s.SCARD_LEAVE_CARD)
        self.s.SCardReleaseContext(self.context)


async def measure(bridge, reader: str, rounds: int) -> dict:
    """Interleaved rounds (card layer, floor, transmits) so load changes hit all three alike."""
    from bridge.cards.connection import RecordingConnection

    cards = bridge.cards
    await cards.wait_for_card("vitale2")
    driver = cards.driver
    original = driver.connect
    recorded: list[RecordingConnection] = []
    driver.connect = lambda name: recorded.append(RecordingConnection(original(name))) or recorded[-1]
    result = await cards.read_vitale(reader=reader, scope="clear", cache=False)
    driver.connect = original
    rec = recorded[0]
    floor = Floor(reader, [e.command for e in rec.exchanges])
    ours, raw, threaded, transmits = [], [], [], []
    try:
        for i in range(rounds + 10):
            t0 = time.perf_counter()
            await cards.read_vitale(reader=reader, scope="clear", cache=False)
            t1 = time.perf_counter()
            floor.read()
            t2 = time.perf_counter()
            floor.transmits()
            t3 = time.perf_counter()
            await asyncio.to_thread(floor.read)
            t4 = time.perf_counter()
            if i >= 10:  # warm-up rounds are not counted
                ours.append(t1 - t0)
                raw.append(t2 - t1)
                transmits.append(t3 - t2)
                threaded.append(t4 - t3)
    finally:
        floor.close()
    return {
        "beneficiaries": len(result.beneficiaries),
        "apdus": len(rec.exchanges),
        "bytes": rec.bytes_exchanged,
        "sws": " ".join(f"{e.sw:04X}" for e in rec.exchanges),
        "ours": median_us(ours),
        "floor": median_us(raw),
        "transmits": median_us(transmits),
        "threaded": median_us(threaded),
    }


def start_cards(home: Path, timing: str = "instant", extra: list[str] | None = None) -> tuple[subprocess.Popen, object]:
    """The virtual cards in their own process (``vitale-bridge simulate``), like real hardware:
    they must not share this process's interpreter lock with the code being measured.
    Instant timing here: this benchmark measures the software's own cost (bench_timing.py
    measures reads at a real card's pace)."""
    from bridge.bench import Bench

    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "--home", str(home), "simulate", "--socket", "private",
         "--profile", "none", "--cps", "none", "--timing", timing, *(extra or [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    state_file = home / "data" / "bench" / "state.json"
    deadline = time.monotonic() + 20
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("vitale-bridge simulate did not start: " + (proc.stderr.read() or b"").decode()[-500:])
        time.sleep(0.05)
    state = json.loads(state_file.read_text(encoding="utf-8"))
    os.environ.update(state.get("env", {}))  # before this process's first PC/SC call
    return proc, Bench.attach(home)


def stop_cards(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def each_profile(bench, home: Path, profiles, measure_one) -> list[dict]:
    """``{"profile": p, **await measure_one(bridge, reader)}`` for each profile, inserted in turn
    in the bench's 'Vitale' reader and read by a bridge on pcsc (bench_timing uses it too)."""
    from bridge.app import Bridge
    from bridge.settings import Paths, Settings

    rows = []
    bridge = Bridge(Settings(paths=Paths.resolve(home), port=0, ipv6=False, driver="pcsc"))
    async with bridge:
        for profile in profiles:
            status = bench.insert(profile, "Vitale")
            reader = next(s["pcscReader"] for s in status if s["reader"] == "Vitale")
            await bridge.cards.wait_for_card("vitale2")
            rows.append({"profile": profile, **await measure_one(bridge, reader)})
            bench.remove("Vitale")
            await bridge.cards.wait_for_card(present=False)
    return rows


async def run(bench, rounds: int, home: Path) -> list[dict]:
    return await each_profile(bench, home, [p for p, _ in PROFILES], lambda bridge, reader: measure(bridge, reader, rounds))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-read-"))
    proc, bench = start_cards(home / "cards")
    try:
        rows = asyncio.run(run(bench, args.rounds, home / "bridge"))
    finally:
        stop_cards(proc)
    print(f"Vitale 2 clear-data read through pcscd + vpcd, cards in another process "
          f"(median of {args.rounds} interleaved rounds)")
    print()
    header = (f"{'profile':<9} {'benef':>5} {'APDUs':>5} {'bytes':>6}  {'card layer':>10}  "
              f"{'floor':>7}  {'ratio':>5}  {'floor in a thread':>17}  {'ratio':>5}  {'transmits only':>14}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['profile']:<9} {r['beneficiaries']:>5} {r['apdus']:>5} {r['bytes']:>6}  "
            f"{r['ours']:>7.0f} us  {r['floor']:>4.0f} us  {r['ours'] / r['floor']:>5.2f}  "
            f"{r['threaded']:>14.0f} us  {r['ours'] / r['threaded']:>5.2f}  {r['transmits']:>11.0f} us"
        )
    print()
    for r in rows:
        print(f"{r['profile']}: status words {r['sws']}")
    print(
        "APDUs the data needs: SELECT MF + READ BINARY (Le=00 -> 6Cxx -> exact Le) for the identity "
        "file, SELECT VITALE + READ BINARY (same) for the NIR file = 6; the SELECTs' 61xx FCI is never fetched."
    )
    print("card layer = CardService.read_vitale (thread hop, connect, transaction, T=0 rules, parsing, models).")
    print("floor = raw pyscard: SCardConnect, SCardBeginTransaction, the same APDUs, SCardEndTransaction, "
          "SCardDisconnect; 'in a thread' = the same run through asyncio.to_thread, as the bridge must "
          "(pyscard blocks); 'transmits only' = the APDUs alone on an open connection.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
