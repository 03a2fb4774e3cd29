"""APDU round trip through pcscd and the virtual cards, beside a raw loopback socket round trip.

One run prints, for the same frame sizes (a 7-byte SELECT answered by 2 bytes, and a READ
BINARY answered by a whole identity file):

* baseline: a raw TCP round trip between two local sockets with the card's socket options
  (TCP_NODELAY, TCP_QUICKACK re-armed after each recv), framed like vpcd (2-byte length, with
  the "vpcd" side writing length and payload separately as vpcd does);
* the bench: pyscard -> pcscd -> vpcd driver -> virtual card (a thread of this process);
* the trap: the same card without NODELAY/QUICKACK (few samples: about 40 ms each).

    python benchmarks/bench_apdu.py [--apdus N]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridge.bench.vpcd import recv_exact, tune


def stats(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s) * 1e3, s[min(len(s) - 1, int(len(s) * 0.99))] * 1e3


def row(label: str, samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = stats(samples)
    text = f"{label:<44} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms  (n={len(samples)})"
    if base:
        text += f"   x{p50 / stats(base)[0]:.1f} baseline"
    return text


def raw_socket_round_trips(command: bytes, answer_size: int, n: int) -> list[float]:
    """The 'vpcd' side sends length and payload in two writes; the 'card' side answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    answer = bytes(answer_size)

    def card() -> None:
        conn, _ = listener.accept()
        tune(conn)
        with conn:
            try:
                while True:
                    (length,) = struct.unpack(">H", recv_exact(conn, 2))
                    recv_exact(conn, length)
                    conn.sendall(struct.pack(">H", len(answer)) + answer)
            except (EOFError, OSError):
                pass

    t = threading.Thread(target=card, daemon=True)
    t.start()
    vpcd = socket.create_connection(("127.0.0.1", port))
    tune(vpcd)
    samples = []
    try:
        for _ in range(n + 50):
            t0 = time.perf_counter()
            vpcd.sendall(struct.pack(">H", len(command)))
            vpcd.sendall(command)
            (length,) = struct.unpack(">H", recv_exact(vpcd, 2))
            recv_exact(vpcd, length)
            samples.append(time.perf_counter() - t0)
    finally:
        vpcd.close()
        listener.close()
        t.join(2)
    return samples[50:]


def pcsc_round_trips(conn, command: bytes, n: int) -> list[float]:
    apdu = list(command)
    samples = []
    for _ in range(n + 50):
        t0 = time.perf_counter()
        conn.transmit(apdu)
        samples.append(time.perf_counter() - t0)
    return samples[50:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apdus", type=int, default=2000)
    parser.add_argument("--trap-apdus", type=int, default=20, help="APDUs without the fix (about 40 ms each)")
    args = parser.parse_args()

    from bridge import profiles
    from bridge.bench import Bench, make_card
    from bridge.virtualcards.vitale2 import identity_file

    size = len(identity_file(profiles.load("famille")))
    size = -(-(size + 1) // 32) * 32  # the padded file size
    select = bytes.fromhex("00A4000C023F00")
    read = bytes.fromhex(f"00B08200{size:02X}")
    with Bench(home=tempfile.mkdtemp(prefix="vb-bench-"), control=False) as bench:
        bench.insert("famille")
        from smartcard.System import readers

        reader = next(r for r in readers() if str(r) == bench.pcsc_reader("Vitale"))
        conn = reader.createConnection()
        conn.connect()
        results = {}
        for label, cmd, answer in (("SELECT MF (7 -> 2 bytes)", select, 2), (f"READ BINARY ({len(read)} -> {size + 2} bytes)", read, size + 2)):
            results[label] = (raw_socket_round_trips(cmd, answer, args.apdus), pcsc_round_trips(conn, cmd, args.apdus))
        conn.disconnect()
        conn.release()
        # The trap: the same card without NODELAY/QUICKACK.
        from bridge.bench.vpcd import VpcdLink

        bench.remove()
        slot = bench.slot("Vitale")
        slot.link = VpcdLink(make_card("famille"), slot.port, tuned=False, netns=bench.daemon.netns)
        slot.link.open()
        bench._wait(slot, present=True)
        conn = reader.createConnection()
        conn.connect()
        trap = pcsc_round_trips(conn, select, args.trap_apdus) if args.trap_apdus else []
        conn.disconnect()
        conn.release()

    print("APDU round trip: pyscard -> pcscd -> vpcd -> virtual card, vs a raw loopback socket")
    for label, (base, ours) in results.items():
        print(f"-- {label}")
        print(row("raw TCP round trip (baseline)", base))
        print(row("through pcscd with the bench", ours, base))
    if trap:
        print("-- SELECT MF with a card lacking TCP_NODELAY/TCP_QUICKACK (the trap)")
        print(row("through pcscd, untuned card", trap))


if __name__ == "__main__":
    main()
