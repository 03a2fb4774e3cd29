"""A CLI command whose stdout is a pipe nobody reads (tests/cli)."""

from __future__ import annotations

import os
import subprocess
import sys


def into_closed_pipe(home, *args: str) -> subprocess.CompletedProcess:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        return subprocess.run([sys.executable, "-m", "bridge", "--home", str(home), *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
