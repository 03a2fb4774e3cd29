"""Dispatch JSON-RPC 2.0 messages to registered, typed methods.

``Dispatcher.dispatch`` takes a raw message (text or bytes) or an already decoded one and
returns the response object (a dict, a list for batches) or ``None`` when nothing must be
sent back (notifications, all-notification batches). Every exception is translated here, in
:func:`error_to_wire` and :meth:`Dispatcher._call`, and nowhere else.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Generic, TypeVar, get_type_hints

from pydantic import BaseModel, TypeAdapter, ValidationError

from bridge.errors import BridgeError, ForbiddenError
from bridge.rpc import protocol as p
from bridge.rpc.session import Session
from bridge.wire import NoParams

log = logging.getLogger("vitale_bridge.rpc")

#: How a peer holding the token was authenticated (bridge.rpc.Peer.authenticated_by).
TOKEN_HOLDERS = frozenset({"token", "local"})

#: Largest batch accepted; a bigger one is refused whole with -32600.
MAX_BATCH = 64


#: The application object holding the services (``bridge.app.Bridge``); rpc does not know it.
App = TypeVar("App")


@dataclass
class CallContext(Generic[App]):
    """What a method handler may use besides its params (``CallContext[Bridge]``: bridge.app.Context)."""

    session: Session
    app: App
    method: str = ""


Handler = Callable[[Any, CallContext[Any]], Awaitable[Any] | Any]


@dataclass
class Method:
    name: str
    handler: Handler
    params: type[BaseModel]
    result: Any  # a type understood by pydantic's TypeAdapter
    summary: str = ""
    description: str = ""
    errors: tuple[type[BridgeError], ...] = ()
    #: Whether the method returns personal (health) data. Published in rpc.discover as
    #: ``x-personalData`` so that clients (the extension, EHRs) know which answers to guard.
    personal: bool = False
    #: A quick method never waits on I/O (no card, no disk): transports may run it inline
    #: instead of in its own task. Methods that touch cards must leave this False so a long
    #: read never holds up the other requests of the connection.
    quick: bool = False
    #: Only for clients holding the bridge's token (local programs, the CLI, tests): never a
    #: web origin, nor the extension's ports (which relay pages). Others get FORBIDDEN.
    token_only: bool = False

    @functools.cached_property
    def result_adapter(self) -> TypeAdapter[Any]:
        """Built on the first call, not at registration (start-up time of the native host)."""
        return TypeAdapter(self.result)


def error_to_wire(id_: p.Id, exc: BridgeError) -> dict[str, Any]:
    """The single translation of a :class:`BridgeError` into a JSON-RPC error response."""
    return p.failure(id_, exc.rpc_code, exc.message, exc.to_data())


def _validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors without the offending input values (they may be personal data)."""
    return [
        {"loc": _loc(e), "type": e["type"], "msg": e["msg"]}
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def _loc(error: Any) -> list[Any]:
    """Where the error is; the name of an unknown parameter is input too: never echoed."""
    loc = list(error["loc"])
    if error["type"] == "extra_forbidden" and loc:
        loc[-1] = "(unknown parameter)"
    return loc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: One decoder for every message (NaN and Infinity are not JSON: refused).
_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def decode(raw: str | bytes | bytearray) -> Any:
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw).decode("utf-8")  # UnicodeDecodeError is a ValueError
    return _decoder.decode(raw)


def _hints(handler: Handler) -> dict[str, Any]:
    """The handler's type hints for its params and result. The context's annotation is left
    alone: it names the application type, which handlers import for type checkers only."""
    names = list(inspect.signature(handler).parameters)
    annotations = {k: v for k, v in inspect.get_annotations(handler).items() if k not in names[1:]}
    holder = SimpleNamespace(__annotations__=annotations, __globals__=getattr(inspect.unwrap(handler), "__globals__", {}))
    return get_type_hints(holder)


class Dispatcher:
    def __init__(self, app: Any = None) -> None:
        self.app = app
        self.methods: dict[str, Method] = {}
        #: rpc.discover's document and the method names it was built for (bridge.rpc.openrpc).
        self.openrpc_cache: tuple[tuple[str, ...], dict[str, Any]] | None = None

    # --- registration ------------------------------------------------------------------------

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        params: type[BaseModel] | None = None,
        result: Any = None,
        summary: str = "",
        description: str = "",
        errors: tuple[type[BridgeError], ...] = (),
        personal: bool = False,
        quick: bool = False,
        token_only: bool = False,
    ) -> Method:
        if name in self.methods:
            raise ValueError(f"method {name!r} registered twice")
        hints = _hints(handler)
        if params is None:
            first = next(iter(inspect.signature(handler).parameters))
            params = hints.get(first, NoParams)
        if result is None:
            result = hints.get("return", Any)
        doc = inspect.getdoc(handler) or ""
        method = Method(
            name=name,
            handler=handler,
            params=params,
            result=result,
            summary=summary or doc.split("\n\n")[0].replace("\n", " "),
            description=description or doc,
            errors=tuple(errors),
            personal=personal,
            quick=quick,
            token_only=token_only,
        )
        self.methods[name] = method
        return method

    def method(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`; params and result types come from the annotations."""

        def register(handler: Handler) -> Handler:
            self.add(name, handler, **options)
            return handler

        return register

    def is_quick(self, message: Any) -> bool:
        """True when a decoded single request targets a registered quick method."""
        if not isinstance(message, dict):
            return False
        method = self.methods.get(message.get("method"))  # type: ignore[arg-type]
        return method is not None and method.quick

    # --- dispatch ------------------------------------------------------------------------------

    async def dispatch(self, message: Any, session: Session) -> dict[str, Any] | list[Any] | None:
        if isinstance(message, (str, bytes, bytearray)):
            try:
                message = decode(message)
            except (ValueError, RecursionError):
                return p.standard_failure(None, p.PARSE_ERROR)
        if isinstance(message, list):
            if not message:
                return p.standard_failure(None, p.INVALID_REQUEST, "Invalid Request: empty batch")
            if len(message) > MAX_BATCH:
                return p.standard_failure(
                    None, p.INVALID_REQUEST, f"Invalid Request: batch larger than {MAX_BATCH}"
                )
            answers = await asyncio.gather(*(self._one(m, session) for m in message))
            responses = [a for a in answers if a is not None]
            return responses or None
        return await self._one(message, session)

    async def dispatch_one(self, member: Any, session: Session) -> dict[str, Any] | None:
        """One already decoded member of a batch (transports that schedule members themselves)."""
        return await self._one(member, session)

    async def _one(self, request: Any, session: Session) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return p.standard_failure(None, p.INVALID_REQUEST)
        has_id = "id" in request
        id_ = request.get("id")
        if has_id and not p.is_valid_id(id_):
            return p.standard_failure(None, p.INVALID_REQUEST, "Invalid Request: bad id")
        method_name = request.get("method")
        params = request.get("params")
        if (
            request.get("jsonrpc") != "2.0"
            or not isinstance(method_name, str)
            or ("params" in request and not isinstance(params, (list, dict)))
            or set(request) - {"jsonrpc", "method", "params", "id"}
        ):
            return p.standard_failure(id_ if has_id else None, p.INVALID_REQUEST)
        response = await self._call(method_name, params, id_, session)
        return response if has_id else None

    async def _call(self, name: str, params: Any, id_: p.Id, session: Session) -> dict[str, Any]:
        method = self.methods.get(name)
        if method is None:
            return p.standard_failure(id_, p.METHOD_NOT_FOUND)  # the name is input: never echoed
        if method.token_only and session.peer.authenticated_by not in TOKEN_HOLDERS:
            return error_to_wire(id_, ForbiddenError(
                "This method is only for local programs holding the bridge's token (the CLI, tests)."
            ))
        try:
            args = self._bind(method, params)
        except ValidationError as exc:
            return p.standard_failure(id_, p.INVALID_PARAMS, errors=_validation_details(exc))
        except _PositionalMismatch as exc:
            return p.standard_failure(id_, p.INVALID_PARAMS, str(exc))
        ctx = CallContext(session=session, app=self.app, method=name)
        try:
            value = method.handler(args, ctx)
            if inspect.isawaitable(value):
                value = await value
            result = method.result_adapter.dump_python(value, mode="json", by_alias=True)
        except BridgeError as exc:
            log.info("%s -> %s", name, exc.code)
            return error_to_wire(id_, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the one place where anything unexpected lands
            # The type and place only: messages and locals may carry personal data.
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
            log.error("internal error in %s: %s at %s", name, type(exc).__name__, where)
            log.debug("internal error details", exc_info=True)
            return p.standard_failure(id_, p.INTERNAL_ERROR)
        return p.success(id_, result)

    @staticmethod
    def _bind(method: Method, params: Any) -> BaseModel:
        if params is None:
            params = {}
        if isinstance(params, list):
            fields = list(method.params.model_fields)
            if len(params) > len(fields):
                raise _PositionalMismatch(
                    f"Invalid params: {method.name} takes at most {len(fields)} positional params"
                )
            params = dict(zip(fields, params, strict=False))
        return method.params.model_validate(params)


class _PositionalMismatch(Exception):
    pass
