"""Precedence: how urgent a message is, and how long the other side has to acknowledge it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote


class Precedence(StrEnum):
    """From most to least urgent, as on military message systems."""

    FLASH = "flash"
    IMMEDIATE = "immediate"
    PRIORITY = "priority"
    ROUTINE = "routine"


# Seconds a human on the receiving side has to acknowledge, before the message is overdue.
DEFAULT_ACK_DEADLINES: Mapping[Precedence, int] = {
    Precedence.FLASH: 10 * 60,
    Precedence.IMMEDIATE: 30 * 60,
    Precedence.PRIORITY: 3 * 3600,
    Precedence.ROUTINE: 6 * 3600,
}


def parse_precedence(value: object) -> Precedence:
    """The precedence named by ``value``, or an error listing the four that exist."""
    for precedence in Precedence:
        if value == precedence.value:
            return precedence
    names = ", ".join(p.value for p in Precedence)
    raise InvalidInput(f"precedence {quote(value)} is not one of {names}", field="precedence")


def ack_deadline(precedence: Precedence, deadlines: Mapping[Precedence, int]) -> timedelta:
    """How long after sending the acknowledgement is due."""
    return timedelta(seconds=deadlines[precedence])
