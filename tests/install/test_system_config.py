"""The system configuration IT sets (/etc/vitale-bridge/config.json), wired into the host:
``serve``'s port, the WebSocket's allowed origins (the system list is the whole list), the
``origins`` command, and ``doctor`` saying which setting comes from where.

Each test points VITALE_BRIDGE_SYSTEM_CONFIG at its own file; the real servers and the real
WebSocket handshake are used."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.servers import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
EHR = "https://ehr.example.fr"
MINE = "https://mine.example.fr"


def system_file(env, **keys) -> Path:
    path = Path(env["VITALE_BRIDGE_SYSTEM_CONFIG"])
    path.write_text(json.dumps(keys))
    return path


def cli(env, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "bridge", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=90)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


async def handshake(port: int, origin: str) -> int | None:
    """The HTTP status of a WebSocket handshake from *origin* (None: accepted)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    try:
        async with connect(f"ws://127.0.0.1:{port}/", origin=origin, open_timeout=10):
            return None
    except InvalidStatus as exc:
        return exc.response.status_code


def test_serve_listens_on_the_system_port_unless_told_otherwise(env, home):
    port = free_port()
    system_file(env, websocketPort=port)
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "serve", "--driver", "simulator", "--no-ipv6"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        log = b""
        while b"listening on" not in log:
            line = proc.stderr.readline()
            assert line, log
            log += line
        assert f"ws://127.0.0.1:{port}".encode() in log, log
        # the rpc client goes to the same port without being told
        readers = json.loads(cli(env, "rpc", "readers.list").stdout)
        assert readers["readers"] == [] or isinstance(readers["readers"], list)
    finally:
        proc.terminate()
        proc.wait(15)
    served = start_server(home, env, "--driver", "simulator")  # --port given: it wins
    try:
        assert served.port != port
    finally:
        stop_server(served)


def test_serve_refuses_to_start_on_a_broken_system_file(env):
    path = system_file(env, websocketPort=80)
    proc = cli(env, "serve", "--driver", "simulator", check=False)
    assert proc.returncode == 1
    assert str(path) in proc.stderr and "websocketPort" in proc.stderr


def test_the_system_list_is_the_whole_list_of_web_origins(env, home):
    cli(env, "origins", "allow", MINE)  # the user's own list, before IT sets one
    served = start_server(home, env, "--driver", "simulator")
    try:
        assert asyncio.run(handshake(served.port, MINE)) is None
        assert asyncio.run(handshake(served.port, EHR)) == 403
        system_file(env, websocketAllowedOrigins=[EHR])  # read at each connection: no restart
        assert asyncio.run(handshake(served.port, EHR)) is None
        assert asyncio.run(handshake(served.port, MINE)) == 403
        system_file(env, websocketAllowedOrigins=[])  # an empty list: no web origin at all
        assert asyncio.run(handshake(served.port, EHR)) == 403
    finally:
        stop_server(served)


def test_origins_allow_is_refused_when_the_organisation_sets_the_list(env):
    path = system_file(env, websocketAllowedOrigins=[EHR])
    proc = cli(env, "origins", "allow", MINE, check=False)
    assert proc.returncode == 1
    assert str(path) in proc.stderr and "IT" in proc.stderr
    listed = json.loads(cli(env, "origins", "list", "--json").stdout)
    assert listed["system"] == [EHR] and "user" not in listed
    assert "set by the organisation" in cli(env, "origins", "list").stdout


def doctor_checks(env, *, configured_port: bool = False) -> dict[str, dict]:
    """doctor --json, on a free port, or (configured_port) with no --port at all."""
    port_args = [] if configured_port else ["--port", str(free_port())]
    proc = cli(env, "doctor", "--json", *port_args, check=False)
    return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_doctor_says_where_each_setting_comes_from(env):
    cli(env, "origins", "allow", MINE)
    checks = doctor_checks(env)
    assert "absent" in checks["system configuration"]["summary"]
    assert "built-in default" in checks["setting websocketPort"]["summary"]
    assert MINE in checks["setting websocketAllowedOrigins"]["summary"]
    assert "your own list" in checks["setting websocketAllowedOrigins"]["summary"]

    port = free_port()
    path = system_file(env, websocketPort=port, websocketAllowedOrigins=[EHR], odMaxAgeDays=30,
                       odUpdateSource="/srv/tod")
    checks = doctor_checks(env, configured_port=True)
    assert checks["system configuration"]["status"] == "ok" and str(path) in checks["system configuration"]["summary"]
    for key, value in (("websocketPort", str(port)), ("odMaxAgeDays", "30"), ("odUpdateSource", "/srv/tod")):
        summary = checks[f"setting {key}"]["summary"]
        assert summary.startswith(value) and str(path) in summary, summary
    origins = checks["setting websocketAllowedOrigins"]["summary"]
    assert EHR in origins and MINE not in origins.split("(")[0] and "1 origin(s) ignored" in origins
    assert "not set" in checks["setting pkcs11Module"]["summary"]
    # the port check looks where the host would listen
    assert f"websocket port {port}" in checks


def test_doctor_reports_a_broken_system_file_and_goes_on(env):
    path = system_file(env, websocketPort="high")
    checks = doctor_checks(env)
    c = checks["system configuration"]
    assert c["status"] == "fail" and str(path) in c["summary"] and c["fix"]
    assert "host" in checks and any(name.startswith("manifest") for name in checks)

