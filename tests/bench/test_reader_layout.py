"""What readers the bench shows: no phantom slot, a dual-slot reader on demand, and vpcd ports
chosen by the caller and reachable from nowhere else (as root: pcscd's own network namespace)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bridge.bench.vpcd import port_pair_free

ROOT = Path(__file__).resolve().parents[2]


def test_each_reader_shows_one_slot_only(vitale_bench):
    from smartcard.System import readers

    names = sorted(str(r) for r in readers())
    assert [n for n in names if n.startswith(("Vitale ", "CPS "))] == ["CPS 00 00", "Vitale 00 00"]
    assert vitale_bench.daemon.declared_slots == {"Vitale": 1, "CPS": 1}


DUAL = textwrap.dedent(
    """
    import asyncio, json, os, sys, tempfile
    from bridge.bench import Bench
    from bridge.bench.vpcd import port_pair_free

    async def read(home):
        from bridge.app import Bridge
        from bridge.settings import Paths, Settings

        async with Bridge(Settings(paths=Paths.resolve(home), port=0, ipv6=False, driver="pcsc")) as bridge:
            await bridge.cards.wait_for_card("vitale2")
            await bridge.cards.wait_for_card("cps3")
            readers = [r.to_wire() for r in await bridge.cards.readers()]
            vitale = await bridge.cards.read_vitale(None, "clear")
            cps = await bridge.cards.cps_status()
            return readers, vitale.reader, cps.reader

    base = int(sys.argv[1])
    with tempfile.TemporaryDirectory() as home:
        with Bench(home=home, readers=(), dual_readers=("Lecteur",), base_port=base, control=False) as bench:
            # The CPS in slot 0, the carte Vitale in slot 1: cards are told apart by ATR, not slot.
            bench.insert("cps3", "Lecteur 00 00")
            bench.insert("famille", "Lecteur 00 01")
            readers, vitale_reader, cps_reader = asyncio.run(read(home))
            print(json.dumps({
                "readers": readers, "vitale": vitale_reader, "cps": cps_reader,
                "ports": bench.daemon.ports, "private_network": bench.daemon.private_network,
                "free_here": port_pair_free(base),
            }))
    """
)


def test_a_dual_slot_reader_and_its_ports(vitale_bench):
    # vitale_bench: skip (or fail in CI) with the install command when the bench cannot run.
    # A second bench needs its own process: libpcsclite follows one pcscd socket per process.
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    base = 45000
    proc = subprocess.run([sys.executable, "-c", DUAL, str(base)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    names = [r["name"] for r in out["readers"]]
    assert names == ["Lecteur 00 00", "Lecteur 00 01"]
    assert [r["cardType"] for r in out["readers"]] == ["cps3", "vitale2"]
    assert (out["vitale"], out["cps"]) == ("Lecteur 00 01", "Lecteur 00 00")
    assert out["ports"] == {"Lecteur": base}
    if out["private_network"]:
        # vpcd listened on 45000-45001 in pcscd's namespace only: free in the bench's own.
        assert out["free_here"] is True


@pytest.mark.skipif(os.geteuid() != 0, reason="pcscd's own network namespace needs root")
def test_vpcd_ports_are_not_open_to_this_network(vitale_bench):
    for port in vitale_bench.daemon.ports.values():
        assert port_pair_free(port), f"vpcd port {port} is reachable outside the bench"
        assert not port_pair_free(port, vitale_bench.daemon.netns), "vpcd does listen, in pcscd's namespace"
