"""The bench: a private pcscd with named virtual readers, and cards you insert, remove and swap.

::

    from bridge.bench import Bench

    with Bench(home=tmp_home) as bench:          # pcscd + readers "Vitale" and "CPS"
        bench.insert("famille")                   # Vitale profile -> reader "Vitale"
        bench.insert("cps3")                      # CPS profile -> reader "CPS"
        ...                                       # PC/SC clients see "Vitale 00 00", "CPS 00 00"
        bench.swap("adulte")                      # patient's card pulled out, another one put in
        bench.remove()                            # "Vitale" is empty again

Cards run as threads of this process (pyscard releases the GIL during SCardTransmit, so a
client in the same process works). With ``control=True`` a small control channel lets another
process insert, remove and swap cards (``vitale-bridge simulate insert ...``): see
:mod:`bridge.bench.control`.

(Over 400 lines on purpose: it is one class, the object a test drives — lifecycle, cards,
timing, pcscd restarts; pcscd itself, the vpcd link, the control channel and the discovery
of a running bench live in their own modules.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from bridge.bench import pcscd as pcscd_mod
from bridge.bench.discover import pid_alive, read_state, socket_alive
from bridge.bench.pcscd import ENV_SOCKET, PcscDaemon
from bridge.bench.preflight import BenchUnavailable, require
from bridge.bench.vpcd import VpcdLink
from bridge.virtualcards import make_card
from bridge.virtualcards.timing import DEFAULT_CLOCK_HZ, DEFAULT_PROCESSING, TimingModel

if TYPE_CHECKING:
    from bridge.bench.control import ControlServer, RemoteBench
    from bridge.bench.probe import PcscProbe
    from bridge.profiles import Profile

log = logging.getLogger("vitale_bridge.bench")

SocketMode = Literal["private", "system", "auto"]
TimingMode = Literal["instant", "real"]
DEFAULT_READERS = ("Vitale", "CPS")
#: pcscd polls card presence every 400 ms; allow a few polls.
CARD_WAIT = 3.0
#: Benches with a private socket running in this process (libpcsclite can follow only one).
_RUNNING_PRIVATE: set[int] = set()
#: The private socket path the first bench of this process exported: libpcsclite follows it
#: for the life of the process, so later benches in this process serve that same path.
_PROCESS_SOCKET: Path | None = None


@dataclass
class Slot:
    """One named reader: its vpcd port, pcscd's name for it, and the card inside (if any)."""

    name: str
    port: int
    pcsc_name: str = ""
    link: VpcdLink | None = None
    profile_name: str | None = None

    def describe(self) -> dict[str, Any]:
        card = self.link.card if self.link else None
        return {
            "reader": self.name,
            "pcscReader": self.pcsc_name,
            "profile": self.profile_name,
            "cardType": card.card_type if card else None,
        }


class Bench:
    """pcscd + vpcd readers + virtual cards, started and stopped as one unit."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        readers: tuple[str, ...] | list[str] = DEFAULT_READERS,
        dual_readers: tuple[str, ...] | list[str] = (),
        base_port: int | None = None,
        socket: SocketMode = "private",
        control: bool = True,
        die_with_parent: bool = True,
        timing: TimingMode = "instant",
        clock_hz: float = DEFAULT_CLOCK_HZ,
        processing: float = DEFAULT_PROCESSING,
    ) -> None:
        from bridge.settings import Paths

        names = [*readers, *dual_readers]
        if not names or len({r.lower() for r in names}) != len(names):
            raise ValueError("readers must be distinct, non-empty names")
        if base_port is not None and not 1024 <= base_port <= 65535 - 2 * len(names):
            raise ValueError(f"base_port: from 1024 to {65535 - 2 * len(names)}")
        for r in names:
            if not r.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"reader name {r!r}: use letters, digits, '-' or '_'")
        self.paths = Paths.resolve(home)
        #: The home given (None: VITALE_BRIDGE_HOME or the platform folders), for ``--home``.
        self.home = Path(home) if home is not None else None
        self.reader_names = list(readers)
        #: Dual-slot readers (one device, slots "<name> 00 00" and "<name> 00 01").
        self.dual_reader_names = list(dual_readers)
        #: First vpcd port (each reader takes two: its slots); None: free ports picked at start.
        self.base_port = base_port
        self.socket_mode: SocketMode = socket
        self.control_enabled = control
        self.die_with_parent = die_with_parent
        self.slots: dict[str, Slot] = {}
        self.daemon: PcscDaemon | None = None
        self.runtime_dir: Path | None = None
        self.control: ControlServer | None = None
        self._probe: PcscProbe | None = None
        self._saved_env: str | None = None
        self._lock = threading.RLock()
        self._cards_before_stop: dict[str, Profile] = {}
        self._owner = threading.current_thread()
        #: Set when a control client asks the owner (``simulate``) to stop.
        self.stop_requested = threading.Event()
        self.allow_remote_stop = False
        #: Who owns the bench, for 'simulate stop' from elsewhere: "simulate", "demo" or a test session.
        self.owner = "a test session"
        self.timing: TimingMode = "instant"
        self.timing_model = TimingModel(clock_hz, processing)
        self.set_timing(timing)

    # --- lifecycle --------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        from bridge.bench.control import state_file

        return state_file(self.paths.data_dir)

    @property
    def env(self) -> dict[str, str]:
        """Environment a PC/SC client process needs to see the bench's readers."""
        return self.daemon.env if self.daemon else {}

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Bench:
        require()
        self.paths.ensure()
        if self.control_enabled:
            self._refuse_second_bench()
        # Unix socket paths are limited to 107 bytes: keep the sockets' folder short.
        base = None if len(tempfile.gettempdir()) <= 60 else "/tmp"  # noqa: S108 - mkdtemp: private, unique
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="vitale-bench-", dir=base))
        self._owner = threading.current_thread()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _refuse_second_bench(self) -> None:
        pid = (read_state(self.paths.data_dir) or {}).get("pid")
        if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid):
            raise BenchUnavailable(
                f"a bench already runs for this home (pid {pid}): drive it with "
                "'vitale-bridge simulate insert|remove|swap', or stop it with 'vitale-bridge simulate stop'"
            )

    def _socket_path(self) -> Path | None:
        mode = self.socket_mode
        if mode == "auto":
            run = pcscd_mod.SYSTEM_SOCKET.parent
            writable = os.access(run, os.W_OK) if run.exists() else os.access(run.parent, os.W_OK)
            mode = "system" if writable and not pcscd_mod.system_socket_in_use() else "private"
        if mode == "system":
            return None
        # libpcsclite reads PCSCLITE_CSOCK_NAME once per process: when this process already
        # points at a socket nobody serves (an earlier bench), serve that same path again.
        if _PROCESS_SOCKET is not None:
            return _PROCESS_SOCKET
        existing = os.environ.get(ENV_SOCKET)
        if existing and not socket_alive(existing):
            return Path(existing)
        assert self.runtime_dir is not None
        return self.runtime_dir / "pcscd.comm"

    def _start(self) -> None:
        assert self.runtime_dir is not None
        layout = {n: 1 for n in self.reader_names} | {n: 2 for n in self.dual_reader_names}
        self.daemon = PcscDaemon(
            self.runtime_dir,
            layout,
            base_port=self.base_port,
            socket_path=self._socket_path(),
            log_file=self.paths.log_dir / "bench-pcscd.log",
            die_with_parent=self.die_with_parent,
        )
        if self.daemon.socket_path is not None:
            if _RUNNING_PRIVATE:
                raise BenchUnavailable(
                    "another bench with a private socket already runs in this process, and libpcsclite "
                    "follows one socket per process: reuse it, stop it first, or start this one in a subprocess"
                )
            _RUNNING_PRIVATE.add(id(self))
        self.daemon.start()
        # This process's own PC/SC calls (the probe below, pyscard in tests) and the
        # subprocesses it starts must find the bench's pcscd.
        self._saved_env = os.environ.get(ENV_SOCKET)
        if self.daemon.socket_path is not None:
            global _PROCESS_SOCKET
            _PROCESS_SOCKET = _PROCESS_SOCKET or self.daemon.socket_path
            os.environ[ENV_SOCKET] = str(self.daemon.socket_path)
        else:
            os.environ.pop(ENV_SOCKET, None)
        wanted: dict[str, tuple[str, int]] = {}
        for name, slots in layout.items():
            keys = [name] if slots == 1 else [f"{name} 00 00", f"{name} 00 01"]
            for index, key in enumerate(keys):
                self.slots[key] = Slot(key, self.daemon.ports[name] + index)
                wanted[key] = (name, index)
        from bridge.bench.probe import PcscProbe

        self._probe = probe = PcscProbe()
        found = probe.wait_readers(wanted, timeout=5.0)
        if found is None:
            raise BenchUnavailable(
                "pcscd started but this process does not see its readers. libpcsclite reads "
                f"{ENV_SOCKET} once per process, at the first PC/SC call: start the bench before any "
                "other PC/SC use in this process (or use socket='system'). pcscd log: "
                + self.daemon.log_tail()
            )
        for name, pcsc_name in found.items():
            self.slots[name].pcsc_name = pcsc_name
        self._wanted = wanted
        if self.control_enabled:
            from bridge.bench.control import ControlServer

            self.control = control = ControlServer(self, self.runtime_dir / "control.sock")
            control.start()
            self._write_state()
        log.info("bench started: readers %s (pcscd pid %s)", ", ".join(found.values()), self.daemon.pid)

    def _write_state(self) -> None:
        assert self.daemon is not None and self.control is not None
        self.state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        state = {
            "pid": os.getpid(),
            "owner": self.owner,
            "control": str(self.control.path),
            "env": self.env,
            "readers": {n: s.pcsc_name for n, s in self.slots.items()},
        }
        from bridge.fileio import write_json

        write_json(self.state_file, state)

    def stop(self) -> None:
        """Remove every card, stop the control channel and pcscd (waiting for its pid), clean up."""
        with self._lock:
            for slot in self.slots.values():
                self._pull(slot, wait=False)
            if self.control is not None:
                self.control.stop()
                self.control = None
                with contextlib.suppress(OSError, ValueError):
                    if json.loads(self.state_file.read_text(encoding="utf-8")).get("pid") == os.getpid():
                        self.state_file.unlink()
            if self.daemon is not None:
                self.daemon.stop()
                sock = self.daemon.socket_path
                if sock is not None and self.runtime_dir and sock.parent != self.runtime_dir:
                    with contextlib.suppress(OSError):
                        sock.parent.rmdir()
                self.daemon = None
            _RUNNING_PRIVATE.discard(id(self))
            if self._saved_env is not None:
                os.environ[ENV_SOCKET] = self._saved_env
            if self.runtime_dir is not None:
                shutil.rmtree(self.runtime_dir, ignore_errors=True)
                self.runtime_dir = None
            self.slots = {}

    # --- cards -------------------------------------------------------------------------------------
    def set_timing(self, mode: TimingMode, model: TimingModel | None = None) -> None:
        """``real``: cards answer in a real card's time, from their ATR (docs/virtual-cards.md);
        ``instant``: at once. Applies to the cards in the readers and to those inserted later."""
        if mode not in ("instant", "real"):
            raise ValueError("timing must be 'instant' or 'real'")
        with self._lock:
            self.timing = mode
            if model is not None:
                self.timing_model = model
            for slot in self.slots.values():
                if slot.link is not None:
                    slot.link.card.timing = self._card_timing()

    def _card_timing(self) -> TimingModel | None:
        return self.timing_model if self.timing == "real" else None

    def slot(self, reader: str | None = None, *, kind: str = "vitale") -> Slot:
        if not self.slots:
            raise RuntimeError("the bench is not started")
        if reader is None:
            # "Vitale" / "CPS" by name; else a dual-slot reader's slot 0 for a Vitale, slot 1 for
            # a CPS (a bench default only: the bridge recognises cards by ATR, never by slot).
            preferred = "cps" if kind == "cps" else "vitale"
            suffix = " 00 01" if kind == "cps" else " 00 00"
            reader = next((n for n in self.slots if n.lower() == preferred), None) or next(
                (n for n in self.slots if n.endswith(suffix) and n[: -len(suffix)] in self.dual_reader_names),
                next(iter(self.slots)),
            )
        for name, slot in self.slots.items():
            if reader.lower() in (name.lower(), slot.pcsc_name.lower()):
                return slot
        raise KeyError(f"no reader {reader!r}; bench readers: {', '.join(self.slots)}")

    def pcsc_reader(self, reader: str | None = None) -> str:
        """pcscd's name of a bench reader, e.g. ``"Vitale 00 00"``."""
        return self.slot(reader).pcsc_name

    def insert(self, profile: Profile | str, reader: str | None = None, *, wait: bool = True) -> str:
        """Put the card of *profile* in *reader* (default: "Vitale", or "CPS" for a CPS profile).

        A card already in that reader is pulled out first. With *wait*, returns once pcscd
        reports the card present. Returns pcscd's reader name.
        """
        card = make_card(profile)
        card.timing = self._card_timing()
        kind = "cps" if card.card_type.startswith("cps") else "vitale"
        with self._lock:
            slot = self.slot(reader, kind=kind)
            if slot.link is not None:
                self._pull(slot, wait=True)
            link = VpcdLink(card, slot.port, netns=self.daemon.netns if self.daemon else None)
            link.open()
            slot.link = link
            slot.profile_name = card.profile.name
            log.info("card inserted: %s in %s", card.card_type, slot.pcsc_name)
            if wait:
                self._wait(slot, present=True)
            return slot.pcsc_name

    def remove(self, reader: str | None = None, *, wait: bool = True) -> None:
        """Pull the card out of *reader* (default "Vitale"). No error when it is already empty."""
        with self._lock:
            slot = self.slot(reader)
            self._pull(slot, wait=wait)

    def swap(self, profile: Profile | str, reader: str | None = None) -> str:
        """Remove the card, wait until pcscd sees the reader empty, then insert *profile*'s card."""
        return self.insert(profile, reader, wait=True)

    def clear(self) -> None:
        """Empty every reader."""
        with self._lock:
            for slot in self.slots.values():
                self._pull(slot, wait=True)

    def status(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s.describe() for s in self.slots.values()]

    def _pull(self, slot: Slot, *, wait: bool) -> None:
        if slot.link is None:
            return
        slot.link.close()
        slot.link, slot.profile_name = None, None
        log.info("card removed from %s", slot.pcsc_name)
        if wait:
            self._wait(slot, present=False)

    def _wait(self, slot: Slot, *, present: bool) -> None:
        assert self._probe is not None
        if not self._probe.wait_card(slot.pcsc_name, present, CARD_WAIT):
            state = "present" if present else "absent"
            raise TimeoutError(f"pcscd did not report the card {state} in {slot.pcsc_name} within {CARD_WAIT} s")

    # --- pcscd restarts ----------------------------------------------------------------------------
    def stop_pcscd(self, *, kill: bool = False) -> None:
        """Stop pcscd as a crash or an update would: PC/SC clients lose the service.

        The cards present are remembered (their loaded profiles) and taken out first, so the
        card side closes its connections cleanly; pcscd gets SIGTERM (SIGKILL with *kill*) and
        its pid is waited for. :meth:`start_pcscd` brings everything back as it was.
        """
        with self._lock:
            if self.daemon is None:
                raise RuntimeError("the bench is not started")
            if not self.daemon.running():
                return
            self._cards_before_stop = {
                name: slot.link.card.profile for name, slot in self.slots.items() if slot.link is not None
            }
            for slot in self.slots.values():
                self._pull(slot, wait=False)
            self.daemon.stop(sig=signal.SIGKILL if kill else signal.SIGTERM)
            log.info("pcscd stopped (%s)", "killed" if kill else "terminated")

    def start_pcscd(self) -> None:
        """Start pcscd again on the same socket path, reader names and vpcd ports, and put back
        the cards that were in the readers when :meth:`stop_pcscd` ran (they reconnect)."""
        with self._lock:
            if self.daemon is None:
                raise RuntimeError("the bench is not started")
            if self.daemon.running():
                return
            # The parent-death signal follows the *thread* that forks: from a short-lived thread
            # (asyncio.to_thread) pcscd would be killed when that thread ends. Only the thread
            # that started the bench arms it; bench.stop() stops pcscd in every case.
            self.daemon.die_with_parent = self.die_with_parent and threading.current_thread() is self._owner
            self.daemon.start()
            assert self._probe is not None
            wanted = dict(self._wanted)
            found = self._probe.wait_readers(wanted, timeout=5.0)
            if found is None:
                raise BenchUnavailable("pcscd restarted but its readers did not come back: " + self.daemon.log_tail())
            for name, pcsc_name in found.items():
                self.slots[name].pcsc_name = pcsc_name
            cards, self._cards_before_stop = self._cards_before_stop, {}
            for name, profile in cards.items():
                self.insert(profile, name)
            log.info("pcscd started again (pid %s)", self.daemon.pid)

    def restart_pcscd(self, down: float = 0.0, *, kill: bool = False) -> None:
        """:meth:`stop_pcscd`, *down* seconds without PC/SC, then :meth:`start_pcscd`."""
        self.stop_pcscd(kill=kill)
        if down > 0:
            time.sleep(down)
        self.start_pcscd()

    # --- remote ----------------------------------------------------------------------------------
    @staticmethod
    def attach(home: str | os.PathLike[str] | None = None) -> RemoteBench:
        """A handle on the bench already running for *home* (e.g. ``vitale-bridge simulate``)."""
        from bridge.bench.control import RemoteBench

        return RemoteBench.for_home(home)
