"""The property tests' input (any JSON, request-like objects, batches) and what every answer to
it must satisfy; shared by tests/rpc (in process) and tests/security (over a WebSocket)."""

from __future__ import annotations

import json

from hypothesis import strategies as st

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
