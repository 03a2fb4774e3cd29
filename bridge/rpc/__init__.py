"""JSON-RPC 2.0 core: dispatch decoded messages to typed methods. Knows no transport."""

from bridge.rpc.dispatcher import CallContext, Dispatcher, Method, error_to_wire
from bridge.rpc.protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    notification,
)
from bridge.rpc.session import Peer, Session

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "CallContext",
    "Dispatcher",
    "Method",
    "Peer",
    "Session",
    "error_to_wire",
    "notification",
]
