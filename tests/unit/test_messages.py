"""Messages: composing them from drafts, and the states each recipient and the sender see."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openline.domain.errors import Conflict, InvalidInput
from openline.domain.messages import (
    MAX_RECIPIENTS,
    Draft,
    Message,
    Recipient,
    State,
    acknowledge,
    compose,
    deliver,
    free_text_draft,
    message_state,
    recipient_state,
)
from openline.domain.precedence import DEFAULT_ACK_DEADLINES, Precedence

NOW = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)
# Distinct per precedence, so a test notices if the wrong one is used.
DEADLINES: Mapping[Precedence, int] = {
    Precedence.FLASH: 60,
    Precedence.IMMEDIATE: 120,
    Precedence.PRIORITY: 180,
    Precedence.ROUTINE: 240,
}


def draft(
    to: Any = ("RED",),
    precedence: str = "flash",
    template: str = "line-check",
    fields: Mapping[str, Any] | None = None,
    in_reply_to: str | None = None,
) -> Draft:
    return Draft(
        list(to) if isinstance(to, tuple) else to, precedence, template, fields or {}, in_reply_to
    )


def make(d: Draft, deadlines: Mapping[Precedence, int] = DEADLINES) -> Message:
    return compose(
        d,
        message_id="msg_01TEST",
        sender="BLUE",
        created_by="alice",
        now=NOW,
        deadlines=deadlines,
        max_text_bytes=65536,
    )


def test_a_composed_message_is_queued_for_each_recipient_with_checked_fields() -> None:
    fields = {"location": {"lat": 35, "lon": 36}, "activity": "UAV loitering"}
    message = make(draft(("RED", "GREEN"), "immediate", "request-cease-activity", fields))
    assert message.id == "msg_01TEST"
    assert message.sender == "BLUE"
    assert message.created_by == "alice"
    assert message.created_at == NOW
    assert message.precedence is Precedence.IMMEDIATE
    assert message.template == "request-cease-activity"
    assert message.fields == {"location": {"lat": 35.0, "lon": 36.0}, "activity": "UAV loitering"}
    assert message.to == ("GREEN", "RED")  # one canonical, alphabetical order
    assert message.recipients == (Recipient("GREEN"), Recipient("RED"))
    assert message.in_reply_to is None
    assert message_state(message, NOW) is State.QUEUED


def test_a_message_may_be_addressed_to_the_senders_own_party() -> None:
    assert make(draft(("BLUE",))).to == ("BLUE",)


@pytest.mark.parametrize(
    ("precedence", "deadlines", "after"),
    [
        ("flash", DEADLINES, timedelta(seconds=60)),
        ("immediate", DEADLINES, timedelta(seconds=120)),
        ("priority", DEADLINES, timedelta(seconds=180)),
        ("routine", DEADLINES, timedelta(seconds=240)),
        ("flash", DEFAULT_ACK_DEADLINES, timedelta(minutes=10)),
        ("immediate", DEFAULT_ACK_DEADLINES, timedelta(minutes=30)),
        ("priority", DEFAULT_ACK_DEADLINES, timedelta(hours=3)),
        ("routine", DEFAULT_ACK_DEADLINES, timedelta(hours=6)),
    ],
)
def test_the_deadline_is_the_creation_time_plus_the_precedences_seconds(
    precedence: str, deadlines: Mapping[Precedence, int], after: timedelta
) -> None:
    assert make(draft(precedence=precedence), deadlines).deadline == NOW + after


@pytest.mark.parametrize(
    ("to", "says"),
    [
        ([], "at least one recipient"),
        ("RED", "as a list"),
        (None, "at least one recipient"),
        (["RED", "GREEN", "RED"], "named twice"),
        (["red"], "'red' is not a party code"),
        (["R"], "'R' is not a party code"),
        (["1RED"], "'1RED' is not a party code"),
        (["RED BLUE"], "is not a party code"),
        (["A" * 17], "is not a party code"),
        ([7], "7 is not a party code"),
        ([f"P{i:02d}" for i in range(MAX_RECIPIENTS + 1)], "17 recipients, over the limit of 16"),
    ],
    ids=[
        "empty",
        "a string, not a list",
        "none",
        "duplicate",
        "lower case",
        "one letter",
        "starts with a digit",
        "space",
        "17 letters",
        "a number",
        "17 recipients",
    ],
)
def test_bad_recipients_are_refused_naming_the_to_field(to: Any, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make(draft(to))
    assert caught.value.field == "to"
    assert says in caught.value.message


def test_sixteen_distinct_recipients_are_accepted() -> None:
    parties = [f"P{i:02d}" for i in range(MAX_RECIPIENTS)]
    assert make(draft(parties)).to == tuple(parties)


@pytest.mark.parametrize("precedence", ["urgent", "FLASH", "Flash", "", "flash ", None, 1])
def test_an_unknown_precedence_is_refused_listing_the_four(precedence: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        make(draft(precedence=precedence))
    assert caught.value.field == "precedence"
    assert "flash, immediate, priority, routine" in caught.value.message


@pytest.mark.parametrize(
    ("template", "fields"), [("confirm", {}), ("unable", {"reason": "Ongoing operation"})]
)
def test_a_template_that_answers_a_message_needs_in_reply_to(
    template: str, fields: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make(draft(template=template, fields=fields))
    assert caught.value.field == "in_reply_to"
    assert template in caught.value.message
    answer = make(draft(template=template, fields=fields, in_reply_to="msg_01ASKED"))
    assert answer.in_reply_to == "msg_01ASKED"


def test_a_template_that_does_not_answer_may_still_refer_to_a_message() -> None:
    assert make(draft(in_reply_to="msg_01EARLIER")).in_reply_to == "msg_01EARLIER"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"template": "no-such-template"}, "template"),
        ({"template": "unable"}, "fields.reason"),
        ({"fields": {"remarks": ""}}, "fields.remarks"),
    ],
)
def test_a_draft_is_checked_against_the_phrasebook(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make(draft(**{"in_reply_to": "msg_01X", **change}))
    assert caught.value.field == field


def test_free_text_is_a_draft_of_the_free_text_template_marked_with_its_language() -> None:
    d = free_text_draft(["RED"], "priority", "Проверка связи", "ru", in_reply_to="msg_01X")
    message = make(d)
    assert message.template == "free-text"
    assert message.fields == {"text": "Проверка связи", "lang": "ru"}
    assert message.in_reply_to == "msg_01X"


def test_free_text_over_the_limit_is_refused_when_composed() -> None:
    d = free_text_draft(["RED"], "flash", "x" * 11, "en")
    with pytest.raises(InvalidInput, match="11 bytes, over the limit of 10 bytes"):
        compose(
            d,
            message_id="msg_1",
            sender="BLUE",
            created_by="alice",
            now=NOW,
            deadlines=DEADLINES,
            max_text_bytes=10,
        )


LATER = NOW + timedelta(seconds=5)
LATER_STILL = NOW + timedelta(seconds=30)


def test_delivering_records_when_and_leaves_the_other_recipients_alone() -> None:
    message = make(draft(("RED", "GREEN")))
    delivered = deliver(message, "RED", LATER)
    assert delivered.recipient("RED") == Recipient("RED", State.DELIVERED, delivered_at=LATER)
    assert delivered.recipient("GREEN") == Recipient("GREEN")
    assert message.recipient("RED") == Recipient("RED")  # the original is unchanged


def test_delivering_twice_changes_nothing() -> None:
    delivered = deliver(make(draft()), "RED", LATER)
    assert deliver(delivered, "RED", LATER_STILL) == delivered


def test_acknowledging_records_who_and_when() -> None:
    delivered = deliver(make(draft()), "RED", LATER)
    acked = acknowledge(delivered, "RED", "ivan", LATER_STILL)
    assert acked.recipient("RED") == Recipient(
        "RED",
        State.ACKNOWLEDGED,
        delivered_at=LATER,
        acknowledged_at=LATER_STILL,
        acknowledged_by="ivan",
    )
    assert message_state(acked, LATER_STILL) is State.ACKNOWLEDGED


def test_acknowledging_twice_keeps_the_first_acknowledgement() -> None:
    acked = acknowledge(deliver(make(draft()), "RED", LATER), "RED", "ivan", LATER)
    assert acknowledge(acked, "RED", "olga", LATER_STILL) == acked


def test_delivering_an_acknowledged_message_again_changes_nothing() -> None:
    acked = acknowledge(deliver(make(draft()), "RED", LATER), "RED", "ivan", LATER)
    assert deliver(acked, "RED", LATER_STILL) == acked


def test_acknowledging_a_message_not_yet_delivered_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="has not been delivered to RED yet"):
        acknowledge(make(draft()), "RED", "ivan", LATER)


@pytest.mark.parametrize(
    "action",
    [
        lambda message: deliver(message, "BLUE", LATER),
        lambda message: acknowledge(message, "BLUE", "mallory", LATER),
    ],
    ids=["deliver", "acknowledge"],
)
def test_a_party_not_among_the_recipients_is_a_conflict(
    action: Callable[[Message], Message],
) -> None:
    message = deliver(make(draft(("RED", "GREEN"))), "RED", LATER)
    with pytest.raises(Conflict, match="addressed to GREEN, RED, not to BLUE"):
        action(message)


def recipient(state: State) -> Recipient:
    return Recipient("RED", state)


DEADLINE = NOW + timedelta(seconds=60)


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        (State.QUEUED, NOW, State.QUEUED),
        (State.QUEUED, DEADLINE, State.QUEUED),
        (State.QUEUED, DEADLINE + timedelta(milliseconds=1), State.OVERDUE),
        (State.DELIVERED, DEADLINE, State.DELIVERED),
        (State.DELIVERED, DEADLINE + timedelta(milliseconds=1), State.OVERDUE),
        (State.DELIVERED, DEADLINE + timedelta(days=365), State.OVERDUE),
        (State.ACKNOWLEDGED, DEADLINE + timedelta(milliseconds=1), State.ACKNOWLEDGED),
        (State.ACKNOWLEDGED, DEADLINE + timedelta(days=365), State.ACKNOWLEDGED),
    ],
)
def test_a_recipient_is_overdue_only_once_the_deadline_passed_unacknowledged(
    state: State, now: datetime, expected: State
) -> None:
    assert recipient_state(recipient(state), DEADLINE, now) is expected


def test_a_message_acknowledged_after_its_deadline_stays_acknowledged() -> None:
    message = deliver(make(draft()), "RED", LATER)
    too_late = message.deadline + timedelta(minutes=5)
    assert message_state(message, too_late) is State.OVERDUE
    acked = acknowledge(message, "RED", "ivan", too_late)
    assert message_state(acked, too_late) is State.ACKNOWLEDGED
    assert message_state(acked, too_late + timedelta(days=1)) is State.ACKNOWLEDGED


def test_a_message_becomes_overdue_through_a_later_now_alone() -> None:
    message = deliver(make(draft()), "RED", LATER)
    assert message_state(message, message.deadline) is State.DELIVERED
    assert message_state(message, message.deadline + timedelta(seconds=1)) is State.OVERDUE


Q, D, A = State.QUEUED, State.DELIVERED, State.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("states", "before_deadline", "after_deadline"),
    [
        ((Q,), Q, State.OVERDUE),
        ((D,), D, State.OVERDUE),
        ((A,), A, A),
        ((Q, D), Q, State.OVERDUE),
        ((D, Q, A), Q, State.OVERDUE),
        ((D, A), D, State.OVERDUE),
        ((A, D, A), D, State.OVERDUE),
        ((A, A, A), A, A),
    ],
)
def test_the_senders_view_is_the_least_advanced_recipient_and_overdue_first(
    states: Sequence[State], before_deadline: State, after_deadline: State
) -> None:
    parties = [f"P{i}" for i in range(len(states))]
    message = make(draft(tuple(parties)))
    for party, state in zip(parties, states, strict=True):
        if state is not Q:
            message = deliver(message, party, LATER)
        if state is A:
            message = acknowledge(message, party, "ivan", LATER)
    assert message_state(message, message.deadline) is before_deadline
    assert message_state(message, message.deadline + timedelta(seconds=1)) is after_deadline


def test_one_recipient_overdue_makes_the_message_overdue_even_if_others_acknowledged() -> None:
    message = make(draft(("RED", "GREEN")))
    message = acknowledge(deliver(message, "RED", LATER), "RED", "ivan", LATER)
    message = deliver(message, "GREEN", LATER)
    late = message.deadline + timedelta(seconds=1)
    red, green = message.recipient("RED"), message.recipient("GREEN")
    assert red is not None
    assert green is not None
    assert recipient_state(red, message.deadline, late) is State.ACKNOWLEDGED
    assert recipient_state(green, message.deadline, late) is State.OVERDUE
    assert message_state(message, late) is State.OVERDUE
