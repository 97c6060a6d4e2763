"""For the tests of key rotation: a node directory opened in the test's process, and an envelope
forged with a party's retired key (whoever kept or stole it), a line check from BLUE to RED,
boxed and signed as BLUE's node once did."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openline.domain.envelopes import seal
from openline.keys.boxes import box_between
from openline.keys.signing import SigningKey
from openline.node.assembly import Node


@contextmanager
def opened(directory: Path, environ: dict[str, str] | None = None) -> Iterator[Node]:
    """The node at ``directory`` opened on its files (running or not), then closed."""
    node = Node.open(directory, environ=environ or {})
    try:
        yield node
    finally:
        node.close()


def forged_line_check(old: SigningKey, red_key: str, link_seq: int, prev: str) -> dict[str, Any]:
    """BLUE's line check ``link_seq`` after the envelope of hash ``prev``, signed by ``old``
    and boxed to RED's public key ``red_key`` (base64)."""
    envelope = seal(
        envelope_id=f"env_forged_{link_seq}",
        sender="BLUE",
        to="RED",
        link_seq=link_seq,
        prev=prev,
        sent_at="2026-12-07T12:00:00.000Z",
        kind="line_check",
        body={"interval_s": 1},
        sign=old.sign,
        box=box_between(old, red_key).seal,
    )
    forged: dict[str, Any] = json.loads(envelope.text)
    return forged
