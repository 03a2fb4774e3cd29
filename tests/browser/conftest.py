"""Real browsers with the real extension: fixtures shared by the browser tests.

- ``extension_build``: runs ``extension/build.py`` once (dist/chrome and dist/firefox).
- ``demo_server``: the demo EHR page on 127.0.0.1 (also reachable as http://localhost:PORT,
  a *different origin*, which the refusal tests use).
- ``write_native_host`` (a helper in tests/helpers/browser.py, not a fixture): a launcher
  script and host manifest for ``python -m bridge native`` with the simulator driver, written
  where Chromium (``<user-data-dir>/NativeMessagingHosts/``) or Firefox
  (``$HOME/.mozilla/native-messaging-hosts/``) looks for them.
- ``ws_host``: ``vitale-bridge serve`` with the simulator on a free port, and a ``control``
  helper that inserts and removes simulated cards through its ``simulator.*`` methods.

Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import WsHost
from tests.helpers.browser_fixtures import artifacts, demo_server, extension_build, playwright

__all__ = ["artifacts", "demo_server", "extension_build", "playwright"]  # fixtures, shared with tests/pkcs11


@pytest.fixture(scope="module")
def ws_host(tmp_path_factory):
    host = WsHost(tmp_path_factory.mktemp("ws-host-home"))
    try:
        yield host
    finally:
        host.close()
