"""The driver conformance kit: the tests every card driver must pass (``docs/drivers.md``).

A driver package runs it against itself with pytest. It subclasses
:class:`DriverConformance` in one of its test modules and gives the ``rig`` fixture: how to make
a fresh driver and how to put a carte Vitale into one of its readers and take it out::

    # my_driver_package/tests/test_conformance.py
    import pytest
    from bridge.cards.conformance import DriverConformance, Rig

    class TestMyDriver(DriverConformance):
        @pytest.fixture
        def rig(self):
            lab = MyTestLab()                        # whatever puts cards in your readers
            return Rig(factory=MyDriver, insert_vitale=lab.insert, remove=lab.remove)

The tests check the contract as the card service relies on it: the snapshot of readers, ATRs
and event counters (swap detection), connections and their exclusive transactions, the typed
errors, the blocking wait for changes and its cancellation, the protected data when the
driver offers it, and a whole read through :class:`~bridge.cards.service.CardService`. They
assert shapes and rules, never a patient's data: any Vitale card will do.

The module is also a pytest plugin (``-p bridge.cards.conformance``) for its ``conformance_rig``
marker; the class alone is enough.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bridge.cards import atr as atr_table
from bridge.cards.connection import (
    Driver,
    ProtectedDataReader,
    ProtectedVitaleData,
    ReaderState,
)
from bridge.cards.vitale import VitaleSession
from bridge.errors import BridgeError, NoCardError, ReaderNotFoundError

#: Seconds a driver may take to report an insertion or a removal in its snapshot.
SETTLE = 5.0


@dataclass
class Rig:
    """How the kit drives a driver under test."""

    #: The driver under test, unopened (called once per test; it may return the same object
    #: when that is how insert_vitale reaches it, as with an in-process simulator).
    factory: Callable[[], Driver]
    #: Put a carte Vitale in a reader; return that reader's name as the driver lists it.
    insert_vitale: Callable[[], str]
    #: Take the card out of the named reader (no error when it is empty).
    remove: Callable[[str], None]
    #: The driver's name, as its ``vitale_bridge.drivers`` entry point names it (None: not checked).
    name: str | None = None


def _settle(driver: Driver, reader: str, present: bool) -> ReaderState:
    deadline = time.monotonic() + SETTLE
    while True:
        state = driver.readers().get(reader)
        if state is not None and state.card_present == present:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"{reader!r}: the card is still {'absent' if present else 'present'} after {SETTLE} s")
        time.sleep(0.02)


class DriverConformance:
    """Subclass it and give a ``rig`` fixture returning a :class:`Rig`."""

    @pytest.fixture
    def driver(self, rig: Rig) -> Iterator[Driver]:
        driver = rig.factory()
        driver.open()
        try:
            yield driver
        finally:
            driver.close()

    @pytest.fixture
    def vitale(self, rig: Rig, driver: Driver) -> str:
        reader = rig.insert_vitale()
        _settle(driver, reader, present=True)
        return reader

    # --- identity ------------------------------------------------------------------------

    def test_driver_says_its_name_and_listing_cost(self, rig: Rig, driver: Driver) -> None:
        assert isinstance(driver.name, str) and driver.name
        if rig.name is not None:
            assert driver.name == rig.name
        assert isinstance(driver.fresh_listing, bool)

    # --- readers and cards ---------------------------------------------------------------

    def test_snapshot_names_each_reader_and_its_card(self, driver: Driver, vitale: str) -> None:
        snapshot = driver.readers()
        assert vitale in snapshot
        for name, state in snapshot.items():
            assert isinstance(state, ReaderState) and state.name == name
            assert state.atr is None or (isinstance(state.atr, bytes) and len(state.atr) >= 2)
            assert isinstance(state.generation, int)
        assert atr_table.is_vitale(atr_table.identify(snapshot[vitale].atr))

    def test_out_and_in_again_moves_the_generation(self, rig: Rig, driver: Driver, vitale: str) -> None:
        """The same card taken out and put back must not look unchanged: card sessions rely on it."""
        before = driver.readers()[vitale]
        rig.remove(vitale)
        _settle(driver, vitale, present=False)
        assert rig.insert_vitale() == vitale
        after = _settle(driver, vitale, present=True)
        assert after.atr == before.atr and after.generation != before.generation

    # --- connections ---------------------------------------------------------------------

    def test_connection_reads_the_card_in_a_transaction(self, driver: Driver, vitale: str) -> None:
        connection = driver.connect(vitale)
        try:
            assert connection.reader == vitale and connection.atr == driver.readers()[vitale].atr
            with connection.transaction():
                data, sw = connection.transmit(bytes.fromhex("00A40000023F00"))  # SELECT MF
                assert isinstance(data, bytes) and isinstance(sw, int) and 0 <= sw <= 0xFFFF
                clear = VitaleSession(connection).read_clear()
            assert clear.beneficiaries and all(b.nom and b.prenom for b in clear.beneficiaries)
        finally:
            connection.close()

    def test_protected_data_only_through_the_protected_reader_interface(self, driver: Driver, vitale: str) -> None:
        """A driver that can read the AMO data says so by implementing ProtectedDataReader on its
        connections; one that cannot must not pretend (the service then reports protectedByCard)."""
        connection = driver.connect(vitale)
        try:
            if not isinstance(connection, ProtectedDataReader):
                return
            with connection.transaction():
                data = connection.read_protected()
            assert isinstance(data, ProtectedVitaleData)
            assert (len(data.regime), len(data.caisse), len(data.centre)) == (2, 3, 4)
            assert all(b.qualite for b in data.beneficiaries)
        finally:
            connection.close()

    def test_typed_errors_for_no_card_and_no_reader(self, rig: Rig, driver: Driver, vitale: str) -> None:
        with pytest.raises(ReaderNotFoundError):
            driver.connect("no such reader 99 99")
        rig.remove(vitale)
        _settle(driver, vitale, present=False)
        with pytest.raises((NoCardError, ReaderNotFoundError)):
            driver.connect(vitale).close()

    def test_a_card_pulled_out_fails_the_exchange_with_a_bridge_error(self, rig: Rig, driver: Driver, vitale: str) -> None:
        connection = driver.connect(vitale)
        try:
            rig.remove(vitale)
            _settle(driver, vitale, present=False)
            with pytest.raises(BridgeError), connection.transaction():
                VitaleSession(connection).read_clear()
        finally:
            connection.close()

    # --- waiting for changes (the watcher's thread) ----------------------------------------

    def test_wait_for_change_returns_the_new_snapshot(self, rig: Rig, driver: Driver) -> None:
        known = driver.readers()
        box: dict[str, object] = {}
        thread = threading.Thread(target=lambda: box.update(new=driver.wait_for_change(known, SETTLE)))
        thread.start()
        time.sleep(0.1)
        reader = rig.insert_vitale()
        thread.join(SETTLE + 1)
        assert not thread.is_alive()
        new = box["new"]
        assert isinstance(new, dict) and reader in new and new[reader] != known.get(reader)

    def test_wait_for_change_times_out_and_cancel_wakes_it(self, driver: Driver) -> None:
        known = driver.readers()
        started = time.monotonic()
        assert driver.wait_for_change(known, 0.2) == known
        assert time.monotonic() - started < 0.2 + 2.0
        threading.Timer(0.2, driver.cancel).start()
        started = time.monotonic()
        driver.wait_for_change(driver.readers(), 30.0)
        assert time.monotonic() - started < 5.0

    def test_listing_from_several_threads_during_a_read(self, driver: Driver, vitale: str) -> None:
        errors: list[BaseException] = []

        def list_readers() -> None:
            try:
                for _ in range(20):
                    driver.readers()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=list_readers) for _ in range(3)]
        for t in threads:
            t.start()
        connection = driver.connect(vitale)
        try:
            with connection.transaction():
                VitaleSession(connection).read_clear()
        finally:
            connection.close()
        for t in threads:
            t.join(10)
        assert errors == []

    # --- the whole service ---------------------------------------------------------------

    def test_the_card_service_reads_through_the_driver(self, driver: Driver, vitale: str) -> None:
        """open/close may be called again (the service does both): they must be idempotent."""
        from bridge.cards.service import CardService

        async def run() -> None:
            events: list[str] = []

            async def publish(name: str, _params: object) -> None:
                events.append(name)

            service = CardService(driver, publish)
            await service.start()
            try:
                first = await service.read_vitale(reader=vitale)
                again = await service.read_vitale(reader=vitale)
                assert first.beneficiaries and not first.from_cache and again.from_cache
                assert first.availability.scope == "clear" and first.availability.reason_code == "cpsAbsent"
            finally:
                await service.stop()

        asyncio.run(run())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance_rig: a driver conformance run (bridge.cards.conformance)")
