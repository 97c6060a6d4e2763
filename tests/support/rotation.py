"""An envelope forged with a party's retired key (whoever kept or stole it), for the tests of
key rotation: a line check from BLUE to RED, boxed and signed as BLUE's node once did."""

from __future__ import annotations

import json
from typing import Any

from openline.domain.envelopes import seal
from openline.keys.boxes import box_between
from openline.keys.signing import SigningKey


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
