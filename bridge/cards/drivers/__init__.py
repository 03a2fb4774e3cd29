"""Card drivers: ``pcsc`` (real readers through pyscard) and ``simulator`` (in-process).

Both implement :class:`bridge.cards.connection.Driver`. :func:`create` picks one from the
settings; importing this package never imports pyscard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.cards.connection import Driver

NAMES = ("pcsc", "simulator")


def create(name: str, profiles: list[str] | tuple[str, ...] = ()) -> Driver:
    if name == "pcsc":
        from bridge.cards.drivers.pcsc import PcscDriver

        return PcscDriver()
    if name == "simulator":
        from bridge.cards.drivers.simulator import SimulatorDriver

        return SimulatorDriver(profiles)
    raise ValueError(f"unknown card driver {name!r}; choose one of: {', '.join(NAMES)}")
