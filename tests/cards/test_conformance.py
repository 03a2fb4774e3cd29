"""The driver conformance kit (bridge.cards.conformance) run against the drivers we ship."""

import pytest

from bridge.cards.conformance import DriverConformance, Rig
from tests.helpers.cards import profile


class TestSimulatorDriver(DriverConformance):
    @pytest.fixture
    def rig(self) -> Rig:
        from bridge.cards.drivers.simulator import SimulatorDriver

        sim = SimulatorDriver()
        sim.add_reader("Simulated CPS Reader")
        return Rig(
            factory=lambda: sim,
            insert_vitale=lambda: sim.insert(profile("famille4"), reader="Simulated Vitale Reader"),
            remove=sim.remove,
            name="simulator",
        )


class TestPcscDriver(DriverConformance):
    @pytest.fixture
    def rig(self, vitale_readers) -> Rig:
        from bridge.cards.drivers.pcsc import PcscDriver

        return Rig(
            factory=PcscDriver,
            insert_vitale=lambda: vitale_readers.insert("famille"),
            remove=vitale_readers.remove,
            name="pcsc",
        )
