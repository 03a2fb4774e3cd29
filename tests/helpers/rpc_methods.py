"""The methods used by the JSON-RPC 2.0 specification's examples, registered for tests only."""

from __future__ import annotations

from bridge.rpc import CallContext, Dispatcher
from bridge.wire import NoParams, WireModel


class SubtractParams(WireModel):
    minuend: int
    subtrahend: int


class FiveInts(WireModel):
    a: int | None = None
    b: int | None = None
    c: int | None = None
    d: int | None = None
    e: int | None = None


async def subtract(params: SubtractParams, ctx: CallContext) -> int:
    return params.minuend - params.subtrahend


async def sum_(params: FiveInts, ctx: CallContext) -> int:
    return sum(v for v in (params.a, params.b, params.c, params.d, params.e) if v is not None)


async def update(params: FiveInts, ctx: CallContext) -> None:
    ctx.session.state.setdefault("updates", []).append(params)


async def get_data(params: NoParams, ctx: CallContext) -> list:
    return ["hello", 5]


async def boom(params: NoParams, ctx: CallContext) -> int:
    raise KeyError("DUPONT 1800575123456")  # a message that must never reach the client


def register_spec_methods(dispatcher: Dispatcher) -> None:
    dispatcher.add("subtract", subtract)
    dispatcher.add("sum", sum_)
    dispatcher.add("update", update)
    dispatcher.add("notify_hello", update)
    dispatcher.add("notify_sum", update)
    dispatcher.add("get_data", get_data)
    dispatcher.add("test.boom", boom)
