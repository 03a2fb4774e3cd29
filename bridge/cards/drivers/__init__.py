"""Card drivers: found through the ``vitale_bridge.drivers`` entry point group.

Ours are ``pcsc`` (real readers through pyscard) and ``simulator`` (in-process virtual cards);
another package adds its own by declaring, in its ``pyproject.toml``::

    [project.entry-points."vitale_bridge.drivers"]
    mydriver = "my_package.driver:create"

where ``create(config: DriverConfig) -> Driver``. The contract a driver keeps is in
``docs/drivers.md``; :mod:`bridge.cards.conformance` tests it. Importing this package never
imports pyscard (entry points are loaded only when their driver is chosen).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from bridge.errors import SetupError

if TYPE_CHECKING:
    from bridge.cards.connection import Driver

GROUP = "vitale_bridge.drivers"
#: The drivers this package ships (also declared as entry points in our pyproject.toml).
NAMES = ("pcsc", "simulator")


@dataclass(frozen=True)
class DriverConfig:
    """What the bridge tells a driver factory."""

    #: Card profiles to insert at start (the simulator's; other drivers may ignore them).
    profiles: tuple[str, ...] = ()


def pcsc(config: DriverConfig) -> Driver:
    from bridge.cards.drivers.pcsc import PcscDriver

    return PcscDriver()


def simulator(config: DriverConfig) -> Driver:
    from bridge.cards.drivers.simulator import SimulatorDriver

    return SimulatorDriver(list(config.profiles))


_BUILT_IN = {"pcsc": pcsc, "simulator": simulator}


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    """Read once per process (a few ms: every installed package's metadata is looked at)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available() -> list[str]:
    """Every driver name this installation offers: ours, then the installed packages'."""
    return [*NAMES, *sorted(set(_entry_points()) - set(NAMES))]


def create(name: str, profiles: list[str] | tuple[str, ...] = ()) -> Driver:
    config = DriverConfig(tuple(profiles))
    if name in _BUILT_IN:  # ours never depend on the installed metadata (a frozen build has none)
        return _BUILT_IN[name](config)
    found = _entry_points().get(name)
    if found is None:
        raise ValueError(f"unknown card driver {name!r}; choose one of: {', '.join(available())}")
    try:
        factory = found.load()
        driver: Driver = factory(config)
    except Exception as exc:
        raise SetupError(
            f"The card driver {name!r} ({found.value}) could not be loaded: {type(exc).__name__}: {exc}. "
            "Reinstall the package that provides it, or choose another driver."
        ) from exc
    if getattr(driver, "name", None) != name:
        raise SetupError(f"The card driver {name!r} ({found.value}) calls itself {getattr(driver, 'name', None)!r}.")
    return driver
