"""Quoting a value that came from outside in a message, a refusal reason or a journal entry.

Whoever sends a request chooses its values: a 7,000,000-character envelope id, a path of
60,000 characters, a newline and a forged "security.unauthenticated" after it. ``quote`` shows
at most a short prefix of such a value, escaped, and names what was cut by its length and
hash, so that a message stays short and a reader can still tell two long values apart (or
match one against a copy kept elsewhere).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

SHOWN_CHARACTERS = 40
HASH_DIGITS = 16  # of the SHA-256 in hex: 64 bits, enough to tell values apart
ELLIPSIS = "\u2026"
_BACKSLASHED = frozenset("\\'\"")


def quote(value: object, shown: int = SHOWN_CHARACTERS) -> str:
    """``value`` as a message may repeat it: at most ``shown`` characters of it.

    A string is shown between single quotes, with quotes, backslashes and every character
    that is not printable (control characters, line and paragraph separators, bidirectional
    overrides) escaped, so that it cannot end the quote or forge a line of text around it;
    escapes count in the ``shown`` characters (the last may overrun by up to 9). Anything
    else is shown as its Python ``repr``. What is cut is named by the whole value's length and
    the start of its SHA-256 (of its UTF-8):
    ``'abcd…' (7000000 characters, sha256 1a2b3c4d5e6f7a8b)``.
    """
    if isinstance(value, str):
        text = value
        escaped, used = _escaped(value, shown)
        cut = used < len(value)
        prefix = f"'{escaped}{ELLIPSIS if cut else ''}'"
    else:
        text = _repr(value)
        cut = len(text) > shown
        prefix = text[:shown] + (ELLIPSIS if cut else "")
    if not cut:
        return prefix
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix} ({len(text)} characters, sha256 {digest[:HASH_DIGITS]})"


def quote_if_unusual(text: str, shown: int = SHOWN_CHARACTERS) -> str:
    """``text`` as it is when it is short and printable (a member name, a path, as a client
    usually sends them), quoted by ``quote`` otherwise."""
    return text if len(text) <= shown and text.isprintable() else quote(text, shown)


def quote_all(values: Sequence[object], most: int = 3, shown: int = SHOWN_CHARACTERS) -> str:
    """The first ``most`` of ``values``, each quoted, and how many more there are."""
    quoted = ", ".join(quote(value, shown) for value in values[:most])
    more = len(values) - most
    return f"{quoted} and {more} more" if more > 0 else quoted


def _escaped(text: str, shown: int) -> tuple[str, int]:
    """``text`` escaped, as far as ``shown`` characters of escapes go; and how many characters
    of ``text`` that took."""
    parts: list[str] = []
    length = 0
    for used, character in enumerate(text):
        if length >= shown:
            return "".join(parts), used
        parts.append(_escape(character))
        length += len(parts[-1])
    return "".join(parts), len(text)


def _escape(character: str) -> str:
    if character in _BACKSLASHED:
        return "\\" + character
    if character.isprintable():
        return character
    code = ord(character)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _repr(value: object) -> str:
    try:
        return repr(value)
    except (ValueError, RecursionError):  # an integer of over 4300 digits; nesting too deep
        return f"<a {type(value).__name__} too large to show>"
