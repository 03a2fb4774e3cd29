"""``bridge.hello`` (version handshake) and ``rpc.discover`` (the API describing itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from bridge import PROTOCOL_VERSION, __version__
from bridge.errors import ForbiddenError, VersionMismatchError
from bridge.wire import NoParams, WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge, Context
    from bridge.pairing import PairingKeys


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
    answer = ctx.app.system.answer(ctx.session.peer.transport)
    if params.challenge is None:
        return answer
    from bridge.pairing import host_proof

    return answer.model_copy(update={"host_proof": host_proof(ctx.app.system.pairing_keys().current(), params.challenge)})


async def pairing_key(params: NoParams, ctx: Context) -> PairingKeyResult:
    """The pairing key, for the extension to check hostProof on the WebSocket fallback.

    Answered only on native messaging (the browser started this host as the user); FORBIDDEN
    on the WebSocket, where the user types the code 'vitale-bridge pair' prints.
    """
    if ctx.session.peer.transport != "native":
        raise ForbiddenError("The pairing key is given only over native messaging. Run 'vitale-bridge pair'.")
    return PairingKeyResult(pairing_key=ctx.app.system.pairing_keys().current())


class SystemState:
    """What the ``bridge.*`` methods keep between calls, attached to the bridge as ``system``:
    the hello answer per transport (it depends only on the bridge and its registered methods,
    and ``bridge.hello`` is the hottest call) and the pairing keys, loaded on first use."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._answers: dict[str, tuple[int, HelloResult]] = {}
        self._keys: PairingKeys | None = None

    def answer(self, transport: str) -> HelloResult:
        bridge = self._bridge
        count = len(bridge.dispatcher.methods)
        cached = self._answers.get(transport)
        if cached is None or cached[0] != count:
            cached = self._answers[transport] = (
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

    def pairing_keys(self) -> PairingKeys:
        if self._keys is None:
            from bridge.pairing import PairingKeys

            self._keys = PairingKeys(self._bridge.settings.paths)
        return self._keys


async def discover(params: NoParams, ctx: Context) -> dict[str, Any]:
    """The OpenRPC 1.3 document describing every method, its params, result and errors."""
    from bridge.rpc.openrpc import document

    return document(ctx.app.dispatcher)


def register(bridge: Bridge) -> None:
    bridge.system = SystemState(bridge)
    bridge.dispatcher.add("bridge.hello", hello, errors=(VersionMismatchError,), quick=True)
    bridge.dispatcher.add("rpc.discover", discover, quick=True)
    bridge.dispatcher.add("bridge.pairingKey", pairing_key, errors=(ForbiddenError,))
