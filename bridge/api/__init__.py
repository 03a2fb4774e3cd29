"""The methods the bridge offers, one module per domain.

Each module has ``register(bridge)``, which attaches the services it needs to the bridge and
adds its methods to ``bridge.dispatcher``. Adding a capability = adding a module here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.app import Bridge

MODULES = [
    "bridge.api.system",
    "bridge.api.events",
    "bridge.api.od",
    "bridge.api.cards",
    "bridge.api.cps",
]


def register_all(bridge: Bridge) -> None:
    for name in MODULES:
        importlib.import_module(name).register(bridge)
