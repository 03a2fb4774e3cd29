"""OD table benchmark: load times, in-process resolves per second, od.resolve over the WebSocket.

Every figure is printed beside a baseline measured in the same run:

- load: the embedded table, and a generated 2,000-row official file (14 columns, quoted,
  Latin-1, CRLF) -- parse alone, and a whole ``od import`` (parse + store + fsync) -- beside
  ``json.loads`` of the same embedded file (the floor of any JSON-based table);
- in-process: ``bridge.od.resolve`` (exact and centre-wildcard keys) beside a bare ``dict.get``
  on the same keys;
- WebSocket, server and client in one process (``WebSocketServer`` on port 0, driven by the
  foundation harness's client): ``od.resolve`` vs ``bridge.hello`` vs a bare ``websockets``
  echo server;
- WebSocket, server in its own process (the foundation harness), 1 and 32 clients.

- search: ``od.search`` on the embedded table for adversarial queries at the length limit and
  limit 100 (every character class, 50 one-letter words, all pieces of a frequent word, usual
  names, random text), beside a plain ``dict.get`` in the same run;

Targets: load < 30 ms, > 1,000,000 resolves/s in-process, od.resolve p50 within 1.2x of
bridge.hello, the worst search <= 2 ms.

    python benchmarks/bench_od.py [--requests N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result, bridge_server, drive, echo_server, row
from bench_websocket import hello


def median_ms(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3, min(times) * 1e3


def official_file(path: Path, rows: int = 2000) -> Path:
    """A 2,000-row TOD in the historic 14-column layout, every field quoted, Latin-1, CRLF."""
    header = ["code régime", "caisse gestionnaire", "centre gestionnaire", "libellé", "régime",
              "organisme destinataire", "code centre informatique", "adresse 1", "adresse 2",
              "commune", "code postal", "cédex", "téléphone", "fax"]
    lines = [header, ["3", "70", "0", "Version de la table", "", "0", "0", "", "", "", "", "", "", ""]]
    for i in range(rows):
        regime, caisse, centre = ("01", "02", "91", "99")[i % 4], f"{i // 4 % 1000:03d}", f"{i // 4000 * 100 + i % 4:04d}"
        lines.append([regime, caisse, centre, f"Caisse primaire d'assurance maladie n°{i}", "RÉGIME GÉNÉRAL",
                      f"{i % 1000:03d}", f"{i % 97:03d}", f"{i} rue de l'Hôpital", "", "SAINT-ÉTIENNE",
                      f"{42000 + i % 100:05d}", "CEDEX", "04 77 00 00 00", ""])
    text = "\r\n".join(";".join(f'"{v}"' for v in row) for row in lines) + "\r\n"
    path.write_bytes(text.encode("latin-1"))
    return path


def bench_load(runs: int) -> None:
    from bridge.od import snapshot
    from bridge.od.models import OdSource
    from bridge.od.official import read_official
    from bridge.od.store import DEFAULT_FILE, OdStore
    from bridge.od.table import OdTable
    from bridge.settings import Paths

    print(f"== load (median / best of {runs} runs)")
    data = DEFAULT_FILE.read_bytes()
    base = median_ms(lambda: json.loads(data), runs)
    emb = median_ms(lambda: snapshot.load(DEFAULT_FILE.read_bytes(), DEFAULT_FILE.name), runs)
    print(f"embedded table ({len(data) // 1024} kB, 1,680 rows)  {emb[0]:6.2f} ms / {emb[1]:6.2f} ms"
          f"   | baseline json.loads of the file {base[0]:6.2f} ms")
    with tempfile.TemporaryDirectory(prefix="vb-bench-od-") as tmp:
        path = official_file(Path(tmp) / "tod-2000.csv")

        def parse() -> None:
            p = read_official(path)
            OdTable(p.rows, version=p.version or "?", source=OdSource(kind="imported"))

        official = median_ms(parse, runs)
        print(f"2,000-row official file ({path.stat().st_size // 1024} kB): parse + index  "
              f"{official[0]:6.2f} ms / {official[1]:6.2f} ms")
        store = OdStore(Paths.resolve(Path(tmp) / "home"), watch_interval=0)
        imp = median_ms(lambda: store.import_file(path, force=True), max(5, runs // 4))
        print(f"od import of it (parse, compare, store, fsync, swap) {imp[0]:6.2f} ms / {imp[1]:6.2f} ms")
        other = OdStore(Paths.resolve(Path(tmp) / "home"), watch_interval=0)
        reload = median_ms(lambda: (os.utime(other.dir / "state.json"), other.refresh()), runs)
        print(f"a running server picking it up (refresh)        {reload[0]:6.2f} ms / {reload[1]:6.2f} ms")
        ok = emb[0] < 30 and official[0] < 30
        print(f"   target load < 30 ms: {'MET' if ok else 'MISSED'}")


def bench_inprocess(seconds: float) -> None:
    from bridge.od.store import OdStore, load_embedded
    from bridge.settings import Paths

    print("== in-process resolves")
    with tempfile.TemporaryDirectory(prefix="vb-bench-od-") as tmp:
        store = OdStore(Paths.resolve(tmp), watch_interval=0)
    table = load_embedded()
    exact = [r.key for r in table.rows]
    listed = set(exact)
    wildcard = [(r.regime, r.caisse, "9998") for r in table.rows
                if r.centre == "0000" and (r.regime, r.caisse, "9998") not in listed]
    plain = {k: object() for k in exact + wildcard}

    def rate(fn, keys) -> float:
        for k in keys:  # warm the answer cache
            fn(*k)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for r, c, ce in keys:
                fn(r, c, ce)
            n += len(keys)
        return n / (time.perf_counter() - start)

    get = plain.get
    baseline = rate(lambda r, c, ce: get((r, c, ce)), exact)
    ex = rate(store.resolve, exact)
    wc = rate(store.resolve, wildcard)
    print(f"bridge.od.resolve, exact keys ({len(exact)})          {ex:12,.0f} /s"
          f"   | baseline dict.get in the same loop {baseline:12,.0f} /s")
    print(f"bridge.od.resolve, centre-wildcard keys ({len(wildcard)}) {wc:12,.0f} /s")
    print(f"   target > 1,000,000/s: {'MET' if min(ex, wc) > 1e6 else 'MISSED'}")


def search_queries(seed: int = 15) -> dict[str, str]:
    """Queries chosen to be expensive for the index (each cut at the 100-character limit)."""
    import random

    from bridge.od.search import MAX_QUERY_LENGTH

    word = "mutuelle"
    pieces = sorted({word[i:j] for i in range(len(word)) for j in range(i + 1, len(word) + 1)}, key=len)
    rng = random.Random(seed)
    alphabet = "aeioulnrstcdmpgbfhvjqxyz0123456789 -'."
    queries = {
        "one letter 'a' (1,400 rows match)": "a",
        "50 one-letter words": " ".join("aeioulnrstcdmpgbfhvjqxyz0123456789" * 3),
        "every piece of 'mutuelle'": " ".join(pieces),
        "36 distinct 2-letter words": " ".join(a + b for a, b in zip("aeioulnrstcdmpgbfhv" * 2, "eaiounlrtsdcpmbgvf" * 2, strict=False)),
        "a frequent word repeated": "mutuelle " * 12,
        "usual names, all of them": "msa cpam cnmss enim crpcen camieg mgen lmde sncf ratp banque de france regime local",
        "a usual name + words": "msa ajaccio bastia corse du sud haute corse 2a 2b",
        "digits: code prefix '0'": "0",
        "digits: 3-part code": "99 751 0601",
        "100 times 'e'": "e" * 100,
    }
    for n in range(40):
        queries[f"random #{n}"] = "".join(rng.choice(alphabet) for _ in range(MAX_QUERY_LENGTH))
    from bridge.od.store import load_embedded
    from bridge.od.text import fold

    words = sorted({w for r in load_embedded().rows for w in fold(f"{r.libelle} {r.commune or ''}").split()})
    for n in range(40):  # words and word starts of the table itself: queries that do match
        picked = [rng.choice(words)[: rng.randint(1, 8)] for _ in range(rng.randint(1, 12))]
        queries[f"random words #{n}"] = " ".join(picked)
    return {name: q[:MAX_QUERY_LENGTH] for name, q in queries.items()}


def bench_search(runs: int) -> None:
    from bridge.od.search import MAX_LIMIT
    from bridge.od.store import load_embedded

    print(f"== od.search, in-process, embedded table, limit {MAX_LIMIT} (median of {runs} runs per query)")
    table = load_embedded()
    start = time.perf_counter()
    index = table.search_index()
    print(f"index build (once per table, on the first search)      {(time.perf_counter() - start) * 1e3:7.2f} ms")
    plain = {r.key: r for r in table.rows}
    key = table.rows[len(table.rows) // 2].key
    base = median_ms(lambda: plain.get(key), runs * 20)[0]
    worst = ("", 0.0)
    rows = []
    for name, query in search_queries().items():
        ms = median_ms(lambda q=query: index.search(q, MAX_LIMIT), runs)[0]
        rows.append((name, ms, index.search(query, MAX_LIMIT).total))
        worst = max(worst, (name, ms), key=lambda w: w[1])
    for name, ms, total in rows:
        if not name.startswith("random"):
            print(f"  {name:<40} {ms:7.3f} ms  ({total} matches)")
    for kind, label in (("random #", "random 100-character queries"), ("random words", "random queries of table words")):
        times = sorted(ms for name, ms, _ in rows if name.startswith(kind))
        print(f"  {len(times)} {label:<34} median {statistics.median(times):7.3f} ms, max {times[-1]:7.3f} ms")
    print(f"   worst: {worst[0]} {worst[1]:.3f} ms   | baseline dict.get {base * 1e3:7.3f} µs"
          f"   (target worst <= 2 ms: {'MET' if worst[1] <= 2 else 'MISSED'})")


def resolve(i: int) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": "od.resolve", "id": i,
                       "params": {"regime": "99", "caisse": "751", "centre": "0601"}})


def compare(results: dict[str, Result]) -> None:
    """Print echo, bridge.hello and od.resolve side by side, and the target ratio."""
    base, h, o = results["echo"], results["hello"], results["od"]
    print(row("echo (baseline)", base))
    print(row("bridge.hello", h, base))
    print(row("od.resolve", o, base))
    print(f"   od.resolve / bridge.hello: p50 x{o.p50 / h.p50:4.2f}, throughput x{o.throughput / h.throughput:4.2f}"
          f"  (target p50 <= 1.2x: {'MET' if o.p50 <= 1.2 * h.p50 else 'MISSED'})")


async def _inprocess_websocket(requests: int, rounds: int) -> None:
    from websockets.asyncio.server import serve

    from bridge.app import Bridge
    from bridge.settings import Paths, Settings
    from bridge.transport.websocket import WebSocketServer

    print(f"== WebSocket, client and server in this process ({rounds} interleaved rounds x {requests} "
          "sequential calls)")
    with tempfile.TemporaryDirectory(prefix="vb-bench-od-") as home:
        os.environ["VITALE_BRIDGE_HOME"] = home
        bridge = Bridge(Settings(paths=Paths.resolve(home), port=0, ipv6=False))
        server = WebSocketServer(bridge)
        await bridge.start()
        await server.start()

        async def echo_handler(ws) -> None:
            async for message in ws:
                await ws.send(message)

        echo = await serve(echo_handler, "127.0.0.1", 0, compression=None)
        echo_url = f"ws://127.0.0.1:{echo.sockets[0].getsockname()[1]}/"
        url = f"ws://127.0.0.1:{server.port}/"
        runs = {"echo": (echo_url, resolve, None), "hello": (url, hello, server.token),
                "od": (url, resolve, server.token)}
        rounds_of: dict[str, list[Result]] = {name: [] for name in runs}
        try:
            for _ in range(rounds):  # interleaved, so drift hits all three alike
                for name, (target, make, token) in runs.items():
                    rounds_of[name].append(await drive(target, make, clients=1, requests=requests, token=token))
        finally:
            echo.close()
            await server.stop()
            await bridge.stop()
    compare({name: Result([t for r in rs for t in r.latencies], sum(r.elapsed for r in rs))
             for name, rs in rounds_of.items()})


def bench_separate_process(requests: int) -> None:
    print("== WebSocket, server in its own process (foundation harness)")
    with echo_server() as echo_url, bridge_server() as (url, token):
        for clients in (1, 32):
            n = requests if clients == 1 else max(50, requests // 16)
            print(f"-- {clients} client(s), {n} requests each")
            compare({
                "echo": asyncio.run(drive(echo_url, resolve, clients=clients, requests=n)),
                "hello": asyncio.run(drive(url, hello, clients=clients, requests=n, token=token)),
                "od": asyncio.run(drive(url, resolve, clients=clients, requests=n, token=token)),
            })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000, help="sequential calls per round / per client")
    parser.add_argument("--quick", action="store_true", help="fewer runs (smoke test of the script)")
    parser.add_argument("--only", choices=["load", "inprocess", "search", "websocket"], help="one part only")
    args = parser.parse_args()
    runs = 5 if args.quick else 30
    parts = {
        "load": lambda: bench_load(runs),
        "inprocess": lambda: bench_inprocess(0.3 if args.quick else 1.0),
        "search": lambda: bench_search(runs),
        "websocket": lambda: _websocket(args),
    }
    for name, part in parts.items():
        if args.only in (None, name):
            part()


def _websocket(args: argparse.Namespace) -> None:
    asyncio.run(_inprocess_websocket(args.requests if not args.quick else 200, 3 if args.quick else 5))
    bench_separate_process(args.requests if not args.quick else 200)


if __name__ == "__main__":
    main()
