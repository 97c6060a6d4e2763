"""Precedence: the four levels of urgency and the time each gives to acknowledge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.precedence import (
    DEFAULT_ACK_DEADLINES,
    Precedence,
    ack_deadline,
    parse_precedence,
)


def test_there_are_four_precedences_from_most_to_least_urgent() -> None:
    assert [p.value for p in Precedence] == ["flash", "immediate", "priority", "routine"]


@pytest.mark.parametrize("precedence", list(Precedence))
def test_each_precedence_is_read_from_its_name(precedence: Precedence) -> None:
    assert parse_precedence(precedence.value) is precedence


@pytest.mark.parametrize(
    "value", ["urgent", "FLASH", "Flash", " flash", "", "z", None, 0, 1.5, ["flash"]]
)
def test_anything_else_is_refused_naming_the_value_and_the_four(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_precedence(value)
    assert caught.value.field == "precedence"
    assert caught.value.message == (
        f"precedence {value!r} is not one of flash, immediate, priority, routine"
    )


@pytest.mark.parametrize(
    ("precedence", "deadline"),
    [
        (Precedence.FLASH, timedelta(minutes=10)),
        (Precedence.IMMEDIATE, timedelta(minutes=30)),
        (Precedence.PRIORITY, timedelta(hours=3)),
        (Precedence.ROUTINE, timedelta(hours=6)),
    ],
)
def test_the_default_deadlines_are_those_of_the_design(
    precedence: Precedence, deadline: timedelta
) -> None:
    assert ack_deadline(precedence, DEFAULT_ACK_DEADLINES) == deadline


def test_more_urgent_precedences_have_shorter_default_deadlines() -> None:
    seconds = [DEFAULT_ACK_DEADLINES[p] for p in Precedence]
    assert seconds == sorted(seconds)
    assert len(set(seconds)) == len(seconds)


def test_configured_deadlines_are_used_as_given() -> None:
    deadlines = {Precedence.FLASH: 1, Precedence.IMMEDIATE: 2, Precedence.PRIORITY: 3}
    deadlines[Precedence.ROUTINE] = 86_400
    assert [ack_deadline(p, deadlines) for p in Precedence] == [
        timedelta(seconds=1),
        timedelta(seconds=2),
        timedelta(seconds=3),
        timedelta(days=1),
    ]
