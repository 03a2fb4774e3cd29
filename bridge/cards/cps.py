"""The CPS (CPx) application: presence, type, card number and PIN try counters.

Only what a card gives without a PIN is read: the public card-number file ``3F00/D003``
(tag ``5A``) and the PIN try counters (tags ``9A`` max, ``9B`` remaining). Logging in is
PKCS#11's job (opensc-pkcs11 or the official Cryptolib CPS); a PIN never passes through
here. Failing to read the number does not make the card absent: presence comes from the ATR.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bridge.cards import atr as atr_table
from bridge.cards import tlv
from bridge.cards.apdu import ApduProcessor, StatusWordError, command
from bridge.cards.connection import Connection
from bridge.cards.models import CardType
from bridge.errors import CardCommunicationError, UnsupportedCardError

log = logging.getLogger("vitale_bridge.cards")

PATH_CARD_NUMBER = bytes.fromhex("3F00D003")
TAG_CARD_NUMBER = 0x5A
TAG_TRIES_MAX = 0x9A
TAG_TRIES_REMAINING = 0x9B
#: GET DATA of the security environment of CHV 01 (the PIN), as seen in a public vendor trace.
GET_PIN_INFO = bytes.fromhex("00CB3FFF0A4D087006BF810102A080")
#: The card-number file is 12 bytes (``5A 0A`` + 10): read that first, more only if needed.
CARD_NUMBER_LE = 0x0C


@dataclass
class CpsInfo:
    card_type: CardType
    card_number: str | None = None
    pin_tries_max: int | None = None
    pin_tries_remaining: int | None = None


class CpsSession:
    def __init__(self, connection: Connection, *, timeout: float = 10.0) -> None:
        self.connection = connection
        self.card_type = atr_table.identify(connection.atr)
        if not atr_table.is_cps(self.card_type):
            raise UnsupportedCardError(
                "The card in this reader is not a CPS (professional card).",
                cardType=self.card_type,
                reader=connection.reader,
            )
        self.apdu = ApduProcessor(connection, timeout=timeout)

    def card_number(self) -> str | None:
        """Hex of the tag-5A value of ``3F00/D003``, or None when the card does not give it."""
        try:
            self.apdu.send(command(0x00, 0xA4, 0x09, 0x04, PATH_CARD_NUMBER), want_data=False)
            data = self.apdu.send(command(0x00, 0xB0, 0x00, 0x00, le=CARD_NUMBER_LE)).data
            if not tlv.complete(data) and len(data) == CARD_NUMBER_LE:
                data += self.apdu.send(command(0x00, 0xB0, 0x00, len(data), le=0)).data
            for item in tlv.parse(data):
                if item.tag == TAG_CARD_NUMBER:
                    return item.value.hex().upper()
        except StatusWordError as exc:
            log.info("CPS card number not readable (%04X)", exc.sw)
        except CardCommunicationError as exc:
            log.info("CPS card number not readable (%s)", exc.details.get("reason") or exc.code)
        return None

    def pin_tries(self) -> tuple[int | None, int | None]:
        """(max, remaining) PIN tries, or (None, None) when the card does not say."""
        try:
            data = self.apdu.send(GET_PIN_INFO).data
            found: dict[int, int] = {}
            for item in tlv.walk(tlv.parse(data)):
                if item.tag in (TAG_TRIES_MAX, TAG_TRIES_REMAINING) and item.value:
                    found[item.tag] = item.value[-1]
            return found.get(TAG_TRIES_MAX), found.get(TAG_TRIES_REMAINING)
        except StatusWordError as exc:
            log.info("CPS PIN counters not readable (%04X)", exc.sw)
        except CardCommunicationError as exc:
            log.info("CPS PIN counters not readable (%s)", exc.details.get("reason") or exc.code)
        return None, None

    def read(self) -> CpsInfo:
        number = self.card_number()
        tries_max, remaining = self.pin_tries()
        return CpsInfo(self.card_type, number, tries_max, remaining)
