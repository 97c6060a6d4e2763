"""UTC instants as Openline writes them: ISO 8601 with milliseconds and a ``Z``.

Openline holds the instants of the years 0001 to 9999 in UTC, each written with a four-digit
year (docs/api.md), so that whatever one node writes its peer reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current instant in UTC."""
    return datetime.now(UTC)


def format_utc(instant: datetime) -> str:
    """Write ``instant`` as ``2024-12-03T12:00:00.000Z``; fixed width keeps text in time order.

    The year always has four digits (``0001``): ``strftime("%Y")`` writes year 1 as ``1``,
    which no ISO 8601 reader, ``parse_utc`` included, takes back."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: Openline only handles UTC instants")
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_utc(text: str, *, field: str = "time") -> datetime:
    """Read an ISO 8601 instant; it must carry ``Z`` or an explicit UTC offset."""
    try:
        instant = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{field} {quote(text)} is not an ISO 8601 date-time such as 2024-12-03T12:00:00Z",
            field=field,
        ) from None
    if instant.tzinfo is None:
        raise InvalidInput(
            f"{field} {quote(text)} has no time zone; write it in UTC with a Z", field=field
        )
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC, which Python lacks
        raise InvalidInput(
            f"{field} {quote(text)} is outside the years 0001 to 9999 in UTC", field=field
        ) from None


@contextmanager
def within_the_years(field: str) -> Iterator[None]:
    """Arithmetic on instants read from outside (a window plus a day, a start plus a year) that
    leaves the years 0001 to 9999 is refused naming ``field``, instead of an OverflowError."""
    try:
        yield
    except OverflowError:
        raise InvalidInput(
            f"{field}: the instants it gives fall outside the years 0001 to 9999 in UTC",
            field=field,
        ) from None
