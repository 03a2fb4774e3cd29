"""The foundation's CLI as a user runs it: `rpc` against a running bridge, `origins`, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers.servers import free_port


def cli(home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=60)


def test_rpc_prints_the_result_as_json(running):
    r = cli(running.home, "rpc", "bridge.hello", '{"clientName": "cli-test", "clientVersion": "1"}',
            "--port", str(running.port))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["driver"] == "simulator"


def test_rpc_error_goes_to_stderr_with_a_nonzero_exit(running):
    r = cli(running.home, "rpc", "no.such.method", "--port", str(running.port))
    assert r.returncode == 1 and r.stdout == ""
    assert "METHOD_NOT_FOUND" in r.stderr
    j = cli(running.home, "rpc", "od.resolve", '{"regime": "01", "caisse": "000", "centre": "0000"}',
            "--port", str(running.port), "--json")
    assert j.returncode == 1
    assert json.loads(j.stderr)["error"]["data"]["code"] == "OD_NOT_FOUND"


def test_rpc_shows_the_field_level_findings_without_input_values(running):
    r = cli(running.home, "rpc", "bridge.hello", '{"clientName": "Jeanne-Dupont-1985", "clientVersion": 7}',
            "--port", str(running.port))
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == "error INVALID_PARAMS: Invalid params"
    assert lines[1].startswith("  clientVersion: ") and lines[1].endswith("(string_type)")
    assert len(lines) == 2  # clientName was valid
    assert "Jeanne" not in r.stderr and "7" not in r.stderr
    missing = cli(running.home, "rpc", "bridge.hello", "--port", str(running.port))
    assert missing.stderr.splitlines()[1:] == ["  clientName: Field required (missing)",
                                               "  clientVersion: Field required (missing)"]


def test_an_invalid_profile_file_is_described_without_its_values(tmp_path):
    profile = tmp_path / "mine.json"
    profile.write_text(json.dumps({"kind": "vitale", "cardType": "vitale2", "nom": "DUPONT",
                                   "beneficiaries": [{"nir": "1850775123456"}]}))
    for extra in ([], ["--json"]):
        r = cli(tmp_path / "home", "readers", "--driver", "simulator", "--profile", str(profile), *extra)
        assert r.returncode == 2
        assert "DUPONT" not in r.stderr and "1850775123456" not in r.stderr
    assert "  beneficiaries.0.nom: Field required (missing)" in cli(
        tmp_path / "home", "readers", "--driver", "simulator", "--profile", str(profile)).stderr.splitlines()


def test_rpc_params_must_be_json(running):
    r = cli(running.home, "rpc", "bridge.hello", "{not json", "--port", str(running.port))
    assert r.returncode == 2 and "not valid JSON" in r.stderr


def test_rpc_without_a_bridge_says_how_to_start_one(tmp_path):
    r = cli(tmp_path, "rpc", "bridge.hello", "--port", str(free_port()))
    assert r.returncode == 3 and "vitale-bridge serve" in r.stderr


def test_rpc_with_the_token_of_another_home_says_so(running, tmp_path):
    r = cli(tmp_path, "rpc", "bridge.hello", "--port", str(running.port))
    assert r.returncode == 3
    assert "refused the token (HTTP 401)" in r.stderr and "--home" in r.stderr
    assert "internal error" not in r.stderr


def test_rpc_to_a_port_where_something_else_answers(tmp_path):
    import socket
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        threading.Thread(target=answer, daemon=True).start()
        r = cli(tmp_path, "rpc", "bridge.hello", "--port", str(server.getsockname()[1]), "--json")
    assert r.returncode == 3
    assert json.loads(r.stderr)["error"]["code"] == "UNREACHABLE"
    assert "not a vitale-bridge" in r.stderr


def test_origins_allow_list_revoke(tmp_path):
    assert cli(tmp_path, "origins", "allow", "https://ehr.example.fr").returncode == 0
    listed = json.loads(cli(tmp_path, "origins", "list", "--json").stdout)
    assert listed["user"] == ["https://ehr.example.fr"]
    assert listed["extension"][0].startswith("chrome-extension://")
    bad = cli(tmp_path, "origins", "allow", "https://ehr.example.fr/path")
    assert bad.returncode == 2 and "scheme://host" in bad.stderr
    assert cli(tmp_path, "origins", "revoke", "https://ehr.example.fr").returncode == 0
    assert json.loads(cli(tmp_path, "origins", "list", "--json").stdout)["user"] == []
    assert cli(tmp_path, "origins", "revoke", "https://ehr.example.fr").returncode == 2
    assert (tmp_path / "config" / "allowed-origins.json").stat().st_mode & 0o777 == 0o600


def test_version(tmp_path):
    from bridge import PROTOCOL_VERSION, __version__

    r = cli(tmp_path, "--version")
    assert r.returncode == 0 and r.stdout.strip() == f"vitale-bridge {__version__} (protocol {PROTOCOL_VERSION})"


def test_serving_writes_the_rotating_log_file_user_only(running):
    log = running.paths.log_file
    assert "listening on ws://127.0.0.1:" in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "argv,origin",
    [
        (["chrome-extension://abcdefghijklmnopabcdefghijklmnop/"], "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"),
        (["chrome-extension://abcdefghijklmnopabcdefghijklmnop/", "--parent-window=42"],
         "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"),
        (["/usr/lib/mozilla/native-messaging-hosts/fr.vitale_bridge.host.json", "vitale-bridge@vitale-bridge.org"],
         "vitale-bridge@vitale-bridge.org"),
        # Firefox add-on ids may also be a braced UUID, with no '@'
        (["C:\\\\vb\\\\fr.vitale_bridge.host.json", "{0a1b2c3d-4e5f-6789-abcd-ef0123456789}"],
         "{0a1b2c3d-4e5f-6789-abcd-ef0123456789}"),
    ],
)
def test_a_browser_launch_starts_the_native_host(monkeypatch, argv, origin):
    from bridge.cli import launch
    from bridge.transport import native

    seen = []
    monkeypatch.setattr(native, "main_from_browser", lambda a: seen.append(native.caller_origin(a)) or 0)
    assert launch.browser_launch(argv) == 0
    assert seen == [origin]


@pytest.mark.parametrize("argv", [[], ["serve"], ["od", "import", "table.json"], ["table.json"]])
def test_ordinary_commands_are_not_taken_for_a_browser_launch(argv):
    from bridge.cli import launch

    assert launch.browser_launch(argv) is None
