"""The Native Messaging front end (``vitale-bridge native``, or started by the browser).

The browser starts this process when our extension calls ``connectNative`` or
``sendNativeMessage``, and talks to it over stdin/stdout: each message is UTF-8 JSON preceded
by its length as a uint32 in the machine's byte order. The browser has already checked the
caller against the host manifest (``allowed_origins`` / ``allowed_extensions``), so the peer is
authenticated by the manifest, not by a token.

Rules this module keeps, and why:

- **stdout carries frames and nothing else.** One stray ``print`` (ours, a library's, a C
  library's) would desynchronise the browser's reader and kill the port. At start-up the frame
  channel takes a private duplicate of fd 1; fd 1 and ``sys.stdout`` are then pointed at
  stderr, which the browser copies to its own log.
- **Never more than 1 MiB towards the browser.** Chrome and Firefox drop the port on a bigger
  message. A response over the limit is replaced by a ``RESULT_TOO_LARGE`` error for the same
  id; it is never truncated (a truncated JSON document is worse than an error).
- **Bad framing ends the process, cleanly.** A length over the configured maximum, a zero
  length, or a stream that ends inside a frame means the other side is not a browser speaking
  this protocol (or is broken): there is no way to find the next frame, so the host says why on
  stderr and exits with :data:`EXIT_PROTOCOL`. A well-framed message that is not valid UTF-8 or
  JSON is only a bad *message*: it gets a JSON-RPC parse error and the port stays open.
- **stdin closed = the browser is done** (port disconnected, tab gone, browser quitting):
  answers still in flight get a short grace period, then the host stops.
- Requests run concurrently, up to ``Settings.max_in_flight`` per port, like on the WebSocket;
  card event notifications are written on the same port through the session's ``send``.

stdin is read by a small thread with plain blocking reads: that works the same on every OS
(asyncio's pipe support differs between Unix and Windows, and the browser's pipes are not
overlapped on Windows). Frames are written by one daemon writer thread, so a 1 MiB answer never
blocks the event loop, two frames never interleave, and a browser that stops reading cannot
keep the process from exiting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue as queue_mod
import sys
import threading
from typing import TYPE_CHECKING, Any

# The framing itself, sans I/O (also imported from here by tests and tools).
from bridge.transport.framing import FrameDecoder, FramingError, encode_frame

if TYPE_CHECKING:
    from bridge.app import Bridge
    from bridge.settings import Settings

log = logging.getLogger("vitale_bridge.native")

#: Largest message the browsers accept from a native host (Chrome and Firefox: 1 MiB); the
#: same as requests.MAX_REPLY, the bound of every reply (not imported: native start-up time).
MAX_OUTGOING = 1024 * 1024

#: Exit code when the peer broke the framing (too long, zero length, stream cut inside a frame).
EXIT_PROTOCOL = 4

#: Seconds that answers still in flight get once stdin closes (Firefox kills us after 3 s).
DRAIN_SECONDS = 2.0

#: Seconds to wait at exit for frames still being written (a browser that stopped reading).
FLUSH_SECONDS = 2.0

class FrameReader:
    """Reads length-prefixed frames from a file descriptor with blocking ``os.read`` calls,
    framed by a :class:`FrameDecoder` (a pipe may split a frame, or its header, anywhere).

    Each read asks only for the bytes of the frame under way, so a frame refused for its
    length is refused before its body is read, and nothing past the last frame is consumed.
    """

    def __init__(self, fd: int, max_size: int) -> None:
        self.fd = fd
        self.decoder = FrameDecoder(max_size)
        self._ready: list[bytes] = []

    def read_frame(self) -> bytes | None:
        """The next message's bytes, or None when the stream ends cleanly between frames."""
        while not self._ready:
            chunk = os.read(self.fd, min(self.decoder.wanted, 1 << 20))
            if not chunk:
                self.decoder.end()
                return None
            self._ready.extend(self.decoder.feed(chunk))
        return self._ready.pop(0)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# --- the host ----------------------------------------------------------------------------------


_EOF = object()


class NativeHost:
    """One native messaging port: frames in from ``in_fd``, answers and events out to ``out_fd``.

    The file descriptors are parameters so tests can run a host in-process over ``os.pipe()``.
    """

    def __init__(self, bridge: Bridge, in_fd: int, out_fd: int, *, origin: str | None) -> None:
        from bridge.rpc import Peer

        self.bridge = bridge
        self.settings = bridge.settings
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.peer = Peer(transport="native", origin=origin, authenticated_by="native-manifest")
        self.max_outgoing = MAX_OUTGOING
        #: Frames for the writer thread, each with the future to resolve once written.
        self._outbox: queue_mod.SimpleQueue[tuple[bytes, asyncio.Future[None]] | None] = queue_mod.SimpleQueue()
        self._broken = False
        self._queue: asyncio.Queue[Any] | None = None
        #: Frames read but not yet taken by the loop: bounds memory if the peer floods us.
        self._slots = threading.BoundedSemaphore(max(2, self.settings.max_in_flight))

    # --- output ------------------------------------------------------------------------------

    def _write_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The writer thread: frames go out whole and in order; a daemon, so a browser that
        stopped reading can never keep the process alive."""

        def settle(fut: asyncio.Future[None], exc: BaseException | None) -> None:
            if fut.done():
                return
            if exc is None:
                fut.set_result(None)
            else:
                fut.set_exception(exc)

        while (item := self._outbox.get()) is not None:
            data, fut = item
            error: BaseException | None = None
            try:
                write_all(self.out_fd, data)
            except OSError as exc:
                error = exc
            try:
                loop.call_soon_threadsafe(settle, fut, error)
            except RuntimeError:  # the loop is gone
                return

    async def _write(self, payload: bytes) -> None:
        if self._broken:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.put((encode_frame(payload), fut))
        try:
            await fut
        except OSError as exc:  # BrokenPipeError: the browser closed the port
            log.info("the browser closed the port (%s)", type(exc).__name__)
            self._broken = True
            if self._queue is not None:
                self._queue.put_nowait(_EOF)

    async def send_answer(self, text: str) -> None:
        """A reply of the :class:`RequestRunner`, whose every reply is bounded to ``MAX_REPLY``
        (= :data:`MAX_OUTGOING`, tests/native/test_host.py): not measured a second time."""
        await self._write(text.encode("utf-8"))

    async def send_message(self, message: dict[str, Any]) -> None:
        """The session's ``send``: server-to-client notifications (card events)."""
        from bridge.rpc.protocol import encode

        text = encode(message)
        if text is None:  # no valid JSON spelling: not sent (never a broken frame)
            log.warning("dropped a %s notification that cannot be encoded", message.get("method"))
            return
        data = text.encode("utf-8")
        if len(data) > self.max_outgoing:
            log.warning("dropped a %s notification of %d bytes (over the native limit)", message.get("method"), len(data))
            return
        await self._write(data)

    # --- input -------------------------------------------------------------------------------

    def _read_loop(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        reader = FrameReader(self.in_fd, self.settings.max_message_size)
        while True:
            self._slots.acquire()
            try:
                item: Any = reader.read_frame()
            except FramingError as exc:
                item = exc
            except OSError as exc:
                item = FramingError(f"reading stdin failed: {exc.strerror or type(exc).__name__}")
            if item is None:
                item = _EOF
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: we are shutting down
                return
            if item is _EOF or isinstance(item, FramingError):
                return

    # --- the port ------------------------------------------------------------------------------

    async def run(self) -> int:
        """Serve the port until stdin closes; return the process exit code."""
        from bridge.transport.requests import RequestRunner

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queue = queue
        threading.Thread(target=self._read_loop, args=(loop, queue), name="native-reader", daemon=True).start()
        threading.Thread(target=self._write_loop, args=(loop,), name="native-writer", daemon=True).start()
        session = self.bridge.open_session(self.peer, self.send_message)
        log.info("native port opened (%s)", self.peer.origin or "unknown caller")
        runner = RequestRunner(self.bridge, session, self.send_answer, self.settings.max_in_flight)
        exit_code = 0
        try:
            while True:
                item = await queue.get()
                if item is _EOF:
                    break
                self._slots.release()
                if isinstance(item, FramingError):
                    print(f"vitale-bridge native: {item}", file=sys.stderr, flush=True)
                    log.error("native messaging framing error; closing the port")
                    exit_code = EXIT_PROTOCOL
                    break
                await runner.submit(item)
            if not self._broken and exit_code == 0:
                await runner.drain(DRAIN_SECONDS)
        finally:
            await runner.cancel()
            await self.bridge.close_session(session)
            if not self._broken:  # let the frames already queued reach the browser
                flushed: asyncio.Future[None] = loop.create_future()
                self._outbox.put((b"", flushed))
                try:
                    await asyncio.wait_for(flushed, FLUSH_SECONDS)
                except (TimeoutError, OSError):
                    log.warning("the browser is not reading our answers; exiting anyway")
            self._outbox.put(None)
            log.info("native port closed")
        return exit_code


# --- process entry points ------------------------------------------------------------------


def claim_stdout() -> int:
    """Reserve the real stdout for frames; everything else written to fd 1 goes to stderr."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    frames = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if sys.platform == "win32":  # the browsers need binary pipes: no CRLF translation
        import msvcrt

        msvcrt.setmode(0, os.O_BINARY)
        msvcrt.setmode(frames, os.O_BINARY)
    return frames


def caller_origin(argv: list[str]) -> str | None:
    """Who the browser says is calling: Chrome passes the extension origin, Firefox the
    manifest path then the add-on id (whose ``moz-extension://`` origin is random per install)."""
    args = [a for a in argv if not a.startswith("--parent-window=")]
    if args and args[0].startswith("chrome-extension://"):
        return args[0]
    if len(args) >= 2 and args[0].endswith(".json"):
        return args[1]
    return None


def run(settings: Settings, *, origin: str | None) -> int:
    """Run one native messaging port on this process's stdin/stdout."""
    if os.isatty(0):
        print(
            "vitale-bridge native: waiting for native messaging frames on stdin. This command is "
            "started by the browser; to call the bridge by hand, use 'vitale-bridge serve' and "
            "'vitale-bridge rpc'.",
            file=sys.stderr,
            flush=True,
        )
    frames = claim_stdout()
    from bridge.app import Bridge

    bridge = Bridge(settings)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if os.name == "posix" and task is not None:
            import signal

            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, task.cancel)
        async with bridge:
            return await NativeHost(bridge, 0, frames, origin=origin).run()

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 0


def main_from_browser(argv: list[str]) -> int:
    """Entry point when a browser starts us (``argv`` = what the browser passed)."""
    from bridge import logs
    from bridge.settings import Paths, Settings

    paths = Paths.resolve()
    paths.ensure()
    logs.setup(os.environ.get("VITALE_BRIDGE_LOG_LEVEL", "INFO"), paths.log_file)
    return run(Settings(paths=paths), origin=caller_origin(argv))
