"""A tiny loopback-only static server for the demo EHR page and the page SDK.

The page must be served over http://localhost or 127.0.0.1 (or https) for the extension's
content script to answer it: browsers treat those as secure contexts. Only GET/HEAD of the
files under ``static/`` and of the SDK (``/sdk/vitale-bridge.js``, ``/sdk/protocol.js``,
``/sdk/vitale-bridge.d.ts``) are served; nothing else, and never on a non-loopback address.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

STATIC_DIR = Path(__file__).with_name("static")
#: The SDK as the repository holds it; a packaged build may ship a copy beside the page.
SDK_DIRS = (Path(__file__).resolve().parents[2] / "extension" / "sdk", STATIC_DIR / "sdk")
SDK_FILES = ("vitale-bridge.js", "protocol.js", "vitale-bridge.d.ts")
LOOPBACK = ("127.0.0.1", "localhost", "::1")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".ts": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
}


def sdk_dir() -> Path:
    for d in SDK_DIRS:
        if (d / "vitale-bridge.js").is_file():
            return d
    raise FileNotFoundError(
        "The page SDK (vitale-bridge.js) was not found beside the demo or in extension/sdk/."
    )


class _Handler(SimpleHTTPRequestHandler):
    """Static files only, with a strict CSP; quiet (no request lines on stderr)."""

    sdk: Path = STATIC_DIR

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean in ("", "/"):
            return str(STATIC_DIR / "index.html")
        if clean.startswith("/sdk/") and clean[len("/sdk/"):] in SDK_FILES:
            return str(self.sdk / clean[len("/sdk/"):])
        name = clean.lstrip("/")
        if "/" in name or name.startswith(".") or not (STATIC_DIR / name).is_file():
            return str(STATIC_DIR / "__missing__")
        return str(STATIC_DIR / name)

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return CONTENT_TYPES.get(Path(str(path)).suffix, "application/octet-stream")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'none'; frame-ancestors 'none'",
        )
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def log_message(self, format: str, *args: object) -> None:
        pass


class DemoServer:
    """The demo page served from a background thread; ``url`` is where to open it."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the demo server listens on the loopback interface only, not {host!r}")
        handler = type("DemoHandler", (_Handler,), {"sdk": sdk_dir()})
        self.httpd = ThreadingHTTPServer((host, port), partial(handler, directory=str(STATIC_DIR)))
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> Self:
        """Serve from one background thread; a started server is left as it is, so
        ``with start_demo_server(0) as demo:`` does not run a second serving loop."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.httpd.serve_forever, name="vitale-bridge-demo", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_demo_server(port: int = 0, host: str = "127.0.0.1") -> DemoServer:
    """Serve the demo in a background thread (port 0 = any free port) and return the server."""
    return DemoServer(port, host).start()
