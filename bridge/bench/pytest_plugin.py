"""pytest fixtures of the virtual PC/SC bench, for this project and for EHR developers' suites.

Registered as a ``pytest11`` entry point, so it loads in every pytest run of an environment
where vitale-bridge is installed: this module imports nothing heavy and does nothing until a
test asks for a fixture.

* ``vitale_bench`` (session): a started :class:`bridge.bench.Bench` with readers "Vitale" and
  "CPS", empty. ``insert(profile, reader=None)``, ``remove(reader=None)``, ``swap(profile,
  reader=None)``, ``clear()``, ``status()``, ``env`` (for subprocesses), ``paths`` (its home).
* ``vitale_readers`` (function): the same bench, emptied after the test, so every test starts
  with empty readers.

The cards answer at once by default; ``pytest --vitale-timing real`` makes them answer in a real
card's time (docs/virtual-cards.md), and a test can switch with ``vitale_bench.set_timing``.

When pcscd, the vpcd driver or pyscard is missing, the fixture fails with the exact install
command when the ``CI`` environment variable is set (never a silent skip in CI), and skips with
the same message otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bridge.bench.bench import Bench


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def vitale_bench(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Bench]:
    """A running virtual PC/SC bench for the whole session (readers "Vitale" and "CPS")."""
    from bridge.bench.bench import Bench
    from bridge.bench.preflight import BenchUnavailable

    bench = Bench(home=tmp_path_factory.mktemp("vitale-bench-home"), timing=request.config.getoption("vitale_timing"))
    try:
        bench.start()  # checks the machine first: the message names every missing piece
    except BenchUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield bench
    finally:
        bench.stop()


@pytest.fixture
def vitale_readers(vitale_bench: Bench) -> Iterator[Bench]:
    """The session bench, with every reader emptied (and the session's timing back) after the test."""
    timing = vitale_bench.timing
    try:
        yield vitale_bench
    finally:
        vitale_bench.clear()
        vitale_bench.set_timing(timing)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--vitale-timing",
        dest="vitale_timing",
        choices=("instant", "real"),
        default="instant",
        help="virtual PC/SC bench: cards answer at once (instant, default) or in a real card's time (real)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bench: needs the virtual PC/SC bench (pcscd + vpcd)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the bench get the ``bench`` marker (select or skip them with ``-m``)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "vitale_bench" in names or "vitale_readers" in names:
            item.add_marker("bench")
