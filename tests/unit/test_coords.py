"""Coordinates: every accepted spelling is read, every bad input is named, and conversions
round-trip. Expected MGRS and UTM values are GeoConvert's (GeographicLib 2.1.2); the 10,000
point comparison with GeoConvert itself is in tests/reference."""

from __future__ import annotations

import math
import random

import pytest

from openline.domain.errors import InvalidInput
from openline.geo.coords import (
    LatLon,
    check_format,
    convert,
    format_dd,
    format_dms,
    format_mgrs,
    format_position,
    format_utm,
    latlon_to_utm,
    mgrs_to_grid,
    mgrs_to_latlon,
    parse_coordinate,
    parse_position,
    utm_to_latlon,
)

SAME = 1e-9  # degrees: about 0.1 mm
BAGHDAD = (33.3, 44.4)


def metres_apart(a: LatLon, b: LatLon) -> float:
    """Chord on a 6,400 km sphere: never short of the true distance between nearby points."""
    lat_a, lon_a, lat_b, lon_b = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    va = (math.cos(lat_a) * math.cos(lon_a), math.cos(lat_a) * math.sin(lon_a), math.sin(lat_a))
    vb = (math.cos(lat_b) * math.cos(lon_b), math.cos(lat_b) * math.sin(lon_b), math.sin(lat_b))
    return 6_400_000.0 * math.dist(va, vb)


def random_points(count: int, seed: int = 1) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    points = [
        (math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)) for _ in range(count)
    ]
    return [*points, (90.0, 0.0), (-90.0, 0.0), (84.0, 3.0), (-80.0, 3.0), (0.0, 180.0)]


def assert_point(point: LatLon, lat: float, lon: float, tolerance: float = SAME) -> None:
    assert point.lat == pytest.approx(lat, abs=tolerance)
    assert math.remainder(point.lon - lon, 360) == pytest.approx(0, abs=tolerance)


# Reading: decimal degrees, DMS in its common spellings, MGRS and UTM/UPS.

D12 = 36 + 12 / 60
D09 = 37 + 9 / 60


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        # decimal degrees
        ("36.2 37.15", 36.2, 37.15),
        ("36.2, 37.15", 36.2, 37.15),
        ("36.2,37.15", 36.2, 37.15),
        ("  36.2   37.15  ", 36.2, 37.15),
        ("+36.2 +37.15", 36.2, 37.15),
        ("-33.5 151.2", -33.5, 151.2),
        ("-33.5, -151.2", -33.5, -151.2),
        ("36.2N 37.15E", 36.2, 37.15),
        ("36.2n 37.15e", 36.2, 37.15),
        ("N36.2 E37.15", 36.2, 37.15),
        ("33.5S 151.2W", -33.5, -151.2),
        ("37.15E 36.2N", 36.2, 37.15),
        ("E37.15 N36.2", 36.2, 37.15),
        ("36.2N, 37.15", 36.2, 37.15),
        ("37.15E, 36.2", 36.2, 37.15),
        ("36.2° 37.15°", 36.2, 37.15),
        ("36.2°N 37.15°E", 36.2, 37.15),
        ("36 37", 36, 37),
        (".5 .25", 0.5, 0.25),
        ("90N 180W", 90, -180),
        ("-90 -180", -90, -180),
        # degrees, minutes, seconds with marks
        ("36°12'N 37°09'E", D12, D09),
        ("36°12'00\"N 37°09'00\"E", D12, D09),
        ("36°12'00.0\"N 037°09'00.0\"E", D12, D09),
        ("36°12\u203200\u2033N 37°09\u203200\u2033E", D12, D09),  # prime, double prime
        ("36\u00ba12\u2019N 37\u00ba09\u2019E", D12, D09),  # ordinal º, right quote
        ("36°12'00''N 37°09'00''E", D12, D09),
        ("36d12'N 37d09'E", D12, D09),
        ("36D12'00\"N 037D09'00\"E", D12, D09),
        ("33d18'00.0\"N 044d24'00.0\"E", 33.3, 44.4),
        ("N36°12' E37°09'", D12, D09),
        ("36° 12' N 37° 09' E", D12, D09),
        ("36°12' 37°09'", D12, D09),
        ("36°12 37°09", D12, D09),
        ("36d12 37d09", D12, D09),
        ("33°30'S 151°12'E", -33.5, 151.2),
        ("33°30'S, 151°12'W", -33.5, -151.2),
        ("36°12.5'N 37°09.25'E", 36 + 12.5 / 60, 37 + 9.25 / 60),
        ("36°12'30.5\"N 37°09'E", 36 + (12 + 30.5 / 60) / 60, D09),
        # with spaces only
        ("N36 12.0 E037 09.0", D12, D09),
        ("N 36 12.0, E 037 09.0", D12, D09),
        ("36 12 00 N, 37 09 00 E", D12, D09),
        ("36 12 00N 37 09 00E", D12, D09),
        ("S33 30 W151 12", -33.5, -151.2),
        ("36 12 37 09", D12, D09),
        ("36 12 00 37 09 00", D12, D09),
        ("-33 30, 151 12", -33.5, 151.2),
        # with colons, as GeoConvert -: writes them
        ("36:12:00N 37:09:00E", D12, D09),
        ("33:18:00.0N 044:24:00.0E", 33.3, 44.4),
        ("36:12 37:09", D12, D09),
        ("-33:30 151:12", -33.5, 151.2),
        # compact DDMM[SS] / DDDMM[SS]
        ("361200N0370900E", D12, D09),
        ("361200N 0370900E", D12, D09),
        ("3612N03709E", D12, D09),
        ("N361200 E0370900", D12, D09),
        ("361200.0N0370900.0E", D12, D09),
        ("3612.5N03709.25E", 36 + 12.5 / 60, 37 + 9.25 / 60),
        ("333000S1511200W", -33.5, -151.2),
        # MGRS: the centre of the square, at any precision, spaces and case as they come
        ("38SMB4488", 33.33423508461, 44.40362784784),
        ("37SBA1234567890", 36.71317630512, 35.77960309001),
        ("37S BA 12345 67890", 36.71317630512, 35.77960309001),
        ("37sba1234567890", 36.71317630512, 35.77960309001),
        ("4QFJ1234567890", 21.40980115781, -157.91607631749),
        ("04Q FJ 12345 67890", 21.40980115781, -157.91607631749),
        ("38VLS", 64.44244, 41.88295),
        ("38WLS", 64.44244, 41.88295),
        ("ZAH0000000000", 89.99999363104, 135.0),
        ("BAN", -89.36310980640, 45.0),
        ("YZB", 85.02867448056, -5.19442890773),
        # UTM/UPS as GeoConvert writes and reads it
        ("38n 444140.6 3684706.3", 33.29999950183, 44.40000059505),
        ("38N 444140.6 3684706.3", 33.29999950183, 44.40000059505),
        ("444140.6 3684706.3 38north", 33.29999950183, 44.40000059505),
        ("38n, 444140.6, 3684706.3", 33.29999950183, 44.40000059505),
        ("s 2746000 1515000", -81.99802488618, 123.02926645138),
        ("n 2000000 2000000", 90.0, 180.0),
        ("31n 500000 -110530", -0.99999856327, 3.0),
    ],
)
def test_every_spelling_reads_as_the_same_point(text: str, lat: float, lon: float) -> None:
    assert_point(parse_coordinate(text), lat, lon, tolerance=1e-5 if "LS" in text else SAME)


def test_the_issues_four_spellings_are_one_point() -> None:
    spellings = ["36°12'N 37°09'E", "361200N0370900E", "N36 12.0 E037 09.0"]
    spellings.append("36 12 00 N, 37 09 00 E")
    assert {parse_coordinate(text) for text in spellings} == {LatLon(36.2, 37.15)}


# Bad input: every error names the value and the rule it broke.


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty coordinate"),
        ("   ", "empty coordinate"),
        ("\t\n", "empty coordinate"),
        # out of range
        ("91 0", "latitude 91 is outside -90 to 90"),
        ("-91 0", "latitude -91 is outside -90 to 90"),
        ("90.0001 0", "latitude 90.0001 is outside -90 to 90"),
        ("91N 37E", "latitude 91 is outside -90 to 90"),
        ("90 30 N, 37 E", "latitude 90.5 is outside -90 to 90"),
        ("0 181", "longitude 181 is outside -180 to 180"),
        ("0 -180.5", "longitude -180.5 is outside -180 to 180"),
        ("181E 36N", "longitude 181 is outside -180 to 180"),
        ("361N 0370900E", "latitude 361 is outside -90 to 90"),
        # minutes and seconds
        ("36 60 N, 37 E", "minute 60 is not below 60"),
        ("36°60'N 37°09'E", "minute 60 is not below 60"),
        ("36°60.5'N 37°09'E", "minute 60.5 is not below 60"),
        ("3660N03709E", "minute 60 is not below 60"),
        ("36°12'60\"N 37°09'E", "second 60 is not below 60"),
        ("361260N0370900E", "second 60 is not below 60"),
        ("36:12:75 37:09", "second 75 is not below 60"),
        ("36.5°12'N 37E", 'only the last number of "36.5°12\'N" may have a decimal point'),
        ("36 12.5 30 N, 37 E", "only the last number of '36 12.5 30 N' may have a decimal point"),
        ("36 12 00 05 N, 37 E", "has more than degrees, minutes and seconds"),
        ("12' 36N, 37E", "has no degrees before its minutes or seconds"),
        ("36°12\"N 37°09'E", "is not in the order degrees, minutes, seconds"),
        ("36 -12 N, 37 E", "only the first number of '36 -12 N' may have a sign"),
        ("36:12: 37:09", "cannot tell where the latitude ends"),
        ("36:12:, 37:09", "nothing follows ':'"),
        ("°36 37", "'°' does not follow a number"),
        ("36 ° 37", "'°' does not follow a number"),
        # compact forms
        ("3709E 36N", "'3709E' is not a compact longitude: write DDDMM or DDDMMSS"),
        ("36120N 037E", "'36120N' is not a compact latitude: write DDMM or DDMMSS"),
        # hemisphere letters
        ("36N 37N", "hemisphere letters twice: N and N are both latitudes"),
        ("36N 37S", "hemisphere letters twice: N and S are both latitudes"),
        ("36E 37W", "hemisphere letters twice: E and W are both longitudes"),
        ("N36N, 37E", "hemisphere letters twice (N and N)"),
        ("36N 37E 38W", "3 hemisphere letters"),
        ("36.2N 37.15", "one hemisphere letter in '36.2N 37.15'"),
        ("36.2 E37.15", "one hemisphere letter"),
        ("N36 37E", "must all come before their numbers or all after them"),
        ("-36N 37E", "'-36N' has both a minus sign and a hemisphere letter"),
        ("36 N 12, 37 E", "hemisphere letter inside '36 N 12': put it before or after"),
        ("N, 37E", "no number with 'N'"),
        ("36.2,", "no longitude in '36.2,'"),
        # not numbers, garbage, ambiguity
        ("nan 37", "'nan' is not a number"),
        ("36 NaN", "'NaN' is not a number"),
        ("inf 0", "'inf' is not a number"),
        ("36.2 37.15 x", "unexpected 'x' in '36.2 37.15 x'"),
        ("36.2 37.15;", "unexpected ';'"),
        ("36.2N 37.15E junk", "unexpected 'j'"),
        ("36.2 37.15 38", "cannot tell where the latitude ends"),
        ("36.2", "cannot tell where the latitude ends"),
        ("36.2 37,15", "the decimal point is '.'"),
        ("36,2 37", "the decimal point is '.'"),
        ("36,2, 37,15", "3 commas"),
        ("1e5 3", "one hemisphere letter"),
        # MGRS
        ("61SBA", "MGRS zone 61 is not 1 to 60"),
        ("0SBA", "MGRS zone 0 is not 1 to 60"),
        ("100SBA", "MGRS zone 100 has more than 2 digits"),
        ("37IBA", "MGRS band 'I' does not exist"),
        ("37OBA", "MGRS band 'O' does not exist"),
        ("37ABA", "MGRS band 'A' is a polar (UPS) band and takes no zone number"),
        ("CBA", "MGRS band 'C' needs a zone number"),
        ("IAA", "MGRS band 'I' does not exist"),
        ("37SJA", "column letter 'J' does not exist in zone 37"),
        ("37SIA", "column letter 'I' does not exist in zone 37"),
        ("37SBI", "row letter 'I' does not exist"),
        ("37SBW", "row letter 'W' does not exist"),
        ("38VMS", "MGRS 100 km square MS does not exist in grid zone 38V"),
        ("38NPE", "MGRS 100 km square PE does not exist in grid zone 38N"),
        ("38MPF", "MGRS 100 km square PF does not exist in grid zone 38M"),
        ("ZAQ", "row letter 'Q' does not exist in polar band Z"),
        ("YDA", "column letter 'D' does not exist in polar band Y"),
        ("ZZB", "column letter 'Z' does not exist in polar band Z"),
        ("37SBA123", "odd number of digits (3)"),
        ("37SBA1234567890 1", "odd number of digits (11)"),
        ("37SBA" + "1" * 24, "12 digits per axis, more than 11"),
        ("37SBA12345X", "has 'X' where only digits may follow the square letters"),
        ("37SBA12-345", "has '-' where only digits may follow the square letters"),
        ("37S", "MGRS '37S' is a whole grid zone"),
        ("37SB", "needs two 100 km square letters"),
        ("37SB1234", "needs two 100 km square letters"),
        # UTM/UPS
        ("0N 500000 0", "UTM zone 0 is not 1 to 60 (write just N or S for UPS)"),
        ("61n 500000 0", "UTM zone 61 is not 1 to 60"),
        ("38n 2000000 0", "UTM zone 38N easting 2000000 m is outside 0 to 1000000 m"),
        ("38s 500000 500000", "UTM zone 38S northing 500000 m is outside 900000 to 19600000 m"),
        ("s 100000 100000", "UPS S easting 100000 m is outside 700000 to 3300000 m"),
        ("n 2000000 3000000", "UPS N northing 3000000 m is outside 1200000 to 2800000 m"),
    ],
)
def test_bad_input_is_refused_naming_the_value_and_the_rule(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_coordinate(text)
    assert message in caught.value.message


@pytest.mark.parametrize("value", [None, 36.2, b"36.2 37.15"])
def test_only_text_is_read(value: object) -> None:
    with pytest.raises(InvalidInput, match="is not text"):
        parse_coordinate(value)  # type: ignore[arg-type]


# Writing.


def test_format_dd_writes_lat_lon_with_six_decimals_by_default() -> None:
    assert format_dd(36.2, 37.15) == "36.200000 37.150000"
    assert format_dd(-33.5, -151.2, 9) == "-33.500000000 -151.200000000"
    assert format_dd(-1e-9, -0.0) == "0.000000 0.000000"  # never "-0.000000"


def test_format_dms_writes_a_standard_spelling() -> None:
    assert format_dms(36.2, 37.15) == "36°12'00.0\"N 037°09'00.0\"E"
    assert format_dms(-33.5, -151.2) == "33°30'00.0\"S 151°12'00.0\"W"
    assert format_dms(36.2, 37.15, 0) == "36°12'00\"N 037°09'00\"E"
    assert format_dms(90, -180, 3) == "90°00'00.000\"N 180°00'00.000\"W"
    assert format_dms(0, 0) == "00°00'00.0\"N 000°00'00.0\"E"


def test_format_dms_carries_rounding_into_minutes_and_degrees() -> None:
    assert format_dms(36.999999999, 0.0166666666) == "37°00'00.0\"N 000°01'00.0\"E"


def test_format_mgrs_truncates_at_every_precision() -> None:
    assert format_mgrs(36.2, 37.15) == "37SCA3367707717"
    assert format_mgrs(*BAGHDAD, precision=2) == "38SMB4484"
    assert format_mgrs(36.2, 37.15, -1) == "37S"
    assert format_mgrs(36.2, 37.15, 0) == "37SCA"
    finest = format_mgrs(36.2, 37.15, 11)
    east, north = finest[5:16], finest[16:]
    for digits in range(1, 12):
        assert format_mgrs(36.2, 37.15, digits) == f"37SCA{east[:digits]}{north[:digits]}"


@pytest.mark.parametrize(
    ("lat", "lon", "prefix"),
    [
        (60.0, 2.9, "31V"),
        (60.0, 3.0, "32V"),  # Norway: zone 32 from 3°E in band V
        (60.0, 4.0, "32V"),
        (55.9, 4.0, "31U"),
        (75.0, 8.9, "31X"),  # Svalbard: zones 31, 33, 35, 37 in band X
        (75.0, 9.0, "33X"),
        (75.0, 20.9, "33X"),
        (75.0, 21.0, "35X"),
        (75.0, 33.0, "37X"),
        (75.0, 41.9, "37X"),
        (75.0, 42.0, "38X"),
        (71.9, 9.0, "32W"),
        (83.999999, 0.0, "31X"),
        (84.0, 0.0, "Z"),  # UPS north from 84°N
        (84.0, -1.0, "Y"),
        (-80.0, 0.0, "31C"),
        (-80.000001, 0.0, "B"),  # UPS south below 80°S
        (-80.000001, -1.0, "A"),
        (0.0, 0.0, "31N"),
        (-0.0, 0.0, "31M"),  # -0.0 is south, as in GeographicLib
        (0.0, 180.0, "01N"),
        (0.0, -180.0, "01N"),
        (0.0, 179.9999999, "60N"),
    ],
)
def test_zones_follow_the_standard_rules(lat: float, lon: float, prefix: str) -> None:
    assert format_mgrs(lat, lon, 0)[: len(prefix)] == prefix
    assert format_mgrs(lat, lon, 0)[len(prefix)].isalpha()


def test_the_poles_are_in_ups() -> None:
    assert format_mgrs(90, 0) == "ZAH0000000000"
    assert format_mgrs(-90, 0) == "BAN0000000000"
    assert latlon_to_utm(90, 0) == (0, "N", 2_000_000.0, 2_000_000.0)


def test_format_utm_writes_as_geoconvert() -> None:
    assert format_utm(*BAGHDAD) == "38n 444141 3684706"
    assert format_utm(86, 0, 6) == "n 2000000.000000 1555731.570643"
    assert format_utm(-1, 3) == "31s 500000 9889470"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: format_dd(91, 0), "latitude 91 is outside -90 to 90"),
        (lambda: format_dd(0, 180.5), "longitude 180.5 is outside -180 to 180"),
        (lambda: format_dd(math.nan, 0), "latitude nan is not a finite number"),
        (lambda: format_dms(0, math.inf), "longitude inf is not a finite number"),
        (lambda: format_mgrs(True, 0), "latitude True is not a number"),
        (lambda: format_mgrs("36", 0), "latitude '36' is not a number"),
        (lambda: format_dd(0, 0, 5), "precision 5 for dd is not 6 to 15 decimals"),
        (lambda: format_dms(0, 0, 10), "precision 10 for dms is not 0 to 9"),
        (lambda: format_mgrs(0, 0, 12), "MGRS precision 12 is not -1 to 11"),
        (lambda: format_mgrs(0, 0, -2), "MGRS precision -2 is not -1 to 11"),
        (lambda: format_utm(0, 0, 10), "UTM/UPS decimals 10 is not 0 to 9"),
        (lambda: check_format("utm"), "format 'utm' is not one of dd, dms, mgrs"),
        (lambda: utm_to_latlon(61, "N", 500000, 0), "UTM zone 61 is not 1 to 60"),
        (lambda: utm_to_latlon(31, "X", 500000, 0), "hemisphere 'X' is not N or S"),
        (lambda: utm_to_latlon(31, "N", math.nan, 0), "easting nan is not a finite number"),
    ],
)
def test_writers_refuse_what_they_cannot_write(call: object, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()  # type: ignore[operator]
    assert message in caught.value.message


def test_mgrs_of_a_grid_input_stays_in_the_zone_it_was_given_in() -> None:
    # 60°N 4°E is in zone 32V by the Norway rule; written in zone 31 it stays there.
    given = parse_position("31n 555776.267 6651832.735")
    assert format_position(given, "mgrs") == "31VEG5577651832"
    assert format_mgrs(*given.point) == "32VKM2128861953"
    assert format_position(parse_position("38n 444140.6 3684706.3"), "mgrs", 8) == (
        "38SMB4414060084706300"
    )
    assert format_position(parse_position("38SMB4488"), "mgrs", 2) == "38SMB4488"


def test_a_grid_input_outside_mgrs_limits_is_written_in_the_standard_zone() -> None:
    # Easting 50 km is a valid UTM input (GeographicLib's 100 km margin) but no MGRS column.
    given = parse_position("31n 50000 5000000")
    assert format_position(given, "mgrs") == format_mgrs(*given.point)


def test_convert_reads_any_spelling_and_writes_the_format_asked_for() -> None:
    assert convert("361200N0370900E") == "36.200000 37.150000"
    assert convert("36.2 37.15", "dms") == "36°12'00.0\"N 037°09'00.0\"E"
    assert convert("36.2 37.15", "mgrs", 3) == "37SCA336077"
    with pytest.raises(InvalidInput, match="precision 12 for mgrs is not -1 to 11"):
        convert("36.2 37.15", "mgrs", 12)


# Round trips.


def test_mgrs_round_trips_to_the_centre_of_its_square() -> None:
    for lat, lon in random_points(2000):
        point = LatLon(lat, lon)
        assert metres_apart(mgrs_to_latlon(format_mgrs(lat, lon, 11)), point) < 1e-5
        assert metres_apart(mgrs_to_latlon(format_mgrs(lat, lon, 5)), point) < 0.75


def test_mgrs_read_back_is_written_again_as_the_same_square_at_every_precision() -> None:
    for i, (lat, lon) in enumerate(random_points(1200, seed=2)):
        reference = format_mgrs(lat, lon, i % 12)
        again = format_position(parse_position(reference), "mgrs", i % 12)
        assert mgrs_to_grid(again) == mgrs_to_grid(reference)
        band = len(reference) - 2 * (i % 12) - 3  # only the band letter may change
        assert again[:band] + again[band + 1 :] == reference[:band] + reference[band + 1 :]


def test_a_square_across_a_band_edge_takes_the_band_of_its_centre_as_geoconvert_does() -> None:
    assert format_position(parse_position("16PAP"), "mgrs", 0) == "16NAP"
    assert mgrs_to_grid("16PAP") == mgrs_to_grid("16NAP")


def test_the_centre_of_a_square_across_a_zone_edge_is_written_in_the_zone_it_was_given_in() -> None:
    # The centre of 57WXN lies east of 162°E, in zone 58, by the standard rules.
    centre = parse_position("57WXN")
    assert format_mgrs(*centre.point, precision=0) == "58WCT"
    assert format_position(centre, "mgrs", 0) == "57WXN"


def test_utm_and_ups_round_trip_to_a_micrometre() -> None:
    for lat, lon in random_points(2000, seed=3):
        back = utm_to_latlon(*latlon_to_utm(lat, lon))
        assert metres_apart(back, LatLon(lat, lon)) < 1e-6


def test_dms_and_dd_round_trip() -> None:
    for lat, lon in random_points(2000, seed=4):
        point = LatLon(lat, lon)
        assert metres_apart(parse_coordinate(format_dms(lat, lon, 4)), point) < 0.003
        assert metres_apart(parse_coordinate(format_dd(lat, lon, 9)), point) < 0.0001
