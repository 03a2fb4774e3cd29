"""docs/api.md stays true: every method and every error code of the code is documented there."""

from __future__ import annotations

from pathlib import Path

from bridge.app import Bridge
from bridge.errors import all_errors

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_method_is_documented(settings):
    text = API_DOC.read_text(encoding="utf-8")
    bridge = Bridge(settings)  # simulator driver: registers the simulator-only methods too
    missing = [name for name in bridge.dispatcher.methods if f"`{name}`" not in text]
    assert missing == []


def test_every_error_code_is_documented():
    text = API_DOC.read_text(encoding="utf-8")
    missing = [c.code for c in all_errors() if f"| {c.rpc_code} | `{c.code}` |" not in text]
    assert missing == []
