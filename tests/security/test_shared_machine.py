"""A shared machine: programs of another OS user must neither use our bridge nor receive our
token (docs/security.md, "Shared machines").

CI runs as root, so each test creates a throwaway user (removed afterwards) and runs a small
client or listener as that user with ``setpriv``; the same script run as our own user is the
control that must be accepted.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import textwrap

import pytest

from bridge.errors import SetupError
from bridge.identity import CHROME_EXTENSION_ID
from tests.helpers.servers import free_port

pytestmark = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"),
    reason="needs root, useradd and setpriv (CI runs as root)",
)

EXTENSION_ORIGIN = f"chrome-extension://{CHROME_EXTENSION_ID}"

CLIENT = textwrap.dedent(
    """
    import socket, sys
    port, origin, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    lines = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    if origin != "-":
        lines.append(f"Origin: {origin}")
    if token != "-":
        lines.append(f"Authorization: Bearer {token}")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("\\r\\n".join(lines) + "\\r\\n\\r\\n").encode())
    print(s.recv(4096).split(b"\\r\\n")[0].split()[1].decode())
    """
)

LISTENER = textwrap.dedent(
    """
    import socket, sys
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen()
    print("listening", flush=True)
    s.settimeout(30)
    try:
        while True:
            conn, _ = s.accept()
            conn.settimeout(3)
            try:
                print(repr(conn.recv(65536)), flush=True)
            except OSError:
                print("nothing", flush=True)
    except OSError:
        pass
    """
)


@pytest.fixture(scope="module")
def other_user():
    """A throwaway OS user (uid, gid), deleted after the module."""
    name = "vbtest" + secrets.token_hex(3)
    subprocess.run(
        ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
        check=True, capture_output=True,
    )
    try:
        import pwd

        entry = pwd.getpwnam(name)
        yield entry.pw_uid, entry.pw_gid
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def as_user(user: tuple[int, int] | None, *argv: str) -> list[str]:
    """argv run as *user* (None: as ourselves, the control)."""
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    command = [python, "-c", *argv] if argv else [python]
    if user is None:
        return command
    uid, gid = user
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *command]


async def handshake_status(user, port: int, origin: str, token: str) -> int:
    proc = await asyncio.create_subprocess_exec(
        *as_user(user, CLIENT, str(port), origin, token),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd="/",
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return int(out)


async def test_other_user_with_extension_origin_is_refused(server, other_user):
    assert await handshake_status(other_user, server.port, EXTENSION_ORIGIN, "-") == 403
    assert await handshake_status(None, server.port, EXTENSION_ORIGIN, "-") == 101


async def test_other_user_with_stolen_token_is_refused(server, other_user):
    assert await handshake_status(other_user, server.port, "-", server.token) == 403
    assert await handshake_status(None, server.port, "-", server.token) == 101


async def test_refusal_logged_without_personal_data(server, other_user, caplog):
    caplog.set_level("WARNING", logger="vitale_bridge")
    from bridge.transport import websocket

    websocket.refusals._last = None  # the first refusal of this test is written
    assert await handshake_status(other_user, server.port, EXTENSION_ORIGIN, "-") == 403
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert lines and "another user" in lines[-1]
    name = subprocess.run(["id", "-nu", str(other_user[0])], capture_output=True, text=True).stdout.strip()
    assert name not in lines[-1] and str(other_user[0]) not in lines[-1]


@pytest.fixture
async def foreign_listener(other_user):
    """A listener of the other user on a free port: it prints whatever it receives."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *as_user(other_user, LISTENER, str(port)), stdout=asyncio.subprocess.PIPE, cwd="/",
    )
    assert (await asyncio.wait_for(proc.stdout.readline(), 10)).strip() == b"listening"
    try:
        yield port, proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def received(proc) -> bytes:
    proc.kill()
    out, _ = await proc.communicate()
    return out


async def test_rpc_cli_never_sends_the_token_to_another_users_listener(foreign_listener, tmp_path):
    port, proc = foreign_listener
    home = tmp_path / "home"
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bridge", "--home", str(home), "rpc", "bridge.hello",
        '{"clientName": "t", "clientVersion": "1"}', "--port", str(port),
        stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(cli.communicate(), 30)
    assert cli.returncode == 1
    assert f"port {port} is held by another user's program" in err.decode()
    assert b"Bearer" not in await received(proc)


async def test_client_never_sends_the_token_to_another_users_listener(foreign_listener, paths):
    from bridge.client import BridgeClient

    port, proc = foreign_listener
    with pytest.raises(SetupError, match=f"port {port} is held by another user's program"):
        await BridgeClient.connect(port=port, token="secret-token-value")
    assert b"secret-token-value" not in await received(proc)


async def test_second_users_bridge_names_the_situation(foreign_listener, settings):
    from bridge.app import Bridge
    from bridge.transport.websocket import WebSocketServer

    port, _ = foreign_listener
    settings.port = port
    server = WebSocketServer(Bridge(settings))
    with pytest.raises(SetupError) as caught:
        await server.start()
    message = str(caught.value)
    assert "held by another user's program" in message
    assert "--port" in message and "websocketPort" in message


async def test_proc_fallback_refuses_the_other_user_too(server, other_user, monkeypatch):
    """Where netlink's sock_diag cannot answer, /proc/net/tcp decides (same verdicts)."""
    from bridge.transport import peers

    monkeypatch.setattr(peers, "_netlink_peer_owner", lambda local, remote: None)
    assert await handshake_status(other_user, server.port, EXTENSION_ORIGIN, "-") == 403
    assert await handshake_status(None, server.port, EXTENSION_ORIGIN, "-") == 101


async def test_doctor_names_another_users_listener(foreign_listener, paths):
    from bridge.doctor import check_port

    port, proc = foreign_listener
    (check,) = await asyncio.to_thread(check_port, paths, port)
    assert check.status == "fail" and "another user's program" in check.summary
    assert "--port" in check.fix and "websocketPort" in check.fix
    assert b"Bearer" not in await received(proc)
