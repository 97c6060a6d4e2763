"""RFC 8785 canonical JSON: the exact bytes that Openline hashes and signs."""

from __future__ import annotations

import math
from json.encoder import encode_basestring
from typing import Any

import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1  # beyond it a JSON number is not exact in every reader


class _Unusual(Exception):
    """A value outside the fast path's shapes: the reference implementation writes it."""


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` as RFC 8785 (JCS) canonical JSON, UTF-8 encoded.

    Keys are sorted by UTF-16 code units, numbers use the ECMAScript shortest form, and no
    insignificant white space is written, so every node produces the same bytes for the same
    value.

    What Openline journals (ASCII keys, text, whole numbers, coordinates) is written by a fast
    path, several times quicker than the pure-Python ``rfc8785`` package; anything else (keys
    beyond ASCII, numbers that ECMAScript writes with an exponent, NaN) goes to ``rfc8785``
    itself. tests/unit/test_canonical.py checks the two agree byte for byte.
    """
    parts: list[str] = []
    try:
        _write(value, parts)
        return "".join(parts).encode("utf-8")
    except (_Unusual, UnicodeEncodeError):
        pass
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"value cannot be written as canonical JSON: {exc}") from exc


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        # For a str this is exactly RFC 8785's escaping (the C encoder json.dumps uses).
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _Unusual
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        _write_object(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise _Unusual


def _write_object(value: dict[Any, Any], out: list[str]) -> None:
    # For ASCII keys, code point order is UTF-16 code unit order.
    if not all(isinstance(key, str) and key.isascii() for key in value):
        raise _Unusual
    out.append("{")
    for index, key in enumerate(sorted(value)):
        if index:
            out.append(",")
        out.append(encode_basestring(key))
        out.append(":")
        _write(value[key], out)
    out.append("}")


def _number(value: float) -> str:
    """ECMAScript's Number::toString where it matches Python's shortest repr without exponent."""
    if not math.isfinite(value):
        raise _Unusual
    if value.is_integer():
        if abs(value) > MAX_SAFE_INTEGER:
            raise _Unusual
        return int.__repr__(int(value))  # 35.0 is 35; -0.0 is 0
    if not 1e-4 <= abs(value) < 1e16:  # where Python's repr would use an exponent
        raise _Unusual
    return float.__repr__(value)
