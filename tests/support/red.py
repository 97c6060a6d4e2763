"""The test speaking for RED: a linked peer holding RED's real signing key, posting envelopes to
a real BLUE's federation endpoint as RED's node would (or as a forger would)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from openline.domain.envelopes import Envelope, first_prev, seal
from openline.domain.messages import Message, Recipient
from openline.domain.precedence import Precedence
from openline.domain.timeutil import parse_utc
from openline.keys.signing import SigningKey
from tests.support.boxes import box_to, node_key
from tests.support.processes import SHARED_TLS, RunningNode

FEDERATION = "/federation/v1/envelopes"


@dataclass
class Red:
    """The test, speaking for RED."""

    key: SigningKey
    blue: RunningNode
    sealed: list[Envelope]

    def envelope(self, n: int, *, key: SigningKey | None = None, **changes: Any) -> Envelope:
        """Envelope ``n`` of RED's link to BLUE, carrying message m``n``."""
        prev = self.sealed[n - 2].hash if n > 1 else first_prev()
        fields: dict[str, Any] = {
            "envelope_id": f"env_red_{n}",
            "sender": "RED",
            "to": "BLUE",
            "link_seq": n,
            "prev": prev,
            "sent_at": "2024-12-03T12:00:00.000Z",
            "kind": "message",
            "body": red_message(n).to_json(),
            "sign": (key or self.key).sign,
            "box": box_to(self.key, node_key(self.blue.directory)),
        }
        fields.update(changes)
        return seal(**fields)

    def post(self, *envelopes: Envelope | dict[str, Any]) -> list[dict[str, Any]]:
        batch = [e.to_json() if isinstance(e, Envelope) else e for e in envelopes]
        with httpx.Client(base_url=self.blue.url, timeout=10, verify=SHARED_TLS) as client:
            response = client.post(FEDERATION, json={"envelopes": batch})
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def deliver(self, n: int) -> dict[str, Any]:
        envelope = self.envelope(n)
        (result,) = self.post(envelope)
        assert "receipt" in result, result
        self.sealed.append(envelope)
        return result


def red_message(n: int, text: str | None = None) -> Message:
    created = parse_utc("2024-12-03T12:00:00Z")
    return Message(
        id=f"msg_red_{n}",
        sender="RED",
        precedence=Precedence.FLASH,
        template="free-text",
        fields={"text": text or f"m{n}", "lang": "ru"},
        created_at=created,
        deadline=parse_utc("2024-12-03T12:10:00Z"),
        created_by="duty",
        recipients=(Recipient("BLUE"),),
    )
