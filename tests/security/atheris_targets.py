"""Coverage-guided fuzz targets (atheris). Run one: ``python atheris_targets.py NAME -runs=N``.

Each target feeds arbitrary bytes to a parser that faces untrusted input and fails only on an
exception that is not the parser's documented error (a crash, in fuzzing terms).
"""

from __future__ import annotations

import asyncio
import json
import sys

import atheris

with atheris.instrument_imports():
    from contextlib import contextmanager

    from bridge.app import Bridge
    from bridge.cards import tlv
    from bridge.cards.apdu import StatusWordError, raise_for_status
    from bridge.cards.cps import CpsSession
    from bridge.cards.vitale import VitaleSession
    from bridge.errors import BridgeError, OdTableInvalidError
    from bridge.od.official import parse_official
    from bridge.rpc import Peer
    from bridge.rpc.protocol import encode_response
    from bridge.settings import Paths, Settings
    from bridge.transport.framing import FrameDecoder, FramingError

TARGETS = {}


def _no_constant(name: str) -> None:
    raise AssertionError(f"{name} in a reply: not JSON")


def target(fn):
    TARGETS[fn.__name__] = fn
    return fn


@target
def rpc(data: bytes) -> None:
    """The JSON-RPC core on raw bytes: always a spec-valid response or None."""
    response = LOOP.run_until_complete(BRIDGE.dispatcher.dispatch(data, SESSION))
    if response is None:
        return
    json.loads(encode_response(response).encode("utf-8"), parse_constant=_no_constant)  # strict JSON
    for item in response if isinstance(response, list) else [response]:
        assert item["jsonrpc"] == "2.0" and ("result" in item) != ("error" in item)
        if "error" in item:
            assert item["error"]["code"] != -32603, "internal error on fuzzed input"


@target
def native_frames(data: bytes) -> None:
    """Native messaging framing on any byte stream, fed to the sans-I/O decoder in pieces
    whose sizes the first byte chooses: frames, then a clean end or FramingError."""
    step = (data[0] if data else 0) + 1
    stream = data[1:]
    decoder = FrameDecoder(4096)
    try:
        for i in range(0, len(stream), step):
            for frame in decoder.feed(stream[i : i + step]):
                assert 0 < len(frame) <= 4096
        decoder.end()
    except FramingError:
        pass


@target
def tod(data: bytes) -> None:
    """The official TOD loader: a checked table or OdTableInvalidError."""
    try:
        parse_official(data, "fuzz.csv")
    except OdTableInvalidError:
        pass


@target
def ber_tlv(data: bytes) -> None:
    """BER-TLV: objects whose values lie inside the data, or the card error for malformed TLV."""
    try:
        items = tlv.parse(data)
        for item in tlv.walk(items):
            if item.constructed:
                item.children()
    except BridgeError as exc:
        assert exc.code == "CARD_COMMUNICATION"


class _Card:
    """A card whose every answer (data and status word) comes from the fuzzer's bytes."""

    reader = "Fuzz Reader"

    def __init__(self, atr: bytes, fdp) -> None:
        self.atr, self.fdp, self.count = atr, fdp, 0

    def transmit(self, apdu: bytes):
        self.count += 1
        assert self.count <= 200, "the reader keeps sending APDUs to a lying card"
        body = self.fdp.ConsumeBytes(self.fdp.ConsumeIntInRange(0, 300))
        return body, self.fdp.ConsumeIntInRange(0, 0xFFFF)

    @contextmanager
    def transaction(self):
        yield

    def close(self) -> None:
        pass


@target
def card_answers(data: bytes) -> None:
    """Vitale and CPS reads against a card answering fuzzed bytes and status words: a result
    or a typed BridgeError, within a bounded number of APDUs."""
    fdp = atheris.FuzzedDataProvider(data)
    sw = fdp.ConsumeIntInRange(0, 0xFFFF)
    try:
        raise_for_status(sw, 0xB0)
    except StatusWordError as exc:
        assert exc.to_bridge_error().code == "CARD_COMMUNICATION"
    if fdp.ConsumeBool():
        try:
            read = VitaleSession(_Card(bytes.fromhex("3B751300004509EA9000"), fdp), timeout=5).read_clear()
            assert read.beneficiaries
        except BridgeError:
            pass
    else:
        try:
            CpsSession(_Card(bytes.fromhex("3BAC00402A001225006480000310009000"), fdp), timeout=5).read()
        except BridgeError:
            pass


if __name__ == "__main__":
    import tempfile

    LOOP = asyncio.new_event_loop()
    BRIDGE = Bridge(Settings(paths=Paths.resolve(tempfile.mkdtemp(prefix="vb-fuzz-"))))
    SESSION = BRIDGE.open_session(Peer("inproc"))
    name = sys.argv.pop(1)
    atheris.Setup(sys.argv, TARGETS[name])
    atheris.Fuzz()
