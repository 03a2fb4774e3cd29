"""Logging setup. Privacy rule: no NIR, name, birth date, address or PIN is ever passed to a
logger at any level by this package; logs name methods, error codes, readers and card types.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
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
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        if os.name == "posix":
            os.chmod(log_file, 0o600)
    # websockets logs handshake failures with request details at INFO: keep it quieter.
    logging.getLogger("websockets").setLevel(logging.WARNING)
