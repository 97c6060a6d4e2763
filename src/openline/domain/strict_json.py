"""JSON text held strict: no string may hold a lone surrogate or a NUL.

JSON lets a string escape half of a UTF-16 pair (``"\\ud800"``) on its own; Python reads it into
a ``str`` that no UTF-8 encoder accepts, so it would fail later, deep in a byte count, the
database or the journal's canonical form. PostgreSQL keeps no NUL (``"\\u0000"``) in text. Both
are refused here, as malformed JSON, naming where they are. (NaN and Infinity are let through:
the rules refuse them naming the field.)

Pure, so that every layer that reads JSON from outside may use it: the API for request bodies
(``openline.api.strict_json``), the file formats for imported files (``openline.interop``).
"""

from __future__ import annotations

import json
from typing import Any


class NotStrictJSON(json.JSONDecodeError):
    """Well-formed JSON holding a string no database or journal could keep."""

    def __str__(self) -> str:
        return self.msg  # the place is in the message; a character position would mislead


def loads(body: bytes | str) -> Any:
    """``json.loads``, refusing a lone surrogate or a NUL with a ``json.JSONDecodeError``
    naming where it is."""
    value = json.loads(body)
    problem = _problem(value, "")
    if problem is not None:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise NotStrictJSON(problem, text, 0)
    return value


def _problem(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        place = where or "the body"
        if "\x00" in value:
            return f"{place} holds a NUL character (\\u0000)"
        return None if value.isascii() or _encodes(value) else _surrogate(value, place)
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _problem(item, f"{where}[{i}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            # A bad key is named by where it is, never by itself.
            found = _problem(key, f"a key of {where or 'the body'}")
            found = found or _problem(item, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogate(text: str, place: str) -> str:
    char = next(c for c in text if 0xD800 <= ord(c) <= 0xDFFF)
    return f"{place} holds a lone surrogate \\u{ord(char):04x}, which is no Unicode character"
