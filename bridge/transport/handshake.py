"""Who may open the localhost WebSocket: decided from the HTTP handshake alone, no socket.

Rules, in order (see docs/security.md):

0. The client's socket must belong to the OS user running the bridge (on a shared machine any
   user's program reaches 127.0.0.1 and can forge ``Origin``): the transport injects the
   lookup (:mod:`bridge.transport.peers`); another user, or an owner that cannot be established,
   -> 403 whatever the headers say.
1. ``Host`` must name the loopback interface with our port (``127.0.0.1:P``, ``localhost:P``,
   ``[::1]:P``): a page that reached us through DNS rebinding carries its own host name -> 403.
2. A client presenting ``Authorization: Bearer <token>`` with the per-user token is accepted
   (scripts, the CLI, tests). A wrong token -> 401.
3. Otherwise the ``Origin`` header must equal, character for character, one of the allowed
   origins (our extension's, plus those the user allowed) -> else 403. No Origin and no token
   -> 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from bridge.settings import token_matches


@dataclass(frozen=True)
class Decision:
    status: HTTPStatus  # OK means accepted
    reason: str
    origin: str | None = None
    authenticated_by: str = "none"

    @property
    def accepted(self) -> bool:
        return self.status == HTTPStatus.OK


def loopback_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


#: Reasons of the refusals by rule 0, also used to aggregate their log lines.
OTHER_USER = "The connection comes from a program of another user of this machine."
OWNER_UNKNOWN = (
    "The user owning the connection could not be established on this system, so the connection "
    "is refused. Use the browser extension's native messaging channel."
)


def decide(
    headers: list[tuple[str, str]],
    *,
    port: int,
    token: str,
    allowed_origins: list[str],
    peer_is_same_user: Callable[[], bool | None],
) -> Decision:
    """Accept or refuse a handshake given its headers (name, value) as received, and the
    injected question "does the client's socket belong to our OS user?"."""
    same_user = peer_is_same_user()
    if same_user is not True:
        return Decision(HTTPStatus.FORBIDDEN, OTHER_USER if same_user is False else OWNER_UNKNOWN)

    def values(name: str) -> list[str]:
        return [v for k, v in headers if k.lower() == name]

    hosts = values("host")
    if len(hosts) != 1 or hosts[0].lower() not in loopback_hosts(port):
        return Decision(HTTPStatus.FORBIDDEN, "Host is not this machine's loopback address and port.")
    origins = values("origin")
    if len(origins) > 1:
        return Decision(HTTPStatus.FORBIDDEN, "More than one Origin header.")
    origin = origins[0] if origins else None
    auths = values("authorization")
    if auths:
        scheme, _, presented = auths[0].partition(" ")
        if len(auths) == 1 and scheme.lower() == "bearer" and token_matches(token, presented.strip()):
            return Decision(HTTPStatus.OK, "token", origin, "token")
        return Decision(HTTPStatus.UNAUTHORIZED, "Wrong token.")
    if origin is None:
        return Decision(
            HTTPStatus.UNAUTHORIZED,
            "Clients without an Origin must present the token from the bridge's token file "
            "as 'Authorization: Bearer <token>'.",
        )
    if origin in allowed_origins:
        return Decision(HTTPStatus.OK, "origin", origin, "origin")
    return Decision(
        HTTPStatus.FORBIDDEN,
        f"Origin {origin[:200]} is not allowed. Use the vitale-bridge browser extension, or allow "
        "this origin with 'vitale-bridge origins allow ORIGIN'.",
        origin,
    )
