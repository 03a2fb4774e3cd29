"""Fixtures of the install tests: the Debian package, built once per session.

Tests that build or install the package carry the ``package`` marker (select them with
``-m package``, leave them out with ``-m 'not package'``): building takes about a minute, and
installing touches the real system (/usr, /etc), which only a root CI machine may do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "package: builds (and, as root, installs) the Debian package; slow")


@pytest.fixture
def env(tmp_path, home) -> dict[str, str]:
    """The environment of a ``vitale-bridge`` subprocess kept off the machine's own state: a
    temporary HOME (the browsers' user folders), bridge home, system configuration file (absent
    until a test writes it) and PC/SC socket (no daemon there)."""
    user_home = tmp_path / "user"
    user_home.mkdir()
    return {**os.environ, "HOME": str(user_home), "VITALE_BRIDGE_HOME": str(home),
            "XDG_CONFIG_HOME": "", "XDG_DATA_HOME": "",
            "VITALE_BRIDGE_SYSTEM_CONFIG": str(tmp_path / "system.json"),
            "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def deb() -> Path:
    """``bash installer/package.sh deb``, once: the path of the built .deb."""
    if not shutil.which("dpkg-deb"):
        _unavailable("dpkg-deb is missing: the Debian package is built on Debian or Ubuntu only")
    if os.geteuid() != 0 and not shutil.which("lintian"):
        pytest.skip("package.sh installs its build needs with apt: run as root (or install lintian, dpkg-dev, chrpath)")
    proc = subprocess.run(["bash", "installer/package.sh", "deb"], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr[-4000:]
    path = ROOT / proc.stdout.strip().splitlines()[-1]
    assert path.is_file(), proc.stdout
    return path
