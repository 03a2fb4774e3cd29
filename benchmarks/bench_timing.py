"""A carte Vitale read at a real card's pace, against the physical floor of the same APDUs.

Run: ``python benchmarks/bench_timing.py [--rounds 20] [--clock-mhz 4] [--processing-ms 1]``
(starts ``vitale-bridge simulate --timing real`` in its own process: pcscd + vpcd virtual cards
that answer in the time ISO 7816-3 gives their ATR, see docs/virtual-cards.md).

For the ``famille`` profile (4 bénéficiaires, Vitale 2, TA1 = 13) and ``adulte`` (1):

* the read as the bridge does it (``CardService.read_vitale``, clear scope, through pcscd);
* the model's physical floor: the sum of the modelled transfer and processing times of exactly
  the APDUs that read sent and received (recorded on the wire), i.e. what the same read costs
  on a real card with no software at all;
* the ratio. Goal: <= 1.1x.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_read import each_profile, start_cards, stop_cards

PROFILES = ("famille", "adulte")


async def measure(bridge, reader: str, rounds: int, model) -> dict:
    from bridge.cards.connection import RecordingConnection

    cards = bridge.cards
    driver = cards.driver
    original = driver.connect
    recorded: list[RecordingConnection] = []
    driver.connect = lambda name: recorded.append(RecordingConnection(original(name))) or recorded[-1]
    await cards.read_vitale(reader=reader, scope="clear", cache=False)
    driver.connect = original
    [rec] = recorded
    atr = rec.atr
    floor = sum(model.exchange(atr, e.command, e.data + e.sw.to_bytes(2, "big")) for e in rec.exchanges)
    times = []
    for i in range(rounds + 2):
        t0 = time.perf_counter()
        await cards.read_vitale(reader=reader, scope="clear", cache=False)
        if i >= 2:  # warm-up rounds are not counted
            times.append(time.perf_counter() - t0)
    return {"apdus": len(rec.exchanges), "bytes": rec.bytes_exchanged, "floor": floor,
            "median": statistics.median(times), "best": min(times)}


async def run(bench, home: Path, rounds: int, model) -> list[dict]:
    return await each_profile(bench, home, PROFILES, lambda bridge, reader: measure(bridge, reader, rounds, model))


def main() -> int:
    from bridge.virtualcards.timing import DEFAULT_CLOCK_HZ, DEFAULT_PROCESSING, TimingModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clock-mhz", type=float, default=DEFAULT_CLOCK_HZ / 1e6)
    parser.add_argument("--processing-ms", type=float, default=DEFAULT_PROCESSING * 1e3)
    args = parser.parse_args()
    model = TimingModel(args.clock_mhz * 1e6, args.processing_ms / 1e3)

    home = Path(tempfile.mkdtemp(prefix="bench-timing-"))
    extra = ["--clock-mhz", str(args.clock_mhz), "--processing-ms", str(args.processing_ms)]
    proc, bench = start_cards(home / "cards", "real", extra)
    try:
        rows = asyncio.run(run(bench, home / "bridge", args.rounds, model))
    finally:
        stop_cards(proc)
    print(f"Vitale 2 clear-data read through pcscd + vpcd with real card timing "
          f"(clock {args.clock_mhz:g} MHz, {args.processing_ms:g} ms processing per command; "
          f"median of {args.rounds} reads)")
    print()
    header = f"{'profile':<9} {'APDUs':>5} {'bytes':>6}  {'physical floor':>14}  {'read':>9}  {'ratio':>5}  {'best':>9}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['profile']:<9} {r['apdus']:>5} {r['bytes']:>6}  {r['floor'] * 1e3:>11.1f} ms  "
              f"{r['median'] * 1e3:>6.1f} ms  {r['median'] / r['floor']:>5.3f}  {r['best'] * 1e3:>6.1f} ms")
    print()
    print("physical floor = sum over the read's APDUs of (T=0 characters x 12 etu + processing), "
          "etu = Fi / (Di f) from the ATR: what a real card needs with no software at all. Goal: ratio <= 1.1.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
