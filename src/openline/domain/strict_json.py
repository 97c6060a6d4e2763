"""JSON text held strict: no string may hold a lone surrogate or a NUL.

JSON lets a string escape half of a UTF-16 pair (``"\\ud800"``) on its own; Python reads it into
a ``str`` that no UTF-8 encoder accepts, so it would fail later, deep in a byte count, the
database or the journal's canonical form. PostgreSQL keeps no NUL (``"\\u0000"``) in text. Both
are refused here, as malformed JSON, naming where they are. (NaN and Infinity are let through:
the rules refuse them naming the field.)

Nesting is held to ``MAX_DEPTH`` arrays and objects, counted before the text is parsed: Python's
parser recurses once per level, so a body nested ten thousand deep would otherwise end in a
RecursionError (a 500) instead of a refusal. The deepest document Openline reads (a GeoJSON
MultiPolygon in a FeatureCollection, an F3548 intent, an envelope of a notification) is about
ten deep.

Pure, so that every layer that reads JSON from outside may use it: the API for request bodies
(``openline.api.strict_json``), the file formats for imported files (``openline.interop``).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from openline.domain.quoting import quote_if_unusual

MAX_DEPTH = 64  # arrays and objects, one inside the other
PLACE_SHOWN = 200  # characters of the place named: its member names are the sender's to choose

# A string (its end optional, so that the scan never starts over) or a run of anything but a
# bracket: what is left are the brackets that nest.
_NOT_NESTING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[^\[\]{}"]+')
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class NotStrictJSON(json.JSONDecodeError):
    """Well-formed JSON holding a string no database or journal could keep."""

    def __str__(self) -> str:
        return self.msg  # the place is in the message; a character position would mislead


def loads(body: bytes | str) -> Any:
    """``json.loads``, refusing a lone surrogate or a NUL, or nesting deeper than
    ``MAX_DEPTH``, with a ``json.JSONDecodeError`` naming where it is."""
    # Decoded as json.loads decodes bytes (UTF-8, -16 or -32), so that the brackets counted
    # are characters, never bytes of another character.
    text = (
        body.decode(json.detect_encoding(body), "surrogatepass")
        if isinstance(body, bytes)
        else body
    )
    too_deep = f"the body is nested deeper than {MAX_DEPTH} arrays and objects, the limit"
    if _too_deep(text):
        raise NotStrictJSON(too_deep, text, 0)
    try:
        value = json.loads(text)
    except RecursionError:  # unbalanced brackets, counted short: the parser still stops
        raise NotStrictJSON(too_deep, text, 0) from None
    problem = _problem(value, "")
    if problem is not None:
        raise NotStrictJSON(problem, text, 0)
    return value


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than ``MAX_DEPTH`` in JSON ``text``, seen without
    parsing it: one linear scan, in C (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # the usual small body: spared the scan
    brackets = _NOT_NESTING.sub("", text)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH


def _problem(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        place = quote_if_unusual(where, PLACE_SHOWN) if where else "the body"
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
