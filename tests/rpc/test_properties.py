"""Property-based: whatever JSON arrives, the core answers with a spec-valid response."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.app import Bridge
from bridge.rpc import Peer
from bridge.settings import Paths, Settings
from tests.helpers.rpc_methods import register_spec_methods
from tests.helpers.rpc_properties import check_response, expected_silence, messages


def _bridge(tmp_path_factory=None) -> Bridge:
    import tempfile

    home = tempfile.mkdtemp(prefix="vb-prop-")
    b = Bridge(Settings(paths=Paths.resolve(home)))
    register_spec_methods(b.dispatcher)
    return b


BRIDGE = _bridge()
SESSION = BRIDGE.open_session(Peer("inproc"))


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
