"""Sites and movements from a spreadsheet (CSV or XLSX): one notification per row.

Aid organisations keep their sites in spreadsheets. The first row names the columns (any order,
any case; ``COLUMNS`` are the ones read, any other stops the import naming it); every other row
that is not blank is one notification: its name, kind, where (a point in decimal degrees, DMS
or MGRS with a radius, or a polygon of such points), when, and who to call (``contact``, kept in
the title) and share it with. Each row is read and checked by the API's own rules; a bad row is
reported with its row number, its column and the reason, and the good rows are stored. XLSX is
read by openpyxl (the first sheet), never by hand. ``template`` writes the file the console
offers for download. docs/interop.md#spreadsheets.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from openline.domain.errors import InvalidInput
from openline.domain.notifications import MAX_TITLE_CHARS, parse_notification_draft
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Limits
from openline.geo.coords import parse_coordinate
from openline.interop.plans import (
    Action,
    ImportPlan,
    ImportRecord,
    NotificationBody,
    RecordError,
    excerpt,
)

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"
# Every column a spreadsheet may have, in the template's order; name and kind are required.
COLUMNS = (
    "name",
    "kind",
    "location",
    "lat",
    "lon",
    "radius_m",
    "polygon",
    "route",
    "start",
    "end",
    "altitude_lower_m",
    "altitude_upper_m",
    "contact",
    "share_with",
    "reference",
)
REQUIRED = ("name", "kind")
MAX_ROWS = 10_000  # rows of sites in one file; a bigger file is refused before any is read
# What an XLSX workbook (a zip of XML files) may hold unpacked: a small file that unpacks to
# gigabytes is refused before openpyxl reads any of it.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# A row without start or end: from the moment of the import, for a year (a site stays).
DEFAULT_SPAN = timedelta(days=365)
POINT_SEPARATOR = ";"  # between the points of a polygon or a route, and the parties of share_with
TIME_MARK = "@"  # between a route's waypoint and its time

# Where the API's rules name a problem in a row's body, and the column it came from.
_FIELD_COLUMNS = (
    ("route.half_width_m", "radius_m"),
    ("route.altitude_lower_m", "altitude_lower_m"),
    ("route.altitude_upper_m", "altitude_upper_m"),
    ("route", "route"),
    ("title", "name"),
    ("kind", "kind"),
    ("share_with", "share_with"),
    ("reference", "reference"),
    ("volumes[0].circle.radius_m", "radius_m"),
    ("volumes[0].circle", "location"),
    ("volumes[0].geometry", "polygon"),
    ("volumes[0].time_start", "start"),
    ("volumes[0].time_end", "end"),
    ("volumes[0].altitude_lower_m", "altitude_lower_m"),
    ("volumes[0].altitude_upper_m", "altitude_upper_m"),
)


class Row(NamedTuple):
    """One row of the sheet: its number as the spreadsheet shows it, and its cells by column."""

    number: int
    cells: Mapping[str, Any]


class RowError(InvalidInput):
    """A row's value that cannot be read, naming its column."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"column {column}: {reason}", field=column)


def plan_csv(text: str, *, now: datetime, limits: Limits) -> ImportPlan:
    """The plan of a CSV file's text (comma, semicolon or tab between the cells: whichever
    the header row holds most of)."""
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise InvalidInput("the csv file is empty: it needs a header row naming its columns")
    header_line = next(line for line in lines if line.strip())
    delimiter = max(",;\t", key=header_line.count)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _plan(_numbered(rows), "csv", now=now, limits=limits)


def plan_xlsx(data: bytes, *, now: datetime, limits: Limits) -> ImportPlan:
    """The plan of an XLSX workbook's first sheet."""
    import openpyxl  # only an XLSX import needs it

    if not data:
        raise InvalidInput("the xlsx file is empty: it needs a header row naming its columns")
    _check_unpacked(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as error:
        reason = "not an XLSX workbook" if isinstance(error, zipfile.BadZipFile) else error
        raise InvalidInput(f"the xlsx file cannot be read: {reason}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        return _plan(_numbered(rows), "xlsx", now=now, limits=limits)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as error:
        raise InvalidInput(f"the xlsx file cannot be read (cut short?): {error}") from None
    finally:
        workbook.close()


def _check_unpacked(data: bytes) -> None:
    """Refuse a workbook that would unpack to more than ``MAX_UNPACKED_BYTES`` (as its zip
    directory says; the zip reader checks each part's size as it reads it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as packed:
            unpacked = sum(part.file_size for part in packed.infolist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise InvalidInput("the xlsx file cannot be read: not an XLSX workbook") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput(
            f"the xlsx file unpacks to {unpacked} bytes, over the {MAX_UNPACKED_BYTES} a "
            "workbook of sites may hold"
        )


def _numbered(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[int, Sequence[Any]]]:
    return ((number, row) for number, row in enumerate(rows, 1))


def _plan(
    rows: Iterator[tuple[int, Sequence[Any]]], name: str, *, now: datetime, limits: Limits
) -> ImportPlan:
    columns = None
    for number, cells in rows:
        if not _blank(cells):
            columns = _header(cells, number)
            break
    if columns is None:
        raise InvalidInput(f"the {name} file is empty: it needs a header row naming its columns")
    out = ImportPlan()
    for number, cells in rows:
        if _blank(cells):
            continue
        if number - 1 > MAX_ROWS:
            raise InvalidInput(f"the {name} file has over {MAX_ROWS} rows: split it")
        extra = [c for c in cells[len(columns) :] if _text(c)]
        row = Row(number, dict(zip(columns, cells, strict=False)))
        item = f"row {number}"
        shown = excerpt(" | ".join(_text(c) for c in cells if _text(c)), 120)
        try:
            if extra:
                raise RowError(f"{len(columns) + 1}", f"{extra[0]!r:.40} is past the last column")
            body = row_body(row, now=now)
            _check(body, row.cells, limits)
        except InvalidInput as error:
            out.errors.append(RecordError(item, error.message, shown, error.field))
            continue
        out.records.append(
            ImportRecord(item, Action.CREATE, (body,), reference=body.get("reference"))
        )
    return out


def _header(cells: Sequence[Any], number: int) -> list[str]:
    """The columns the header row names, each checked."""
    columns: list[str] = []
    for place, cell in enumerate(cells, 1):
        column = _text(cell).lower()
        if not column:
            if any(_text(c) for c in cells[place:]):
                raise InvalidInput(
                    f"row {number} (the header) leaves column {place} unnamed", field="columns"
                )
            break
        if column not in COLUMNS:
            raise InvalidInput(
                f"column {place} of the header row is {_text(cell)!r:.60}, not a column "
                f"Openline reads: one of {', '.join(COLUMNS)}",
                field=_text(cell)[:60],
            )
        if column in columns:
            raise InvalidInput(f"the header row names column {column!r} twice", field=column)
        columns.append(column)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidInput(
            f"the header row has no column {' or '.join(missing)} (it names {', '.join(columns)})",
            field=missing[0],
        )
    return columns


def row_body(row: Row, *, now: datetime) -> NotificationBody:
    """The body of POST /api/v1/notifications a row asks for (not yet checked by its rules)."""
    cells = {column: _text(value) for column, value in row.cells.items()}
    name, contact = cells.get("name", ""), cells.get("contact", "")
    if not name:
        raise RowError("name", "is empty: every site needs a name")
    title = f"{name} (contact: {contact})" if contact else name
    if len(title) > MAX_TITLE_CHARS:
        column = "contact" if contact else "name"
        raise RowError(
            column,
            f"name and contact make {len(title)} characters, over the {MAX_TITLE_CHARS} of a title",
        )
    body: NotificationBody = {"kind": cells.get("kind", ""), "title": title}
    band = {
        "altitude_lower_m": _number(row.cells.get("altitude_lower_m"), "altitude_lower_m", 0.0),
        "altitude_upper_m": _number(row.cells.get("altitude_upper_m"), "altitude_upper_m", 0.0),
    }
    if cells.get("route"):
        body["route"] = _route(row.cells, cells, band)
    else:
        start = _instant(row.cells.get("start"), "start") or format_utc(now)
        end = _instant(row.cells.get("end"), "end")
        if end is None:
            end = format_utc(datetime.fromisoformat(start.replace("Z", "+00:00")) + DEFAULT_SPAN)
        window = {"time_start": start, "time_end": end}
        body["volumes"] = [{**_footprint(row.cells, cells), **band, **window}]
    if cells.get("reference"):
        body["reference"] = cells["reference"]
    if cells.get("share_with"):
        parties = cells["share_with"].replace(",", POINT_SEPARATOR).split(POINT_SEPARATOR)
        body["share_with"] = [p.strip().upper() for p in parties if p.strip()]
    return body


def _footprint(values: Mapping[str, Any], cells: Mapping[str, str]) -> dict[str, Any]:
    """A circle (location, or lat and lon, with radius_m) or a polygon: exactly one."""
    point = cells.get("location", "")
    if cells.get("lat") or cells.get("lon"):
        if point:
            raise RowError("location", "give either location or lat and lon, not both")
        for column in ("lat", "lon"):
            if not cells.get(column):
                raise RowError(column, "is empty while the other of lat and lon is given")
        point = f"{cells['lat']} {cells['lon']}"
        where = "lat"
    else:
        where = "location"
    polygon = cells.get("polygon", "")
    if point and polygon:
        raise RowError("polygon", f"give either a polygon or a {where} with a radius, not both")
    if polygon:
        if cells.get("radius_m"):
            raise RowError("radius_m", "a polygon has no radius: leave radius_m empty")
        return {"geometry": {"type": "Polygon", "coordinates": [_ring(polygon)]}}
    if not point:
        raise RowError("location", "is empty: give a location and radius_m, or a polygon")
    lat, lon = _point(point, where)
    if not cells.get("radius_m"):
        raise RowError("radius_m", "is empty: a site given by its location needs a radius")
    radius = _number(values.get("radius_m"), "radius_m", 0.0)
    return {"circle": {"lat": lat, "lon": lon, "radius_m": radius}}


def _route(
    values: Mapping[str, Any], cells: Mapping[str, str], band: Mapping[str, float]
) -> dict[str, Any]:
    """A movement's route: its waypoints (``;`` between them), each a point in any spelling,
    ``@`` and its time; ``radius_m`` is the corridor's half width."""
    for column in ("location", "lat", "lon", "polygon", "start", "end"):
        if cells.get(column):
            raise RowError(column, "a route gives its own places and times: leave it empty")
    if not cells.get("radius_m"):
        raise RowError("radius_m", "is empty: a route needs the corridor's half width")
    waypoints = []
    for index, text in enumerate(cells["route"].split(POINT_SEPARATOR), 1):
        if not text.strip():
            continue
        point, mark, time = text.partition(TIME_MARK)
        if not mark or not time.strip():
            raise RowError("route", f"waypoint {index} {text.strip()!r:.60} has no '@ TIME'")
        lat, lon = _point(point, "route", f"waypoint {index} ")
        waypoints.append({"lat": lat, "lon": lon, "time": _instant(time.strip(), "route")})
    return {
        "waypoints": waypoints,
        "half_width_m": _number(values.get("radius_m"), "radius_m", 0.0),
        **band,
    }


def _ring(text: str) -> list[list[float]]:
    """A polygon's points (``;`` between them, each in any spelling) as a closed GeoJSON ring."""
    points = [p.strip() for p in text.split(POINT_SEPARATOR) if p.strip()]
    ring = []
    for index, point in enumerate(points, 1):
        lat, lon = _point(point, "polygon", f"point {index} ")
        ring.append([lon, lat])
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise RowError(
            "polygon",
            f"{len(points)} points: a polygon needs at least 3, separated by '{POINT_SEPARATOR}'",
        )
    return ring


def _point(text: str, column: str, which: str = "") -> tuple[float, float]:
    try:
        point = parse_coordinate(text)
    except InvalidInput as error:
        raise RowError(column, f"{which}{error.message}") from None
    return point.lat, point.lon


def _number(value: Any, column: str, default: float) -> float:
    if value is None or _text(value) == "":
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(_text(value).replace(",", "."))  # 2,5 as some locales write 2.5
    except ValueError:
        raise RowError(column, f"{_text(value)!r:.40} is not a number of metres") from None


def _instant(value: Any, column: str) -> str | None:
    """A time cell as UTC text: a spreadsheet's date-time (taken as UTC) or ISO 8601 text."""
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=UTC)
        return format_utc(at.astimezone(UTC))
    text = _text(value)
    if not text:
        return None
    if len(text) == 10:
        text += "T00:00:00"  # a date alone: its start
    if "T" not in text and " " in text:
        text = text.replace(" ", "T", 1)  # 2026-12-03 12:00, as spreadsheets write it
    if text[-1:].isdigit() and "+" not in text[10:] and "-" not in text[10:]:
        text += "Z"  # a time without an offset is UTC, like the rest of Openline
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(cells: Sequence[Any]) -> bool:
    return not any(_text(c) for c in cells)


def _check(body: NotificationBody, cells: Mapping[str, Any], limits: Limits) -> None:
    """The API's rules, their error named by the column it came from, with its value."""
    try:
        parse_notification_draft(body, limits=limits)
    except InvalidInput as error:
        field = error.field or ""
        for prefix, column in _FIELD_COLUMNS:
            if field.startswith(prefix):
                reason = error.message.split(": ", 1)[-1]
                value = _text(cells.get(column))
                raise RowError(column, f"{value!r:.60}: {reason}" if value else reason) from None
        raise


# --- the template ------------------------------------------------------------------------

TEMPLATE_ROWS = (
    {
        "name": "Al-Amal Hospital",
        "kind": "protected-site",
        "location": "36.2021 37.1343",
        "radius_m": 500,
        "contact": "+963 21 000 0000, duty doctor",
        "share_with": "RED",
    },
    {
        "name": "Jisr School (shelter)",
        "kind": "protected-site",
        "location": "36°12'30\"N 37°09'10\"E",
        "radius_m": 300,
        "contact": "shelter@example.org",
    },
    {
        "name": "Camp 4",
        "kind": "protected-site",
        "location": "37SCA34560714",
        "radius_m": 1000,
    },
    {
        "name": "Water station",
        "kind": "protected-site",
        "polygon": "36.21 37.10; 36.21 37.12; 36.23 37.12; 36.23 37.10",
    },
    {
        "name": "Medical convoy 3",
        "kind": "movement",
        "route": "36.20 37.10 @ 2026-12-03 06:00; 36.25 37.20 @ 2026-12-03 07:30; "
        "36.30 37.35 @ 2026-12-03 09:00",
        "radius_m": 500,
        "contact": "ICRC Aleppo, +963 21 000 0001",
        "share_with": "RED",
    },
    {
        "name": "Food convoy 12",
        "kind": "movement",
        "lat": "36.25",
        "lon": "37.05",
        "radius_m": 2000,
        "start": "2026-12-03T06:00:00Z",
        "end": "2026-12-03T18:00:00Z",
        "contact": "convoy lead, radio ch 4",
    },
)


def template(format_name: str) -> bytes:
    """The template the console offers: every column, with rows of each spelling."""
    rows = [list(COLUMNS)] + [[row.get(c, "") for c in COLUMNS] for row in TEMPLATE_ROWS]
    if format_name == "csv":
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        return out.getvalue().encode("utf-8")
    if format_name != "xlsx":
        raise InvalidInput(f"no template in {format_name!r:.40}: one of csv, xlsx", field="format")
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "sites"
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()
