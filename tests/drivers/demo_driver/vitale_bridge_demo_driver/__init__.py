"""The ``demo`` card driver: one reader, "Demo Reader", and the AMO data readable.

It keeps the contract of docs/drivers.md: a snapshot of readers with ATRs and an event counter,
connections with exclusive transactions, typed bridge errors, a blocking wait for changes that
``cancel`` wakes, and, because its stand-in "licensed API" can, connections implementing
``ProtectedDataReader``. The vendor's library would sit where the simulator is used here.
"""

from __future__ import annotations

from bridge.cards.connection import Connection, Snapshot
from bridge.cards.drivers import DriverConfig
from bridge.cards.drivers.simulator import SimulatorDriver

READER = "Demo Reader"
CPS_READER = "Demo CPS Reader"


class DemoDriver:
    name = "demo"
    fresh_listing = True

    def __init__(self, profiles: tuple[str, ...] = ()) -> None:
        self._api = SimulatorDriver()  # stands in for the vendor's licensed reading library
        self._api.add_reader(READER)
        for profile in profiles:
            self.insert(profile)

    # --- what the vendor's test lab does: cards in and out ------------------------------
    def insert(self, profile: str) -> str:
        return self._api.insert(profile, reader=READER)

    def insert_cps(self, profile: str = "cps3") -> str:
        return self._api.insert(profile, reader=CPS_READER)

    def remove(self, reader: str = READER) -> None:
        self._api.remove(reader)

    # --- the driver contract -----------------------------------------------------------
    def open(self) -> None:
        self._api.open()

    def close(self) -> None:
        self._api.close()

    def readers(self) -> Snapshot:
        return self._api.readers()

    def connect(self, reader: str) -> Connection:
        return self._api.connect(reader)

    def wait_for_change(self, known: Snapshot, timeout: float) -> Snapshot:
        return self._api.wait_for_change(known, timeout)

    def cancel(self) -> None:
        self._api.cancel()


def create(config: DriverConfig) -> DemoDriver:
    """The entry point (``vitale_bridge.drivers``: ``demo``): a Vitale is in the reader at start,
    unless the configuration names other profiles."""
    return DemoDriver(config.profiles or ("famille",))
