"""cps.identity benchmark: cold (first read: module load + C_Initialize + session) and warm,
beside a bare python-pkcs11 certificate read from the same SoftHSM token in the same run.

- baseline cold: ``pkcs11.lib(path)`` (dlopen + C_Initialize), open a read-only session, find
  the certificate objects, read CKA_VALUE, unload;
- baseline warm: the same with the library already loaded;
- cps.identity cold: a new Bridge (simulator driver), one ``cps.identity`` JSON-RPC request
  through ``Bridge.handle`` (dispatch, PKCS#11, parsing with cryptography, the JSON answer),
  then stop (C_Finalize);
- cps.identity warm: further requests on the same bridge.

SoftHSM2 stands in for the card (the Cryptolib CPS reading a real card adds the card's own
time, about a second per session, that no code here can change).

    python benchmarks/bench_cps_identity.py [--cold N] [--warm N]
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

from tests.helpers import certs
from tests.helpers.softhsm import AUTH_LABEL, MODULE, SoftHsm


def bare_read(loaded: bool) -> int:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    lib = pkcs11.lib(MODULE)
    total = 0
    for slot in lib.get_slots(token_present=True):
        token = slot.get_token()
        if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
            continue
        with token.open(rw=False) as session:
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                total += len(obj[Attribute.VALUE])
    if not loaded:
        pkcs11.unload(MODULE)
    return total


REQUEST = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "cps.identity"})


async def bridge_runs(home: Path, cold: int, warm: int) -> tuple[list[float], list[float]]:
    from bridge.app import Bridge
    from bridge.rpc import Peer
    from bridge.settings import Paths, Settings

    colds, warms = [], []
    for i in range(cold):
        bridge = Bridge(Settings(paths=Paths.resolve(home / f"h{i}"), driver="simulator", pkcs11_module=MODULE))
        await bridge.start()
        session = bridge.open_session(Peer(transport="inproc", authenticated_by="local"))
        t = time.perf_counter()
        answer = await bridge.handle(REQUEST, session)
        colds.append(time.perf_counter() - t)
        assert '"nom":"MARTIN"' in answer, answer
        if i == cold - 1:
            for _ in range(warm):
                t = time.perf_counter()
                await bridge.handle(REQUEST, session)
                warms.append(time.perf_counter() - t)
        await bridge.stop()
    return colds, warms


def timed(func, n: int, *args) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        func(*args)
        out.append(time.perf_counter() - t)
    return out


def row(name: str, samples: list[float], base: list[float] | None = None) -> str:
    med = statistics.median(samples) * 1000
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)] * 1000
    ratio = f"{med / (statistics.median(base) * 1000):6.1f}x" if base else "      "
    return f"  {name:<34} median {med:8.3f} ms   p95 {p95:8.3f} ms  {ratio}  (n={len(samples)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", type=int, default=15)
    parser.add_argument("--warm", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cps-") as tmp:
        hsm = SoftHsm.create(Path(tmp) / "softhsm")
        hsm.add_token("CPS BENCH")
        hsm.write_certificate("CPS BENCH", certs.certificate_der(certs.ZOE), AUTH_LABEL)
        os.environ.update(hsm.env)
        assert bare_read(False) > 0  # warm the OS file cache for both sides alike

        base_cold = timed(bare_read, args.cold, False)
        bare_read(True)  # load once
        base_warm = timed(bare_read, args.warm, True)
        import pkcs11

        pkcs11.unload(MODULE)
        colds, warms = asyncio.run(bridge_runs(Path(tmp), args.cold, args.warm))

    print(f"cps.identity vs a bare python-pkcs11 certificate read (SoftHSM2 {MODULE}, one token, 1 certificate)")
    print("cold (module load + C_Initialize + first session):")
    print(row("baseline: python-pkcs11 bare read", base_cold))
    print(row("cps.identity (Bridge.handle)", colds, base_cold))
    print("warm (module loaded):")
    print(row("baseline: python-pkcs11 bare read", base_warm))
    print(row("cps.identity (Bridge.handle)", warms, base_warm))


if __name__ == "__main__":
    main()
