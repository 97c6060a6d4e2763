"""An envelope received but not applied waits on the node until an officer acknowledges it:
listed by GET /api/v1/line/not-applied for every role, acknowledged by POST .../ack (an
officer's action, journaled once), and read again from the journal when the node restarts.

BLUE's API runs in this process; RED's unappliable envelopes are handed to BLUE's receiver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.domain.envelopes import Envelope, first_prev
from openline.domain.roles import Role
from openline.line import receiver
from openline.node.assembly import Node
from openline.services.operators import create_token
from openline.services.setup import NewNode
from tests.support.nodes import FakeClock, InProcess
from tests.support.unappliable import unappliable_from_red

LISTED = "/api/v1/line/not-applied"


def not_applied_on(api: InProcess, count: int) -> list[Envelope]:
    """``count`` envelopes from RED, in link order, that BLUE receives but cannot apply."""
    envelopes: list[Envelope] = []
    for n in range(1, count + 1):
        envelopes.append(unappliable_from_red(n, envelopes[-1].hash if envelopes else first_prev()))
    api.node.write(receiver.apply_batch(api.node, list(envelopes), "test"))
    return envelopes


def ack(api: InProcess, envelope: Envelope, token: str) -> dict[str, object]:
    response = api.client.post(f"{LISTED}/{envelope.hash}/ack", headers=api.auth(token))
    return {"status": response.status_code, **response.json()}


def acknowledgements(api: InProcess) -> list[dict[str, object]]:
    page = api.client.get("/api/v1/journal", params={"kind": "envelope.not_applied_acknowledged"})
    return [entry["data"] for entry in page.json()["entries"]]


def test_an_envelope_not_applied_waits_until_one_officer_acknowledges_it(api: InProcess):
    tokens = {role: create_token(api.node, f"{role.value}-1", role) for role in Role}
    (envelope,) = not_applied_on(api, 1)

    listed = api.client.get(LISTED, headers=api.auth(tokens[Role.PLANNER]))

    assert listed.status_code == 200
    (held,) = listed.json()["envelopes"]
    assert held == {
        "peer": "RED",
        "direction": "from",
        "link_seq": 1,
        "id": "env_red_1",
        "kind": "ack",
        "hash": envelope.hash,
        "reason": held["reason"],
        "at": "2024-12-03T12:00:00.000Z",
        "acknowledged_by": None,
        "acknowledged_at": None,
    }
    assert "no message 'msg_never_sent'" in held["reason"]

    assert ack(api, envelope, tokens[Role.PLANNER])["status"] == 403
    api.clock.advance(minutes=5)
    acknowledged = ack(api, envelope, tokens[Role.DUTY_OFFICER])
    assert acknowledged == {
        **held,
        "status": 200,
        "acknowledged_by": "duty-officer-1",
        "acknowledged_at": "2024-12-03T12:05:00.000Z",
    }
    assert api.client.get(LISTED).json() == {"envelopes": [], "total": 0}
    (journaled,) = acknowledgements(api)
    assert journaled["acknowledged_by"] == "duty-officer-1"
    assert (journaled["peer"], journaled["link_seq"], journaled["hash"]) == (
        "RED",
        1,
        envelope.hash,
    )

    # A second officer finds the first one's acknowledgement; nothing more is journaled.
    assert ack(api, envelope, tokens[Role.ADMINISTRATOR]) == acknowledged
    assert len(acknowledgements(api)) == 1


def test_the_oldest_are_listed_first_up_to_the_limit_and_all_are_counted(api: InProcess):
    not_applied_on(api, 3)

    listed = api.client.get(LISTED, params={"limit": 2}).json()

    assert [held["link_seq"] for held in listed["envelopes"]] == [1, 2]
    assert listed["total"] == 3
    assert api.client.get(LISTED, params={"limit": 1001}).status_code == 422


def test_acknowledging_what_is_not_there_is_refused(api: InProcess):
    unknown = api.client.post(f"{LISTED}/{'0' * 64}/ack")
    malformed = api.client.post(f"{LISTED}/not-a-hash/ack")

    assert unknown.status_code == 404
    assert "received but not applied" in unknown.json()["error"]["message"]
    assert malformed.status_code == 422
    assert acknowledgements(api) == []


def test_an_officer_acknowledges_all_those_seen_at_once_each_journaled_as_theirs(api: InProcess):
    tokens = {role: create_token(api.node, f"{role.value}-1", role) for role in Role}
    envelopes = not_applied_on(api, 8)
    first, *seen = envelopes[:7]
    assert ack(api, first, tokens[Role.DUTY_OFFICER])["status"] == 200
    hashes = [envelope.hash for envelope in [first, *seen]]

    refused = api.client.post(
        f"{LISTED}/ack", json={"hashes": hashes}, headers=api.auth(tokens[Role.PLANNER])
    )
    assert refused.status_code == 403
    api.clock.advance(minutes=1)
    answered = api.client.post(
        f"{LISTED}/ack", json={"hashes": hashes}, headers=api.auth(tokens[Role.ADMINISTRATOR])
    )

    assert answered.status_code == 200
    held = answered.json()["envelopes"]
    assert [each["link_seq"] for each in held] == list(range(1, 8))
    # The first was already acknowledged: the answer is that acknowledgement, journaled once.
    assert [each["acknowledged_by"] for each in held] == ["duty-officer-1"] + [
        "administrator-1"
    ] * 6
    assert {each["acknowledged_at"] for each in held[1:]} == {"2024-12-03T12:01:00.000Z"}
    journaled = acknowledgements(api)
    assert [(each["link_seq"], each["acknowledged_by"]) for each in journaled] == [
        (1, "duty-officer-1"),
        *((n, "administrator-1") for n in range(2, 8)),
    ]
    # The one the officer did not see still waits.
    listed = api.client.get(LISTED).json()
    assert [each["hash"] for each in listed["envelopes"]] == [envelopes[7].hash]
    assert listed["total"] == 1


def test_a_malformed_or_unknown_list_acknowledges_none_of_it(api: InProcess):
    (envelope,) = not_applied_on(api, 1)
    known = envelope.hash
    malformed = [
        {},
        {"hashes": []},
        {"hashes": known},
        {"hashes": [known, "not-a-hash"]},
        {"hashes": [known.upper()]},
        {"hashes": [known] * 1001},
        {"hashes": [known], "also": 1},
        [known],
    ]
    for body in malformed:
        answer = api.client.post(f"{LISTED}/ack", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"], body

    unknown = api.client.post(f"{LISTED}/ack", json={"hashes": [known, "0" * 64]})

    assert unknown.status_code == 404
    assert "no envelope '000000" in unknown.json()["error"]["message"]
    assert acknowledgements(api) == []
    assert [each["hash"] for each in api.client.get(LISTED).json()["envelopes"]] == [known]
    # At most 1000 in one request, a hash repeated acknowledged once.
    answered = api.client.post(f"{LISTED}/ack", json={"hashes": [known] * 1000})
    assert answered.status_code == 200
    assert len(answered.json()["envelopes"]) == 1000
    assert len(acknowledgements(api)) == 1


@contextmanager
def serving(node_dir: NewNode, clock: FakeClock) -> Iterator[InProcess]:
    node = Node.open(node_dir.directory, environ={}, clock=clock)
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {node_dir.token}"
        yield InProcess(client, node, node_dir.token, clock)


def test_after_a_restart_the_node_still_knows_which_wait_for_an_acknowledgement(
    node_dir: NewNode, clock: FakeClock
):
    with serving(node_dir, clock) as api:
        first, second = not_applied_on(api, 2)
        assert ack(api, first, api.token)["status"] == 200

    with serving(node_dir, clock) as api:
        (waiting,) = api.client.get(LISTED).json()["envelopes"]
        assert (waiting["link_seq"], waiting["hash"]) == (2, second.hash)
        assert ack(api, first, api.token)["acknowledged_by"] == "admin"
