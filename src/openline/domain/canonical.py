"""RFC 8785 canonical JSON: the exact bytes that Openline hashes and signs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
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

    What Openline journals (ASCII keys, text, whole numbers, coordinates) is written by json's
    C encoder, which writes exactly RFC 8785 for those shapes once each whole float is given as
    an int (``_plain`` checks every value first); anything else (keys beyond ASCII, numbers that
    ECMAScript writes with an exponent, NaN) goes to the pure-Python ``rfc8785`` package itself.
    tests/unit/test_canonical.py checks the two agree byte for byte.
    """
    try:
        return "".join(_encode(_plain(value), 0)).encode("utf-8")
    except (_Unusual, UnicodeEncodeError):
        pass
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"value cannot be written as canonical JSON: {exc}") from exc


def _refuse(value: Any) -> Any:
    raise _Unusual  # never reached: _plain lets through only what the encoder writes itself


# json's C encoder, set up as RFC 8785 writes: keys sorted, no white space, text as it is (the
# C string encoder json.dumps uses, whose escaping is exactly RFC 8785's), NaN refused. With
# no markers: _plain has walked the value already, and a cycle would have stopped it there.
_encode = c_make_encoder(None, _refuse, encode_basestring, None, ":", ",", True, False, False)


def _plain(value: Any) -> Any:
    """``value`` ready for ``_encode``: itself, or a copy with each whole float as an int
    (ECMAScript writes 35.0 as 35, Python as 35.0); ``_Unusual`` for what the encoder would not
    write as RFC 8785 does: keys beyond ASCII, integers beyond 2^53, floats that either writes
    with an exponent, NaN, types JSON does not have."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        return _plain_object(value)
    if kind is int:
        return _safe_integer(value)
    if kind is float:
        return _number(value)
    if kind is list or kind is tuple:
        return _plain_items(enumerate(value), value, list)
    return _plain_subclass(value)


def _plain_subclass(value: Any) -> Any:
    """A value of a subclass of a JSON type (a StrEnum, an IntEnum): as its base type."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):  # bool cannot be subclassed
        return _safe_integer(value)
    if isinstance(value, float):
        return _number(float(value))
    if isinstance(value, dict):
        return _plain_object(value)
    if isinstance(value, list | tuple):
        return _plain_items(enumerate(value), value, list)
    raise _Unusual


def _plain_object(value: dict[Any, Any]) -> dict[Any, Any]:
    # For ASCII keys, code point order (the encoder's) is UTF-16 code unit order; joining the
    # keys checks them all at once (a key that is not text cannot be joined).
    try:
        if not "".join(value).isascii():
            raise _Unusual
    except TypeError:
        raise _Unusual from None
    return _plain_items(value.items(), value, dict)  # type: ignore[no-any-return]


def _plain_items(
    pairs: Iterable[tuple[Any, Any]], value: Any, copy_of: Callable[[Any], Any]
) -> Any:
    """A container's items made plain: ``value`` itself if none changes, else a copy (made
    by ``copy_of``) with the changed ones. Text, literals and safe integers, most of what is
    journalled, are passed over here without a call."""
    copy = None
    for key, item in pairs:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            continue
        plain = _plain(item)
        if plain is not item:
            if copy is None:
                copy = copy_of(value)
            copy[key] = plain
    return value if copy is None else copy


def _safe_integer(value: int) -> int:
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise _Unusual
    return value


def _number(value: float) -> float | int:
    """A float as ECMAScript's Number::toString writes it, where that is Python's shortest repr
    without exponent (or, for a whole number, an int's)."""
    if not math.isfinite(value):
        raise _Unusual
    if value.is_integer():
        if abs(value) > MAX_SAFE_INTEGER:
            raise _Unusual
        return int(value)  # 35.0 is 35; -0.0 is 0
    if not 1e-4 <= abs(value) < 1e16:  # where Python's repr would use an exponent
        raise _Unusual
    return value
