"""Identifiers that sort by creation time (ULID layout), with a readable prefix."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80

IdFactory = Callable[[str, datetime], str]


class MonotonicIds:
    """Makes ids such as ``msg_01JDQ3V4Y8K2Z7R9T5W6X3M1NP``, each greater than the last.

    The first 10 characters encode the time in milliseconds and the last 16 are random, so two
    nodes never make the same id; within one millisecond (or if the clock steps back) the
    random part of the previous id is incremented instead, so ids made later always sort later.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self, prefix: str, at: datetime) -> str:
        if at.tzinfo is None:
            raise ValueError("naive datetime: ids are made from UTC instants")
        fresh = (int(at.timestamp() * 1000) << _RANDOM_BITS) | int.from_bytes(
            os.urandom(_RANDOM_BITS // 8), "big"
        )
        with self._lock:
            value = fresh if fresh >> _RANDOM_BITS > self._last >> _RANDOM_BITS else self._last + 1
            self._last = value
        return f"{prefix}_{_encode(value)}"


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


new_id: IdFactory = MonotonicIds()
