"""Malformed input at the three edges that parse foreign bytes, fuzzed with hypothesis.

* TOD files (``bridge.od.official.parse_official``): arbitrary bytes, and valid files cut,
  re-encoded, with columns dropped or added, in damaged ZIP archives -> a table or
  ``OdTableInvalidError``, nothing else. (Row-level cases are in tests/od/test_od_official.py.)
* native messaging frames (``bridge.transport.native.FrameReader``): any byte stream, split
  anywhere -> exactly the frames a reference decoder finds, then ``None`` or ``FramingError``;
  an announced length over the limit is refused before any of its bytes is awaited.
  (The real host process over pipes: tests/native/test_framing.py.)
* card answers (``VitaleSession``, ``CpsSession``, ``ApduProcessor``) through a scripted
  connection whose every answer is drawn by hypothesis: lying TLV lengths, random status
  words, endless 61xx/6Cxx -> a result or a ``BridgeError``, within a bounded number of APDUs.
  (Exact-APDU scripts: tests/cards/test_vitale_session.py, test_apdu.py, test_tlv.py.)

The coverage-guided versions of the same targets are in ``atheris_targets.py``.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.errors import BridgeError, OdTableInvalidError

FIXTURES = Path(__file__).resolve().parents[1] / "od" / "fixtures"
VALID = sorted(p.read_bytes() for p in FIXTURES.glob("*.csv"))
FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))


# --- TOD files --------------------------------------------------------------------------------


def parse_tod(data: bytes):
    from bridge.od.official import parse_official

    try:
        return parse_official(data, "fuzz.csv")
    except OdTableInvalidError as exc:
        assert str(exc)  # says what is wrong
        return None


@FUZZ
@given(st.binary(max_size=2000))
def test_tod_arbitrary_bytes(data):
    parse_tod(data)


@st.composite
def damaged_tod(draw):
    data = draw(st.sampled_from(VALID))
    how = draw(st.sampled_from(["cut", "flip", "utf16", "drop-column", "extra-column", "lines", "cp1252"]))
    if how == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if how == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 20))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return bytes(out)
    if how == "utf16":
        return data.decode("latin-1").encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32"])))
    lines = data.split(b"\n")
    if how == "drop-column":
        i = draw(st.integers(0, 5))
        return b"\n".join(b";".join(f for j, f in enumerate(line.split(b";")) if j != i) for line in lines)
    if how == "extra-column":
        extra = draw(st.binary(max_size=10).filter(lambda b: b"\n" not in b))
        return b"\n".join(line + b";" + extra for line in lines)
    if how == "cp1252":
        return data + "\r\n€;’;–;\u0081".encode("utf-8", errors="replace")
    picked = draw(st.lists(st.integers(0, len(lines) - 1), max_size=len(lines)))
    return b"\n".join(lines[i] for i in picked)


@FUZZ
@given(damaged_tod())
def test_tod_damaged_official_files(data):
    parse_tod(data)


def _zip(content: bytes, name="tod.csv", method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr(name, content)
    return buf.getvalue()


@FUZZ
@given(st.sampled_from(VALID), st.data())
def test_tod_damaged_zip_archives(csv, data):
    """Flipped bytes anywhere in a ZIP (headers, deflate stream, CRC) are an OdTableInvalidError."""
    raw = bytearray(_zip(csv, method=data.draw(st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))))
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(4, len(raw) - 1))] = data.draw(st.integers(0, 255))
    parse_tod(bytes(raw))


def test_tod_encrypted_or_unknown_method_zip_is_a_table_error():
    """zipfile raises RuntimeError for an encrypted member and NotImplementedError for an
    unknown compression method: both must come out as OdTableInvalidError."""
    raw = bytearray(_zip(VALID[0]))
    # General purpose flag bit 0 = encrypted, in the local header (offset 6) and the central
    # directory entry (offset 8 from its signature).
    raw[6] |= 1
    cd = raw.find(b"PK\x01\x02")
    raw[cd + 8] |= 1
    with pytest.raises(OdTableInvalidError):
        from bridge.od.official import parse_official

        parse_official(bytes(raw), "enc.zip")
    raw = bytearray(_zip(VALID[0]))
    raw[8] = 99  # compression method 99 (AES): not supported by zipfile
    raw[cd + 10] = 99
    with pytest.raises(OdTableInvalidError):
        from bridge.od.official import parse_official

        parse_official(bytes(raw), "aes.zip")


def test_tod_zip_bomb_is_refused_without_inflating_it():
    from bridge.od.official import MAX_FILE_BYTES, parse_official

    bomb = _zip(b"1;1;1;x;1;1\n" * ((MAX_FILE_BYTES // 12) + 1000))
    assert len(bomb) < MAX_FILE_BYTES // 100
    with pytest.raises(OdTableInvalidError, match="too large"):
        parse_official(bomb, "bomb.zip")


# --- native messaging frames ------------------------------------------------------------------


def reference_frames(stream: bytes, max_size: int) -> tuple[list[bytes], str]:
    """What a correct decoder finds: the frames, then 'eof' or 'error'."""
    out, pos = [], 0
    while True:
        if pos == len(stream):
            return out, "eof"
        if len(stream) - pos < 4:
            return out, "error"
        (n,) = struct.unpack("=I", stream[pos : pos + 4])
        if n == 0 or n > max_size or len(stream) - pos - 4 < n:
            return out, "error"
        out.append(stream[pos + 4 : pos + 4 + n])
        pos += 4 + n


@contextmanager
def pipe_feeding(chunks: list[bytes]):
    r, w = os.pipe()

    def feed():
        try:
            for c in chunks:
                os.write(w, c)
        finally:
            os.close(w)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    try:
        yield r
    finally:
        t.join(5)
        os.close(r)


@st.composite
def frame_streams(draw):
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        payload = draw(st.binary(min_size=0, max_size=80))
        kind = draw(st.sampled_from(["good"] * 6 + ["lie-short", "lie-long", "huge", "zero", "raw"]))
        n = len(payload)
        if kind == "lie-short":
            n = max(0, n - draw(st.integers(1, 5)))
        elif kind == "lie-long":
            n += draw(st.integers(1, 50))
        elif kind == "huge":
            n = draw(st.sampled_from([2**31, 2**32 - 1, 64 * 1024 + 1]))
        elif kind == "zero":
            n = 0
        parts.append(payload if kind == "raw" else struct.pack("=I", n) + payload)
    stream = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=False) if b > a]
    return stream, chunks


def assert_frames_like_the_reference(sample, read_all) -> None:
    """``read_all(chunks, limit, got)`` appends the frames it reads to *got* and returns at a
    clean end or raises FramingError: it must agree with the reference decoder."""
    from bridge.transport.native import FramingError

    stream, chunks = sample
    limit = 64 * 1024
    expected, end = reference_frames(stream, limit)
    got: list[bytes] = []
    try:
        read_all(chunks, limit, got)
        outcome = "eof"
    except FramingError as exc:
        outcome = "error"
        assert str(exc)
    assert got == expected
    assert outcome == end


@FUZZ
@given(frame_streams())
def test_native_frames_split_anywhere(sample):
    from bridge.transport.native import FrameReader

    def read_all(chunks, limit, got):
        with pipe_feeding(chunks) as fd:
            reader = FrameReader(fd, limit)
            while (frame := reader.read_frame()) is not None:
                got.append(frame)

    assert_frames_like_the_reference(sample, read_all)


@FUZZ
@given(frame_streams())
def test_native_frame_decoder_fed_anywhere(sample):
    """The sans-I/O decoder itself, without a pipe: fed the same streams in the same pieces,
    it yields the reference's frames and fails where the reference does (issue 13 §4)."""
    from bridge.transport.framing import FrameDecoder

    def read_all(chunks, limit, got):
        decoder = FrameDecoder(limit)
        for chunk in chunks:
            got.extend(decoder.feed(chunk))
        decoder.end()

    assert_frames_like_the_reference(sample, read_all)


def test_native_huge_length_is_refused_before_reading_the_body():
    """4 GiB announced, and the writer keeps the pipe open without sending more: the reader
    refuses at once (no wait for the body, no allocation of its size)."""
    from bridge.transport.native import FrameReader, FramingError

    r, w = os.pipe()
    try:
        os.write(w, struct.pack("=I", 2**32 - 1))
        with pytest.raises(FramingError, match="limit"):
            FrameReader(r, 64 * 1024).read_frame()
    finally:
        os.close(r)
        os.close(w)


# --- card answers ---------------------------------------------------------------------------------

VITALE_ATR = bytes.fromhex("3B751300004509EA9000")
CPS_ATR = bytes.fromhex("3BAC00402A001225006480000310009000")
MAX_APDUS = 200


class FuzzedConnection:
    """Answers every APDU with whatever hypothesis draws; records how many it was sent."""

    def __init__(self, atr: bytes, answer) -> None:
        self.atr, self.reader, self._answer, self.count = atr, "Fuzz Reader", answer, 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.count += 1
        assert self.count <= MAX_APDUS, "the reader keeps sending APDUs to a lying card"
        return self._answer(apdu)

    @contextmanager
    def transaction(self):
        yield

    def close(self) -> None:
        pass


SW = st.one_of(
    st.sampled_from([0x9000, 0x6282, 0x6982, 0x6A82, 0x6B00, 0x6D00, 0x6E00, 0x6700, 0x6F00, 0x6400]),
    st.integers(0x6100, 0x61FF),
    st.integers(0x6C00, 0x6CFF),
    st.integers(0, 0xFFFF),
)


@st.composite
def tlv_ish(draw):
    """Bytes that look like the card's BER-TLV: right tags, lengths that may lie."""
    items = []
    for _ in range(draw(st.integers(0, 4))):
        tag = draw(st.sampled_from([b"\x65", b"\x66", b"\x80", b"\x81", b"\x82", b"\x93", b"\x5a", b"\x7f\x21", b"\xbf\x81\x01", b"\x1f"]))
        value = draw(st.binary(max_size=40))
        length = draw(st.one_of(st.just(len(value)), st.integers(0, 300)))
        enc = bytes([length]) if length < 0x80 else draw(st.sampled_from([bytes([0x81, length & 0xFF]), b"\x82" + length.to_bytes(2, "big"), b"\x80", b"\x84\xff\xff\xff\xff"]))
        items.append(tag + enc + value + draw(st.sampled_from([b"", b"\x00", b"\xff" * 3])))
    return b"".join(items)


def answers(data):
    def answer(apdu: bytes) -> tuple[bytes, int]:
        body = data.draw(st.one_of(tlv_ish(), st.binary(max_size=300)), label=f"data for {apdu.hex()}")
        return body, data.draw(SW, label="sw")

    return answer


@FUZZ
@given(st.data())
def test_vitale_read_on_a_lying_card(data):
    from bridge.cards.vitale import VitaleSession

    conn = FuzzedConnection(VITALE_ATR, answers(data))
    try:
        result = VitaleSession(conn, timeout=5).read_clear()
    except BridgeError as exc:
        assert exc.code  # a typed, public error
        return
    assert result.beneficiaries, "a result without any bénéficiaire is a half result"


@FUZZ
@given(st.data())
def test_cps_status_on_a_lying_card(data):
    from bridge.cards.cps import CpsSession

    conn = FuzzedConnection(CPS_ATR, answers(data))
    try:
        info = CpsSession(conn, timeout=5).read()
    except BridgeError as exc:
        assert exc.code
        return
    assert info.card_number is None or isinstance(info.card_number, str)


@FUZZ
@given(st.integers(0, 0xFFFF), st.integers(0, 255))
def test_every_status_word_is_passed_or_typed(sw, ins):
    from bridge.cards.apdu import StatusWordError, raise_for_status

    try:
        raise_for_status(sw, ins)
    except StatusWordError as exc:
        assert exc.sw == sw
        public = exc.to_bridge_error()
        assert public.code == "CARD_COMMUNICATION" and isinstance(public, BridgeError)
    else:
        assert sw == 0x9000 or sw >> 8 == 0x62


def test_a_card_that_answers_61xx_forever_is_cut_off():
    from bridge.cards.apdu import ApduProcessor, StatusWordError

    conn = FuzzedConnection(VITALE_ATR, lambda apdu: (b"\x00", 0x6110))
    # The processor's own error is internal to the card layer (the sessions turn it into
    # CARD_COMMUNICATION, see test_vitale_read_on_a_lying_card): what matters here is that it stops.
    with pytest.raises(StatusWordError):
        ApduProcessor(conn, timeout=5).send(bytes.fromhex("00B0000000"))
    assert conn.count < MAX_APDUS
