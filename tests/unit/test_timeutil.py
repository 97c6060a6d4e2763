"""UTC instants: written fixed-width with milliseconds and Z, read only with a time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.timeutil import (
    UtcTexts,
    format_utc,
    parse_duration,
    parse_utc,
    system_clock,
)


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (datetime(2024, 12, 3, 12, 0, tzinfo=UTC), "2024-12-03T12:00:00.000Z"),
        (datetime(2024, 12, 3, 12, 0, 0, 7_000, tzinfo=UTC), "2024-12-03T12:00:00.007Z"),
        (datetime(2024, 12, 3, 12, 0, 0, 999_999, tzinfo=UTC), "2024-12-03T12:00:00.999Z"),
        (datetime(2024, 1, 2, 3, 4, 5, 60_000, tzinfo=UTC), "2024-01-02T03:04:05.060Z"),
        (
            datetime(2024, 12, 3, 15, 0, tzinfo=timezone(timedelta(hours=3))),
            "2024-12-03T12:00:00.000Z",
        ),
        (
            datetime(2024, 12, 31, 20, 30, tzinfo=timezone(timedelta(hours=-5))),
            "2025-01-01T01:30:00.000Z",
        ),
        (datetime(9999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC), "9999-12-31T23:59:59.999Z"),
        # strftime("%Y") wrote these years as "1" and "999", which parse_utc refused (issue 23)
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
        (datetime(999, 12, 31, 23, 0, tzinfo=UTC), "0999-12-31T23:00:00.000Z"),
    ],
)
def test_an_instant_is_written_in_utc_with_milliseconds_and_z(instant: datetime, text: str) -> None:
    assert format_utc(instant) == text


def test_written_instants_are_fixed_width_so_text_order_is_time_order() -> None:
    start = datetime(2024, 12, 3, 23, 59, 59, 990_000, tzinfo=UTC)
    instants = [start + timedelta(milliseconds=3 * i) for i in range(20)]
    texts = [format_utc(i) for i in instants]
    assert {len(t) for t in texts} == {24}
    assert sorted(texts) == texts


def test_instants_read_one_after_another_are_written_as_format_utc_writes_each() -> None:
    start = datetime(2024, 12, 3, 23, 59, 58, 998_500, tzinfo=UTC)
    steps = [timedelta(microseconds=700 * i) for i in range(4000)]  # across three seconds
    instants = [start + step for step in steps]
    instants += [instants[10], instants[-10], instants[5]]  # a clock set back
    instants += [datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)] * 2
    instants += [datetime(2024, 12, 31, 20, 30, 0, 5_000, tzinfo=timezone(timedelta(hours=-5)))]
    write = UtcTexts()
    assert [write(i) for i in instants] == [format_utc(i) for i in instants]


def test_a_naive_instant_is_not_written() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        format_utc(datetime(2024, 12, 3, 12, 0))
    with pytest.raises(ValueError, match="naive datetime"):
        UtcTexts()(datetime(2024, 12, 3, 12, 0))


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2024-12-03T12:00:00Z", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
        ("2024-12-03T12:00:00.250Z", datetime(2024, 12, 3, 12, 0, 0, 250_000, tzinfo=UTC)),
        ("2024-12-03T12:00:00+00:00", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
        ("2024-12-03T15:00:00+03:00", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
        ("2024-12-03T17:30:00+05:30", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
        ("2024-12-03T04:00:00-08:00", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
        ("2024-12-02T23:00:00-13:00", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
        ("2024-12-03 12:00Z", datetime(2024, 12, 3, 12, 0, tzinfo=UTC)),
    ],
)
def test_an_instant_with_a_zone_is_read_as_utc(text: str, instant: datetime) -> None:
    parsed = parse_utc(text)
    assert parsed == instant
    assert parsed.utcoffset() == timedelta(0)
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["2024-12-03T12:00:00", "2024-12-03T12:00", "2024-12-03"])
def test_an_instant_without_a_zone_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_utc(text, field="time_window.start")
    assert caught.value.field == "time_window.start"
    assert caught.value.message == (
        f"time_window.start {text!r} has no time zone; write it in UTC with a Z"
    )


@pytest.mark.parametrize("text", ["", "noon", "2024-13-03T12:00:00Z", "12:00Z", None, 1733227200])
def test_text_that_is_not_an_iso_8601_instant_is_refused_naming_the_field(text: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_utc(text, field="time")
    assert caught.value.field == "time"
    assert "is not an ISO 8601 date-time" in caught.value.message


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_an_instant_outside_the_years_python_holds_in_utc_is_refused_naming_the_field(
    text: str,
) -> None:
    # Found by fuzzing: converting these to UTC overflowed (a 500 through the API).
    with pytest.raises(InvalidInput) as caught:
        parse_utc(text, field="time_start")
    assert caught.value.field == "time_start"
    assert "outside the years 0001 to 9999 in UTC" in caught.value.message


def test_reading_back_what_was_written_gives_the_same_instant_to_the_millisecond() -> None:
    instant = datetime(2024, 12, 3, 12, 0, 0, 123_456, tzinfo=UTC)
    assert parse_utc(format_utc(instant)) == instant.replace(microsecond=123_000)


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00.000Z", "0999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"]
)
def test_every_instant_written_is_read_back_as_written(text: str) -> None:
    assert format_utc(parse_utc(text)) == text


def test_the_system_clock_tells_utc() -> None:
    now = system_clock()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12h", 43_200),
        ("90m", 5_400),
        ("1d12h", 129_600),
        ("30s", 30),
        ("0s", 0),
        (" 2D ", 172_800),
    ],
)
def test_a_duration_is_read_from_its_days_hours_minutes_and_seconds(text: str, seconds: int):
    assert parse_duration(text, most=timedelta(days=7)) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["12", "h", "-1h", "1.5h", "1w", "", "12 h", "8d"])
def test_a_duration_not_written_so_or_too_long_is_refused_naming_the_field(text: str):
    with pytest.raises(InvalidInput, match="--expires"):
        parse_duration(text, field="--expires", most=timedelta(days=7))
