"""Coverage-guided fuzz targets (atheris). Run one: ``python atheris_targets.py NAME -runs=N``.

Each target feeds arbitrary bytes to a parser that faces untrusted input and fails only on an
exception that is not the parser's documented error (a crash, in fuzzing terms).
"""

from __future__ import annotations

import asyncio
import sys

import atheris

with atheris.instrument_imports():
    from bridge.app import Bridge
    from bridge.rpc import Peer
    from bridge.settings import Paths, Settings

TARGETS = {}


def target(fn):
    TARGETS[fn.__name__] = fn
    return fn


@target
def rpc(data: bytes) -> None:
    """The JSON-RPC core on raw bytes: always a spec-valid response or None."""
    response = LOOP.run_until_complete(BRIDGE.dispatcher.dispatch(data, SESSION))
    if response is None:
        return
    for item in response if isinstance(response, list) else [response]:
        assert item["jsonrpc"] == "2.0" and ("result" in item) != ("error" in item)
        if "error" in item:
            assert item["error"]["code"] != -32603, "internal error on fuzzed input"


if __name__ == "__main__":
    import tempfile

    LOOP = asyncio.new_event_loop()
    BRIDGE = Bridge(Settings(paths=Paths.resolve(tempfile.mkdtemp(prefix="vb-fuzz-"))))
    SESSION = BRIDGE.open_session(Peer("inproc"))
    name = sys.argv.pop(1)
    atheris.Setup(sys.argv, TARGETS[name])
    atheris.Fuzz()
