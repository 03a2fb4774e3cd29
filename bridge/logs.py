"""Logging setup. Privacy rule: no NIR, name, birth date, address or PIN is ever passed to a
logger at any level by this package; logs name methods, error codes, readers and card types.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import time
from collections.abc import Callable
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(level: str = "INFO", log_file: Path | None = None) -> None:
    root = logging.getLogger("vitale_bridge")
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    root.propagate = False
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    stderr = logging.StreamHandler()
    stderr.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = PrivateRotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    # websockets logs handshake failures with request details at INFO: keep it quieter.
    logging.getLogger("websockets").setLevel(logging.WARNING)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, rotated ones included, is user-only (0600).

    The stock handler opens each new file with the process umask (0644 usually); rotation only
    renames, so creating every file 0600 keeps the whole series private. Files left 0644 by an
    older version are tightened when the handler starts.
    """

    def __init__(self, filename: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        super().__init__(filename, *args, **kwargs)  # type: ignore[arg-type]
        if os.name == "posix":
            for i in range(self.backupCount + 1):
                path = self.baseFilename + (f".{i}" if i else "")
                try:
                    os.chmod(path, 0o600)
                except FileNotFoundError:
                    pass

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


class Aggregated:
    """A warning that a client can trigger at will (a refused handshake, a dropped
    notification): written at most once per *window* seconds, the next line saying how many
    were left out ("... 11,998 more in the last minute"), so a flood cannot push the log's
    history out of its rotated files."""

    def __init__(
        self, logger: logging.Logger, what: str, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self.what = what
        self.window = window
        self.clock = clock
        self._last: float | None = None
        self._left_out = 0

    def warning(self, message: str, *args: object) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < self.window:
            self._left_out += 1
            return
        if self._left_out and self._last is not None:
            minutes = (now - self._last) / 60
            span = "minute" if minutes < 2 else f"{minutes:.0f} minutes"
            message += f" ({self._left_out:,} more {self.what} in the last {span})"
        self.logger.warning(message, *args)
        self._last = now
        self._left_out = 0
