"""Our coordinates against GeographicLib's GeoConvert, the reference implementation.

Over 10,000 seeded random points worldwide, with extra points near the poles, on the UTM/UPS
limits (84°N, 80°S), on zone and band edges (Norway and Svalbard included), near the equator
and the antimeridian: MGRS strings, their decoding, DMS both ways and UTM/UPS. Each direction
is one GeoConvert process fed every point on standard input. Then the GeoConvert cases of the
shared data.
"""

from __future__ import annotations

import csv
import math
import random
import re
import subprocess
from collections.abc import Callable, Sequence

import pytest

from openline.geo.coords import (
    LatLon,
    Position,
    format_dd,
    format_dms,
    format_grid,
    format_mgrs,
    format_position,
    format_utm,
    mgrs_to_latlon,
    parse_coordinate,
    parse_position,
)
from tests.support.geographiclib import geographiclib_tool
from tests.support.shared_data import SHARED_DATA, needs_shared_data

TOLERANCE_M = 1.0
GRID_TOLERANCE_M = 0.001  # UTM/UPS eastings and northings: the maths itself, sub-millimetre
# No radius of curvature of WGS84 exceeds 6,400 km, so distances computed with it are never
# short of the true ones.
EARTH_RADIUS_M = 6_400_000.0
CASES_FILE = SHARED_DATA / "mgrs" / "geographiclib_geoconvert_ctest_cases.csv"

GeoConvert = Callable[[Sequence[str], Sequence[str]], list[str]]


def metres_apart(a: LatLon, b: LatLon) -> float:
    """An upper bound on the distance between two nearby points, in metres: the chord between
    them on a sphere of radius EARTH_RADIUS_M (right at the poles too)."""
    return EARTH_RADIUS_M * math.dist(_unit_vector(a), _unit_vector(b))


def _unit_vector(point: LatLon) -> tuple[float, float, float]:
    lat, lon = math.radians(point.lat), math.radians(point.lon)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def near(rng: random.Random, value: float) -> float:
    """value, or value nudged by 1e-12 to 1e-3 degrees either way."""
    return value + rng.choice([0.0, 1e-12, 1e-9, 1e-6, 1e-3]) * rng.choice([-1, 1])


def sample_points() -> list[str]:
    """The points, as "LAT LON" text with 15 decimals (GeoConvert reads no exponents)."""
    rng = random.Random(20241203)
    points: list[tuple[float, float]] = []
    for _ in range(8000):  # uniform over the sphere
        points.append((math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)))
    for _ in range(800):  # near the poles, in UPS and the UTM bands next to it
        points.append((rng.uniform(80, 90), rng.uniform(-180, 180)))
        points.append((rng.uniform(-90, -76), rng.uniform(-180, 180)))
    for _ in range(500):  # on the UTM/UPS limits
        points.append((near(rng, 84.0), rng.uniform(-180, 180)))
        points.append((near(rng, -80.0), rng.uniform(-180, 180)))
    for _ in range(1200):  # on zone edges
        points.append((rng.uniform(-80, 84), near(rng, rng.randrange(-180, 181, 6))))
    for _ in range(600):  # on band edges
        points.append((near(rng, rng.randrange(-80, 73, 8)), rng.uniform(-180, 180)))
    for _ in range(400):  # Norway (band V) and Svalbard (band X) and their edges
        points.append((rng.uniform(56, 64), near(rng, rng.choice([0, 3, 6, 9, 12]))))
        points.append((rng.uniform(72, 84), near(rng, rng.choice([0, 9, 21, 33, 42]))))
    for _ in range(300):  # the equator and the antimeridian
        points.append((near(rng, 0.0), rng.uniform(-180, 180)))
        points.append((rng.uniform(-80, 84), rng.choice([-1, 1]) * (180 - abs(near(rng, 0)))))
    points += [(90, 0), (-90, 0), (0, 0), (84, 0), (-80, 0), (0, 180), (0, -180), (64, 3)]
    lines = [f"{lat:.15f} {lon:.15f}" for lat, lon in points]
    return [line for line in lines if _in_range(line)]


def _in_range(line: str) -> bool:
    lat, lon = map(float, line.split())
    return -90 <= lat <= 90 and -180 <= lon <= 180


POINTS = sample_points()


@pytest.fixture(scope="module")
def geoconvert() -> GeoConvert:
    """Run GeoConvert once over many lines; one output line per input line."""
    path = geographiclib_tool("GeoConvert")

    def run(options: Sequence[str], lines: Sequence[str]) -> list[str]:
        result = subprocess.run(
            [path, *options],
            input="".join(f"{line}\n" for line in lines),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        output = result.stdout.splitlines()
        assert len(output) == len(lines), result.stderr
        return output

    return run


def test_the_sample_covers_the_world_the_poles_and_the_edges() -> None:
    points = [parse_coordinate(line) for line in POINTS]
    assert len(points) >= 10_000
    assert sum(p.lat >= 84 for p in points) >= 500  # UPS north
    assert sum(p.lat < -80 for p in points) >= 500  # UPS south
    assert sum(abs(p.lat - 84) < 1e-3 or abs(p.lat + 80) < 1e-3 for p in points) >= 500
    assert sum(abs(math.remainder(p.lon, 6)) < 1e-3 for p in points) >= 1000
    assert sum(abs(abs(p.lon) - 180) < 1e-3 for p in points) >= 200


def test_mgrs_is_geoconverts_or_within_a_metre_of_the_point(geoconvert: GeoConvert) -> None:
    theirs = geoconvert(["-m"], POINTS)
    differ, wrong = [], []
    for line, their in zip(POINTS, theirs, strict=True):
        point = parse_coordinate(line)
        ours = format_mgrs(point.lat, point.lon, 5)
        if ours == their:
            continue
        differ.append((line, ours, their))
        for reference in (ours, their):
            if metres_apart(mgrs_to_latlon(reference), point) > TOLERANCE_M:
                wrong.append((line, ours, their))
    assert not wrong, f"{len(wrong)} MGRS decode over {TOLERANCE_M} m away: {wrong[:5]}"
    # Only float noise on a square's edge may pick the other square.
    assert len(differ) <= len(POINTS) // 1000, differ[:10]


def test_our_mgrs_decoding_matches_geoconverts(geoconvert: GeoConvert) -> None:
    references = []
    for i, line in enumerate(POINTS):  # every precision from 100 km to 1 micrometre
        references.append(format_mgrs(*parse_coordinate(line), precision=i % 12))
    theirs = geoconvert(["-p", "6"], references)
    far = []
    for reference, their in zip(references, theirs, strict=True):
        their_point = parse_coordinate(their)
        distance = metres_apart(mgrs_to_latlon(reference), their_point)
        if distance > TOLERANCE_M:
            far.append((reference, their, distance))
    assert not far, f"{len(far)} MGRS decoded over {TOLERANCE_M} m from GeoConvert: {far[:5]}"


@pytest.mark.parametrize("option", ["-d", "-:"])
def test_dms_matches_geoconverts_and_we_read_its_spelling(
    geoconvert: GeoConvert, option: str
) -> None:
    theirs = geoconvert([option, "-p", "1"], POINTS)  # seconds to 0.01" (31 cm)
    far = []
    for line, their in zip(POINTS, theirs, strict=True):
        point = parse_coordinate(line)
        ours = parse_coordinate(format_dms(point.lat, point.lon, 2))
        for read in (ours, parse_coordinate(their)):
            if metres_apart(read, point) > TOLERANCE_M:
                far.append((line, format_dms(point.lat, point.lon, 2), their))
    assert not far, f"{len(far)} DMS over {TOLERANCE_M} m from the point: {far[:5]}"


def test_geoconvert_reads_our_dms_and_mgrs_as_we_mean_them(geoconvert: GeoConvert) -> None:
    points = [parse_coordinate(line) for line in POINTS]
    dms = [format_dms(p.lat, p.lon, 2) for p in points]
    mgrs = [format_mgrs(p.lat, p.lon, 5) for p in points]
    read_dms = geoconvert(["-p", "6"], dms)
    read_mgrs = geoconvert(["-p", "6"], mgrs)
    far = []
    for point, a, b, c, d in zip(points, dms, read_dms, mgrs, read_mgrs, strict=True):
        if metres_apart(parse_coordinate(b), point) > TOLERANCE_M:
            far.append((point, a, b))
        if metres_apart(parse_coordinate(d), point) > TOLERANCE_M:
            far.append((point, c, d))
    assert not far, f"{len(far)} read back over {TOLERANCE_M} m away: {far[:5]}"


def test_utm_and_ups_match_geoconvert_to_a_millimetre(geoconvert: GeoConvert) -> None:
    theirs = geoconvert(["-u", "-p", "6"], POINTS)
    off = []
    for line, their in zip(POINTS, theirs, strict=True):
        point = parse_coordinate(line)
        ours = format_utm(point.lat, point.lon, 6).split()
        zone, easting, northing = their.split()
        if (
            ours[0] != zone
            or max(abs(float(ours[1]) - float(easting)), abs(float(ours[2]) - float(northing)))
            > GRID_TOLERANCE_M
        ):
            off.append((line, ours, their))
    assert not off, f"{len(off)} UTM/UPS off by over {GRID_TOLERANCE_M} m: {off[:5]}"


def test_we_read_utm_and_ups_as_geoconvert_does(geoconvert: GeoConvert) -> None:
    grids = [format_utm(*parse_coordinate(line), 3) for line in POINTS]
    theirs = geoconvert(["-p", "6"], grids)
    far = [
        (grid, their)
        for grid, their in zip(grids, theirs, strict=True)
        if metres_apart(parse_coordinate(grid), parse_coordinate(their)) > GRID_TOLERANCE_M
    ]
    assert not far, f"{len(far)} UTM/UPS read over {GRID_TOLERANCE_M} m apart: {far[:5]}"


# The GeoConvert cases of GeographicLib's own test suite, as the shared data lists them.


def ctest_cases() -> list[dict[str, str]]:
    if not CASES_FILE.exists():
        return []
    with CASES_FILE.open(newline="", encoding="utf-8") as cases:
        return list(csv.DictReader(cases))


def as_geoconvert_would(flags: str, text: str) -> str:
    """Our answer to ``echo TEXT | GeoConvert FLAGS``, for the flags the cases use."""
    words = flags.split()
    precision = int(words[words.index("-p") + 1]) if "-p" in words else 0
    position = parse_position(text)
    if "-m" in words:  # digits per axis are 5 + prec, -1 (the grid zone) at the least
        return format_position(position, "mgrs", max(-1, min(11, 5 + precision)))
    if "-d" in words:  # GeoConvert writes d for the degree sign
        return format_dms(*position.point, 1 + precision).replace("°", "d")
    if "-u" in words:
        return _utm(position, precision)
    return format_dd(*position.point, 5 + precision)


def _utm(position: Position, decimals: int) -> str:
    if position.grid is not None:  # GeoConvert keeps the zone it was given
        return format_grid(position.grid, decimals)
    return format_utm(*position.point, decimals)


@needs_shared_data(CASES_FILE)
def test_the_shared_data_has_the_nine_geoconvert_cases() -> None:
    assert len(ctest_cases()) == 9


@needs_shared_data(CASES_FILE)
@pytest.mark.parametrize("case", ctest_cases(), ids=lambda case: case["test_name"])
def test_geoconvert_ctest_case(case: dict[str, str]) -> None:
    ours = as_geoconvert_would(case["geoconvert_flags"], case["input_string"])
    assert re.fullmatch(case["expected_output_regex"], ours), (case["meaning"], ours)
