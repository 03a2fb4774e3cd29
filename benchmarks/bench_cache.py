"""A repeat carte Vitale read from the card session, beside the first read from the card.

Run: ``python benchmarks/bench_cache.py [--rounds 200] [--timing real|instant]`` (starts its own
PC/SC bench in another process, like bench_read.py: pcscd + vpcd virtual cards).

For a 4-bénéficiaire Vitale 2 (profile ``famille``), in one run, interleaved:

* first read: ``vitale.read`` with ``cache: false`` (the card is read: connect, transaction,
  APDUs, parsing);
* repeat read: ``vitale.read`` of the same card still in its reader (answered from memory after
  one fresh look at the reader's event counter and the CPS present now).

Both are measured at the host in two ways: ``CardService.read_vitale`` in-process (the card
layer), and a JSON-RPC ``vitale.read`` over a loopback WebSocket from a client in this process
(what an EHR talking to the host sees, minus the browser). Target: the repeat read well under
1 ms at the host.

``--timing``: the virtual cards' timing, passed to ``vitale-bridge simulate`` when it offers the
option (real: ISO 7816-3 transfer times derived from the ATR, plus processing); without it the
bench answers at once and the first read is the bench's time, which the header says.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_read import start_cards, stop_cards


def p50_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


async def measure(bench, home: Path, rounds: int) -> dict[str, float]:
    from bridge.app import Bridge
    from bridge.client import BridgeClient
    from bridge.settings import Paths, Settings
    from bridge.transport.websocket import WebSocketServer

    bridge = Bridge(Settings(paths=Paths.resolve(home), port=0, ipv6=False, driver="pcsc"))
    server = WebSocketServer(bridge)
    samples: dict[str, list[float]] = {k: [] for k in ("card_first", "card_repeat", "rpc_first", "rpc_repeat")}
    async with bridge:
        await server.start()
        try:
            bench.insert("famille", "Vitale")
            await bridge.cards.wait_for_card("vitale2")
            cards = bridge.cards
            async with BridgeClient.connect(port=server.port, token=server.token) as client:
                for i in range(rounds + 10):
                    t0 = time.perf_counter()
                    first = await cards.read_vitale(cache=False)
                    t1 = time.perf_counter()
                    repeat = await cards.read_vitale()
                    t2 = time.perf_counter()
                    rpc_first = await client.call("vitale.read", {"cache": False})
                    t3 = time.perf_counter()
                    rpc_repeat = await client.call("vitale.read")
                    t4 = time.perf_counter()
                    assert not first.from_cache and repeat.from_cache
                    assert not rpc_first["fromCache"] and rpc_repeat["fromCache"]
                    if i >= 10:  # warm-up rounds are not counted
                        samples["card_first"].append(t1 - t0)
                        samples["card_repeat"].append(t2 - t1)
                        samples["rpc_first"].append(t3 - t2)
                        samples["rpc_repeat"].append(t4 - t3)
        finally:
            await server.stop()
    return {k: p50_us(v) for k, v in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--timing", choices=("real", "instant"), default="real")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    proc, bench = start_cards(home / "cards", args.timing)
    try:
        r = asyncio.run(measure(bench, home / "bridge", args.rounds))
    finally:
        stop_cards(proc)
    timing = f"'{args.timing}' card timing"
    print(f"Vitale 2 'famille' through pcscd + vpcd, cards in another process, {timing}; "
          f"p50 of {args.rounds} interleaved rounds")
    print()
    header = f"{'at the host':<30} {'first read':>12} {'repeat read':>12} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for label, key in (("CardService.read_vitale", "card"), ("vitale.read over WebSocket", "rpc")):
        first, repeat = r[f"{key}_first"], r[f"{key}_repeat"]
        print(f"{label:<30} {first:>9.0f} us {repeat:>9.0f} us {first / repeat:>6.0f}x")
    print()
    print("first read = cache false (the card is read); repeat read = the same card still in its "
          "reader, from the card session (one fresh look at the reader's event counter, no APDU).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
