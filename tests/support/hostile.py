"""What a hostile client sends (issue 23): a YAML alias bomb, JSON nested too deep."""

from __future__ import annotations

# 370 bytes that PyYAML's safe_load turns into 9**9 strings once walked (a "billion laughs").
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def nested(depth: int) -> bytes:
    """A JSON object holding an object ``depth`` deep."""
    return ('{"a":' * depth + "1" + "}" * depth).encode()
