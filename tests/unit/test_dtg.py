"""Date-time groups: written in UTC to the minute, read in every form operators type them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openline.domain.dtg import format_dtg, parse_dtg
from openline.domain.errors import InvalidInput

NOON_3_DEC_2024 = datetime(2024, 12, 3, 12, 0, tzinfo=UTC)
ARABIC_INDIC_031200 = "".join(chr(0x0660 + int(d)) for d in "031200")


@pytest.mark.parametrize(
    ("instant", "dtg"),
    [
        (NOON_3_DEC_2024, "031200ZDEC24"),
        (datetime(2024, 1, 9, 5, 7, tzinfo=UTC), "090507ZJAN24"),
        (datetime(2000, 2, 29, 23, 59, tzinfo=UTC), "292359ZFEB00"),
        (datetime(2099, 12, 31, 0, 0, tzinfo=UTC), "310000ZDEC99"),
        (datetime(2026, 6, 15, 8, 30, tzinfo=UTC), "150830ZJUN26"),
    ],
)
def test_an_instant_is_written_as_ddhhmm_z_month_year(instant: datetime, dtg: str) -> None:
    assert format_dtg(instant) == dtg


def test_every_month_has_its_english_abbreviation() -> None:
    months = [format_dtg(datetime(2024, m, 1, tzinfo=UTC))[7:10] for m in range(1, 13)]
    first_half = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN"]
    second_half = ["JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    assert months == [*first_half, *second_half]


def test_an_instant_with_an_offset_is_written_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    assert format_dtg(datetime(2024, 12, 3, 15, 0, tzinfo=moscow)) == "031200ZDEC24"
    assert format_dtg(datetime(2025, 1, 1, 1, 30, tzinfo=moscow)) == "312230ZDEC24"


def test_seconds_are_dropped_never_rounded_up_to_the_next_minute() -> None:
    assert format_dtg(datetime(2024, 12, 3, 12, 0, 59, 999_999, tzinfo=UTC)) == "031200ZDEC24"


@pytest.mark.parametrize(("year", "written"), [(1999, "1999"), (2100, "2100"), (1, "0001")])
def test_a_year_outside_2000_to_2099_is_written_in_four_digits(year: int, written: str) -> None:
    assert format_dtg(datetime(year, 3, 1, tzinfo=UTC)) == f"010000ZMAR{written}"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_dtg(datetime(2024, 12, 3, 12, 0))


@pytest.mark.parametrize(
    "text",
    [
        "031200ZDEC24",
        "031200zdec24",
        "031200ZDec24",
        "031200ZDEC2024",
        "03 1200Z DEC 24",
        "03 1200Z DEC 2024",
        "031200Z DEC 24",
        "  031200ZDEC24 ",
        "03 1200 Z dec 24",
    ],
)
def test_a_dtg_is_read_in_any_case_with_spaces_and_a_two_or_four_digit_year(text: str) -> None:
    assert parse_dtg(text) == NOON_3_DEC_2024


def test_a_two_digit_year_is_read_in_2000_to_2099() -> None:
    assert parse_dtg("010000ZJAN00").year == 2000
    assert parse_dtg("010000ZJAN99").year == 2099


def test_the_last_day_of_february_follows_leap_years() -> None:
    assert parse_dtg("290000ZFEB24") == datetime(2024, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("031200ZDCE24", "month 'DCE' is not one of JAN..DEC"),
        ("031200Zdce24", "month 'DCE' is not one of JAN..DEC"),
        ("321200ZDEC24", "day 32 is not in DEC 2024 (1 to 31)"),
        ("311200ZNOV24", "day 31 is not in NOV 2024 (1 to 30)"),
        ("001200ZNOV24", "day 00 is not in NOV 2024 (1 to 30)"),
        ("290000ZFEB23", "day 29 is not in FEB 2023 (1 to 28)"),
        ("032400ZDEC24", "hour 24 is outside 00 to 23"),
        ("031260ZDEC24", "minute 60 is outside 00 to 59"),
        ("031200DEC24", "'031200DEC24' is missing the Z (UTC) after DDHHMM"),
        ("031200 DEC 24", "'031200 DEC 24' is missing the Z (UTC) after DDHHMM"),
        ("031200", "'031200' is missing the Z (UTC) after DDHHMM"),
        ("031200ADEC24", "time zone 'A' in '031200ADEC24' is not Z"),
        ("031200ZDEC24X", "'031200ZDEC24X' has 'X' after the year"),
        ("031200ZDEC24 1200", "has ' 1200' after the year"),
        ("031200ZDEC245", "year '245' in '031200ZDEC245' is not two or four digits"),
        ("031200ZDEC", "'031200ZDEC' has no year after the month"),
        ("031200Z24", "'031200Z24' has no three-letter month after the Z"),
        ("3 1200ZDEC24", "'3 1200ZDEC24' does not start with DDHHMM"),
        ("", "'' does not start with DDHHMM"),
        (ARABIC_INDIC_031200 + "ZDEC24", "does not start with DDHHMM"),  # ASCII digits only
        ("010000ZJAN0000", "year 0 is outside 0001 to 9999"),
    ],
)
def test_a_bad_dtg_is_refused_naming_the_value_and_the_rule(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_dtg(text)
    assert e.value.field == "dtg"
    assert e.value.message.startswith("dtg: ")


@pytest.mark.parametrize("value", [None, 31200, b"031200ZDEC24"])
def test_a_dtg_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput, match="is not a date-time group such as 031200ZDEC24"):
        parse_dtg(value)


def test_the_field_named_in_an_error_is_the_callers() -> None:
    with pytest.raises(InvalidInput) as e:
        parse_dtg("032400ZDEC24", field="fields.time")
    assert e.value.field == "fields.time"
    assert e.value.message == "fields.time: hour 24 is outside 00 to 23"


@given(
    st.datetimes(
        min_value=datetime(1, 1, 1),  # hypothesis takes naive bounds
        max_value=datetime(9999, 12, 31, 23, 59),
        timezones=st.just(UTC),
    )
)
def test_every_instant_reads_back_as_its_minute(instant: datetime) -> None:
    minute = instant.replace(second=0, microsecond=0)
    assert parse_dtg(format_dtg(instant)) == minute
    assert parse_dtg(format_dtg(instant).lower()) == minute


@pytest.mark.parametrize("year", [2000, 2024, 2099])
def test_the_four_digit_form_reads_as_the_two_digit_form(year: int) -> None:
    two = format_dtg(datetime(year, 7, 4, 9, 15, tzinfo=UTC))
    assert parse_dtg(f"{two[:-2]}{year}") == parse_dtg(two)
