"""The one rule that shapes JSON on the wire: pydantic models, camelCase keys.

Every params, result and notification model derives from :class:`WireModel`. Python code uses
snake_case attribute names; the wire uses camelCase aliases; both are accepted on input so a
hand-written client may use either. Unknown keys in params are refused (a typo in a parameter
name is an error, not a silent default).

Keys are the half of the naming rules this class enforces; the other half (French domain words
from docs/glossary.md, lowerCamelCase enum values, error codes from class names) is written in
docs/api.md "Naming rules" and checked over every WireModel by tests/rpc/test_naming.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        # Build validators on first use: a native host answering bridge.hello should not pay
        # for the schemas of every card model at start-up.
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class NoParams(WireModel):
    """For methods that take no parameters (``params`` absent, ``{}`` or ``[]``)."""
