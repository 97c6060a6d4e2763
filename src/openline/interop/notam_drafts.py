"""What a NOTAM read (``openline.interop.notam``) asks of a node: its volumes and notifications.

Each area of E) (or else the Q-line's circle: ``openline.interop.notam_areas``) is one
footprint, with the limits its own numbered paragraph gives or else F) and G) (or the Q-line's
levels), over each window of D) within B)-C); what reading the areas did that an importer
should know (a long edge divided) is a warning of the NOTAM's record, never silent.
``action`` gives the drafts, checked by the API's own rules, with the NOTAM's number keyed by
its office as their reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openline.domain.errors import InvalidInput
from openline.domain.notifications import MAX_TITLE_CHARS, Kind
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Limits
from openline.interop.notam import FL_M, PERM_HORIZON, UNL_M, Notam, NotamError
from openline.interop.notam_areas import NotamSettings, read_areas
from openline.interop.notam_schedule import ScheduleError, expand
from openline.interop.notam_text import FT_M, Area
from openline.interop.plans import Action, NotificationBody, bodies, within_duration

_LIMIT = re.compile(
    r"^(?:(?P<sfc>SFC|GND)|(?P<unl>UNL)|FL\s?(?P<fl>\d{1,3})"
    r"|(?P<n>\d+(?:\.\d+)?)\s?(?P<unit>FT|M)\s*(?P<ref>AMSL|MSL|AGL|SFC|GND)?)$"
)
Point = tuple[float, float]  # (lon, lat) degrees


# --- limits and windows ------------------------------------------------------------------


def limit_m(
    text: str, item: str, notam: Notam | None = None, *, unlimited_m: float = UNL_M
) -> float:
    """An F) or G) limit in metres (read in the NOTAM's own words); AGL heights are taken above
    the ellipsoid (see docs); UNL is ``unlimited_m``."""
    icao = notam.words.limit(text) if notam else text
    match = _LIMIT.match(" ".join(icao.upper().split()))
    if match is None:
        raise NotamError(
            f"{item} {text!r:.60} is not a limit (SFC, GND, UNL, FL100, 5000FT AMSL, 1500M AMSL, "
            "500FT AGL)",
            field=item,
        )
    if match.group("sfc"):
        return 0.0
    if match.group("unl"):
        return unlimited_m
    if match.group("fl"):
        return int(match.group("fl")) * FL_M
    return float(match.group("n")) * (FT_M if match.group("unit") == "FT" else 1.0)


def altitudes(
    notam: Notam, area: Area | None = None, *, unlimited_m: float = UNL_M
) -> tuple[float, float]:
    """The lower and upper limits in metres: the area's own, else F)/G), else the Q-line's
    flight levels (its 999, like UNL, is ``unlimited_m``)."""
    q, label = notam.q, notam.words.label
    if area is not None and area.lower is not None and area.upper is not None:
        lower = limit_m(area.lower, label("E"), unlimited_m=unlimited_m)
        upper = limit_m(area.upper, label("E"), unlimited_m=unlimited_m)
        if upper < lower:
            raise NotamError(f"{label('E')} {area.upper} is below {area.lower}", field=label("E"))
        return lower, upper
    lower = (
        limit_m(notam.lower, label("F"), notam, unlimited_m=unlimited_m)
        if notam.lower
        else (q.lower_fl * FL_M if q and q.lower_fl is not None else 0.0)
    )
    upper = (
        limit_m(notam.upper, label("G"), notam, unlimited_m=unlimited_m)
        if notam.upper
        else _q_level(q.upper_fl if q else None, unlimited_m)
    )
    if upper < lower:
        raise NotamError(
            f"{label('G')} {notam.upper or upper} is below {label('F')} {notam.lower or lower}",
            field=label("G"),
        )
    return lower, upper


def _q_level(level: int | None, unlimited_m: float) -> float:
    return unlimited_m if level is None or level == 999 else level * FL_M


def end_of(notam: Notam) -> datetime:
    return notam.end if notam.end is not None else notam.start + PERM_HORIZON


def windows(notam: Notam, limits: Limits | None = None) -> list[tuple[datetime, datetime]]:
    """The UTC windows of D) within B)-C), or B)-C) itself; any longer than the volume limit is
    cut into consecutive pieces."""
    end = end_of(notam)
    if notam.schedule:
        item = notam.words.label("D")
        try:
            found = expand(notam.words.schedule(notam.schedule), notam.start, end)
        except ScheduleError as error:
            raise NotamError(f"{item} {error}", field=item) from None
    else:
        found = [(notam.start, end)]
    return within_duration(found, limits or Limits())


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
        if words.search(notam.area_text):
            return kind
    subject = notam.q.subject if notam.q else None
    if subject in _KIND_SUBJECTS:
        return _KIND_SUBJECTS[subject]
    return Kind.DANGER_AREA if subject and subject[0] == "W" else Kind.ZONE


def title_of(notam: Notam) -> str:
    """The NOTAM's number and its E) text as written (Russian stays Russian), on one line."""
    first_line = " ".join(notam.text.split())
    name = f"{notam.id} " if notam.id else ""
    return (name + first_line)[:MAX_TITLE_CHARS]


@dataclass(frozen=True)
class Drafts:
    bodies: list[NotificationBody]
    warnings: list[str]


def drafts(
    notam: Notam, *, limits: Limits | None = None, settings: NotamSettings | None = None
) -> list[NotificationBody]:
    """The bodies of POST /api/v1/notifications, checked by the same rules the API applies:
    one, or several when the NOTAM has more volumes (areas x windows) than one notification may
    hold (``max_volumes``), each titled "(part i/n)"."""
    return drafts_and_warnings(notam, limits=limits, settings=settings).bodies


def drafts_and_warnings(
    notam: Notam, *, limits: Limits | None = None, settings: NotamSettings | None = None
) -> Drafts:
    """``drafts``, and the warnings of reading the NOTAM's areas."""
    limits = limits or Limits()
    settings = settings or NotamSettings()
    found = read_areas(notam, limits, settings)
    times = windows(notam, limits)
    volumes = []
    for footprint, area in found.found:
        lower, upper = altitudes(notam, area, unlimited_m=settings.unlimited_m)
        volumes += [
            {
                **footprint,
                "altitude_lower_m": lower,
                "altitude_upper_m": upper,
                "time_start": format_utc(begin),
                "time_end": format_utc(stop),
            }
            for begin, stop in times
        ]
    try:
        made = bodies(
            kind=kind_of(notam).value,
            title=title_of(notam),
            volumes=volumes,
            reference=None,
            limits=limits,
        )
    except InvalidInput as error:
        raise NotamError(error.message, field=error.field) from None
    return Drafts(made, found.warnings)


@dataclass(frozen=True)
class NotamAction:
    """What one NOTAM asks of a node: create its drafts (NOTAMN), replace what ``replaces``
    names with them (NOTAMR), or cancel it (NOTAMC, no drafts). ``notam_id`` and ``replaces``
    are keyed by the issuing office (``LCCC A1234/26``): a number is unique only within it."""

    action: Action
    notam_id: str | None
    replaces: str | None
    drafts: list[NotificationBody]
    warnings: list[str] = field(default_factory=list)


_ACTIONS = {"NOTAMN": Action.CREATE, "NOTAMR": Action.REPLACE, "NOTAMC": Action.CANCEL}


def action(
    notam: Notam, *, limits: Limits | None = None, settings: NotamSettings | None = None
) -> NotamAction:
    """What the NOTAM asks of a node, its drafts checked by the API's rules."""
    name = _ACTIONS[notam.type]
    made = (
        Drafts([], [])
        if name is Action.CANCEL
        else drafts_and_warnings(notam, limits=limits, settings=settings)
    )
    return NotamAction(
        action=name,
        notam_id=notam.key(notam.id),
        replaces=notam.key(notam.ref),
        drafts=made.bodies,
        warnings=made.warnings,
    )
