"""Property-based: whatever JSON arrives, the core answers with a spec-valid response."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.app import Bridge
from bridge.rpc import Peer
from bridge.settings import Paths, Settings
from tests.rpc.methods import register_spec_methods

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
any_json = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
method_names = st.sampled_from(
    ["subtract", "sum", "update", "get_data", "bridge.hello", "rpc.discover", "events.subscribe", "nope", ""]
)
requestish = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "1.0", 2]), "method": method_names | scalars},
    optional={"params": any_json, "id": st.none() | st.integers() | st.text(max_size=5) | any_json},
)
messages = any_json | requestish | st.lists(requestish | any_json, max_size=6)


def _bridge(tmp_path_factory=None) -> Bridge:
    import tempfile

    home = tempfile.mkdtemp(prefix="vb-prop-")
    b = Bridge(Settings(paths=Paths.resolve(home)))
    register_spec_methods(b.dispatcher)
    return b


BRIDGE = _bridge()
SESSION = BRIDGE.open_session(Peer("inproc"))


def check_response(r: object) -> None:
    assert isinstance(r, dict)
    assert r["jsonrpc"] == "2.0"
    assert "id" in r
    assert ("result" in r) != ("error" in r)
    if "error" in r:
        err = r["error"]
        assert isinstance(err["code"], int) and isinstance(err["message"], str)
        assert err["code"] != -32603, "arbitrary input must never cause an internal error"
    json.dumps(r)  # serialisable


def expected_silence(message: object) -> bool:
    def is_notification(m: object) -> bool:
        return (
            isinstance(m, dict)
            and "id" not in m
            and m.get("jsonrpc") == "2.0"
            and isinstance(m.get("method"), str)
            and (("params" not in m) or isinstance(m["params"], (list, dict)))
            and not set(m) - {"jsonrpc", "method", "params", "id"}
        )

    if isinstance(message, list):
        return bool(message) and all(is_notification(m) for m in message)
    return is_notification(message)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_any_decoded_message_gets_a_valid_response(message):
    r = asyncio.run(BRIDGE.dispatcher.dispatch(message, SESSION))
    if r is None:
        assert expected_silence(message)
        return
    if isinstance(r, list):
        assert isinstance(message, list) and 0 < len(r) <= len(message)
        for item in r:
            check_response(item)
    else:
        check_response(r)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_raw_text_gets_a_valid_response(raw):
    r = asyncio.run(BRIDGE.dispatcher.dispatch(raw, SESSION))
    if r is None:
        return  # it happened to be a valid notification
    for item in r if isinstance(r, list) else [r]:
        check_response(item)


def test_deeply_nested_json_is_a_parse_error_not_a_crash():
    raw = "[" * 100_000 + "]" * 100_000
    r = asyncio.run(BRIDGE.dispatcher.dispatch(raw, SESSION))
    check_response(r)
    assert r["error"]["code"] == -32700
