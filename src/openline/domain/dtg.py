"""Military date-time groups: ``031200ZDEC24`` is 3 December 2024, 12:00 UTC.

A date-time group (DTG) is day, hour and minute (``DDHHMM``), the time zone letter, the month's
three-letter English abbreviation and the year: the same in every language, which is why
operators on both sides of the line can read it. Openline writes every DTG in UTC (zone ``Z``)
and to the minute; seconds are dropped, not rounded, so a DTG never names a later minute than
the instant it stands for.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Years written with two digits are read as 2000-2099; any other year is written in full.
CENTURY = 2000
# The military time zone letters: every letter but J (local time, never sent on a line).
ZONE_LETTERS = frozenset("ABCDEFGHIKLMNOPQRSTUVWXYZ")

_DAY_TIME = re.compile(r"(\d{2})\s*(\d{2})(\d{2})", re.ASCII)
_MONTH = re.compile(r"\s*([A-Z]{3})", re.ASCII)
_YEAR = re.compile(r"\s*(\d+)", re.ASCII)
EXAMPLE = "031200ZDEC24"


def format_dtg(instant: datetime) -> str:
    """Write ``instant`` as a DTG in UTC: ``031200ZDEC24`` (``DDHHMM`` Z ``MON`` ``YY``).

    The year has two digits from 2000 to 2099 and four otherwise, so that ``parse_dtg`` reads
    back the same minute for every year.
    """
    if instant.tzinfo is None:
        raise ValueError("naive datetime: Openline only handles UTC instants")
    utc = instant.astimezone(UTC)
    year = f"{utc.year % 100:02d}" if CENTURY <= utc.year < CENTURY + 100 else f"{utc.year:04d}"
    return f"{utc.day:02d}{utc.hour:02d}{utc.minute:02d}Z{MONTHS[utc.month - 1]}{year}"


def parse_dtg(text: object, *, field: str = "dtg") -> datetime:
    """Read a DTG in UTC: ``031200ZDEC24``, ``031200zdec2024`` or ``03 1200Z DEC 24``.

    Letters may be of either case and the groups may be separated by spaces. A two-digit year
    is 2000-2099. Anything else, or an impossible date or time, is an ``InvalidInput`` that
    names the value and the rule it broke.
    """
    if not isinstance(text, str):
        raise _fail(field, f"{quote(text)} is not a date-time group such as {EXAMPLE}")
    source = text.strip().upper()
    day_time = _DAY_TIME.match(source)
    if day_time is None:
        raise _fail(
            field, f"{quote(text)} does not start with DDHHMM, as in {EXAMPLE} (day, hour, minute)"
        )
    rest = _zone(source[day_time.end() :], text, field)
    month_match = _MONTH.match(rest)
    if month_match is None:
        raise _fail(field, f"{quote(text)} has no three-letter month after the Z, as in {EXAMPLE}")
    month = _month(month_match.group(1), field)
    rest = rest[month_match.end() :]
    year_match = _YEAR.match(rest)
    if year_match is None:
        raise _fail(field, f"{quote(text)} has no year after the month, as in {EXAMPLE}")
    if rest[year_match.end() :]:
        raise _fail(field, f"{quote(text)} has {quote(rest[year_match.end() :])} after the year")
    digits = year_match.group(1)
    if len(digits) not in (2, 4):
        raise _fail(field, f"year {quote(digits)} in {quote(text)} is not two or four digits")
    year = CENTURY + int(digits) if len(digits) == 2 else int(digits)
    day, hour, minute = (int(group) for group in day_time.groups())
    return _instant(year, month, day, hour, minute, field=field)


def _zone(rest: str, text: str, field: str) -> str:
    """What follows the time zone letter, which must be Z."""
    after = rest.lstrip()
    if after[:1] == "Z":
        return after[1:]
    if after[:1] in ZONE_LETTERS and after[1:].lstrip()[:3] in MONTHS:
        raise _fail(
            field,
            f"time zone {quote(after[:1])} in {quote(text)} is not Z: Openline reads DTGs in "
            "UTC only",
        )
    raise _fail(field, f"{quote(text)} is missing the Z (UTC) after DDHHMM, as in {EXAMPLE}")


def _month(abbreviation: str, field: str) -> int:
    if abbreviation not in MONTHS:
        raise _fail(field, f"month {quote(abbreviation)} is not one of JAN..DEC")
    return MONTHS.index(abbreviation) + 1


def _instant(year: int, month: int, day: int, hour: int, minute: int, *, field: str) -> datetime:
    if not 1 <= year <= 9999:
        raise _fail(field, f"year {year} is outside 0001 to 9999")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise _fail(field, f"day {day:02d} is not in {MONTHS[month - 1]} {year} (1 to {days})")
    if hour > 23:
        raise _fail(field, f"hour {hour:02d} is outside 00 to 23")
    if minute > 59:
        raise _fail(field, f"minute {minute:02d} is outside 00 to 59")
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field=field)
