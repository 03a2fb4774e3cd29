"""``events.subscribe`` / ``events.unsubscribe``: choose which notifications this client gets.

Notifications (``card.inserted``, ``card.removed``, ``reader.added``, ``reader.removed``,
``od.tableChanged``) are pushed by the services through ``bridge.events.publish``; only the
sessions that subscribed receive them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bridge.wire import WireModel

if TYPE_CHECKING:
    from bridge.app import Bridge, Context

EventName = Literal[
    "card.inserted", "card.removed", "reader.added", "reader.removed", "od.tableChanged", "*"
]


def _all() -> list[EventName]:
    return ["*"]


class SubscribeParams(WireModel):
    events: list[EventName] = Field(
        default_factory=_all,
        max_length=16,
        description="Event names, or '*' for all (the default).",
    )


class SubscriptionResult(WireModel):
    subscribed: list[str]


async def subscribe(params: SubscribeParams, ctx: Context) -> SubscriptionResult:
    """Receive the named events as JSON-RPC notifications on this connection."""
    ctx.session.subscriptions.update(params.events)
    return SubscriptionResult(subscribed=sorted(ctx.session.subscriptions))


async def unsubscribe(params: SubscribeParams, ctx: Context) -> SubscriptionResult:
    """Stop receiving the named events ('*' or no params: all)."""
    if "*" in params.events:
        ctx.session.subscriptions.clear()
    else:
        ctx.session.subscriptions.difference_update(params.events)
    return SubscriptionResult(subscribed=sorted(ctx.session.subscriptions))


def register(bridge: Bridge) -> None:
    bridge.dispatcher.add("events.subscribe", subscribe, quick=True)
    bridge.dispatcher.add("events.unsubscribe", unsubscribe, quick=True)
