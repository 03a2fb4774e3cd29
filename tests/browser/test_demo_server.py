"""The demo page's static server: loopback only, its own files and the SDK, nothing else."""

from __future__ import annotations

import http.client
import threading

import pytest

from bridge.demo.server import DemoServer, start_demo_server


def get(server, path: str, method: str = "GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request(method, path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_serves_the_page_and_the_sdk_with_a_strict_csp(demo_server):
    response, body = get(demo_server, "/")
    assert response.status == 200
    assert "text/html" in response.getheader("Content-Type")
    assert "connect-src 'none'" in response.getheader("Content-Security-Policy")
    assert b'src="demo.js"' in body
    for path in ("/demo.js", "/sdk/vitale-bridge.js", "/sdk/protocol.js", "/sdk/vitale-bridge.d.ts"):
        response, body = get(demo_server, path)
        assert response.status == 200, path
    assert get(demo_server, "/demo.js")[0].getheader("Content-Type").startswith("text/javascript")


@pytest.mark.parametrize(
    "path",
    ["/../server.py", "/%2e%2e/server.py", "/sdk/../../bridge/identity.py", "/sdk/build.mjs", "/static/", "/.hidden", "/nope.js"],
)
def test_nothing_else_is_served(demo_server, path):
    assert get(demo_server, path)[0].status == 404


def test_no_post(demo_server):
    assert get(demo_server, "/", method="POST")[0].status == 405


def test_refuses_a_non_loopback_address():
    with pytest.raises(ValueError, match="loopback"):
        DemoServer(0, host="0.0.0.0")


def test_a_started_server_used_as_a_context_manager_serves_from_one_thread():
    def serving() -> int:
        return sum(t.name == "vitale-bridge-demo" and t.is_alive() for t in threading.enumerate())

    before = serving()
    with start_demo_server(0) as server:
        assert serving() == before + 1
        assert get(server, "/")[0].status == 200
    assert serving() == before
