"""Identifiers: a readable prefix and 26 Crockford base32 characters that sort by time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from openline.domain.ids import MonotonicIds


def new_id(prefix: str, at: datetime) -> str:
    """An id from a fresh factory, so that no earlier test's ids bear on this one."""
    return MonotonicIds()(prefix, at)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
AT = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)


def decode_time(identifier: str) -> int:
    """The milliseconds since the epoch held in the first 10 characters after the prefix."""
    value = 0
    for char in identifier.split("_", 1)[1][:10]:
        value = value * 32 + CROCKFORD.index(char)
    return value


@pytest.mark.parametrize("prefix", ["msg", "op", "tok", "env"])
def test_an_id_is_its_prefix_and_26_crockford_characters(prefix: str) -> None:
    identifier = new_id(prefix, AT)
    assert re.fullmatch(rf"{prefix}_[0-9A-HJKMNP-TV-Z]{{26}}", identifier), identifier
    assert identifier[len(prefix) + 1] in "01234567"  # 128 bits in 130: the top two are 0


def test_the_first_ten_characters_hold_the_time_in_milliseconds() -> None:
    at = datetime(2024, 12, 3, 12, 0, 0, 123_000, tzinfo=UTC)
    assert decode_time(new_id("msg", at)) == int(at.timestamp() * 1000)


def test_the_time_is_the_same_instant_whatever_the_offset_it_was_given_in() -> None:
    moscow = AT.astimezone(timezone(timedelta(hours=3)))
    assert decode_time(new_id("msg", moscow)) == decode_time(new_id("msg", AT))


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        (AT, AT + timedelta(milliseconds=1)),
        (AT, AT + timedelta(seconds=1)),
        (AT, AT + timedelta(days=3650)),
        (datetime(1970, 1, 1, tzinfo=UTC), AT),
        (AT, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_an_id_made_later_sorts_later(earlier: datetime, later: datetime) -> None:
    # Many pairs, so that the random part never decides the order by luck.
    for _ in range(100):
        assert new_id("msg", earlier) < new_id("msg", later)


def test_ids_sort_in_the_order_they_were_made() -> None:
    made = [new_id("msg", AT + timedelta(milliseconds=i)) for i in range(1000)]
    assert sorted(made) == made


def test_ten_thousand_ids_made_in_the_same_millisecond_never_collide() -> None:
    made = {new_id("msg", AT) for _ in range(10_000)}
    assert len(made) == 10_000


def test_the_random_part_is_not_constant() -> None:
    tails = {new_id("msg", AT)[-16:] for _ in range(10)}
    assert len(tails) == 10


def test_ids_made_in_the_same_millisecond_still_sort_in_the_order_they_were_made() -> None:
    ids = MonotonicIds()
    made = [ids("msg", AT) for _ in range(1000)]
    assert made == sorted(made)
    assert len(set(made)) == 1000
    assert {decode_time(i) for i in made} == {int(AT.timestamp() * 1000)}


def test_an_id_made_after_the_clock_stepped_back_still_sorts_after_the_last() -> None:
    ids = MonotonicIds()
    first = ids("msg", AT + timedelta(seconds=5))
    assert ids("msg", AT) > first
