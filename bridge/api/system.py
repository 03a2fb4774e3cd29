"""``bridge.hello`` (version handshake) and ``rpc.discover`` (the API describing itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from bridge import PROTOCOL_VERSION, __version__
from bridge.errors import ForbiddenError, VersionMismatchError
from bridge.wire import NoParams, WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge, Context


class HelloParams(WireModel):
    client_name: str = Field(max_length=100, examples=["my-ehr"])
    client_version: str = Field(max_length=50, examples=["2.4.1"])
    protocol_version: str = Field(
        default=PROTOCOL_VERSION,
        pattern=r"^\d{1,3}\.\d{1,3}$",
        description="The protocol version the client speaks (major.minor).",
    )
    challenge: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{22,128}$",
        description="Random base64url text; the answer's hostProof proves this is the user's own bridge.",
    )


class HelloResult(WireModel):
    name: str = Field(examples=["vitale-bridge"])
    version: str = Field(examples=[__version__])
    protocol_version: str = Field(examples=[PROTOCOL_VERSION])
    transport: str = Field(examples=["websocket", "native"])
    driver: str = Field(description="Card driver in use: pcsc or simulator.")
    capabilities: list[str] = Field(description="Every method this host offers.")
    host_proof: str | None = Field(
        default=None,
        description=(
            "base64url (no padding) of HMAC-SHA256(pairing key, 'vitale-bridge host proof v1\\n' + "
            "challenge); null without a challenge. See docs/security.md."
        ),
    )


class PairingKeyResult(WireModel):
    pairing_key: str = Field(pattern=r"^[A-Z2-7]{20}$", description="The host's pairing key (no dashes).")


async def hello(params: HelloParams, ctx: Context) -> HelloResult:
    """Introduce the client and learn the host's version and capabilities.

    A client whose protocol major version differs from the host's gets VERSION_MISMATCH and
    must not call anything else.
    """
    host_major = PROTOCOL_VERSION.split(".")[0]
    client_major = params.protocol_version.split(".")[0]
    if client_major != host_major:
        raise VersionMismatchError(
            f"The client speaks another major protocol version than this bridge's "
            f"{PROTOCOL_VERSION}. Update the "
            + ("bridge" if int(client_major) > int(host_major) else "extension or client")
            + " so both have the same major version.",
            hostProtocolVersion=PROTOCOL_VERSION,
        )
    ctx.session.state["client"] = (params.client_name, params.client_version)
    answer = _answer(ctx.app, ctx.session.peer.transport)
    if params.challenge is None:
        return answer
    from bridge.pairing import host_proof

    return answer.model_copy(update={"host_proof": host_proof(_pairing_keys(ctx.app).current(), params.challenge)})


def _pairing_keys(bridge: Bridge) -> Any:
    from bridge.pairing import PairingKeys

    keys = bridge.__dict__.get("_pairing_keys")
    if keys is None:
        keys = bridge.__dict__["_pairing_keys"] = PairingKeys(bridge.settings.paths)
    return keys


async def pairing_key(params: NoParams, ctx: Context) -> PairingKeyResult:
    """The pairing key, for the extension to check hostProof on the WebSocket fallback.

    Answered only on native messaging (the browser started this host as the user); FORBIDDEN
    on the WebSocket, where the user types the code 'vitale-bridge pair' prints.
    """
    if ctx.session.peer.transport != "native":
        raise ForbiddenError("The pairing key is given only over native messaging. Run 'vitale-bridge pair'.")
    return PairingKeyResult(pairing_key=_pairing_keys(ctx.app).current())


def _answer(bridge: Bridge, transport: str) -> HelloResult:
    """The answer depends only on the bridge, the transport and the registered methods: it is
    built once per transport and kept on the bridge."""
    answers: dict[str, tuple[int, HelloResult]] = bridge.__dict__.setdefault("_hello_answers", {})
    count = len(bridge.dispatcher.methods)
    cached = answers.get(transport)
    if cached is None or cached[0] != count:
        cached = answers[transport] = (
            count,
            HelloResult(
                name="vitale-bridge",
                version=__version__,
                protocol_version=PROTOCOL_VERSION,
                transport=transport,
                driver=bridge.settings.driver,
                capabilities=sorted(bridge.dispatcher.methods),
            ),
        )
    return cached[1]


async def discover(params: NoParams, ctx: Context) -> dict[str, Any]:
    """The OpenRPC 1.3 document describing every method, its params, result and errors."""
    from bridge.rpc.openrpc import document

    return document(ctx.app.dispatcher)


def register(bridge: Bridge) -> None:
    bridge.dispatcher.add("bridge.hello", hello, errors=(VersionMismatchError,), quick=True)
    bridge.dispatcher.add("rpc.discover", discover, quick=True)
    bridge.dispatcher.add("bridge.pairingKey", pairing_key, errors=(ForbiddenError,))
