"""What a relay takes in (POST /federation/v1/relay), in process: GREEN, allowed to relay
between BLUE and RED, whose nodes never answer here. Each envelope is held once at its place; a
resend is answered from the store; anything forged, altered, misaddressed or from a stranger is
refused with its code, journaled, and nothing of it held."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.domain.envelopes import first_prev, seal
from openline.keys.signing import SigningKey
from openline.line import relay
from openline.node.assembly import Node
from openline.services.relay import allow_relay
from openline.store import journal as journal_store
from openline.store import relay as relay_store
from tests.support.boxes import altered, box_to
from tests.support.nodes import link, make_node_dir, silent_card

BLUE, RED = SigningKey.generate(), SigningKey.generate()
RELAY = "/federation/v1/relay"


@pytest.fixture
def green(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Node]]:
    monkeypatch.setattr(relay, "RELAY_WAIT_S", 0.05)  # RED never answers: do not wait for it
    made = make_node_dir(tmp_path / "green", party="GREEN", lang="fr")
    link(made.directory, silent_card("BLUE", "en", key=BLUE))
    link(made.directory, silent_card("RED", "ru", key=RED))
    node = Node.open(made.directory, environ={})
    allow_relay(node, "BLUE", "RED")
    with TestClient(create_app(node)) as client:
        yield client, node


def envelope(text: str = "hold me", *, key: SigningKey = BLUE, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "envelope_id": "env_blue_1",
        "sender": "BLUE",
        "to": "RED",
        "link_seq": 1,
        "prev": first_prev(),
        "sent_at": "2026-12-07T08:00:00.000Z",
        "kind": "message",
        "body": {"id": "msg_1", "text": text},
        "sign": key.sign,
        "box": box_to(BLUE, RED),
        **changes,
    }
    return seal(**fields).to_json()


def post(client: TestClient, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.post(RELAY, json={"envelopes": list(envelopes)})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def journaled(node: Node, kind: str) -> list[dict[str, Any]]:
    entries = node.read(lambda conn: journal_store.read_entries(conn, limit=5000))
    return [json.loads(e.data) for e in entries if e.kind == kind]


def held(node: Node) -> list[relay_store.Held]:
    found = node.read(lambda conn: relay_store.held(conn, "BLUE", "RED", 1))
    return [found] if found is not None else []


def test_an_envelope_is_held_once_and_a_resend_answered_from_the_store(green: Any):
    client, node = green
    first = envelope()

    assert post(client, first) == [{"link_seq": 1, "id": "env_blue_1", "held": True}]
    assert post(client, first) == [{"link_seq": 1, "id": "env_blue_1", "held": True}]

    (stored,) = held(node)
    assert stored.hash == journaled(node, "relay.held")[0]["hash"]
    assert len(journaled(node, "relay.held")) == 1
    assert "hold me" not in stored.envelope  # boxed: GREEN has no key that opens it

    other = envelope("other words at the same place")
    (refused,) = post(client, other)
    assert refused["refused"]["code"] == "conflicting_replay"
    assert held(node)[0].envelope == stored.envelope
    (event,) = journaled(node, "security.envelope_refused")
    assert (event["code"], event["from"], event["to"]) == ("conflicting_replay", "BLUE", "RED")


def _altered(value: dict[str, Any]) -> dict[str, Any]:
    return value | {"body": {"box": altered(value["body"]["box"])}}


@pytest.mark.parametrize(
    ("made", "code"),
    [
        (lambda: envelope(key=SigningKey.generate()), "bad_signature"),
        (lambda: _altered(envelope()), "bad_signature"),
        (lambda: envelope(to="GREEN"), "wrong_recipient"),
        (lambda: envelope(sender="WHITE"), "unknown_sender"),
        (lambda: envelope() | {"body": {"id": "msg_1", "text": "in the clear"}}, "malformed"),
    ],
    ids=["forged", "altered", "for the relay itself", "from a stranger", "body in the clear"],
)
def test_what_a_relay_must_not_carry_is_refused_and_nothing_held(green: Any, made: Any, code: str):
    client, node = green

    (result,) = post(client, made())

    assert result["refused"]["code"] == code
    assert held(node) == []
    assert journaled(node, "relay.held") == []
    (event,) = journaled(node, "security.envelope_refused")
    assert event["code"] == code
