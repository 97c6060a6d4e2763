"""A NOTAM's D) schedule expanded into UTC time windows within B)-C).

The schedule is read as groups: some days, then one or more times for those days
(``15 1200-1500 1730-2030, 16 1830-2130``). Days are day numbers and ranges in the month last
named (``OCT 02-05 09``; before any month, B)'s month; a day lower than the one before it moves to
the next month), ranges across months (``OCT 29-NOV 07``), weekdays and weekday ranges
(``MON WED FRI``, ``MON-FRI``), ``DLY``/``DAILY``, or nothing (every day of B)-C)). Times are
``HHMM-HHMM``, a window that ends before it starts runs past midnight (``2200-0600``); ``H24`` is
the whole day. Sunrise and sunset (``SR``, ``SS``) and exceptions (``EXC``) are refused.

Times are also written ``0900/1300``, ``FM 0900 TO 1300``, ``BTN 0900 AND 1300`` and with a
trailing ``UTC``; and a schedule may give the times first, their days after them (``0600-1200
DLY``, ``0230-0400 ON OCT,12``, ``0900-0930 14 AND 1100-1130 15``): such a schedule is read as
the same groups written days first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_TOKEN = re.compile(
    r"(?P<time>\d{4}-\d{4})|(?P<h24>H24)|(?P<daily>DLY|DAILY)"
    r"|(?P<wdays>(?:MON|TUE|WED|THU|FRI|SAT|SUN)(?:-(?:MON|TUE|WED|THU|FRI|SAT|SUN))?)"
    r"|(?P<range>\d{1,2}-(?:(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\s+)?\d{1,2})"
    r"|(?P<month>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)|(?P<day>\d{1,2})"
    r"|(?P<sun>SR|SS)|(?P<comma>,)|(?P<other>\S+)"
)

Window = tuple[datetime, datetime]


class ScheduleError(ValueError):
    """A part of the D) text that this reader does not understand."""


@dataclass
class _Group:
    dates: list[date] = field(default_factory=list)
    weekdays: set[int] = field(default_factory=set)
    times: list[tuple[int, int]] = field(default_factory=list)  # minutes from midnight


@dataclass
class _Calendar:
    """Where day numbers fall: in the month last named, or else on or after B)."""

    start: date
    month: int | None = None

    def name_month(self, name: str) -> None:
        self.month = MONTHS.index(name) + 1

    def day(self, number: int, *, after: date | None = None) -> date:
        if self.month is not None:
            year = self.start.year + (self.month < self.start.month)
            found = _date(year, self.month, number)
        else:
            found = _date(self.start.year, self.start.month, number, roll=True)
            if found < self.start:
                found = _next_month(found, number)
        if after is not None and found < after:
            found = _next_month(found, number)
        return found


def _date(year: int, month: int, number: int, *, roll: bool = False) -> date:
    try:
        return date(year, month, number)
    except ValueError:
        if roll:  # the 31st in a 30-day month of B): the next month that has one
            return _next_month(date(year, month, 1), number)
        raise ScheduleError(
            f"day {number:02d} does not exist in {MONTHS[month - 1]} {year}"
        ) from None


def _next_month(day: date, number: int) -> date:
    year, month = day.year, day.month
    for _ in range(3):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        try:
            return date(year, month, number)
        except ValueError:
            continue
    raise ScheduleError(f"day {number:02d} does not exist")


_MONTH = "|".join(MONTHS)
_DATED = re.compile(r"\b(\d{10})\s*(?:TO|-)\s*(\d{10})\b")
_SPELLINGS = (
    (re.compile(r"\b(\d{4})\s*(?:UTC|Z)\b"), r"\1"),  # 0931UTC
    (re.compile(r"\(NEXT DAY\)"), ""),
    (
        re.compile(r"(\d)-\s*\n\s*(\d)"),
        r"\1-\2",
    ),  # a range broken across a line  # a window past midnight runs into the next day anyway
    (
        re.compile(
            r"\b(?:FM|FROM|BTN|BETWEEN)\s+(\d{4})\s*(?:TO|TIL|TILL|UNTIL|AND|-)\s*(\d{4})\b"
        ),
        r"\1-\2",
    ),
    (re.compile(r"\b(\d{4})\s*(?:/|\bTO\b|\bTIL\b)\s*(\d{4})\b"), r"\1-\2"),
    (re.compile(r"\b(\d{4})\s+-\s+(\d{4})\b"), r"\1-\2"),
    (re.compile(r"\b(?:UTC|Z)\b|\.$"), ""),
    (re.compile(rf"\b({_MONTH})[A-Z]*\b"), r"\1"),  # JUNE, SEPT
    # ``SEP,29 - OCT,03``: a day range across months, as the usual ``29-OCT 03`` after ``SEP``
    (
        re.compile(rf"\b({_MONTH})\s*,?\s*(\d{{1,2}})\s*-\s*({_MONTH})\s*,?\s*(\d{{1,2}})\b"),
        r"\1 \2-\3 \4",
    ),
    (re.compile(rf"\b({_MONTH})\s*,\s*(\d{{1,2}})\b"), r"\1 \2"),
)
_TIME_FIRST = re.compile(r"^\s*(?:\d{4}-\d{4}|H24)\b")
_TIME_OR_H24 = re.compile(r"\d{4}-\d{4}|H24")


def in_usual_order(schedule: str) -> str:
    """``schedule`` with its times written ``HHMM-HHMM`` and, when it gives the times before
    their days, rewritten days first: ``0900-0930 14 AND 1100-1130 15`` is ``14 0900-0930, 15
    1100-1130``."""
    text = _DATED.sub(_dated, schedule.upper())
    for pattern, spelling in _SPELLINGS:
        text = pattern.sub(spelling, text)
    text = text.strip().rstrip(",").strip()
    if not _TIME_FIRST.match(text):
        return text
    groups: list[tuple[list[str], list[str]]] = []
    for token in re.findall(r"\d{4}-\d{4}|H24|[^\s,]+", text):
        if _TIME_OR_H24.fullmatch(token):
            if not groups or groups[-1][1]:
                groups.append(([], []))
            groups[-1][0].append(token)
        elif token not in ("ON", "AND"):
            groups[-1][1].append(token)
    return ", ".join(" ".join([*days, *times]) for times, days in groups)


def _dated(match: re.Match[str]) -> str:
    """``2205201000 TO 2205201400``, a window of full date-times, as ``MAY 20 1000-1400``."""
    try:
        first, last = (datetime.strptime(t, "%y%m%d%H%M") for t in match.groups())
    except ValueError:
        raise ScheduleError(f"{match.group(0)} is not two real dates and times") from None
    if not timedelta(0) < last - first <= timedelta(days=1):
        raise ScheduleError(f"{match.group(0)}: a window of full dates and times may last a day")
    return f"{MONTHS[first.month - 1]} {first.day:02d} {first:%H%M}-{last:%H%M},"


def expand(schedule: str, start: datetime, end: datetime) -> list[Window]:
    """The windows of ``schedule`` within ``start``-``end``, sorted, overlaps merged."""
    groups = _groups(in_usual_order(schedule), _Calendar(start.date()))
    windows: list[Window] = []
    for group in groups:
        for day in _days(group, start, end):
            for first, last in group.times:
                begin = datetime.combine(day, time(), tzinfo=start.tzinfo)
                stop_day = begin if last > first else begin + timedelta(days=1)
                window = (begin + timedelta(minutes=first), stop_day + timedelta(minutes=last))
                clipped = (max(window[0], start), min(window[1], end))
                if clipped[0] < clipped[1]:
                    windows.append(clipped)
    if not windows:
        raise ScheduleError(f"{schedule.strip()!r} gives no time within B) to C)")
    return _merge(sorted(windows))


def _groups(text: str, calendar: _Calendar) -> list[_Group]:
    groups = [_Group()]
    for token in _TOKEN.finditer(text):
        kind, value = token.lastgroup, token.group(0)
        group = groups[-1]
        if kind == "comma":
            if group.times:
                groups.append(_Group())
            continue
        if kind in ("time", "h24"):
            group.times.append(_time_range(value))
            continue
        if group.times:  # days after times start the next group
            group = _Group()
            groups.append(group)
        _add_days(group, kind, value, calendar)
    if not groups[-1].times:
        if len(groups) > 1 or groups[-1].dates or groups[-1].weekdays:
            raise ScheduleError(f"{text.strip()!r}: the last days have no time (HHMM-HHMM)")
        raise ScheduleError(f"{text.strip()!r} has no time (HHMM-HHMM or H24)")
    return groups


def _add_days(group: _Group, kind: str | None, value: str, calendar: _Calendar) -> None:
    if kind == "month":
        calendar.name_month(value)
    elif kind == "day":
        group.dates.append(calendar.day(int(value)))
    elif kind == "range":
        first_text, last_text = value.split("-")
        first = calendar.day(int(first_text))
        month_then_day = last_text.split()
        if len(month_then_day) == 2:
            calendar.name_month(month_then_day[0])
        last = calendar.day(int(month_then_day[-1]), after=first)
        group.dates.extend(first + timedelta(days=n) for n in range((last - first).days + 1))
    elif kind == "wdays":
        ends = [WEEKDAYS.index(d) for d in value.split("-")]
        span = (ends[-1] - ends[0]) % 7
        group.weekdays.update((ends[0] + n) % 7 for n in range(span + 1))
    elif kind == "daily":
        pass  # every day, as with no day named
    elif kind == "sun":
        raise ScheduleError(
            f"{value} (sunrise/sunset) is not supported: give the times in UTC (HHMM-HHMM)"
        )
    else:
        raise ScheduleError(f"{value!r} is not a day, month, weekday or time")


def _time_range(text: str) -> tuple[int, int]:
    if text == "H24":
        return 0, 24 * 60
    first, last = (int(t[:2]) * 60 + int(t[2:]) for t in text.split("-"))
    if max(first, last) > 24 * 60 or int(text[2:4]) >= 60 or int(text[7:9]) >= 60:
        raise ScheduleError(f"{text} is not a time range HHMM-HHMM")
    return first, last


def _days(group: _Group, start: datetime, end: datetime) -> list[date]:
    if group.dates:
        days = group.dates
    else:  # no day named: every day from the one before B) (a window across midnight) to C)
        first = start.date() - timedelta(days=1)
        days = [first + timedelta(days=n) for n in range((end.date() - first).days + 1)]
    if group.weekdays:
        days = [d for d in days if d.weekday() in group.weekdays]
    return days


def _merge(windows: list[Window]) -> list[Window]:
    merged = [windows[0]]
    for begin, stop in windows[1:]:
        if begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((begin, stop))
    return merged
