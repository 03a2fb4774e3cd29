"""Native messaging framing, without I/O: a uint32 length in the machine's byte order, then
that many bytes of UTF-8 JSON (see docs/native-messaging.md).

Kept apart from the host (:mod:`bridge.transport.native`) so that the decoder is fuzzed
directly, fed any bytes in any pieces, with no pipe or thread in the way.
"""

from __future__ import annotations

import struct

_HEADER = struct.Struct("=I")  # native byte order, standard size: what the browsers write


class FramingError(Exception):
    """The byte stream on stdin is not native messaging framing: stop reading."""


def encode_frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


def _looks_like_text(header: bytes) -> bool:
    return all(32 <= b < 127 or b in (9, 10, 13) for b in header)


class FrameDecoder:
    """Native messaging framing without I/O: bytes in (:meth:`feed`, any split), whole
    message payloads out, :class:`FramingError` as soon as the stream cannot be framed.

    A length over *max_size* or of zero is refused when its header is complete, before any of
    the body is awaited; :meth:`end` says whether the stream may stop where it is.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        self._length: int | None = None  # of the frame whose header was read
        self._error: FramingError | None = None  # found after frames that feed() returned

    def feed(self, data: bytes) -> list[bytes]:
        """Take the next bytes of the stream; return the payloads they complete, in order."""
        if self._error is not None:
            raise self._error
        self._buffer += data
        frames: list[bytes] = []
        while True:
            if self._length is None:
                if len(self._buffer) < _HEADER.size:
                    return frames
                header = bytes(self._buffer[: _HEADER.size])
                try:
                    length = self._check(header)
                except FramingError as exc:
                    if not frames:
                        raise
                    self._error = exc  # the frames before it are delivered first
                    return frames
                del self._buffer[: _HEADER.size]
                self._length = length
            if len(self._buffer) < self._length:
                return frames
            frames.append(bytes(self._buffer[: self._length]))
            del self._buffer[: self._length]
            self._length = None

    def end(self) -> None:
        """The stream ended: fine between frames, a :class:`FramingError` inside one."""
        if self._error is not None:
            raise self._error
        if self._length is not None:
            raise FramingError(
                f"stdin ended inside a message ({len(self._buffer)} of {self._length} bytes): "
                "the browser side closed mid-message."
            )
        if self._buffer:
            raise FramingError(
                f"stdin ended inside a message header ({len(self._buffer)} of 4 bytes): "
                "the browser side closed mid-message."
            )

    @property
    def wanted(self) -> int:
        """How many more bytes complete the frame (or header) under way."""
        if self._length is None:
            return _HEADER.size - len(self._buffer)
        return self._length - len(self._buffer)

    def _check(self, header: bytes) -> int:
        (length,) = _HEADER.unpack(header)
        if length == 0:
            raise FramingError("a message announced a length of 0: native messaging never sends empty messages.")
        if length > self.max_size:
            hint = (
                " The input looks like text: 'vitale-bridge native' is started by the browser and "
                "speaks its framing (uint32 length + JSON), not a terminal."
                if _looks_like_text(header)
                else ""
            )
            raise FramingError(
                f"a message announced {length} bytes, more than the limit of {self.max_size} "
                f"(--max-message-size).{hint}"
            )
        return int(length)
