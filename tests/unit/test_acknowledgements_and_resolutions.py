"""The pure rules of issue 22: what a shared notification's version asks, by when; what a
proposal to resolve a conflict must be, and the state a conflict reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from openline.domain import acknowledgements, resolutions
from openline.domain.bodies import NOTIFICATION_LIMITS, Link, check_body
from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind, Notification
from openline.domain.resolutions import Outcome, Proposal, ProposalState, conflict_state
from openline.domain.timeutil import parse_utc

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def notification(kind: str = "protected-site", status: str = "planned") -> Notification:
    return Notification.from_json(
        {
            "id": "ntf_01JE0000000000000000000000",
            "owner": "BLUE",
            "kind": kind,
            "title": "Field hospital",
            "status": status,
            "volumes": [
                {
                    "circle": {"lat": 35.1, "lon": 38.1, "radius_m": 500},
                    "altitude_lower_m": 0,
                    "altitude_upper_m": 100,
                    "time_start": "2026-12-07T00:00:00Z",
                    "time_end": "2026-12-08T00:00:00Z",
                }
            ],
            "share_with": ["RED"],
            "created_at": "2026-12-07T09:00:00Z",
            "updated_at": "2026-12-07T09:00:00Z",
            "version": 1,
        },
        limits=NOTIFICATION_LIMITS,
    )


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [("protected-site", 1800), ("movement", 1800), ("air-operation", 10800), ("zone", 10800)],
)
def test_protected_sites_and_movements_are_asked_sooner_by_default(kind: str, seconds: int):
    table = acknowledgements.deadline_table({})
    deadline = acknowledgements.deadline_of(notification(kind), table)
    assert (deadline - AT).total_seconds() == seconds


def test_a_deadline_table_replaces_the_kinds_it_names_and_keeps_the_rest():
    table = acknowledgements.deadline_table({"protected-site": 600})
    assert table["protected-site"] == 600
    assert table["movement"] == 1800
    assert set(table) == {kind.value for kind in Kind}


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"hospital": 60}, "'hospital' is not a notification kind"),
        ({"zone": 0}, "zone: 0 s is not from 1 to 2592000 s"),
        ({"zone": 1.5}, "zone: 1.5 is not a whole number of seconds"),
        ({"zone": True}, "zone: True is not a whole number of seconds"),
    ],
)
def test_a_bad_deadline_table_is_refused_naming_the_kind(given: dict[str, Any], words: str):
    with pytest.raises(InvalidInput, match=words):
        acknowledgements.deadline_table(given)


@pytest.mark.parametrize(
    ("status", "asked"),
    [("planned", True), ("active", True), ("completed", False), ("cancelled", False)],
)
def test_only_a_live_version_asks_for_acknowledgement(status: str, asked: bool):
    assert acknowledgements.asks(notification(status=status)) is asked
    assert acknowledgements.asks(replace(notification(status=status), share_with=())) is False


def test_an_awaited_version_reads_waiting_then_overdue_then_acknowledged():
    awaited = acknowledgements.Awaited("ntf_x", 1, "BLUE", "RED", AT)
    assert awaited.state(AT) == "waiting"  # the deadline itself is still in time
    assert awaited.state(parse_utc("2026-12-07T09:00:00.001Z")) == "overdue"
    done = replace(awaited, acknowledged_by="ivanov", acknowledged_at=AT)
    assert done.state(parse_utc("2026-12-08T00:00:00Z")) == "acknowledged"


LINK = Link("RED", "BLUE", 65536)
ACK = {"notification": "ntf_01JE", "version": 2, "by": "ivanov", "at": "2026-12-07T09:05:00Z"}


@pytest.mark.parametrize(
    ("kind", "body", "words"),
    [
        ("notification_ack", {**ACK, "extra": 1}, "exactly notification, version, by, at"),
        ("notification_ack", {**ACK, "version": 0}, "version: a version number from 1"),
        ("notification_ack", {**ACK, "version": True}, "version: a version number from 1"),
        ("notification_ack", {**ACK, "notification": "msg_1"}, "notification: a notification"),
        ("notification_ack", {**ACK, "by": ""}, "by: an operator's name"),
        ("notification_ack", {**ACK, "at": "09:05"}, "at '09:05' is not an ISO 8601"),
        ("notification_reminder", {"notification": "ntf_1", "version": 1}, "exactly notification"),
        ("resolution_accept", {"key": "cfl-1", "proposal": "rsl_1", "by": "x"}, "exactly key"),
    ],
)
def test_a_body_the_peer_would_refuse_is_refused_before_sealing(
    kind: str, body: dict[str, Any], words: str
):
    with pytest.raises(InvalidInput, match=words):
        check_body(kind, body, LINK)


def test_an_acknowledgement_body_reads_back_as_written():
    ack = acknowledgements.read_ack(ACK)
    assert ack.to_json() == {**ACK, "at": "2026-12-07T09:05:00.000Z"}


WINDOW = {"start": "2026-12-03T15:00:00Z", "end": "2026-12-03T17:00:00Z"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"outcome": "wait", "text": "x"}, "outcome", "'wait' is not one of proceed, joint"),
        ({"outcome": 3, "text": "x"}, "outcome", "3 is not one of"),
        ({"outcome": "joint", "text": "  "}, "text", "say what is proposed"),
        ({"outcome": "joint", "text": "x" * 2001}, "text", "2001 characters, over the limit"),
        ({"outcome": "delay", "text": "x"}, "window", "a delay gives its new window"),
        ({"outcome": "cancel", "text": "x", "window": WINDOW}, "window", "only a delay"),
        (
            {"outcome": "delay", "text": "x", "window": {"start": WINDOW["start"]}},
            "window",
            "give exactly",
        ),
        (
            {"outcome": "delay", "text": "x", "window": {**WINDOW, "end": WINDOW["start"]}},
            "window.end",
            "window.end 2026-12-03T15:00:00.000Z is not after window.start",
        ),
        (
            {"outcome": "delay", "text": "x", "window": {**WINDOW, "end": "tomorrow"}},
            "window.end",
            "is not an ISO 8601",
        ),
        ({"outcome": "joint", "text": "x", "when": 1}, "when", "unknown member 'when'"),
    ],
)
def test_a_bad_proposal_is_refused_naming_its_field(body: dict[str, Any], field: str, words: str):
    with pytest.raises(InvalidInput, match=words) as refused:
        resolutions.parse_draft(body, max_text_bytes=65536)
    assert refused.value.field == field


def proposal(state: ProposalState = ProposalState.WAITING) -> Proposal:
    draft = resolutions.parse_draft(
        {"outcome": "delay", "text": "Hold", "window": WINDOW}, max_text_bytes=65536
    )
    made = Proposal("rsl_1", "cfl-1", draft.outcome, draft.text, draft.window, "RED", "ivanov", AT)
    return replace(made, state=state)


def test_a_proposal_crosses_as_its_record_and_only_from_its_own_party():
    record = proposal().record()
    assert resolutions.read_proposal(record, "RED") == proposal()
    check_body("resolution", record, LINK)
    with pytest.raises(InvalidInput, match="a proposal of RED in an envelope from BLUE"):
        check_body("resolution", record, Link("BLUE", "RED", 65536))


@pytest.mark.parametrize(
    ("stored", "thread", "state"),
    [
        ("open", [], "open"),
        ("open", [ProposalState.SUPERSEDED, ProposalState.WAITING], "proposed"),
        ("open", [ProposalState.SUPERSEDED, ProposalState.ACCEPTED], "agreed"),
        ("cleared", [ProposalState.ACCEPTED], "cleared"),
        ("cleared", [ProposalState.WAITING], "cleared"),
    ],
)
def test_a_conflict_reads_open_proposed_agreed_or_cleared(
    stored: str, thread: list[ProposalState], state: str
):
    assert conflict_state(stored, [proposal(s) for s in thread]) == state


def test_delay_reroute_and_cancel_have_a_notification_to_revise():
    assert {Outcome.DELAY, Outcome.REROUTE, Outcome.CANCEL} == resolutions.REVISING
