"""Identifiers that sort by creation time (ULID layout), with a readable prefix."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

IdFactory = Callable[[str, datetime], str]


def new_id(prefix: str, at: datetime) -> str:
    """A new identifier such as ``msg_01JDQ3V4Y8K2Z7R9T5W6X3M1NP``.

    The first 10 characters encode ``at`` in milliseconds and the last 16 are random, so ids
    made later sort later and two nodes never make the same id.
    """
    millis = int(at.timestamp() * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
