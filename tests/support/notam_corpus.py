"""The share of the public NOTAM corpus (tests/data/notams) imported, and read right, by class:
what docs/interop.md reports and tests/unit/test_notam_corpus.py holds to.

A NOTAM is *imported* when it gives drafts the API accepts, and *read right* when, besides, a
NOTAM whose E) gives positions has its areas from them (not the Q-line's circle in their
place), and its areas agree with its own Q-line, which its office wrote apart from E): every
point of every area lies within the Q-line's circle (with a margin for its rounding to whole
minutes and nautical miles), or else every position E) writes is a point of an area (some
offices' Q-lines are far off their areas: a circle of 10 NM for an area 250 NM away). The
sample of test_notam_ru.py and test_notam_classes.py is checked field by field; this is the
check of the whole corpus.

``python -m tests.support.notam_corpus`` prints the table of docs/interop.md.
"""

# Russian class names are in Cyrillic on purpose (RUF001 warns of Cyrillic look-alikes).
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openline.domain.volumes import Limits
from openline.geo.geodesy import inverse
from openline.interop import notam, notam_drafts
from openline.interop.notam_text import NM_M, AreaTextError, parse_position
from tests.support.notams import corpus

Test = Callable[[str, notam_drafts.NotamAction | None], bool]


def _has(pattern: str) -> Test:
    found = re.compile(pattern)
    return lambda raw, _: bool(found.search(raw))


def _warned(raw: str, done: notam_drafts.NotamAction | None) -> bool:
    return done is not None and any("divided along its geodesic" in w for w in done.warnings)


CLASSES: dict[str, list[tuple[str, Test]]] = {
    "russian": [
        ("all", _has("")),
        ("area (РАЙОН)", _has("РАЙОН")),
        ("circle (ОКРУЖНОСТЬ)", _has("ОКРУЖНОСТЬ")),
        ("corridor (ПОЛОСА)", _has("ПОЛОСА")),
        ("numbered areas", _has(r"\n\s*2\.\s")),
        ("schedule (Д))", _has(r"(?:^|\s)Д\)")),
        ("flight levels (ЭШ)", _has("ЭШ")),
        ("above sea level (СР.УР.МОРЯ)", _has(r"СР\.УР\.МОРЯ")),
        ("above ground (УР.ЗЕМЛИ)", _has(r"УР\.ЗЕМЛИ")),
        ("replacing (НОТАМР)", _has("НОТАМ[РЗ]")),
    ],
    "international": [
        ("all", _has("")),
        ("edges over 500 km", _warned),
        ("D) DAILY/DLY", _has(r"D\)[^\n]*\b(?:DAILY|DLY)\b")),
        ("D) HHMM/HHMM", _has(r"D\)[^\n]*\d{4}/\d{4}")),
        ("D) times before days (ON, AND)", _has(r"D\)[^\n]*\d{4}-\d{4} (?:ON|\d+ AND)\b")),
        ("D) FM/BTN ... TO", _has(r"D\)[^\n]*\b(?:FM|BTN)\b")),
        ("G) with a trailer", _has(r"G\)[^\n]*\n\s*\S")),
        ("PART n OF m", _has(r"PART \d+ OF \d+")),
        (
            "coordinates with spaces",
            _has(r"\b\d{2} \d{2} \d{2}(?:\.\d+)? ?[NS]\b|[NS]\d{2} \d{2} \d{2}\b"),
        ),
        ("coordinate broken by a line break", _has(r"[NS]\d{2,5}\n\d")),
    ],
}
# A position in E) (Russian hemispheres too): the NOTAM draws its areas in its text.
_POSITIONS = re.compile(
    r"\d{4,6}(?:\.\d+)?\s?[NSСЮ]\s?\d{5,7}(?:\.\d+)?\s?[EWВЗ]|[NS]\d{4,6}\s?[EW]\d{5,7}"
)


@dataclass
class Share:
    name: str
    total: int = 0
    imported: int = 0
    right: int = 0


def read(raw: str) -> tuple[notam.Notam | None, notam_drafts.NotamAction | None]:
    try:
        pieces = notam.split_notams(raw)
        parsed = notam.parse_notam(pieces[0])
        return parsed, notam_drafts.action(parsed, limits=Limits())
    except notam.NotamError:
        return None, None


def read_right(parsed: notam.Notam, done: notam_drafts.NotamAction) -> bool:
    volumes = [v for body in done.drafts for v in body["volumes"]]
    if not volumes:
        return parsed.type == "NOTAMC"
    q = parsed.q
    circle = _q_circle(q) if q is not None else None
    written = _POSITIONS.findall(parsed.text)
    if circle is not None and all(v.get("circle") == circle for v in volumes) and len(written) >= 3:
        return False  # positions in E), but the Q-line's circle in their place
    if circle is not None and q is not None and q.radius_nm is not None and q.radius_nm < 999:
        reach = q.radius_nm * NM_M * 1.1 + 7 * NM_M  # rounding to minutes and whole NM
        points = [p for v in volumes for p in _points(v)]
        if all(_distance(circle["lon"], circle["lat"], p) <= reach for p in points):
            return True
    return _every_position_used(parsed, volumes)


def _every_position_used(parsed: notam.Notam, volumes: list[dict[str, Any]]) -> bool:
    used = {(round(lon, 6), round(lat, 6)) for v in volumes for lon, lat, _ in _points(v)}
    for text in _POSITIONS.findall(parsed.area_text):
        try:
            lon, lat = parse_position(re.sub(r"\s", "", text))
        except AreaTextError:
            return False
        if (round(lon, 6), round(lat, 6)) not in used:
            return False
    return True


def _q_circle(q: notam.QLine) -> dict[str, Any] | None:
    if q.lat is None or q.lon is None or not q.radius_nm:
        return None
    return {"lat": q.lat, "lon": q.lon, "radius_m": q.radius_nm * NM_M}


def _points(volume: dict[str, Any]) -> list[tuple[float, float, float]]:
    if "circle" in volume:
        c = volume["circle"]
        return [(c["lon"], c["lat"], c["radius_m"])]
    if "corridor" in volume:
        c = volume["corridor"]
        return [(lon, lat, c["half_width_m"]) for lon, lat in c["path"]]
    return [(lon, lat, 0.0) for lon, lat in volume["geometry"]["coordinates"][0]]


def _distance(lon: float, lat: float, point: tuple[float, float, float]) -> float:
    return float(inverse(lon, lat, point[0], point[1])[2][0]) + point[2]


def shares(name: str) -> list[Share]:
    """Each class of the corpus ``name``: how many NOTAMs, imported, read right."""
    found = [Share(label) for label, _ in CLASSES[name]]
    for raw in corpus(name):
        parsed, done = read(raw)
        right = parsed is not None and done is not None and read_right(parsed, done)
        for share, (_, belongs) in zip(found, CLASSES[name], strict=True):
            if belongs(raw, done):
                share.total += 1
                share.imported += done is not None
                share.right += right
    return found


def table() -> str:
    lines = ["| corpus | class | NOTAMs | imported | read right |", "|---|---|---|---|---|"]
    for name in CLASSES:
        for s in shares(name):
            lines.append(
                f"| {name} | {s.name} | {s.total} | {s.imported} ({_pc(s.imported, s.total)}) "
                f"| {s.right} ({_pc(s.right, s.total)}) |"
            )
    return "\n".join(lines)


def _pc(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


if __name__ == "__main__":
    print(table())
