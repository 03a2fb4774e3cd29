"""JSON-RPC 2.0 constants and message builders (https://www.jsonrpc.org/specification)."""

from __future__ import annotations

import json
import math
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

STANDARD_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
}

STANDARD_CODES = {
    PARSE_ERROR: "PARSE_ERROR",
    INVALID_REQUEST: "INVALID_REQUEST",
    METHOD_NOT_FOUND: "METHOD_NOT_FOUND",
    INVALID_PARAMS: "INVALID_PARAMS",
    INTERNAL_ERROR: "INTERNAL_ERROR",
}

Id = str | int | float | None


def success(id_: Id, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": id_}


def failure(id_: Id, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": id_}


def standard_failure(id_: Id, code: int, message: str | None = None, **data: Any) -> dict[str, Any]:
    return failure(id_, code, message or STANDARD_MESSAGES[code], {"code": STANDARD_CODES[code], **data})


def notification(method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def is_valid_id(value: Any) -> bool:
    """An id we can echo back as JSON: null, a finite number (``1e999`` parses to infinity,
    which has no JSON spelling), or a string that is valid Unicode (no lone surrogate)."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return _utf8_encodable(value)
    return isinstance(value, int)


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: One encoder for every message sent: compact, UTF-8 text as is, NaN and Infinity refused.
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(message: Any) -> str | None:
    """*message* as JSON text that is also valid UTF-8, or None when it has no such
    spelling (a lone surrogate, a non-finite number): the caller sends an error instead."""
    try:
        text = _encoder.encode(message)
    except (ValueError, TypeError):
        return None
    return text if _utf8_encodable(text) else None


def encode_response(response: dict[str, Any] | list[Any]) -> str:
    """A response (or batch) as valid JSON: a member that cannot be encoded becomes the
    spec's internal error for its id, so every reply is valid JSON and none goes missing."""
    text = encode(response)
    if text is not None:
        return text
    items = response if isinstance(response, list) else [response]
    fixed = []
    for item in items:
        if encode(item) is None:
            id_ = item.get("id") if isinstance(item, dict) else None
            item = standard_failure(id_ if is_valid_id(id_) else None, INTERNAL_ERROR)
        fixed.append(item)
    return _encoder.encode(fixed if isinstance(response, list) else fixed[0])
