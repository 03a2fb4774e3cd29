"""``od update``: the newest TOD from IT's folder or https URL, guarded like an import, once."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import ssl
import subprocess
import threading

import pytest

from bridge.cli.main import EXIT_ERROR, main
from bridge.errors import OdImportSuspiciousError, SetupError
from bridge.od.store import OdStore, load_embedded
from bridge.od.update import fetch, update
from tests.helpers.od_testdata import official_file

EMBEDDED = load_embedded()


@pytest.fixture
def store(paths) -> OdStore:
    return OdStore(paths, watch_interval=0)


def test_the_newest_file_of_the_folder_is_imported_once(store, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    old = official_file(share / "TOD-3.38.csv", version="3.38")
    new = official_file(share / "TOD-3.39.csv", version="3.39")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_100_000, 1_700_100_000))
    (share / "~$TOD.csv").write_bytes(b"lock file of an open spreadsheet")
    (share / "notes.docx").write_bytes(b"not a TOD")
    report = update(store, str(share))
    assert (report.status, report.file_name, store.table.version) == ("imported", "TOD-3.39.csv", "3.39")
    info = store.info()
    assert info.source.origin == str(new) and info.source.sha256 == report.sha256 and info.age_days == 0
    again = update(store, str(share))
    assert (again.status, again.imported) == ("alreadyImported", None)
    store.rollback()  # the user went back: an update must not re-import what they left
    assert update(store, str(share)).status == "alreadyImported" and store.table.version == "3.37"


def test_the_guard_applies(store, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    official_file(share / "TOD.csv", [r for r in EMBEDDED.rows if r.regime != "08"])
    with pytest.raises(OdImportSuspiciousError):
        update(store, str(share))
    assert store.table.source.kind == "embedded"
    assert update(store, str(share), force=True).status == "imported"


def test_an_empty_or_missing_folder_says_so(tmp_path):
    with pytest.raises(SetupError, match="holds no TOD file"):
        fetch(str(tmp_path))
    with pytest.raises(SetupError, match="cannot be read"):
        fetch(str(tmp_path / "missing"))


def test_only_https_urls(tmp_path):
    with pytest.raises(SetupError, match="only https"):
        fetch("http://127.0.0.1:9/tod.csv")
    with pytest.raises(SetupError, match="only https"):
        fetch("ftp://example.invalid/tod.csv")


def run(capsys, *argv):
    code = main(["od", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_uses_the_system_configuration(home, capsys, tmp_path, monkeypatch):
    config = tmp_path / "config.json"
    monkeypatch.setenv("VITALE_BRIDGE_SYSTEM_CONFIG", str(config))
    code, _, err = run(capsys, "update")
    assert code == EXIT_ERROR and "No OD update source is configured" in err and "odUpdateSource" in err
    share = tmp_path / "share"
    share.mkdir()
    official_file(share / "TOD.csv", version="3.38")
    config.write_text(json.dumps({"odUpdateSource": str(share)}))
    code, out, _ = run(capsys, "update")
    assert code == 0 and f"from {share / 'TOD.csv'}" in out and "imported TOD 3.38: 1680 rows" in out
    code, out, _ = run(capsys, "update", "--json")
    assert json.loads(out)["status"] == "alreadyImported"
    code, out, _ = run(capsys, "update")
    assert code == 0 and out.startswith("already imported:") and "nothing changed" in out
    code, out, _ = run(capsys, "info")
    assert f"from {share / 'TOD.csv'}" in out and "(0 days ago)" in out


# --- https, through a real TLS server on loopback ------------------------------------------------


@pytest.fixture
def https_server(tmp_path, monkeypatch):
    """A TLS server on 127.0.0.1 with a self-signed certificate that the client trusts through
    SSL_CERT_FILE (the product code uses the default context: nothing is overridden for tests)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    docroot = tmp_path / "www"
    docroot.mkdir()
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(docroot), **kwargs)

        def do_GET(self):
            seen.append(self.path)
            if self.path.startswith("/downgrade"):
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/TOD.csv")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # 127.0.0.1, not localhost: a minimal root (debootstrap) may have no /etc/hosts to name it.
        yield f"https://127.0.0.1:{server.server_address[1]}", docroot, seen
    finally:
        server.shutdown()
        server.server_close()


def test_https_download(store, https_server):
    base, docroot, seen = https_server
    official_file(docroot / "TOD.csv", version="3.38")
    report = update(store, f"{base}/TOD.csv?key=secret-of-it")
    assert report.status == "imported" and store.table.version == "3.38"
    assert store.info().source.origin == f"{base}/TOD.csv"  # the query (a secret?) is not recorded
    assert seen == ["/TOD.csv?key=secret-of-it"]
    assert update(store, f"{base}/TOD.csv").status == "alreadyImported"


def test_https_refuses_a_downgrade_and_a_missing_file(store, https_server):
    base, _, _ = https_server
    with pytest.raises(SetupError, match="non-https"):
        update(store, f"{base}/downgrade")
    with pytest.raises(SetupError, match="Cannot download"):
        update(store, f"{base}/missing.csv")
    assert store.table.source.kind == "embedded"


def test_https_refuses_an_untrusted_certificate(store, https_server, monkeypatch, tmp_path):
    base, docroot, _ = https_server
    official_file(docroot / "TOD.csv")
    empty = tmp_path / "none.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    with pytest.raises(SetupError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        update(store, f"{base}/TOD.csv")
