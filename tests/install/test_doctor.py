"""`vitale-bridge doctor`: real checks on this machine's state, and no personal data in the report."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.helpers.servers import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]


def doctor(env, *args):
    proc = subprocess.run([sys.executable, "-m", "bridge", "doctor", "--json", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=90)
    report = json.loads(proc.stdout)
    return proc.returncode, report, {c["name"]: c for c in report["checks"]}


def test_every_check_has_a_status_and_failures_say_what_to_do(env):
    code, report, checks = doctor(env, "--port", str(free_port()))
    assert report["version"]
    for c in report["checks"]:
        assert c["status"] in {"ok", "warn", "fail"}
        if c["status"] != "ok":
            assert c["fix"], c
    assert code == (1 if report["summary"]["fail"] else 0)
    for name in ("host", "pcsc", "od table", "token file", "extensions allowed"):
        assert name in checks
    assert {f"manifest {b}" for b in ("chrome", "chromium", "edge", "brave", "firefox")} <= set(checks)


def test_pcscd_unreachable_is_a_failure_with_the_fix(env):
    code, _, checks = doctor(env, "--port", str(free_port()))
    assert checks["pcsc"]["status"] == "fail"
    assert "pcscd" in checks["pcsc"]["fix"]
    assert code == 1


def test_text_report_is_one_line_per_check(env):
    proc = subprocess.run([sys.executable, "-m", "bridge", "doctor", "--port", str(free_port())], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=90)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ok    host")
    assert any(line.startswith("fail  pcsc") for line in lines)
    assert any(line.strip().startswith("-> start it") for line in lines)


def test_manifest_checks_follow_install_and_a_broken_launcher(env):
    subprocess.run([sys.executable, "-m", "bridge", "install", "--browser", "chromium"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    _, _, checks = doctor(env, "--port", str(free_port()))
    assert checks["manifest chromium"]["status"] == "ok"
    manifest = Path(env["HOME"]) / ".config/chromium/NativeMessagingHosts/fr.vitale_bridge.host.json"
    launcher = Path(json.loads(manifest.read_text())["path"])
    launcher.chmod(0o644)
    _, _, checks = doctor(env, "--port", str(free_port()))
    assert checks["manifest chromium"]["status"] == "fail"
    assert "not executable" in checks["manifest chromium"]["summary"]
    assert "install --browser chromium" in checks["manifest chromium"]["fix"]


def test_token_file_readable_by_others_fails(env, home):
    from bridge.settings import Paths, load_or_create_token

    paths = Paths.resolve(home)
    load_or_create_token(paths)
    _, _, checks = doctor(env, "--port", str(free_port()))
    assert checks["token file"]["status"] == "ok"
    paths.token_file.chmod(0o644)
    _, report, checks = doctor(env, "--port", str(free_port()))
    assert checks["token file"]["status"] == "fail"
    assert "chmod 600" in checks["token file"]["fix"]
    assert paths.token_file.read_text().strip() not in json.dumps(report)  # never the secret itself


def test_port_in_use_by_another_program_fails(env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        _, _, checks = doctor(env, "--port", str(port))
    check = checks[f"websocket port {port}"]
    assert check["status"] == "fail"
    assert "--port" in check["fix"]


def test_port_served_by_a_bridge_is_recognised(env, home):
    served = start_server(home, env)
    try:
        _, _, checks = doctor(env, "--port", str(served.port))
    finally:
        stop_server(served)
    check = checks[f"websocket port {served.port}"]
    assert check["status"] == "ok"
    assert "answers bridge.hello" in check["summary"]


def test_readers_and_cards_without_personal_data(vitale_readers, env):
    """On the virtual PC/SC bench: readers, card types, and nothing read from the card."""
    vitale_readers.insert("adulte")
    env = {**env, **vitale_readers.env}
    _, report, checks = doctor(env, "--port", str(free_port()))
    assert checks["pcsc"]["status"] == "ok"
    readers = {name: c for name, c in checks.items() if name.startswith("reader ")}
    assert len(readers) >= 2
    summaries = [c["summary"] for c in readers.values()]
    assert any(s.startswith("card present") and "vitale" in s.lower() for s in summaries)
    assert any(s == "no card inserted" for s in summaries)
    text = json.dumps(report, ensure_ascii=False)
    profile = json.loads((ROOT / "bridge/profiles/data/adulte.json").read_text())
    person = profile["beneficiaries"][0]
    for personal in (person["nom"], person["prenom"], person["nir"], person["dateNaissance"], profile["serialNumber"]):
        assert personal not in text


def test_a_broken_system_file_without_port_checks_the_default_port(env):
    """No --port and a system file that does not load: doctor reports the file once and checks
    the built-in port, like the other checks going on with the defaults."""
    from bridge.identity import DEFAULT_PORT

    Path(env["VITALE_BRIDGE_SYSTEM_CONFIG"]).write_text('{"websocketPort": "high"}')
    _, _, checks = doctor(env)
    assert checks["system configuration"]["status"] == "fail"
    assert f"websocket port {DEFAULT_PORT}" in checks
    assert "od table" in checks
