"""Run a private pcscd whose readers are vpcd slots with chosen names.

Two traps are handled here (verified facts in the project's test-bench notes):

* **Several named readers.** Two reader entries sharing one ``LIBPATH`` break (the vpcd driver
  keeps one global slot table, the second entry overwrites the first), so each reader gets its
  own copy of ``libifdvpcd.so`` (:func:`bridge.bench.vpcd.driver_copy`): a one-slot copy for a
  plain reader (``"<name> 00 00"``, no phantom second slot), two slots for a dual-slot reader
  (``"<name> 00 00"`` and ``"<name> 00 01"``).
* **vpcd listens on all interfaces.** As root, pcscd runs in a network namespace of its own
  (``unshare(CLONE_NEWNET)``, loopback brought up): vpcd's ports exist only there, and the
  bench's cards open their sockets in it (:func:`bridge.bench.vpcd.connect`). The ports can
  then be anything (default from 40000: no other bench can collide).
* **A private socket.** pcscd 1.9 always creates ``/run/pcscd/pcscd.comm`` itself, but it also
  accepts a listening socket passed the systemd way (fd 3, ``LISTEN_FDS=1``,
  ``LISTEN_PID=<its pid>``). The bench binds its own socket in a private directory and hands it
  over, so benches never collide with each other or with a system pcscd. Clients select it with
  ``PCSCLITE_CSOCK_NAME``, which libpcsclite reads *once per process*, at the first PC/SC call.

* **The system's pid file.** pcscd writes ``/run/pcscd/pcscd.pid`` and deletes it when it
  stops, whatever socket it serves: a private pcscd runs where ``/run/pcscd`` is its own
  (:meth:`PcscDaemon._private_run`).

pcscd is stopped with SIGTERM, and the bench waits for the pid before it returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bridge.bench.discover import pid_alive
from bridge.bench.preflight import BenchUnavailable, pcscd_path, vpcd_library

log = logging.getLogger("vitale_bridge.bench")

SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
SYSTEM_PID_FILE = Path("/run/pcscd/pcscd.pid")
ENV_SOCKET = "PCSCLITE_CSOCK_NAME"

# Runs between fork and exec of pcscd: optional parent-death signal, a private /run/pcscd
# (argv[2] == "1", see PcscDaemon.private_run), then the socket on fd 3.
_LAUNCHER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == "1":
    try:
        libc.prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
    except Exception:
        pass
if sys.argv[4] == "1":  # a network namespace of its own, its loopback up (root only)
    import fcntl, socket, struct
    if libc.unshare(0x40000000) != 0:
        print(f"vitale-bench: no private network ({os.strerror(ctypes.get_errno())})", file=sys.stderr, flush=True)
        sys.exit(71)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40))  # SIOCSIFFLAGS UP LOOPBACK RUNNING
if sys.argv[2] == "1":
    uid, gid = os.getuid(), os.getgid()
    CLONE_NEWNS, CLONE_NEWUSER, MS_REC, MS_PRIVATE = 0x20000, 0x10000000, 0x4000, 1 << 18
    def private_run():
        if libc.unshare(CLONE_NEWNS | (0 if uid == 0 else CLONE_NEWUSER)) != 0:
            return "unshare"
        if uid != 0:  # same identity inside the user namespace: files stay the user's
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            return "mount --make-rprivate /"
        if libc.mount(b"tmpfs", b"/run/pcscd", b"tmpfs", 0, b"mode=0755") != 0:
            return "mount tmpfs /run/pcscd"
        return None
    failed = private_run()
    if failed:  # the bench restores the system's pid file after pcscd stops instead
        print(f"vitale-bench: no private /run/pcscd ({failed}: {os.strerror(ctypes.get_errno())})",
              file=sys.stderr, flush=True)
fd = int(sys.argv[3])
if fd >= 0:
    os.dup2(fd, 3)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
os.environ.pop("LISTEN_FDNAMES", None)
os.execv(sys.argv[5], sys.argv[5:])
"""


def system_socket_in_use() -> bool:
    """True when a pcscd answers on the system socket."""
    if not SYSTEM_SOCKET.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(SYSTEM_SOCKET))
        except OSError:
            return False
    return True


def can_unshare() -> bool:
    """Root with CAP_SYS_ADMIN (a container may drop it): namespaces can be made for pcscd."""
    if os.geteuid() != 0:
        return False
    try:
        status = Path("/proc/self/status").read_text()
        cap_eff = int(next(line.split()[1] for line in status.splitlines() if line.startswith("CapEff:")), 16)
    except (OSError, StopIteration, ValueError):
        return False
    return bool(cap_eff & (1 << 21))  # CAP_SYS_ADMIN


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


class PcscDaemon:
    """One pcscd process with one vpcd reader per name.

    *socket_path* ``None`` means the system socket (every PC/SC program on the machine sees the
    readers; refused when another pcscd already serves it).
    """

    def __init__(
        self,
        runtime_dir: Path,
        readers: dict[str, int],
        *,
        socket_path: Path | None,
        log_file: Path,
        die_with_parent: bool = False,
        private_network: bool | None = None,
        base_port: int | None = None,
    ) -> None:
        self.runtime_dir = runtime_dir
        #: name -> slots wanted: 1, or 2 for a dual-slot reader
        self.readers = dict(readers)
        self.base_port = base_port
        self.socket_path = socket_path
        self.log_file = log_file
        self.die_with_parent = die_with_parent
        #: name -> vpcd port of slot 0 (slot 1: + 1); chosen at the first start, kept on restarts.
        self.ports: dict[str, int] = {}
        #: pcscd in a network namespace of its own (root): vpcd's ports reachable from nowhere else.
        self.private_network = private_network if private_network is not None else can_unshare()
        #: A file descriptor of that namespace, for the cards' sockets (None: this process's).
        self.netns: int | None = None
        #: name -> slots the driver copy declares (2 where a one-slot copy could not be made).
        self.declared_slots: dict[str, int] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        #: What the system's pid file held when this pcscd started (see :meth:`_guard_pid_file`).
        self._system_pid: bytes | None = None

    @property
    def env(self) -> dict[str, str]:
        """What a PC/SC client process needs in its environment to see these readers."""
        return {ENV_SOCKET: str(self.socket_path)} if self.socket_path else {}

    @property
    def config_dir(self) -> Path:
        return self.runtime_dir / "reader.conf.d"

    def write_config(self) -> None:
        from bridge.bench.vpcd import config_entry, driver_copy

        library = vpcd_library()
        if library is None:
            raise BenchUnavailable("the vpcd reader driver is missing: apt-get install vsmartcard-vpcd")
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        libs = self.runtime_dir / "drivers"
        libs.mkdir(exist_ok=True, mode=0o700)
        if not self.ports:
            from bridge.bench.vpcd import free_ports

            # In a namespace of its own every port is free: a fixed default (vpcd's 0x9C40 region).
            base = self.base_port if self.base_port is not None else (40000 if self.private_network else None)
            try:
                self.ports = dict(zip(self.readers, free_ports(len(self.readers), base), strict=False))
            except OSError as exc:
                raise BenchUnavailable(str(exc)) from None
            if not self.private_network and self.base_port is not None:
                from bridge.bench.vpcd import port_pair_free

                if busy := [p for p in self.ports.values() if not port_pair_free(p)]:
                    raise BenchUnavailable(f"vpcd ports taken: {', '.join(f'{p}-{p + 1}' for p in busy)}")
        entries = []
        for index, (name, slots) in enumerate(self.readers.items()):
            port = self.ports[name]
            copy = libs / f"libifdvpcd-{index}.so"
            self.declared_slots[name] = driver_copy(library, copy, slots)
            if self.declared_slots[name] != slots:
                log.warning("this vpcd build could not be given one slot: reader %s shows an empty '%s 00 01'",
                            name, name)
            entries.append(config_entry(name, port, copy))
        (self.config_dir / "vitale-bench").write_text("\n".join(entries), encoding="ascii")

    def start(self, timeout: float = 5.0) -> None:
        pcscd = pcscd_path()
        if pcscd is None:
            raise BenchUnavailable("pcscd is missing: apt-get install pcscd")
        if self.socket_path is None and system_socket_in_use():
            raise BenchUnavailable(
                f"another pcscd already serves {SYSTEM_SOCKET}: stop it, or use a private socket"
            )
        self.write_config()
        listener = None
        if self.socket_path is not None:
            self.socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(self.socket_path))
            os.chmod(self.socket_path, 0o600)
            listener.listen(64)
        self.log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = listener.fileno() if listener else -1
        private_run = "1" if self._private_run() else "0"
        self._system_pid = _read(SYSTEM_PID_FILE)
        args = [sys.executable, "-c", _LAUNCHER, "1" if self.die_with_parent else "0", private_run, str(fd),
                "1" if self.private_network else "0", pcscd, "--foreground", "--config", str(self.config_dir)]
        with open(self.log_file, "ab") as log:
            os.chmod(self.log_file, 0o600)
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=[fd] if listener else [], start_new_session=True,
            )
        if listener is not None:
            listener.close()  # pcscd holds its own copy
        if self.private_network:
            self._open_netns()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _private_run(self) -> bool:
        """Whether pcscd must get a /run/pcscd of its own.

        pcscd writes ``/run/pcscd/pcscd.pid`` when it starts and deletes it when it stops,
        whatever socket it serves: a bench's pcscd would take the system pcscd's pid file
        away. So a pcscd on a private socket runs in a mount namespace of its own (a user
        namespace too when not root) where ``/run/pcscd`` is an empty tmpfs. Not needed when
        this user cannot write there anyway (pcscd cannot touch the file either), nor for the
        system socket (that pcscd *is* the system's).
        """
        if self.socket_path is None:
            return False
        run = SYSTEM_PID_FILE.parent
        if os.geteuid() == 0:
            with contextlib.suppress(OSError):
                run.mkdir(mode=0o755, exist_ok=True)  # the mount point (what pcscd would create)
            return run.is_dir()
        return run.is_dir() and os.access(run, os.W_OK)

    def _guard_pid_file(self) -> None:
        """Second line of defence, where no namespace could be made (a container without
        CAP_SYS_ADMIN): put back the pid file of another pcscd that still runs."""
        before = self._system_pid
        if self.socket_path is None or not before or _read(SYSTEM_PID_FILE) == before:
            return
        try:
            other = int(before.split()[0])
        except (ValueError, IndexError):
            return
        if other != self.pid and pid_alive(other):
            with contextlib.suppress(OSError):
                from bridge.fileio import atomic_write

                atomic_write(SYSTEM_PID_FILE, before, mode=0o644)

    def _open_netns(self) -> None:
        """Hold pcscd's network namespace (``/proc/<pid>/ns/net``) for the cards' sockets."""
        self._close_netns()
        deadline = time.monotonic() + 5
        own = os.stat("/proc/self/ns/net").st_ino
        while self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                fd = os.open(f"/proc/{self.proc.pid}/ns/net", os.O_RDONLY)
                if os.fstat(fd).st_ino != own:  # the launcher has unshared by now
                    self.netns = fd
                    return
                os.close(fd)
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        raise BenchUnavailable(f"pcscd did not get its own network namespace: {self.log_tail()}")

    def _close_netns(self) -> None:
        if self.netns is not None:
            os.close(self.netns)
            self.netns = None

    def _wait_ready(self, timeout: float) -> None:
        """Ready when every reader's slot 0 listens (pcscd loaded the readers) and the socket exists."""
        from bridge.bench.vpcd import in_netns

        deadline = time.monotonic() + timeout
        pending = set(self.ports.values())
        while pending or (self.socket_path is None and not SYSTEM_SOCKET.exists()):
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchUnavailable(f"pcscd exited with status {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise BenchUnavailable(f"pcscd did not load the vpcd readers within {timeout:.0f} s: {self.log_tail()}")
            for port in list(pending):
                # A bare connect would look like a card insertion to vpcd: probe with bind instead.
                with in_netns(self.netns, socket.socket) as s:
                    try:
                        s.bind(("0.0.0.0", port))  # noqa: S104 - a probe, closed at once; vpcd's own address
                    except OSError:
                        pending.discard(port)
            time.sleep(0.01)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 3.0, *, sig: int = signal.SIGTERM) -> None:
        """*sig* (SIGTERM), wait for the pid (SIGKILL after *timeout*), remove the private socket."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc is not None:
            self._guard_pid_file()
        self.proc = None
        self._close_netns()
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
