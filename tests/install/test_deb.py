"""The Debian package: its contents, the host inside it, and (as root) a real install and purge.

Built once per session by ``bash installer/package.sh deb``. The install tests change the real
system: they run only as root (a CI machine), install once per module and purge at the end,
and check that the purge leaves no file the package added.
"""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from bridge import __version__
from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME
from tests.helpers.hostproc import CHROME_ORIGIN, Host, hello

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.package, pytest.mark.timeout(1800)]

HOST = "/usr/lib/vitale-bridge/vitale-bridge"
MANIFEST = f"{NATIVE_HOST_NAME}.json"
SYSTEM_MANIFESTS = {
    "chrome": f"/etc/opt/chrome/native-messaging-hosts/{MANIFEST}",
    "chromium": f"/etc/chromium/native-messaging-hosts/{MANIFEST}",
    "edge": f"/etc/opt/edge/native-messaging-hosts/{MANIFEST}",
    "brave": f"/etc/opt/brave/native-messaging-hosts/{MANIFEST}",
    "firefox": f"/usr/lib/mozilla/native-messaging-hosts/{MANIFEST}",
}
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=900", "-y", "-q"]


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def extracted(deb, tmp_path_factory) -> Path:
    """The package's files unpacked in a temporary folder (no root needed)."""
    root = tmp_path_factory.mktemp("deb-root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def test_package_name_and_control_fields(deb):
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    assert deb.name == f"vitale-bridge_{__version__}_{arch}.deb"
    assert field(deb, "Package") == "vitale-bridge"
    assert field(deb, "Version") == __version__
    depends = [d.strip().split()[0] for d in field(deb, "Depends").split(",")]
    assert {"pcscd", "libpcsclite1", "libc6"} <= set(depends)


def test_package_contents(deb, extracted):
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[5].lstrip(".") for line in listing.splitlines()}
    expected = {
        HOST, "/usr/bin/vitale-bridge", *SYSTEM_MANIFESTS.values(),
        f"/usr/share/vitale-bridge/vitale-bridge-chrome-{__version__}.zip",
        f"/usr/share/vitale-bridge/vitale-bridge-firefox-{__version__}.zip",
        "/usr/share/doc/vitale-bridge/copyright", "/usr/share/doc/vitale-bridge/changelog.gz",
        "/usr/share/doc/vitale-bridge/install.md", "/usr/share/man/man1/vitale-bridge.1.gz",
    }
    assert expected <= paths, expected - paths
    # one-folder PyInstaller build: the data files of the bridge ship inside
    assert any(p.startswith("/usr/lib/vitale-bridge/_internal/bridge/od/data/") for p in paths)
    # nothing in the package writes to a user's home or to /usr/local
    assert not [p for p in paths if p.startswith(("/home", "/root", "/usr/local"))]
    # the licence: MPL-2.0, the common-licenses reference, and the bundled distributions
    copyright_ = (extracted / "usr/share/doc/vitale-bridge/copyright").read_text()
    assert "License: MPL-2.0" in copyright_ and "/usr/share/common-licenses/MPL-2.0" in copyright_
    assert "pydantic" in copyright_ and "pyscard" in copyright_


def inside(root: Path, path: str) -> Path:
    """*path* of the package under *root*, following the package's absolute symlinks there."""
    target = root / path.lstrip("/")
    while target.is_symlink():
        link = os.readlink(target)
        target = root / link.lstrip("/") if link.startswith("/") else target.parent / link
    return target


def test_manifests_point_at_the_packaged_host(extracted):
    for browser, path in SYSTEM_MANIFESTS.items():
        manifest = json.loads(inside(extracted, path).read_text())
        assert manifest["name"] == NATIVE_HOST_NAME, browser
        assert manifest["path"] == HOST, browser
        if browser == "firefox":
            assert manifest["allowed_extensions"] == [FIREFOX_ADDON_ID]
        else:
            assert manifest["allowed_origins"] == [f"chrome-extension://{CHROME_EXTENSION_ID}/"]


def test_extension_packages_are_the_built_ones(extracted):
    for family in ("chrome", "firefox"):
        with zipfile.ZipFile(extracted / f"usr/share/vitale-bridge/vitale-bridge-{family}-{__version__}.zip") as z:
            manifest = json.loads(z.read("manifest.json"))
        assert manifest["version"] == __version__
        if family == "firefox":
            assert manifest["browser_specific_settings"]["gecko"]["id"] == FIREFOX_ADDON_ID
        else:
            assert "key" in manifest


def test_shell_completions_ship_when_the_host_has_them(extracted):
    host = extracted / HOST.lstrip("/")
    for shell, path in (("bash", "usr/share/bash-completion/completions/vitale-bridge"),
                        ("zsh", "usr/share/zsh/vendor-completions/_vitale-bridge")):
        proc = subprocess.run([str(host), "completion", shell], capture_output=True, text=True, timeout=60)
        if proc.returncode == 0 and proc.stdout.strip():
            assert (extracted / path).read_text() == proc.stdout, shell
        else:  # this build has no completion command: nothing half-made in the package
            assert not (extracted / path).exists(), shell


def test_lintian_reports_no_errors(deb):
    proc = subprocess.run(["lintian", str(deb)], capture_output=True, text=True, timeout=600)
    errors = [line for line in proc.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], errors


def test_unpacked_host_answers_native_messaging(extracted, home):
    """The packaged binary, unpacked anywhere, is a working native host (no Python needed)."""
    host = Host([str(extracted / HOST.lstrip("/")), CHROME_ORIGIN], home)
    try:
        host.send(hello(1))
        answer = host.receive(timeout=60)
        assert answer["result"]["transport"] == "native", answer
        assert answer["result"]["version"] == __version__
        code, rest, err = host.finish(timeout=30)
        assert (code, rest) == (0, b""), err
    finally:
        host.kill()


def test_unpacked_host_has_the_policy_command(extracted, tmp_path):
    """IT runs 'vitale-bridge policy' from the package: the frozen build has every module it needs."""
    proc = subprocess.run([str(extracted / HOST.lstrip("/")), "policy", "--origin", "https://ehr.example.fr",
                           "--root", str(tmp_path), "--write"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    written = json.loads((tmp_path / "etc/chromium/policies/managed/vitale-bridge.json").read_text())
    assert written["3rdparty"]["extensions"][CHROME_EXTENSION_ID] == {"allowedOrigins": ["https://ehr.example.fr"]}


# --- as root: install, use, purge ----------------------------------------------------------------

#: Folders the package writes to; snapshots cover them entirely (not only our names), so a file
#: the package or its scripts added anywhere there is seen.
WATCHED = ("/etc", "/usr/bin", "/usr/lib", "/usr/share", "/usr/local", "/opt")


def snapshot() -> set[str]:
    found: set[str] = set()
    for top in WATCHED:
        for folder, dirs, files in os.walk(top):
            found.add(folder)
            found.update(os.path.join(folder, n) for n in (*dirs, *files))
    return found


def owned_by_a_package(paths: list[str]) -> set[str]:
    """Of *paths*, those some installed package owns (another helper's apt run, not ours)."""
    owned: set[str] = set()
    for i in range(0, len(paths), 200):
        out = subprocess.run(["dpkg", "-S", *paths[i : i + 200]], capture_output=True, text=True).stdout
        for line in out.splitlines():
            owned.update(p.strip() for p in line.split(": ", 1)[1].split(", ")) if ": " in line else None
    return owned


@pytest.fixture(scope="module")
def installed(deb):
    """apt-get install ./dist/vitale-bridge_*.deb, once; purge afterwards. Yields the snapshots."""
    if os.geteuid() != 0:
        pytest.skip("installing the package changes /usr and /etc: run as root (the CI machine does)")
    if subprocess.run(["dpkg", "-s", "vitale-bridge"], capture_output=True).returncode == 0:
        pytest.skip("vitale-bridge is already installed on this machine: purge it first")
    state = {"before": snapshot()}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run([*APT, "install", "--no-install-recommends", str(deb.resolve())], env=env,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    state["installed"] = snapshot()
    state["files"] = subprocess.run(["dpkg", "-L", "vitale-bridge"], capture_output=True, text=True).stdout.split()
    try:
        yield state
    finally:
        subprocess.run([*APT, "purge", "vitale-bridge"], env=env, capture_output=True, timeout=1200)


def test_installed_files_are_in_place(installed):
    for path in installed["files"]:
        assert os.path.lexists(path), path
    version = subprocess.run(["/usr/bin/vitale-bridge", "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith(f"vitale-bridge {__version__}")


def test_installed_doctor_finds_the_system_manifests(installed, env):
    proc = subprocess.run(["/usr/bin/vitale-bridge", "doctor", "--json"], env=env, capture_output=True, text=True,
                          timeout=120)
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert "PyInstaller build" in checks["host"]["summary"] and HOST in checks["host"]["summary"]
    for browser in SYSTEM_MANIFESTS:
        c = checks[f"manifest {browser}"]
        assert c["status"] == "ok" and f"-> {HOST}" in c["summary"], c


@pytest.mark.parametrize("browser", ["chromium", "firefox"])
def test_installed_host_answers_through_the_system_manifest(installed, browser, home):
    """Start the program a system manifest names, with the arguments that browser passes."""
    manifest_path = SYSTEM_MANIFESTS[browser]
    manifest = json.loads(Path(manifest_path).read_text())
    args = [CHROME_ORIGIN] if browser == "chromium" else [manifest_path, FIREFOX_ADDON_ID]
    host = Host([manifest["path"], *args], home)
    try:
        host.send(hello(1))
        assert host.receive(timeout=60)["result"]["transport"] == "native"
        code, _, err = host.finish(timeout=30)
        assert code == 0, err
    finally:
        host.kill()


@pytest.mark.browser
def test_chromium_reaches_the_installed_host_and_reads_a_bench_card(installed, vitale_readers, tmp_path,
                                                                      monkeypatch):
    """System Chromium, the packaged extension loaded, finds the installed host through
    /etc/chromium/native-messaging-hosts/ (nothing in its profile) and reads a card that the
    virtual PC/SC bench holds."""
    from tests.helpers.browser import CHROMIUM, _require, launch_chromium, open_with_consent

    _require(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    from bridge.demo.server import start_demo_server

    extension = tmp_path / "extension"
    with zipfile.ZipFile(f"/usr/share/vitale-bridge/vitale-bridge-chrome-{__version__}.zip") as z:
        z.extractall(extension)
    # The browser passes its environment to the host it starts: the bench's pcscd socket, and
    # a private bridge home so root's own folders stay untouched.
    for key, value in vitale_readers.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VITALE_BRIDGE_HOME", str(tmp_path / "host-home"))
    vitale_readers.insert("famille")
    demo = start_demo_server(0)
    udd = tmp_path / "profile"
    try:
        with sync_playwright() as p:
            ctx, ext_id = launch_chromium(p, udd, extension)
            try:
                assert ext_id == CHROME_EXTENSION_ID
                page = ctx.new_page()
                open_with_consent(ctx, page, demo.url, "once")
                page.wait_for_selector("body[data-ready=true]")
                page.wait_for_selector("[data-testid=card-status][data-card=present]", timeout=15000)
                page.click("[data-testid=read]")
                page.wait_for_selector("body[data-read=done]", timeout=20000)
                assert page.input_value("[data-testid=nom]") == "EXEMPLE"
                assert page.input_value("[data-testid=nir]") == "1780369123456"
                status = page.evaluate(
                    """async () => {
                        const sdk = await import('/sdk/vitale-bridge.js');
                        const bridge = await sdk.VitaleBridge.connect();
                        const s = await bridge.status();
                        bridge.close();
                        return s;
                    }"""
                )
            finally:
                ctx.close()
    finally:
        demo.close()
    assert status["transport"] == "native" and status["host"]["driver"] == "pcsc", status
    assert not list(udd.glob("NativeMessagingHosts/*"))  # the manifest came from /etc/chromium
    assert (tmp_path / "host-home").is_dir()  # ... and the host it named ran with this environment


def test_purge_removes_every_file_the_package_added(installed):
    """Runs last in this module: purges, then compares the system with the snapshots."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run([*APT, "purge", "vitale-bridge"], env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = snapshot()
    added = installed["installed"] - installed["before"]
    watched = {f for f in installed["files"] if f.startswith(tuple(w + "/" for w in WATCHED)) or f in WATCHED}
    assert watched and watched <= installed["installed"]
    left = sorted(p for p in added & after if "/__pycache__" not in p)
    # another process may install packages meanwhile: what a package owns is not ours
    leaked = sorted(set(left) - owned_by_a_package(left)) if left else []
    assert leaked == [], leaked
    assert subprocess.run(["dpkg", "-s", "vitale-bridge"], capture_output=True).returncode != 0
