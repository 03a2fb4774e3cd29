"""Virtual PC/SC test bench: a real pcscd with vpcd readers and virtual Vitale and CPS cards.

Public API (see docs/testing.md): :class:`Bench`, :func:`make_card`, :class:`BenchUnavailable`,
and the pytest fixtures of :mod:`bridge.bench.pytest_plugin`. Imports are deferred so that the
pytest plugin (loaded by every pytest run) stays cheap.
"""

from __future__ import annotations

__all__ = ["Bench", "BenchUnavailable", "make_card"]


def __getattr__(name: str) -> object:
    if name == "Bench":
        from bridge.bench.bench import Bench

        return Bench
    if name == "make_card":  # the cards live in bridge.virtualcards (the simulator driver uses them too)
        from bridge.virtualcards import make_card

        return make_card
    if name == "BenchUnavailable":
        from bridge.bench.preflight import BenchUnavailable

        return BenchUnavailable
    raise AttributeError(name)
