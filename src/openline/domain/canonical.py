"""RFC 8785 canonical JSON: the exact bytes that Openline hashes and signs."""

from __future__ import annotations

from typing import Any

import rfc8785


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` as RFC 8785 (JCS) canonical JSON, UTF-8 encoded.

    Keys are sorted by UTF-16 code units, numbers use the ECMAScript shortest form, and no
    insignificant white space is written, so every node produces the same bytes for the same
    value.
    """
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"value cannot be written as canonical JSON: {exc}") from exc
