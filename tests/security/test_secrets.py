"""The token and the pairing key: an empty or malformed file is never a valid secret, is
made anew atomically (0600), and doctor says so; every log file, rotated ones included, 0600;
aggregated warnings."""

from __future__ import annotations

import logging
import os
import stat

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bridge import logs
from bridge.doctor import check_secret_contents
from bridge.settings import (
    PAIRING_KEY_PATTERN,
    TOKEN_PATTERN,
    load_or_create_pairing_key,
    load_or_create_token,
    read_token,
    token_matches,
)


def test_empty_token_never_matches():
    assert not token_matches("", "")
    assert not token_matches("", None)
    assert not token_matches("short", "short")


def test_empty_token_file_is_regenerated(paths):
    paths.ensure()
    paths.token_file.write_text("")
    assert read_token(paths) is None
    token = load_or_create_token(paths)
    assert TOKEN_PATTERN.fullmatch(token)
    assert read_token(paths) == token
    assert stat.S_IMODE(paths.token_file.stat().st_mode) == 0o600
    assert [p.name for p in paths.config_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_malformed_token_file_is_regenerated(paths):
    paths.ensure()
    paths.token_file.write_text("not a token\n")
    assert load_or_create_token(paths) != "not a token"


def test_existing_token_kept(paths):
    first = load_or_create_token(paths)
    assert load_or_create_token(paths) == first


async def test_empty_bearer_refused_with_an_empty_token_file(settings):
    """The review's case: a 0-byte token file and 'Authorization: Bearer ' with nothing."""
    from bridge.app import Bridge
    from bridge.transport.websocket import WebSocketServer

    settings.paths.ensure()
    settings.paths.token_file.write_text("")
    bridge = Bridge(settings)
    server = WebSocketServer(bridge)
    await server.start()
    try:
        for presented in ("Bearer ", "Bearer"):
            try:
                async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers={"Authorization": presented}):
                    raise AssertionError("accepted an empty token")
            except InvalidStatus as exc:
                assert exc.response.status_code == 401
    finally:
        await server.stop()


def test_doctor_flags_empty_secret_files(paths):
    paths.ensure()
    assert check_secret_contents(paths) == []  # not created yet: nothing to say
    paths.token_file.write_text("")
    paths.pairing_key_file.write_text("abc")
    names = {c.name: c for c in check_secret_contents(paths)}
    assert names["token content"].status == "fail" and "empty or malformed" in names["token content"].summary
    assert names["pairing key content"].status == "fail"
    load_or_create_token(paths)
    load_or_create_pairing_key(paths)
    assert check_secret_contents(paths) == []


def test_pairing_key_file(paths):
    key = load_or_create_pairing_key(paths)
    assert PAIRING_KEY_PATTERN.fullmatch(key)
    assert stat.S_IMODE(paths.pairing_key_file.stat().st_mode) == 0o600
    assert load_or_create_pairing_key(paths) == key
    paths.pairing_key_file.write_text("\n")
    regenerated = load_or_create_pairing_key(paths)
    assert PAIRING_KEY_PATTERN.fullmatch(regenerated) and regenerated != key
    assert load_or_create_pairing_key(paths, new=True) != regenerated


def test_rotated_logs_are_user_only(tmp_path):
    old_umask = os.umask(0o022)
    try:
        log_file = tmp_path / "logs" / "vitale-bridge.log"
        log_file.parent.mkdir()
        (tmp_path / "logs" / "vitale-bridge.log.2").write_text("old\n")  # left 0644 by an old version
        logs.setup("INFO", log_file)
        handler = next(h for h in logging.getLogger("vitale_bridge").handlers if isinstance(h, logs.PrivateRotatingFileHandler))
        handler.maxBytes = 200
        for i in range(40):
            logging.getLogger("vitale_bridge.test").info("line %d %s", i, "x" * 40)
        files = sorted(log_file.parent.iterdir())
        assert len(files) >= 3
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
    finally:
        os.umask(old_umask)
        root = logging.getLogger("vitale_bridge")
        for h in list(root.handlers):
            root.removeHandler(h)
            h.close()
        root.propagate = True


def test_aggregated_warning_counts_what_it_left_out(caplog):
    now = [0.0]
    aggregated = logs.Aggregated(logging.getLogger("vitale_bridge.test"), "refused", clock=lambda: now[0])
    caplog.set_level("WARNING", logger="vitale_bridge")
    with caplog.at_level("WARNING"):
        for i in range(12_000):
            now[0] = i * 0.005  # 12,000 refusals in 60 s
            aggregated.warning("refused a connection: %s", "Wrong token.")
        now[0] = 61.0
        aggregated.warning("refused a connection: %s", "Wrong token.")
    lines = [r.getMessage() for r in caplog.records if r.name == "vitale_bridge.test"]
    assert len(lines) == 2
    assert lines[1] == "refused a connection: Wrong token. (11,999 more refused in the last minute)"


async def test_refused_handshakes_do_not_flood_the_log(server, caplog):
    """The review's case: thousands of refusals wrote one WARNING each."""
    import asyncio

    from bridge.transport import websocket

    websocket.refusals._last = None
    caplog.set_level("WARNING", logger="vitale_bridge")
    for _ in range(300):
        try:
            async with connect(f"ws://127.0.0.1:{server.port}/", origin="https://evil.example"):
                raise AssertionError("accepted")
        except InvalidStatus as exc:
            assert exc.response.status_code == 403
    await asyncio.sleep(0)
    lines = [r for r in caplog.records if "refused a connection" in r.getMessage()]
    assert len(lines) == 1


async def test_dropped_notifications_do_not_flood_the_log(server, caplog):
    import asyncio
    import json

    from bridge.transport import requests

    async def nap(params, ctx) -> int:
        await asyncio.sleep(0.3)
        return 0

    server.bridge.dispatcher.add("test.nap", nap, result=int)
    server.settings.max_in_flight = 1
    requests.dropped._last = None
    caplog.set_level("WARNING", logger="vitale_bridge")
    async with connect(f"ws://127.0.0.1:{server.port}/", additional_headers={"Authorization": f"Bearer {server.token}"}) as ws:
        await ws.send('{"jsonrpc":"2.0","method":"test.nap","id":1}')
        for _ in range(200):
            await ws.send('{"jsonrpc":"2.0","method":"test.nap"}')
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["id"] == 1
    lines = [r for r in caplog.records if "dropped a notification" in r.getMessage()]
    assert len(lines) == 1
