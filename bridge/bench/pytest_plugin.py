"""pytest fixtures of the virtual PC/SC bench, for this project and for EHR developers' suites.

Registered as a ``pytest11`` entry point, so it loads in every pytest run of an environment
where vitale-bridge is installed: this module imports nothing heavy and does nothing until a
test asks for a fixture.

* ``vitale_bench`` (session): a started :class:`bridge.bench.Bench` with readers "Vitale" and
  "CPS", empty. ``insert(profile, reader=None)``, ``remove(reader=None)``, ``swap(profile,
  reader=None)``, ``clear()``, ``status()``, ``env`` (for subprocesses), ``paths`` (its home).
* ``vitale_readers`` (function): the same bench, emptied after the test, so every test starts
  with empty readers.

When pcscd, the vpcd driver or pyscard is missing, the fixture fails with the exact install
command when the ``CI`` environment variable is set (never a silent skip in CI), and skips with
the same message otherwise.
"""

from __future__ import annotations

import os

import pytest


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def vitale_bench(tmp_path_factory):
    """A running virtual PC/SC bench for the whole session (readers "Vitale" and "CPS")."""
    from bridge.bench.bench import Bench
    from bridge.bench.preflight import BenchUnavailable

    bench = Bench(home=tmp_path_factory.mktemp("vitale-bench-home"))
    try:
        bench.start()  # checks the machine first: the message names every missing piece
    except BenchUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield bench
    finally:
        bench.stop()


@pytest.fixture
def vitale_readers(vitale_bench):
    """The session bench, with every reader emptied after the test."""
    try:
        yield vitale_bench
    finally:
        vitale_bench.clear()


def pytest_configure(config):
    config.addinivalue_line("markers", "bench: needs the virtual PC/SC bench (pcscd + vpcd)")


def pytest_collection_modifyitems(items):
    """Tests that use the bench get the ``bench`` marker (select or skip them with ``-m``)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "vitale_bench" in names or "vitale_readers" in names:
            item.add_marker("bench")
