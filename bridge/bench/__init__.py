"""Virtual PC/SC test bench: a real pcscd with vpcd readers and virtual Vitale and CPS cards.

Public API (see docs/testing.md): :class:`Bench`, :func:`make_card`, :class:`BenchUnavailable`,
and the pytest fixtures of :mod:`bridge.bench.pytest_plugin`. Imports are deferred so that the
pytest plugin (loaded by every pytest run) stays cheap.
"""

from __future__ import annotations

__all__ = ["Bench", "BenchUnavailable", "make_card"]


def __getattr__(name: str):
    if name in ("Bench", "make_card"):
        from bridge.bench import bench

        return getattr(bench, name)
    if name == "BenchUnavailable":
        from bridge.bench.preflight import BenchUnavailable

        return BenchUnavailable
    raise AttributeError(name)
