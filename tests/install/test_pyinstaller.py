"""The PyInstaller build: built once per session, then driven like the browser and the EHR would.

Takes about 15-60 s to build (it must run in CI: PyInstaller is in the ``build`` extra that the
CI setup installs). A missing PyInstaller is a failure under CI, a skip elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.hostproc import CHROME_ORIGIN, Host, hello

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="session")
def frozen_host(tmp_path_factory) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        message = "PyInstaller is not installed: pip install -e '.[build]'"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    import importlib.util

    spec = importlib.util.spec_from_file_location("vb_installer_build", ROOT / "installer" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = tmp_path_factory.mktemp("pyinstaller")
    return build.build(out / "dist", out / "work", quiet=True)


def test_build_is_a_folder_with_the_data_files(frozen_host):
    internal = frozen_host.parent / "_internal"
    for package_dir in ("bridge/od/data", "bridge/profiles/data"):
        source = sorted(p.name for p in (ROOT / package_dir).iterdir() if p.is_file() and p.suffix not in {".py", ".pyc"})
        built = sorted(p.name for p in (internal / package_dir).iterdir())
        assert source and built == source, package_dir
    version = subprocess.run([frozen_host, "--version"], capture_output=True, text=True, timeout=60)
    from bridge import __version__

    assert version.stdout.strip().startswith(f"vitale-bridge {__version__}")


def test_binary_answers_hello_over_native_messaging(frozen_host, home):
    host = Host([str(frozen_host), CHROME_ORIGIN], home)
    try:
        host.send(hello(1))
        answer = host.receive(timeout=30)
        assert answer["result"]["transport"] == "native"
        # the embedded TOD table ships inside: od.info answers from it
        host.send({"jsonrpc": "2.0", "id": 2, "method": "od.info"})
        info = host.receive(timeout=30)
        assert info["result"]["rowCount"] > 0, info
        code, rest, err = host.finish(timeout=30)
        assert (code, rest) == (0, b""), err
    finally:
        host.kill()


def test_binary_simulator_uses_the_shipped_profiles(frozen_host, home):
    host = Host([str(frozen_host), "native", "--driver", "simulator", "--profile", "adulte"], home)
    try:
        host.send({"jsonrpc": "2.0", "id": 1, "method": "readers.list"})
        answer = host.receive(timeout=30)
        assert any(r["cardPresent"] for r in answer["result"]["readers"]), answer
    finally:
        host.kill()


def test_binary_answers_hello_over_the_websocket(frozen_host, home):
    from bridge.client import BridgeClient
    from bridge.settings import Paths, read_token

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(frozen_host), "--home", str(home), "serve", "--port", str(port), "--no-ipv6"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        log = b""
        while time.monotonic() < deadline and b"listening on" not in log:
            line = server.stderr.readline()
            if not line:
                break
            log += line
        assert re.search(rb"listening on ws://127\.0\.0\.1:%d" % port, log), log

        async def call():
            async with BridgeClient.connect(port=port, token=read_token(Paths.resolve(home))) as client:
                return await client.call("bridge.hello", {"clientName": "t", "clientVersion": "1"})

        result = asyncio.run(call())
        assert result["transport"] == "websocket"
    finally:
        server.terminate()
        server.wait(15)


def test_install_points_the_manifests_at_the_binary(frozen_host, home, tmp_path):
    user_home = tmp_path / "user"
    user_home.mkdir()
    env = {**os.environ, "HOME": str(user_home), "VITALE_BRIDGE_HOME": str(home)}
    # from the pip install, naming the binary
    subprocess.run([sys.executable, "-m", "bridge", "install", "--browser", "chromium", "--host-path", str(frozen_host)],
                   env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    manifest = user_home / ".config/chromium/NativeMessagingHosts/fr.vitale_bridge.host.json"
    assert json.loads(manifest.read_text())["path"] == str(frozen_host)
    subprocess.run([sys.executable, "-m", "bridge", "uninstall"], env=env, cwd=ROOT, check=True, capture_output=True,
                   timeout=60)
    assert not manifest.exists()
    # the binary installing itself: it is its own host program, no launcher
    subprocess.run([str(frozen_host), "install", "--browser", "firefox"], env=env, check=True, capture_output=True,
                   timeout=60)
    firefox = user_home / ".mozilla/native-messaging-hosts/fr.vitale_bridge.host.json"
    assert json.loads(firefox.read_text())["path"] == str(frozen_host)
    # and the manifest's program really is a working host
    proc = subprocess.run([str(frozen_host), str(firefox), "vitale-bridge@vitale-bridge.org"],
                          input=b"\x00" * 0, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0 and proc.stdout == b""
    subprocess.run([str(frozen_host), "uninstall"], env=env, check=True, capture_output=True, timeout=60)
    assert not firefox.exists()


def test_binary_reads_the_cps_holder_through_pkcs11(frozen_host, home, tmp_path):
    """python-pkcs11 and cryptography ship inside: ``cps`` reads a SoftHSM token (see tests/pkcs11)."""
    from tests.helpers import certs
    from tests.helpers.softhsm import MODULE, SoftHsm, available

    if not available():
        message = "SoftHSM2 and pkcs11-tool are needed: apt-get install softhsm2 opensc"
        pytest.fail(message, pytrace=False) if os.environ.get("CI") else pytest.skip(message)
    hsm = SoftHsm.create(tmp_path / "softhsm")
    hsm.add_token("CPS")
    hsm.write_certificate("CPS", certs.certificate_der(certs.ZOE))
    out = subprocess.run([str(frozen_host), "--home", str(home), "cps", "--pkcs11-module", MODULE, "--json"],
                         capture_output=True, text=True, timeout=60, env={**os.environ, **hsm.env})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["numero"] == certs.ZOE.numero
