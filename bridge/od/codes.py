"""The routing codes of the TOD and the one rule that normalises them.

A carte Vitale gives the régime on 2 digits, the caisse gestionnaire on 3 and the centre
gestionnaire on 4; the table answers with an OD and a code centre informatique on 3 digits each.
Codes are strings because their leading zeros matter (``01`` is not ``1`` in a file that is
later compared as text). A shorter all-digit value is padded on the left: for a fixed-width
numeric code that is the only reading, so it is unambiguous. Anything else (letters, signs,
inner spaces, too many digits, an empty value) is refused rather than guessed at.
"""

from __future__ import annotations

from typing import Any

#: Width of each code, by its name in the domain.
WIDTHS: dict[str, int] = {
    "regime": 2,
    "caisse": 3,
    "centre": 4,
    "od": 3,
    "code_centre_informatique": 3,
}

#: The centre gestionnaire that stands for "every centre of this caisse".
WILDCARD_CENTRE = "0000"

_DIGITS = frozenset("0123456789")


class InvalidOdCodeError(ValueError):
    """A code that cannot be read as the fixed-width number it must be.

    A ``ValueError`` so that pydantic turns it into a params error (JSON-RPC -32602) and the
    CLI into a usage error; ``name`` and ``value`` say which input was wrong. The message names
    the field, never the value: it travels to clients (no input is ever echoed in an error).
    """

    def __init__(self, name: str, value: object, reason: str) -> None:
        self.name = name
        self.value = value
        self.reason = reason
        width = WIDTHS.get(name, 0)
        super().__init__(
            f"{name} is not valid: {reason}. Give {width} digits "
            f"(a shorter number is padded with leading zeros, e.g. 1 -> {'1'.zfill(width)})."
        )


def normalize(name: str, value: Any) -> str:
    """The code *name* written on its full width, or :class:`InvalidOdCodeError`.

    Accepts a string of ASCII digits (surrounding blanks ignored) or a non-negative integer
    (JSON clients sometimes send ``1`` for régime ``01``).
    """
    width = WIDTHS[name]
    if isinstance(value, bool):
        raise InvalidOdCodeError(name, value, "a boolean is not a code")
    if isinstance(value, int):
        if value < 0:
            raise InvalidOdCodeError(name, value, "negative")
        value = str(value)
    elif isinstance(value, str):
        value = value.strip()
    else:
        raise InvalidOdCodeError(name, value, f"expected digits, got {type(value).__name__}")
    if not value:
        raise InvalidOdCodeError(name, value, "empty")
    if not _DIGITS.issuperset(value):
        raise InvalidOdCodeError(name, value, "only the digits 0-9 are allowed")
    if len(value) > width:
        raise InvalidOdCodeError(name, value, f"longer than {width} digits")
    return str(value).zfill(width)
