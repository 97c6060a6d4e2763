"""A node refuses every envelope it must not apply, applies nothing of it, and journals why.

BLUE runs as a real process; the test plays RED, holding RED's key, and posts envelopes to
BLUE's federation endpoint as RED's node would (or as a forger would).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openline.domain.envelopes import Envelope
from openline.keys.signing import SigningKey
from tests.support.boxes import altered
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import run_openline, start_node
from tests.support.red import FEDERATION, Red, red_message

MAX_ENVELOPE_BYTES = 8192


@pytest.fixture
def red(tmp_path: Path) -> Iterator[Red]:
    key = SigningKey.generate()
    created = make_node_dir(tmp_path / "blue", port=free_port())
    link(created.directory, silent_card(key=key))
    env = {"OPENLINE_MAX_ENVELOPE_BYTES": str(MAX_ENVELOPE_BYTES)}
    blue = start_node(created.directory, created.token, env)
    try:
        yield Red(key, blue, [])
    finally:
        blue.stop()


def inbox_ids(red: Red) -> list[str]:
    with red.blue.client() as client:
        return [
            m["id"] for m in client.get("/api/v1/messages", params={"box": "in"}).json()["messages"]
        ]


def security_events(red: Red) -> list[dict[str, Any]]:
    with red.blue.client() as client:
        entries = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [e["data"] for e in entries if e["kind"] == "security.envelope_refused"]


def test_envelopes_in_order_are_applied_once_and_a_resent_one_gets_its_first_receipt(red: Red):
    first = red.deliver(1)
    red.deliver(2)

    (again,) = red.post(red.sealed[0])

    assert again == first
    assert sorted(inbox_ids(red)) == ["msg_red_1", "msg_red_2"]
    assert security_events(red) == []


def refusal(red: Red, envelope: Envelope | dict[str, Any]) -> dict[str, Any]:
    before = inbox_ids(red)
    (result,) = red.post(envelope)
    assert "receipt" not in result
    assert inbox_ids(red) == before, "a refused envelope must apply nothing"
    event = security_events(red)[-1]
    assert event["code"] == result["refused"]["code"]
    assert event["reason"] == result["refused"]["reason"]
    return result


def test_a_forged_envelope_signed_with_another_key_is_refused(red: Red):
    result = refusal(red, red.envelope(1, key=SigningKey.generate()))
    assert result["refused"]["code"] == "bad_signature"
    assert "does not verify with RED's key" in result["refused"]["reason"]


def test_an_envelope_altered_after_signing_is_refused(red: Red):
    changed = red.envelope(1).to_json()
    changed["body"]["box"] = altered(changed["body"]["box"])
    assert refusal(red, changed)["refused"]["code"] == "bad_signature"


def test_a_replayed_envelope_with_other_content_at_an_applied_place_is_refused(red: Red):
    red.deliver(1)
    replay = red.envelope(1, body=red_message(1, text="other words").to_json())
    result = refusal(red, replay)
    assert result["refused"]["code"] == "conflicting_replay"


def test_a_gap_in_the_sequence_is_refused_with_the_place_expected(red: Red):
    red.deliver(1)
    red.sealed.append(red.envelope(2))  # sealed, never delivered
    result = refusal(red, red.envelope(3))
    assert result["refused"]["code"] == "sequence_gap"
    assert result["expected_seq"] == 2


def test_a_broken_hash_link_is_refused(red: Red):
    red.deliver(1)
    result = refusal(red, red.envelope(2, prev="f" * 64))
    assert result["refused"]["code"] == "broken_link"


def test_an_envelope_addressed_to_another_party_is_refused(red: Red):
    result = refusal(red, red.envelope(1, to="GREEN"))
    assert result["refused"]["code"] == "wrong_recipient"
    assert "addressed to GREEN" in result["refused"]["reason"]


def test_an_envelope_from_a_party_that_is_not_a_peer_is_refused(red: Red):
    stranger = SigningKey.generate()
    result = refusal(red, red.envelope(1, sender="GREEN", key=stranger))
    assert result["refused"]["code"] == "unknown_sender"


def test_an_envelope_over_the_size_limit_is_refused(red: Red):
    big = red_message(1, text="x" * (MAX_ENVELOPE_BYTES + 10))
    result = refusal(red, red.envelope(1, body=big.to_json()))
    assert result["refused"]["code"] == "too_large"
    assert f"over the limit of {MAX_ENVELOPE_BYTES} bytes" in result["refused"]["reason"]


def test_a_malformed_envelope_is_refused(red: Red):
    result = refusal(red, {"v": 1, "id": "x"})
    assert result["refused"]["code"] == "malformed"


def test_a_body_that_breaks_the_phrasebook_is_received_not_applied_and_the_line_goes_on(red: Red):
    record = red_message(1).to_json()
    record["template"] = "no-such-template"
    unknown = red.envelope(1, body=record)
    (result,) = red.post(unknown)
    assert "no-such-template" in result["receipt"]["not_applied"]
    red.sealed.append(unknown)
    assert red.post(unknown) == [result]  # a resend: the same receipt
    red.deliver(2)
    assert inbox_ids(red) == ["msg_red_2"]


def test_a_request_that_is_not_a_batch_is_a_422_and_journaled(red: Red):
    with httpx.Client(base_url=red.blue.url, timeout=10) as client:
        response = client.post(FEDERATION, content=b"not json")
        entries = client.get(
            "/api/v1/journal",
            params={"limit": 5000},
            headers={"Authorization": f"Bearer {red.blue.token}"},
        ).json()["entries"]
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "envelopes"
    assert entries[-1]["kind"] == "security.federation_malformed"


def test_after_refusals_the_journal_still_verifies(red: Red):
    refusal(red, red.envelope(1, key=SigningKey.generate()))
    red.deliver(1)
    result = run_openline("journal", "verify", red.blue.directory)
    assert result.returncode == 0, result.stderr
    assert json.dumps(security_events(red))


def test_what_a_refused_envelope_claimed_is_journaled_short_and_escaped(red: Red):
    forged = red.envelope(1).to_json() | {
        "id": "env\n" + "\x1b[2J" * 100,
        "from": "RED\r\nsecurity.forged",
        "to": ["BLUE", "\n"],
    }
    result = refusal(red, forged)
    event = security_events(red)[-1]
    claimed = [event["id"], event["from"], event["to"], result["id"]]
    assert all(isinstance(value, str) and value.isprintable() for value in claimed), claimed
    assert event["id"].startswith("'env\\x0a\\x1b[2J")
    assert len(event["id"]) < 150
