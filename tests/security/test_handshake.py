"""Hostile handshakes beyond tests/rpc/test_websocket.py: IPv6 and numeric loopback spellings,
userinfo, duplicated headers, tokens where browsers could put them, look-alike origins.

Each request is written by hand on a raw socket (a browser or a forged client), against the
real server; the status line is the verdict, and a refused client never reaches JSON-RPC.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bridge.identity import CHROME_EXTENSION_ID

pytestmark = pytest.mark.asyncio

OURS = f"chrome-extension://{CHROME_EXTENSION_ID}"


async def handshake(port: int, headers: list[tuple[str, str]], path: str = "/") -> int:
    """Send an upgrade request with *headers* in this order (duplicates allowed); the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        f"GET {path} HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *(f"{k}: {v}" for k, v in headers),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status.split()[1])


async def test_our_extension_is_accepted_by_this_helper(server):
    """Guard: the same helper gets 101 for our extension, so the refusals below mean something."""
    p = server.port
    assert await handshake(p, [("Host", f"127.0.0.1:{p}"), ("Origin", OURS)]) == 101
    assert await handshake(p, [("Host", f"[::1]:{p}"), ("Origin", OURS)]) == 101
    assert await handshake(p, [("Host", f"LOCALHOST:{p}"), ("Origin", OURS)]) == 101  # host names are case-free


@pytest.mark.parametrize(
    "host",
    [
        "[0:0:0:0:0:0:0:1]:{p}",  # the same address, spelled long: still not one of our three
        "[::ffff:127.0.0.1]:{p}",
        "::1:{p}",  # unbracketed IPv6
        "[::1]",  # no port
        "127.1:{p}",
        "2130706433:{p}",
        "0x7f000001:{p}",
        "127.0.0.1:0{p}",  # leading zero
        "localhost.:{p}",  # trailing dot: a DNS name the attacker may control
        "user@127.0.0.1:{p}",
        "user:pass@localhost:{p}",
        "127.0.0.1:{p}@evil.example",
        "evil.example#@127.0.0.1:{p}",
        "127.0.0.1:{p}, evil.example",
        "127.0.0.1:{p}/",
        "localhost:{p}.evil.example",
    ],
)
async def test_rebinding_and_odd_host_values_get_403(server, host):
    p = server.port
    assert await handshake(p, [("Host", host.format(p=p)), ("Origin", OURS)]) == 403


@pytest.mark.parametrize(
    "headers",
    [
        [("Host", "{good}"), ("Host", "evil.example")],
        [("Host", "evil.example"), ("Host", "{good}")],
        [("Host", "{good}"), ("Host", "{good}")],
    ],
    ids=["good-then-evil", "evil-then-good", "twice-the-same"],
)
async def test_duplicated_host_headers_get_403(server, headers):
    good = f"127.0.0.1:{server.port}"
    rows = [(k, v.format(good=good)) for k, v in headers] + [("Origin", OURS)]
    assert await handshake(server.port, rows) == 403


@pytest.mark.parametrize(
    "origins",
    [[OURS, "https://evil.example"], ["https://evil.example", OURS], [OURS, OURS]],
    ids=["ours-then-evil", "evil-then-ours", "ours-twice"],
)
async def test_duplicated_origin_headers_get_403(server, origins):
    rows = [("Host", f"127.0.0.1:{server.port}")] + [("Origin", o) for o in origins]
    assert await handshake(server.port, rows) == 403


@pytest.mark.parametrize(
    "origin",
    [
        f"chrome-extension://{CHROME_EXTENSION_ID.upper()}",
        f"chrome-extension://x@{CHROME_EXTENSION_ID}",
        f"chrome-extension://{CHROME_EXTENSION_ID}:443",
        f"chrome-extension://{CHROME_EXTENSION_ID[:-1]}",
        f"chrome-extension://{CHROME_EXTENSION_ID}{CHROME_EXTENSION_ID}",
        f"moz-extension://{uuid.uuid4()}",  # another add-on, or ours before the user allowed it
        f"https://{CHROME_EXTENSION_ID}",
        "https://127.0.0.1",  # a page served on this machine (another port)
        "http://localhost:27815",
        "http://[::1]",
        "file://",
        "data:",
        "about:blank",
        "*",
        "",
    ],
)
async def test_look_alike_origins_get_403(server, origin):
    assert await handshake(server.port, [("Host", f"127.0.0.1:{server.port}"), ("Origin", origin)]) == 403


@pytest.mark.parametrize(
    "where",
    ["query", "basic-auth", "cookie", "protocol", "two-authorizations"],
)
async def test_the_token_only_counts_as_a_bearer_header(server, where):
    """Browsers can put a secret in the URL, in userinfo (Basic), in a cookie or in the
    subprotocol list: none of those is accepted (a leaked URL must not open the bridge)."""
    import base64

    p, token = server.port, server.token
    rows = [("Host", f"127.0.0.1:{p}")]
    path = "/"
    if where == "query":
        path = f"/?token={token}&access_token={token}"
    elif where == "basic-auth":
        rows.append(("Authorization", "Basic " + base64.b64encode(f"user:{token}".encode()).decode()))
    elif where == "cookie":
        rows.append(("Cookie", f"token={token}"))
    elif where == "protocol":
        rows.append(("Sec-WebSocket-Protocol", token))
    else:
        rows += [("Authorization", f"Bearer {token}"), ("Authorization", "Bearer other")]
    assert await handshake(p, rows, path) in (401, 403)


async def test_a_foreign_page_never_reaches_json_rpc(server):
    """The refusal comes before any frame: the page cannot even send a request."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as info:
        async with connect(f"ws://127.0.0.1:{server.port}/", origin="https://evil.example"):
            pass
    assert info.value.response.status_code == 403
    assert b"jsonrpc" not in (info.value.response.body or b"")
