"""ICAO NOTAMs in: parsed into records, then into notification drafts.

Pure: text in, data out; nothing is stored or sent. ``parse_file`` splits a file into NOTAMs and
parses each (a bad one is reported, the others still parse); ``action`` turns one into what the
node should do (create, replace, cancel) with the bodies POST /api/v1/notifications takes. A
whole file becomes an import plan, and its dry run a GeoJSON FeatureCollection, in
``interop.formats`` (``notam_plan``, ``dry_run``), as every format does. docs/interop.md lists
what is read and the choices made (PERM horizon, UNL ceiling, AGL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import MAX_TITLE_CHARS, Kind
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Limits
from openline.interop.notam_schedule import ScheduleError, expand
from openline.interop.notam_text import (
    FT_M,
    NM_M,
    AreaTextError,
    CircleArea,
    PolygonArea,
    angle,
    areas,
)
from openline.interop.plans import Action, NotificationBody, bodies, within_duration

PERM_HORIZON = timedelta(days=365)  # a PERM NOTAM is notified for a year from B)
UNL_M = 999 * 100 * FT_M  # UNL and the Q-line's 999: FL999, 30,449.52 m
FL_M = 100 * FT_M

_ORDER = "QABCDEFG"
_ITEM = re.compile(r"(?:^|(?<=\s))([A-GQ])\)\s*")
_HEADER = re.compile(
    r"^\(?\s*(?P<id>[A-Z]?\d{1,5}/\d{2,3})\s+(?P<type>NOTAM[NRC])(?:\s+(?P<ref>[A-Z]?\d{1,5}/\d{2,3}))?"
)
_START = re.compile(r"^\s*\(?\s*[A-Z]?\d{1,5}/\d{2,3}\s+NOTAM[NRC]\b", re.MULTILINE)
_TIME = re.compile(r"^(\d{10})\s*(EST)?$")
_LIMIT = re.compile(
    r"^(?:(?P<sfc>SFC|GND)|(?P<unl>UNL)|FL\s?(?P<fl>\d{1,3})"
    r"|(?P<n>\d+(?:\.\d+)?)\s?(?P<unit>FT|M)\s*(?P<ref>AMSL|MSL|AGL|SFC|GND)?)$"
)


class NotamError(InvalidInput):
    """A NOTAM, or one of its items, that cannot be read; ``field`` names the item."""


@dataclass(frozen=True)
class NotamId:
    """``A1234/24``: series letter, number, year (the FAA's ``12/322`` has no series)."""

    text: str

    @property
    def series(self) -> str:
        return self.text[0] if self.text[0].isalpha() else ""

    @property
    def number(self) -> int:
        return int(self.text.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").split("/")[0])

    @property
    def year(self) -> int:
        return int(self.text.split("/")[1])

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class QLine:
    """The qualifier line; a field the NOTAM leaves empty is None."""

    fir: str
    code: str | None  # the five letters, Q first
    traffic: str | None
    purpose: str | None
    scope: str | None
    lower_fl: int | None
    upper_fl: int | None
    lat: float | None
    lon: float | None
    radius_nm: int | None

    @property
    def subject(self) -> str | None:
        return self.code[1:3] if self.code else None

    @property
    def condition(self) -> str | None:
        return self.code[3:5] if self.code else None


@dataclass(frozen=True)
class Notam:
    id: NotamId | None
    type: str  # NOTAMN, NOTAMR or NOTAMC
    ref: NotamId | None  # the NOTAM replaced (NOTAMR) or cancelled (NOTAMC)
    q: QLine | None
    locations: tuple[str, ...]
    start: datetime
    end: datetime | None  # None: PERM
    end_estimated: bool
    schedule: str | None
    text: str
    lower: str | None
    upper: str | None
    raw: str

    @property
    def permanent(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class FileResult:
    notams: list[Notam]
    errors: list[NotamError]


def split_notams(text: str) -> list[str]:
    """The NOTAMs of a file: apart by blank lines, or each starting with its number."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[str] = []
    for block in _by_blank_lines(text):
        bounds = sorted({0, *(m.start() for m in _START.finditer(block))})
        pieces += [block[a:b] for a, b in zip(bounds, [*bounds[1:], len(block)], strict=True)]
    return [p.strip() for p in pieces if p.strip()]


def _by_blank_lines(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n(?=\s*(?:\(|[A-Z]?\d{1,5}/\d|Q\)))", text) if p.strip()]


def number_of(raw: str) -> str | None:
    """The NOTAM's number as its header gives it (``A1234/24``), even when the rest cannot be
    read: what an error report names it by."""
    header = _HEADER.match(raw.strip())
    return header.group("id") if header else None


def parse_file(text: str) -> FileResult:
    """Every NOTAM of the file: the ones read, and an error for each one that is not."""
    notams, errors = [], []
    for index, piece in enumerate(split_notams(text)):
        try:
            notams.append(parse_notam(piece))
        except NotamError as error:
            first = piece.splitlines()[0][:40]
            errors.append(
                NotamError(f"NOTAM {index + 1} ({first}): {error.message}", field=error.field)
            )
    return FileResult(notams, errors)


def parse_notam(raw: str) -> Notam:
    """One NOTAM, or NotamError naming the item and the text that could not be read."""
    text = raw.replace("\r\n", "\n").strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    header = _HEADER.match(text)
    items = _items(text)
    if "B" not in items:
        raise NotamError(f"B) is missing in {text[:60]!r}", field="B)")
    if "E" not in items:
        raise NotamError("E) is missing", field="E)")
    kind = header.group("type") if header else "NOTAMN"
    ref = header.group("ref") if header else None
    if kind == "NOTAMC" and ref is None:
        raise NotamError("NOTAMC names no NOTAM to cancel", field="header")
    start, _ = _time(items["B"], "B)")
    until = items.get("C")
    if until is None and kind != "NOTAMC":
        raise NotamError("C) is missing (give an end time or PERM)", field="C)")
    end, estimated = (None, False) if until is None or until == "PERM" else _time(until, "C)")
    if end is not None and end <= start:
        raise NotamError(f"C) {until} is not after B) {items['B']}", field="C)")
    return Notam(
        id=NotamId(header.group("id")) if header else None,
        type=kind,
        ref=NotamId(ref) if ref else None,
        q=_qline(items["Q"]) if "Q" in items else None,
        locations=tuple(items.get("A", "").split()),
        start=start,
        end=end,
        end_estimated=estimated,
        schedule=items.get("D"),
        text=items["E"],
        lower=items.get("F"),
        upper=items.get("G"),
        raw=raw,
    )


def _items(text: str) -> dict[str, str]:
    # F) and G) only follow E); a "G)" inside E)'s text before F) is text, not an item.
    matches = list(_ITEM.finditer(text))
    items: dict[str, str] = {}
    kept: list[re.Match[str]] = []
    for match in matches:
        letter = match.group(1)
        if letter in items or (kept and _ORDER.index(letter) <= _ORDER.index(kept[-1].group(1))):
            continue
        kept.append(match)
        items[letter] = ""
    if not kept:  # no item at all: the caller names the first one missing
        return items
    for match, following in zip(kept, [*kept[1:], None], strict=True):
        stop = following.start() if following else len(text)
        items[match.group(1)] = text[match.end() : stop].strip()
    return items


def _time(text: str, item: str) -> tuple[datetime, bool]:
    match = _TIME.match(text.strip())
    if match is None:
        raise NotamError(f"{item} {text!r:.60} is not a time YYMMDDHHMM", field=item)
    try:
        # ICAO times are UTC; "EST" means the end is an estimate, not a time zone.
        value = datetime.strptime(match.group(1), "%y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        raise NotamError(f"{item} {text!r:.60} is not a real date and time", field=item) from None
    return value, match.group(2) is not None


def _qline(text: str) -> QLine:
    fields = [f.strip() for f in text.split("/")]
    if len(fields) == 7 and fields[1] == "undefined":  # an FAA export that lost code/traffic
        fields = [fields[0], "", "", *fields[2:]]
    if len(fields) != 8:
        raise NotamError(f"Q) {text!r:.80} has {len(fields)} fields, not 8", field="Q)")
    fir, code, traffic, purpose, scope, lower, upper, where = fields
    if code and not re.fullmatch(r"Q[A-Z]{4}", code):
        raise NotamError(f"Q) code {code!r} is not Q and four letters", field="Q)")
    position = re.fullmatch(r"(\d{4})([NS])(\d{5})([EW])(\d{3})?", where)
    if where and position is None:
        raise NotamError(f"Q) {where!r} is not a position and radius (5130N00027W005)", field="Q)")
    lat = lon = None
    radius = None
    if position:
        lat = angle(position.group(1), 2) * (-1 if position.group(2) == "S" else 1)
        lon = angle(position.group(3), 3) * (-1 if position.group(4) == "W" else 1)
        radius = int(position.group(5)) if position.group(5) else None
    return QLine(
        fir=fir,
        code=code or None,
        traffic=traffic or None,
        purpose=purpose or None,
        scope=scope or None,
        lower_fl=_level(lower),
        upper_fl=_level(upper),
        lat=lat,
        lon=lon,
        radius_nm=radius,
    )


def _level(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise NotamError(f"Q) flight level {text!r} is not three digits", field="Q)")
    return int(text)


# --- limits, windows, areas --------------------------------------------------------------


def limit_m(text: str, item: str) -> float:
    """An F) or G) limit in metres; AGL heights are taken above the ellipsoid (see docs)."""
    match = _LIMIT.match(" ".join(text.upper().split()))
    if match is None:
        raise NotamError(
            f"{item} {text!r:.60} is not a limit (SFC, GND, UNL, FL100, 5000FT AMSL, 1500M AMSL, "
            "500FT AGL)",
            field=item,
        )
    if match.group("sfc"):
        return 0.0
    if match.group("unl"):
        return UNL_M
    if match.group("fl"):
        return int(match.group("fl")) * FL_M
    return float(match.group("n")) * (FT_M if match.group("unit") == "FT" else 1.0)


def altitudes(notam: Notam) -> tuple[float, float]:
    """The lower and upper limits in metres: F)/G), or else the Q-line's flight levels."""
    q = notam.q
    lower = (
        limit_m(notam.lower, "F)")
        if notam.lower
        else (q.lower_fl * FL_M if q and q.lower_fl is not None else 0.0)
    )
    upper = (
        limit_m(notam.upper, "G)")
        if notam.upper
        else (q.upper_fl * FL_M if q and q.upper_fl is not None else UNL_M)
    )
    if upper < lower:
        raise NotamError(
            f"G) {notam.upper or upper} is below F) {notam.lower or lower}", field="G)"
        )
    return lower, upper


def end_of(notam: Notam) -> datetime:
    return notam.end if notam.end is not None else notam.start + PERM_HORIZON


def windows(notam: Notam, limits: Limits | None = None) -> list[tuple[datetime, datetime]]:
    """The UTC windows of D) within B)-C), or B)-C) itself; any longer than the volume limit is
    cut into consecutive pieces."""
    end = end_of(notam)
    if notam.schedule:
        try:
            found = expand(notam.schedule, notam.start, end)
        except ScheduleError as error:
            raise NotamError(f"D) {error}", field="D)") from None
    else:
        found = [(notam.start, end)]
    return within_duration(found, limits or Limits())


def footprints(notam: Notam) -> list[dict[str, Any]]:
    """The areas of E) as volume footprints, or else the Q-line's circle."""
    try:
        found = areas(notam.text)
    except AreaTextError as error:
        raise NotamError(f"E) {error}", field="E)") from None
    out: list[dict[str, Any]] = []
    for area in found:
        if isinstance(area, PolygonArea):
            ring = [[lon, lat] for lon, lat in area.ring]
            out.append({"geometry": {"type": "Polygon", "coordinates": [ring]}})
        elif isinstance(area, CircleArea):
            circle = {"lat": area.lat, "lon": area.lon, "radius_m": area.radius_m}
            out.append({"circle": circle})
    if out:
        return out
    q = notam.q
    if q is None or q.lat is None or q.lon is None or not q.radius_nm:
        raise NotamError(
            "E) describes no area and the Q-line gives no position and radius", field="E)"
        )
    return [{"circle": {"lat": q.lat, "lon": q.lon, "radius_m": q.radius_nm * NM_M}}]


# --- drafts and actions ------------------------------------------------------------------

_KIND_WORDS: Sequence[tuple[Kind, re.Pattern[str]]] = (
    (Kind.LAUNCH, re.compile(r"\b(?:LAUNCH(?:ES|ING)?|ROCKET LAUNCH|SPACE LAUNCH|RE-?ENTRY)\b")),
    (Kind.FIRING, re.compile(r"\b(?:FIRING|GUNFIRE|MISSILE|LIVE FIRE|ARTILLERY)\b")),
    (Kind.EXERCISE, re.compile(r"\b(?:EXERCISE|EXER|MIL EX)\b")),
)
# Q-code subjects (ICAO Doc 8126): WM missile, gun or rocket firing; WE exercises; RD danger,
# RP prohibited, RR restricted, RT temporary restricted area; RM military operating area.
# Any other W (navigation warning: an activity dangerous to flight) is a danger area too.
_KIND_SUBJECTS = {
    "WM": Kind.FIRING,
    "WE": Kind.EXERCISE,
    "RD": Kind.DANGER_AREA,
    "RP": Kind.DANGER_AREA,
    "RR": Kind.DANGER_AREA,
    "RT": Kind.DANGER_AREA,
    "RM": Kind.DANGER_AREA,
}


def kind_of(notam: Notam) -> Kind:
    """The notification kind: from the E) text's words first, then the Q-code's subject."""
    for kind, words in _KIND_WORDS:
        if words.search(notam.text.upper()):
            return kind
    subject = notam.q.subject if notam.q else None
    if subject in _KIND_SUBJECTS:
        return _KIND_SUBJECTS[subject]
    return Kind.DANGER_AREA if subject and subject[0] == "W" else Kind.ZONE


def title_of(notam: Notam) -> str:
    first_line = " ".join(notam.text.split())
    name = f"{notam.id} " if notam.id else ""
    return (name + first_line)[:MAX_TITLE_CHARS]


def drafts(notam: Notam, *, limits: Limits | None = None) -> list[NotificationBody]:
    """The bodies of POST /api/v1/notifications, checked by the same rules the API applies:
    one, or several when the NOTAM has more volumes (areas x windows) than one notification may
    hold (``max_volumes``), each titled "(part i/n)"."""
    limits = limits or Limits()
    lower, upper = altitudes(notam)
    volumes = [
        {
            **footprint,
            "altitude_lower_m": lower,
            "altitude_upper_m": upper,
            "time_start": format_utc(begin),
            "time_end": format_utc(stop),
        }
        for footprint in footprints(notam)
        for begin, stop in windows(notam, limits)
    ]
    try:
        return bodies(
            kind=kind_of(notam).value,
            title=title_of(notam),
            volumes=volumes,
            reference=None,
            limits=limits,
        )
    except InvalidInput as error:
        raise NotamError(error.message, field=error.field) from None


@dataclass(frozen=True)
class NotamAction:
    """What one NOTAM asks of a node: create its drafts (NOTAMN), replace what ``replaces``
    names with them (NOTAMR), or cancel it (NOTAMC, no drafts)."""

    action: Action
    notam_id: str | None
    replaces: str | None
    drafts: list[NotificationBody]


_ACTIONS = {"NOTAMN": Action.CREATE, "NOTAMR": Action.REPLACE, "NOTAMC": Action.CANCEL}


def action(notam: Notam, *, limits: Limits | None = None) -> NotamAction:
    """What the NOTAM asks of a node, its drafts checked by the API's rules."""
    name = _ACTIONS[notam.type]
    return NotamAction(
        action=name,
        notam_id=str(notam.id) if notam.id else None,
        replaces=str(notam.ref) if notam.ref else None,
        drafts=[] if name is Action.CANCEL else drafts(notam, limits=limits),
    )
