"""The vitale-bridge driver conformance kit, run by this package against its own driver."""

import pytest
from vitale_bridge_demo_driver import READER, DemoDriver

from bridge.cards.conformance import DriverConformance, Rig


class TestDemoDriver(DriverConformance):
    @pytest.fixture
    def rig(self) -> Rig:
        driver = DemoDriver()
        return Rig(
            factory=lambda: driver,
            insert_vitale=lambda: driver.insert("famille"),
            remove=driver.remove,
            name="demo",
        )


def test_the_amo_data_is_read_with_a_cps_present():
    """What a licensed driver adds: the service reads the AMO data when the CPx rule allows."""
    import asyncio

    from bridge.cards.service import CardService

    driver = DemoDriver(("famille",))
    driver.insert_cps()

    async def run():
        service = CardService(driver)
        await service.start()
        try:
            return await service.read_vitale(reader=READER)
        finally:
            await service.stop()

    result = asyncio.run(run())
    assert result.availability.amo and result.amo is not None
