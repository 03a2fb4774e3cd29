"""The virtual cards: one implementation of each card, served over two carriers.

A virtual card takes a command APDU and answers the response APDU exactly as the real card
would (T=0 ``61 xx`` / ``6C xx`` included; see docs/virtual-cards.md). The same objects are

* plugged into vpcd by the bench (:mod:`bridge.bench`), so PC/SC clients reach them through a
  real pcscd, and
* called in process by the ``simulator`` driver (:mod:`bridge.cards.drivers.simulator`),

so both drivers give the same answers for the same profile. Nothing here knows a socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.profiles import Profile
    from bridge.virtualcards.card import VirtualCard

__all__ = ["make_card"]


def make_card(profile: Profile | str) -> VirtualCard:
    """The virtual card that serves *profile* (a loaded profile, a shipped name or a JSON path)."""
    from bridge import profiles

    if not isinstance(profile, (profiles.VitaleProfile, profiles.CpsProfile)):
        profile = profiles.load(profile)
    if isinstance(profile, profiles.CpsProfile):
        from bridge.virtualcards.cps import CpsCard

        return CpsCard(profile)
    if profile.card_type == "vitale1":
        from bridge.virtualcards.vitale1 import Vitale1Card

        return Vitale1Card(profile)
    from bridge.virtualcards.vitale2 import Vitale2Card

    return Vitale2Card(profile)
