"""End-to-end latency of ``readVitale`` from a web page, beside the same read sent straight to
the host over the WebSocket (the floor), in one run.

    python benchmarks/bench_e2e.py [--reads 40] [--warmup 5]

Two benches, each with the cards famille + cps3 and ``scope: "auto"``:

- simulator: the host's in-process simulator driver (full read, AMO and OD);
- pcsc:      the virtual PC/SC bench (pcscd + vpcd virtual cards, ``bridge.bench``) and the
             host's pcsc driver: every APDU goes through pcscd, as with a real reader. The
             cards answer in a real card's time (``--timing real``, the default; see
             docs/virtual-cards.md), so the ratio is what a user sees at a reception desk.

Paths measured on each:

- direct:      BridgeClient -> WebSocket -> host (``vitale.read``)                   baseline
- page/ws:     page SDK -> content script -> background -> WebSocket -> the SAME host
- page/native: page SDK -> content script -> background -> native messaging -> host

Each path is measured twice: reading the card (``cache: false``) and a repeat read of the same
card still in its reader (answered from the card session). Page timings are taken inside the page (``performance.now()`` around the SDK promise) on the
demo server's origin, with Debian's Chromium and the built extension. The direct baseline is
measured before and after the browser runs, and the two are pooled. Targets: page path within
1.1x of the direct path with real card timing (pcsc), 1.3x with instant cards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.browser import (
    PROFILES,
    launch_chromium,
    open_with_consent,
    set_extension_settings,
    write_native_host,
)
from tests.helpers.servers import start_server, stop_server

#: ``cache: false``: every read goes to the card (the user's first read of a patient);
#: ``cache: true``: the same card still in its reader is answered from its card session
#: (the EHR opening another form for the same patient).
MODES = {"card": False, "repeat": True}


def read_params(cache: bool) -> dict[str, object]:
    return {"scope": "auto", "resolveOd": True, "cache": cache}


def driver_args(driver: str) -> list[str]:
    if driver == "pcsc":
        return ["--driver", "pcsc"]
    return ["--driver", "simulator", *(a for p in PROFILES for a in ("--profile", p))]


async def direct_reads(home: Path, port: int, warmup: int, reads: int, cache: bool) -> list[float]:
    from bridge.client import BridgeClient
    from bridge.settings import Paths

    async with BridgeClient.connect(port=port, paths=Paths.resolve(home)) as client:
        await client.call("bridge.hello", {"clientName": "bench", "clientVersion": "1"})
        for _ in range(warmup):
            await client.call("vitale.read", read_params(cache))
        times = []
        for _ in range(reads):
            t0 = time.perf_counter()
            result = await client.call("vitale.read", read_params(cache))
            times.append((time.perf_counter() - t0) * 1000)
        assert result["beneficiaries"], "the direct read returned no beneficiary"
        return times


PAGE_LOOP = """async ([warmup, reads, cache]) => {
    const { VitaleBridge } = await import('/sdk/vitale-bridge.js');
    const bridge = await VitaleBridge.connect();
    const opts = { scope: 'auto', resolveOd: true, cache };
    for (let i = 0; i < warmup; i++) await bridge.readVitale(opts);
    const times = [];
    let last;
    for (let i = 0; i < reads; i++) {
        const t0 = performance.now();
        last = await bridge.readVitale(opts);
        times.push(performance.now() - t0);
    }
    bridge.close();
    return { times, transport: bridge.host.transport, beneficiaries: last.beneficiaries.length };
}"""


def page_reads(ws_port: int, home: Path, warmup: int, reads: int, work: Path, driver: str,
               env: dict[str, str]) -> dict[tuple[str, str], list[float]]:
    """The page's reads over native messaging, then over the WebSocket. The native host shares
    the WebSocket host's home, as one user's bridge does: the pairing key the extension gets
    over native messaging is the one the WebSocket host proves (docs/security.md)."""
    from playwright.sync_api import sync_playwright

    from bridge.demo.server import start_demo_server

    subprocess.run([sys.executable, "build.py", "chrome"], cwd=REPO / "extension", check=True, capture_output=True)
    ext = REPO / "extension" / "dist" / "chrome"
    udd = work / "udd"
    write_native_host(udd / "NativeMessagingHosts", home, pcsc_env=env if driver == "pcsc" else None)
    out: dict[tuple[str, str], list[float]] = {}
    with start_demo_server(0) as demo, sync_playwright() as p:
        ctx, ext_id = launch_chromium(p, udd, ext)
        try:
            page = ctx.new_page()
            open_with_consent(ctx, page, demo.url, "always")
            page.wait_for_selector("body[data-ready]")
            for transport in ("native", "websocket"):
                set_extension_settings(ctx, ext_id, port=ws_port, transport=transport)
                for mode, cache in MODES.items():
                    result = page.evaluate(PAGE_LOOP, [warmup, reads, cache])
                    assert result["transport"] == transport, result["transport"]
                    assert result["beneficiaries"] > 0
                    out[(transport, mode)] = result["times"]
        finally:
            ctx.close()
    return out


def describe(times: list[float]) -> str:
    q = statistics.quantiles(times, n=20)
    return f"median {statistics.median(times):7.2f} ms   p95 {q[18]:7.2f} ms   min {min(times):6.2f} ms   (n={len(times)})"


def scenario(label: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    driver = label.split(",")[0]
    with tempfile.TemporaryDirectory(prefix=f"vb-bench-e2e-{driver}-") as tmp:
        work = Path(tmp)
        served = start_server(work / "ws-home", {**os.environ, **env}, *driver_args(driver))
        try:
            direct = {m: asyncio.run(direct_reads(served.home, served.port, args.warmup, args.reads, c))
                      for m, c in MODES.items()}
            page = page_reads(served.port, served.home, args.warmup, args.reads, work, driver, env)
            for m, c in MODES.items():
                direct[m] += asyncio.run(direct_reads(served.home, served.port, args.warmup, args.reads, c))
        finally:
            stop_server(served)
    for mode, title in (("card", "read from the card (cache: false)"), ("repeat", "repeat read, same card (card session)")):
        base = statistics.median(direct[mode])
        print(f"[{label}] readVitale, famille + cps3, scope auto, {title}:")
        print(f"  direct WebSocket (baseline)   {describe(direct[mode])}")
        for name, text in (("websocket", "page SDK -> extension -> WS "), ("native", "page SDK -> extension -> NM ")):
            times = page[(name, mode)]
            print(f"  {text}  {describe(times)}   ratio {statistics.median(times) / base:4.2f}x"
                  f"   (+{statistics.median(times) - base:.2f} ms)")
    first = statistics.median(direct["card"])
    again = statistics.median(direct["repeat"])
    print(f"[{label}] repeat read at the host: {again:.2f} ms beside {first:.2f} ms from the card ({first / again:.0f}x faster)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reads", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--bench", choices=["simulator", "pcsc", "both"], default="both")
    parser.add_argument("--timing", choices=["real", "instant"], default="real",
                        help="pcsc bench: cards answer in a real card's time (default) or at once")
    args = parser.parse_args()
    if args.bench in ("simulator", "both"):
        scenario("simulator", args, {})
    if args.bench in ("pcsc", "both"):
        from bridge.bench import Bench

        with (tempfile.TemporaryDirectory(prefix="vb-bench-pcsc-") as bench_home,
              Bench(home=bench_home, timing=args.timing) as bench):
            bench.insert("famille")
            bench.insert("cps3")
            scenario(f"pcsc, {args.timing} card timing", args, dict(bench.env))
    print("targets: page path within 1.1x of the direct path with real card timing, 1.3x with instant cards")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
