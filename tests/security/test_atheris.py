"""Run each atheris target for a bounded number of inputs (more with --soak)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris is installed by installer/setup.sh --test on Linux")

HERE = Path(__file__).parent


@pytest.mark.parametrize("name", ["rpc", "native_frames", "tod", "ber_tlv", "card_answers"])
def test_fuzz_target(name, request):
    runs = 200_000 if request.config.getoption("--soak", default=False) else 4000
    proc = subprocess.run(
        [sys.executable, str(HERE / "atheris_targets.py"), name, f"-runs={runs}", "-max_len=512", "-rss_limit_mb=1024"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=HERE.parent.parent,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done" in proc.stderr
