"""Messages through the node's API in this process: send, list, read, acknowledge, overdue.

The node is BLUE, on a fake clock. A message to BLUE is delivered at once; one to RED stays
queued (the line that delivers it comes in a later issue).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from openline.domain.roles import Role
from openline.domain.timeutil import parse_utc
from openline.services.operators import create_token
from tests.support.nodes import InProcess

MESSAGES = "/api/v1/messages"
DEADLINE_SECONDS = {"flash": 600, "immediate": 1800, "priority": 10_800, "routine": 21_600}


def free_text(to: list[str], text: str = "hi", precedence: str = "flash") -> dict[str, Any]:
    return {"to": to, "precedence": precedence, "text": text, "lang": "en"}


def send(api: InProcess, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = api.auth(token) if token else None
    sent = api.client.post(MESSAGES, json=body, headers=headers)
    assert sent.status_code == 201, sent.text
    return dict(sent.json())


def get(api: InProcess, message_id: str) -> dict[str, Any]:
    found = api.client.get(f"{MESSAGES}/{message_id}")
    assert found.status_code == 200, found.text
    return dict(found.json())


def ack(api: InProcess, message_id: str, token: str | None = None) -> dict[str, Any]:
    headers = api.auth(token) if token else None
    acked = api.client.post(f"{MESSAGES}/{message_id}/ack", headers=headers)
    assert acked.status_code == 200, acked.text
    return dict(acked.json())


def listed(api: InProcess, **params: str | int) -> list[dict[str, Any]]:
    found = api.client.get(MESSAGES, params=params)
    assert found.status_code == 200, found.text
    return list(found.json()["messages"])


def ids(api: InProcess, **params: str | int) -> list[str]:
    return [m["id"] for m in listed(api, **params)]


def journal_kinds(api: InProcess) -> list[str]:
    entries = api.client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [e["kind"] for e in entries]


def exact_json(value: Any) -> str:
    """JSON text that tells 3000 from 3000.0, so normalised numbers are checked too."""
    return json.dumps(value, sort_keys=True)


def test_a_flash_message_to_our_own_party_is_created_delivered_and_located(api: InProcess):
    response = api.client.post(MESSAGES, json=free_text(["BLUE"]))

    assert response.status_code == 201, response.text
    message = response.json()
    assert response.headers["Location"] == f"{MESSAGES}/{message['id']}"
    assert message["state"] == "delivered"
    assert message["from"] == "BLUE"
    assert message["to"] == ["BLUE"]
    assert message["created_by"] == "admin"
    assert message["created_at"] == "2024-12-03T12:00:00.000Z"
    assert message["deadline"] == "2024-12-03T12:10:00.000Z"
    assert message["recipients"] == [
        {
            "party": "BLUE",
            "state": "delivered",
            "delivered_at": "2024-12-03T12:00:00.000Z",
            "acknowledged_at": None,
            "acknowledged_by": None,
        }
    ]
    assert api.client.get(response.headers["Location"]).json() == message


def test_a_message_to_our_own_party_appears_in_both_boxes(api: InProcess):
    message = send(api, free_text(["BLUE"]))

    assert ids(api, box="in") == [message["id"]]
    assert ids(api, box="out") == [message["id"]]
    assert ids(api) == [message["id"]]


def test_a_message_to_another_party_stays_queued_and_only_in_the_outbox(api: InProcess):
    message = send(api, free_text(["RED"]))

    assert message["state"] == "queued"
    assert message["recipients"][0]["state"] == "queued"
    assert message["recipients"][0]["delivered_at"] is None
    assert get(api, message["id"])["state"] == "queued"
    assert ids(api, box="out") == [message["id"]]
    assert ids(api, box="in") == []


def test_a_message_is_shown_with_its_sender_under_the_key_from(api: InProcess):
    message = send(api, free_text(["BLUE"]))

    for shown in (message, get(api, message["id"]), listed(api)[0]):
        assert shown["from"] == "BLUE"
        assert "sender" not in shown


def test_reading_a_message_by_id_gives_what_sending_it_answered(api: InProcess):
    message = send(api, free_text(["RED"], text="convoy at 1400Z"))

    assert get(api, message["id"]) == message


def test_an_unknown_message_id_is_not_found(api: InProcess):
    send(api, free_text(["BLUE"]))

    missing = api.client.get(f"{MESSAGES}/msg_01JE668FG0AAAAAAAAAAAAAAAA")

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_acknowledging_records_the_operator_who_acknowledged(api: InProcess):
    duty_officer = create_token(api.node, "duty-officer", Role.DUTY_OFFICER)
    message = send(api, free_text(["BLUE"]))
    api.clock.advance(minutes=2)

    acked = ack(api, message["id"], token=duty_officer)

    assert acked["state"] == "acknowledged"
    assert acked["recipients"][0]["acknowledged_by"] == "duty-officer"
    assert acked["recipients"][0]["acknowledged_at"] == "2024-12-03T12:02:00.000Z"
    assert acked["created_by"] == "admin"
    assert get(api, message["id"]) == acked


def test_a_second_acknowledgement_changes_nothing_and_writes_nothing(api: InProcess):
    message = send(api, free_text(["BLUE"]))
    first = ack(api, message["id"])
    head = api.client.get("/api/v1/journal").json()["head"]
    api.clock.advance(minutes=1)

    second = api.client.post(f"{MESSAGES}/{message['id']}/ack")

    assert second.status_code == 200
    assert second.json() == first
    assert api.client.get("/api/v1/journal").json()["head"] == head


def test_messages_are_listed_newest_first(api: InProcess):
    sent = []
    for n in range(5):
        to = ["BLUE"] if n % 2 == 0 else ["RED"]
        sent.append(send(api, free_text(to, text=f"m{n}"))["id"])
        api.clock.advance(seconds=1)

    assert ids(api) == sent[::-1]
    assert ids(api, box="in") == sent[0::2][::-1]
    assert ids(api, box="out") == sent[::-1]


@pytest.mark.parametrize("box", [None, "in", "out"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_paging_with_limit_and_before_walks_the_whole_box_once(
    api: InProcess, box: str | None, limit: int
):
    for n in range(7):
        send(api, free_text(["BLUE"] if n % 3 else ["RED"], text=f"m{n}"))
        api.clock.advance(milliseconds=1)
    box_params: dict[str, str | int] = {"box": box} if box else {}
    whole = ids(api, **box_params)

    walked: list[str] = []
    page = ids(api, **box_params, limit=limit)
    while page:
        assert len(page) <= limit
        walked += page
        page = ids(api, **box_params, limit=limit, before=page[-1])

    assert walked == whole
    assert len(whole) == (7 if box != "in" else 4)


@pytest.mark.parametrize(("precedence", "seconds"), DEADLINE_SECONDS.items())
def test_a_message_unacknowledged_past_its_deadline_is_overdue(
    api: InProcess, precedence: str, seconds: int
):
    message = send(api, free_text(["BLUE"], precedence=precedence))
    deadline = parse_utc(message["created_at"]) + timedelta(seconds=seconds)
    assert parse_utc(message["deadline"]) == deadline

    api.clock.advance(seconds=seconds)
    assert get(api, message["id"])["state"] == "delivered"

    api.clock.advance(seconds=1)
    assert get(api, message["id"])["state"] == "overdue"
    assert listed(api, box="in")[0]["state"] == "overdue"
    assert listed(api, box="out")[0]["state"] == "overdue"


def test_a_queued_message_past_its_deadline_is_overdue_for_its_sender(api: InProcess):
    message = send(api, free_text(["RED"]))

    api.clock.advance(minutes=11)

    shown = get(api, message["id"])
    assert shown["state"] == "overdue"
    assert shown["recipients"][0]["state"] == "queued"


def test_an_acknowledged_message_is_never_overdue(api: InProcess):
    message = send(api, free_text(["BLUE"]))
    ack(api, message["id"])

    for minutes in (11, 60 * 24, 60 * 24 * 365):
        api.clock.advance(minutes=minutes)
        assert get(api, message["id"])["state"] == "acknowledged"
        assert listed(api)[0]["state"] == "acknowledged"


def test_an_overdue_message_can_still_be_acknowledged(api: InProcess):
    message = send(api, free_text(["BLUE"]))
    api.clock.advance(minutes=11)
    assert get(api, message["id"])["state"] == "overdue"

    acked = ack(api, message["id"])

    assert acked["state"] == "acknowledged"
    assert acked["recipients"][0]["acknowledged_at"] == "2024-12-03T12:11:00.000Z"


def test_a_message_to_us_and_another_party_shows_the_least_advanced_state(api: InProcess):
    message = send(api, free_text(["BLUE", "RED"]))

    assert message["state"] == "queued"
    states = {r["party"]: r["state"] for r in message["recipients"]}
    assert states == {"BLUE": "delivered", "RED": "queued"}
    assert ids(api, box="in") == [message["id"]]
    assert ids(api, box="out") == [message["id"]]

    acked = ack(api, message["id"])
    assert acked["state"] == "queued"
    states = {r["party"]: r["state"] for r in acked["recipients"]}
    assert states == {"BLUE": "acknowledged", "RED": "queued"}

    api.clock.advance(minutes=11)
    assert get(api, message["id"])["state"] == "overdue"


def test_a_message_shows_its_recipients_in_one_canonical_order_everywhere(api: InProcess):
    message = send(api, free_text(["RED", "BLUE"]))
    listed = api.client.get("/api/v1/messages", params={"box": "out"}).json()["messages"][0]
    journaled = next(
        e["data"]
        for e in api.client.get("/api/v1/journal").json()["entries"]
        if e["kind"] == "message.created"
    )

    assert message["to"] == ["BLUE", "RED"]
    assert get(api, message["id"])["to"] == listed["to"] == journaled["to"] == message["to"]


# (template, fields as sent, fields as the node keeps and shows them). Times are normalised
# to UTC with milliseconds, coordinates and altitudes to floats; counts stay whole numbers.
POLYGON_SENT = {"type": "Polygon", "coordinates": [[[38, 35], [39, 35], [39, 36], [38, 35]]]}
POLYGON_KEPT = {
    "type": "Polygon",
    "coordinates": [[[38.0, 35.0], [39.0, 35.0], [39.0, 36.0], [38.0, 35.0]]],
}
WINDOW_SENT = {"start": "2024-12-03T15:00:00+03:00", "end": "2024-12-03T14:30:00Z"}
WINDOW_KEPT = {"start": "2024-12-03T12:00:00.000Z", "end": "2024-12-03T14:30:00.000Z"}
BAND_SENT, BAND_KEPT = {"lower_m": 0, "upper_m": 3000}, {"lower_m": 0.0, "upper_m": 3000.0}
CIRCLE_SENT = {"circle": {"lat": 35, "lon": 38.25, "radius_m": 5000}}
CIRCLE_KEPT = {"circle": {"lat": 35.0, "lon": 38.25, "radius_m": 5000.0}}
POINT_SENT, POINT_KEPT = {"lat": 36, "lon": -0.5}, {"lat": 36.0, "lon": -0.5}

PAYLOADS = [
    (
        "planned-operation",
        {
            "area": POLYGON_SENT,
            "time_window": WINDOW_SENT,
            "altitude_band": BAND_SENT,
            "activity": "air strike",
            "unit": "VIPER 1-1",
            "remarks": "two aircraft",
        },
        {
            "area": POLYGON_KEPT,
            "time_window": WINDOW_KEPT,
            "altitude_band": BAND_KEPT,
            "activity": "air strike",
            "unit": "VIPER 1-1",
            "remarks": "two aircraft",
        },
    ),
    (
        "deconfliction-request",
        {"area": CIRCLE_SENT, "time_window": WINDOW_SENT, "request": "keep clear"},
        {"area": CIRCLE_KEPT, "time_window": WINDOW_KEPT, "request": "keep clear"},
    ),
    ("confirm", {}, {}),
    ("confirm", {"remarks": "understood"}, {"remarks": "understood"}),
    ("unable", {"reason": "aircraft airborne"}, {"reason": "aircraft airborne"}),
    (
        "imminent-activity-warning",
        {
            "area": CIRCLE_SENT,
            "time_window": WINDOW_SENT,
            "altitude_band": BAND_SENT,
            "activity": "live firing",
        },
        {
            "area": CIRCLE_KEPT,
            "time_window": WINDOW_KEPT,
            "altitude_band": BAND_KEPT,
            "activity": "live firing",
        },
    ),
    (
        "request-cease-activity",
        {"location": POINT_SENT, "activity": "jamming", "unit": "RED 7"},
        {"location": POINT_KEPT, "activity": "jamming", "unit": "RED 7"},
    ),
    (
        "unsafe-encounter-report",
        {
            "location": POINT_SENT,
            "time": "2024-12-03T13:30:00.5+01:30",
            "own_unit": "HAWK 2",
            "other_unit": "UNKNOWN",
            "closest_distance_m": 150,
            "description": "close pass",
        },
        {
            "location": POINT_KEPT,
            "time": "2024-12-03T12:00:00.500Z",
            "own_unit": "HAWK 2",
            "other_unit": "UNKNOWN",
            "closest_distance_m": 150,
            "description": "close pass",
        },
    ),
    (
        "protected-site-notice",
        {"location": POINT_SENT, "site": "Al-Shifa hospital", "radius_m": 500},
        {"location": POINT_KEPT, "site": "Al-Shifa hospital", "radius_m": 500},
    ),
    (
        "movement-notice",
        {
            "origin": POINT_SENT,
            "destination": {"lat": -33.5, "lon": 151},
            "time_window": WINDOW_SENT,
            "unit": "CONVOY 3",
            "vehicles": 12,
        },
        {
            "origin": POINT_KEPT,
            "destination": {"lat": -33.5, "lon": 151.0},
            "time_window": WINDOW_KEPT,
            "unit": "CONVOY 3",
            "vehicles": 12,
        },
    ),
    ("line-check", {}, {}),
    ("line-check", {"remarks": None}, {}),
    ("free-text", {"text": "Привет, синий", "lang": "ru"}, {"text": "Привет, синий", "lang": "ru"}),
]


@pytest.mark.parametrize(
    ("template", "sent", "kept"),
    PAYLOADS,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(PAYLOADS)],
)
def test_each_template_round_trips_with_its_fields_normalised(
    api: InProcess, template: str, sent: dict[str, Any], kept: dict[str, Any]
):
    earlier = send(api, free_text(["BLUE"], text="the message answered"))
    api.clock.advance(seconds=1)  # so that the message under test is the newest
    body: dict[str, Any] = {"to": ["BLUE"], "precedence": "immediate"}
    if template == "free-text":
        body |= {"text": sent["text"], "lang": sent["lang"]}
    else:
        body |= {"template": template, "fields": sent}
    if template in ("confirm", "unable"):
        body["in_reply_to"] = earlier["id"]

    message = send(api, body)

    assert message["template"] == template
    assert message["in_reply_to"] == body.get("in_reply_to")
    assert exact_json(message["fields"]) == exact_json(kept)
    assert exact_json(get(api, message["id"])["fields"]) == exact_json(kept)
    assert exact_json(listed(api, limit=1)[0]["fields"]) == exact_json(kept)
    entries = api.client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    created = [e["data"] for e in entries if e["kind"] == "message.created"]
    assert created[-1]["id"] == message["id"]
    # RFC 8785 writes 3000.0 as 3000: the journal keeps the same numbers, in canonical form.
    assert created[-1]["fields"] == kept


def test_sending_journals_the_message_and_its_delivery_in_order(api: InProcess):
    before = journal_kinds(api)

    send(api, free_text(["BLUE", "RED"]))

    assert journal_kinds(api)[len(before) :] == [
        "message.created",
        "message.delivered",
        "envelope.queued",
    ]
