"""Native messaging framing against the real host process over pipes (as the browser runs it)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time

import pytest

from bridge.transport.native import EXIT_PROTOCOL
from tests.helpers.hostproc import CHROME_ORIGIN, Host, frame, hello

FIREFOX_ARGS = ["/usr/lib/mozilla/native-messaging-hosts/fr.vitale_bridge.host.json", "vitale-bridge@vitale-bridge.org"]


def test_chrome_launch_answers_hello_and_exits_when_stdin_closes(spawn):
    host = spawn(browser_args=[CHROME_ORIGIN])
    host.send(hello(7))
    answer = host.receive()
    assert answer["id"] == 7
    assert answer["result"]["transport"] == "native"
    assert answer["result"]["name"] == "vitale-bridge"
    code, rest, err = host.finish()
    assert code == 0
    assert rest == b""  # nothing but frames on stdout
    assert CHROME_ORIGIN in err  # the caller is logged (stderr goes to the browser's log)


def test_firefox_launch_arguments(spawn):
    host = spawn(browser_args=FIREFOX_ARGS)
    host.send(hello())
    assert host.receive()["result"]["transport"] == "native"
    code, rest, err = host.finish()
    assert (code, rest) == (0, b"")
    assert "vitale-bridge@vitale-bridge.org" in err


def test_chrome_windows_parent_window_argument_is_accepted(spawn):
    host = spawn(browser_args=[CHROME_ORIGIN, "--parent-window=0"])
    host.send(hello())
    assert "result" in host.receive()
    assert host.finish()[0] == 0


def test_frames_split_across_many_writes(spawn):
    host = spawn()
    data = frame(hello(1)) + frame(hello(2))
    # the header itself arrives in pieces, then the body byte runs
    for piece in (data[:1], data[1:3], data[3:4], data[4:20], data[20:45], data[45:]):
        host.write(piece)
        time.sleep(0.02)
    ids = sorted(host.receive()["id"] for _ in range(2))
    assert ids == [1, 2]
    assert host.finish()[0] == 0


def test_many_frames_in_one_write(spawn):
    host = spawn()
    host.write(b"".join(frame(hello(i)) for i in range(20)))
    assert sorted(host.receive()["id"] for _ in range(20)) == list(range(20))
    assert host.finish()[0] == 0


def test_clean_eof_without_any_message(spawn):
    host = spawn()
    code, rest, _err = host.finish(timeout=10)
    assert (code, rest) == (0, b"")


def test_length_over_the_configured_maximum(spawn):
    host = spawn("--max-message-size", "100")
    host.send({"jsonrpc": "2.0", "id": 1, "method": "bridge.hello", "params": {}})  # 70 bytes: fits
    assert host.receive()["id"] == 1  # answered (invalid params, but answered)
    host.send({"jsonrpc": "2.0", "id": 2, "method": "x" * 200})
    code, rest, err = host.finish(timeout=10)
    assert code == EXIT_PROTOCOL
    assert rest == b""
    assert "more than the limit of 100" in err


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (struct.pack("=I", 0), "length of 0"),
        # announces 3 GiB and sends nothing more: refused at once, not after waiting for it
        (struct.pack("=I", 3 * 1024**3), "more than the limit of 65536"),
        (b"hello there\n", "looks like text"),
        (struct.pack("=I", 50) + b'{"jsonrpc":', "ended inside a message (11 of 50 bytes)"),
        (b"\x10\x00", "inside a message header"),
    ],
    ids=["zero-length", "huge-length", "terminal-text", "short-body", "short-header"],
)
def test_broken_framing_ends_the_host_with_a_reason(spawn, data, message):
    """No frame can be found after these: the host says why on stderr and exits, never hangs
    (``finish`` raises if the host is still running after 8 s)."""
    host = spawn()
    host.write(data)
    code, rest, err = host.finish(timeout=8)
    assert code == EXIT_PROTOCOL
    assert rest == b""
    assert message in err


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xfe\x00garbage", b'{"jsonrpc": "2.0", "method": "bridge.hello", "id": 1, "params": {"clientName": "\xc3"}}',
     b"{not json", b"NaN", b"\x00\x00\x00\x00"],
    ids=["binary", "invalid-utf8", "invalid-json", "nan", "nul-bytes"],
)
def test_bad_message_in_good_frame_gets_parse_error_and_port_stays_open(spawn, payload):
    host = spawn()
    host.write(frame(payload))
    answer = host.receive()
    assert answer["error"]["code"] == -32700
    assert answer["id"] is None
    host.send(hello(2))
    assert host.receive()["id"] == 2
    assert host.finish()[0] == 0


def test_invalid_request_objects_get_json_rpc_errors(spawn):
    host = spawn()
    host.send(b"[]")
    assert host.receive()["error"]["code"] == -32600
    host.send({"jsonrpc": "2.0", "id": 3, "method": "no.such"})
    assert host.receive()["error"]["code"] == -32601
    host.send({"jsonrpc": "2.0", "method": "bridge.hello", "params": {"clientName": "n", "clientVersion": "1"}})
    host.send(hello(4))  # the notification above gets no answer: the next frame is id 4
    assert host.receive()["id"] == 4
    assert host.finish()[0] == 0


def test_utf8_both_ways(spawn):
    host = spawn()
    host.send({"jsonrpc": "2.0", "id": "é-1", "method": "bridge.hello",
               "params": {"clientName": "Dossier médical", "clientVersion": "1"}})
    raw = host.receive_raw()
    assert json.loads(raw.decode("utf-8"))["id"] == "é-1"
    assert host.finish()[0] == 0


def test_stray_prints_never_reach_the_frame_channel(tmp_path):
    """print(), sys.stdout writes and C-level writes to fd 1 all land on stderr."""
    script = (
        "import os, sys\n"
        "from bridge.transport.native import claim_stdout, encode_frame, write_all\n"
        "fd = claim_stdout()\n"
        "print('stray print')\n"
        "sys.stdout.write('stray write\\n'); sys.stdout.flush()\n"
        "os.write(1, b'stray fd1\\n')\n"
        "write_all(fd, encode_frame(b'{\"ok\":true}'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == frame(b'{"ok":true}')
    for text in (b"stray print", b"stray write", b"stray fd1"):
        assert text in proc.stderr


def test_card_events_reach_the_port_of_a_real_host(vitale_readers, home):
    """PC/SC bench: pulling and inserting a card pushes notifications on the open port."""
    reader = vitale_readers.insert("adulte")
    host = Host([sys.executable, "-m", "bridge", "native", "--driver", "pcsc"], home, env=vitale_readers.env)
    try:
        host.send({"jsonrpc": "2.0", "id": 1, "method": "events.subscribe", "params": {"events": ["card.inserted", "card.removed"]}})
        assert host.receive()["id"] == 1
        vitale_readers.remove(wait=False)
        event = host.receive(timeout=15)
        assert event["method"] == "card.removed" and event["params"]["reader"] == reader
        vitale_readers.insert("cps3")
        event = host.receive(timeout=15)
        assert event["method"] == "card.inserted" and event["params"]["cardType"].startswith("cps")
        assert set(event["params"]) <= {"reader", "cardType", "atr"}  # no card content in events
    except BaseException:
        host.kill()
        raise
    code, rest, _ = host.finish()
    assert (code, rest) == (0, b"")


def test_simulator_methods_refused_on_the_native_port(spawn):
    """The extension's port relays pages: the simulator's methods are for token holders only."""
    host = spawn("--driver", "simulator", "--profile", "adulte")
    host.send({"jsonrpc": "2.0", "id": 2, "method": "simulator.remove", "params": {"reader": "Simulated Vitale Reader"}})
    assert host.receive()["error"]["data"]["code"] == "FORBIDDEN"
    host.send({"jsonrpc": "2.0", "id": 3, "method": "simulator.insert", "params": {"profile": "cps3"}})
    assert host.receive()["error"]["data"]["code"] == "FORBIDDEN"
    code, rest, _ = host.finish()
    assert (code, rest) == (0, b"")
