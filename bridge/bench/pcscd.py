"""Run a private pcscd whose readers are vpcd slots with chosen names.

Two traps are handled here (verified facts in the project's test-bench notes):

* **Several named readers.** Two reader entries sharing one ``LIBPATH`` break (the vpcd driver
  keeps one global slot table, the second entry overwrites the first), so each reader gets its
  own copy of ``libifdvpcd.so``. Each entry has two vpcd slots; the bench uses slot 0
  (``"<name> 00 00"``) and leaves slot 1 empty.
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
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bridge.bench.preflight import BenchUnavailable, pcscd_path, vpcd_library

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
os.execv(sys.argv[4], sys.argv[4:])
"""


def port_pair_free(port: int) -> bool:
    """vpcd listens on all interfaces on ``port`` (slot 0) and ``port + 1`` (slot 1)."""
    for p in (port, port + 1):
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", p))
            except OSError:
                return False
    return True


def pick_ports(count: int) -> list[int]:
    chosen: list[int] = []
    for _ in range(500):
        port = random.randrange(20000, 32000, 16)
        if port not in chosen and port_pair_free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise BenchUnavailable("no free TCP port pair for the vpcd readers between 20000 and 32000")


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


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PcscDaemon:
    """One pcscd process with one vpcd reader per name.

    *socket_path* ``None`` means the system socket (every PC/SC program on the machine sees the
    readers; refused when another pcscd already serves it).
    """

    def __init__(
        self,
        runtime_dir: Path,
        readers: list[str],
        *,
        socket_path: Path | None,
        log_file: Path,
        die_with_parent: bool = False,
    ) -> None:
        self.runtime_dir = runtime_dir
        self.readers = list(readers)
        self.socket_path = socket_path
        self.log_file = log_file
        self.die_with_parent = die_with_parent
        self.ports: dict[str, int] = {}
        self.proc: subprocess.Popen | None = None
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
        library = vpcd_library()
        if library is None:
            raise BenchUnavailable("the vpcd reader driver is missing: apt-get install vsmartcard-vpcd")
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        libs = self.runtime_dir / "drivers"
        libs.mkdir(exist_ok=True, mode=0o700)
        # A restart keeps the ports (a card reconnects where it was); a first start picks them.
        ports = [self.ports[n] for n in self.readers] if self.ports else pick_ports(len(self.readers))
        entries = []
        for index, (name, port) in enumerate(zip(self.readers, ports)):
            copy = libs / f"libifdvpcd-{index}.so"
            shutil.copyfile(library, copy)
            self.ports[name] = port
            entries.append(
                f'FRIENDLYNAME "{name}"\nDEVICENAME   /dev/null:0x{port:X}\n'
                f"LIBPATH      {copy}\nCHANNELID    0x{port:X}\n"
            )
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
                pcscd, "--foreground", "--config", str(self.config_dir)]
        with open(self.log_file, "ab") as log:
            os.chmod(self.log_file, 0o600)
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=[fd] if listener else [], start_new_session=True,
            )
        if listener is not None:
            listener.close()  # pcscd holds its own copy
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
        if other != self.pid and _pid_alive(other):
            with contextlib.suppress(OSError):
                from bridge.fileio import atomic_write

                atomic_write(SYSTEM_PID_FILE, before, mode=0o644)

    def _wait_ready(self, timeout: float) -> None:
        """Ready when every vpcd slot 0 listens (pcscd loaded the readers) and the socket exists."""
        deadline = time.monotonic() + timeout
        pending = set(self.ports.values())
        while pending or (self.socket_path is None and not SYSTEM_SOCKET.exists()):
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchUnavailable(f"pcscd exited with status {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise BenchUnavailable(f"pcscd did not load the vpcd readers within {timeout:.0f} s: {self.log_tail()}")
            for port in list(pending):
                # A bare connect would look like a card insertion to vpcd: probe with bind instead.
                with socket.socket() as s:
                    try:
                        s.bind(("0.0.0.0", port))
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
        if self.socket_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
