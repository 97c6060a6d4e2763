"""Track reports and the proximity warnings found from them (docs/proximity.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.notifications import new_notification, parse_notification_draft
from openline.domain.tracks import (
    MAX_REPORTS,
    ProximityRules,
    TrackRef,
    TrackReport,
    approach_key,
    entry_key,
    parse_reports,
)
from openline.domain.volumes import Limits
from openline.geo import track_warnings
from openline.geo.track_warnings import Volume, volumes_of
from tests.support.tracks import track_report

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
RULES = ProximityRules(lookahead_s=300.0, lateral_m=9260.0, vertical_m=300.0)


def raw(track_id: str = "B1", **changes: Any) -> dict[str, Any]:
    return track_report(track_id, **{"time": "2026-12-03T12:00:00Z", **changes})


def track(party: str, track_id: str, **changes: Any) -> TrackReport:
    return parse_reports([raw(track_id, **changes)], party=party)[0]


def find_warnings(
    reports: list[TrackReport], volumes: list[Volume], rules: ProximityRules
) -> dict[str, dict[str, Any]]:
    """The warnings found, by key, each as it is journaled."""
    found = track_warnings.find_warnings(reports, volumes, rules)
    return {key: warning.to_json() for key, warning in found.items()}


def converging() -> list[TrackReport]:
    """BLUE east-bound and RED west-bound on the same parallel, 100 m apart in height: they
    meet about 114 s after 12:00."""
    return [
        track("BLUE", "B1"),
        track("RED", "R1", lon=38.5, heading_deg=270, alt_m=3100),
    ]


def notification(owner: str, kind: str, ring: list[list[float]], nid: str) -> Any:
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 6000,
        "time_start": "2026-12-03T11:00:00Z",
        "time_end": "2026-12-03T14:00:00Z",
    }
    draft = parse_notification_draft(
        {"kind": kind, "title": "t", "volumes": [volume]}, limits=Limits()
    )
    return new_notification(draft, notification_id=nid, owner=owner, now=T0)


# A square ahead of BLUE's B1 (which flies east along 35° N from 38° E at 200 m/s).
AHEAD = [[38.2, 34.9], [38.3, 34.9], [38.3, 35.1], [38.2, 35.1], [38.2, 34.9]]
UNDER = [[37.9, 34.9], [38.1, 34.9], [38.1, 35.1], [37.9, 35.1], [37.9, 34.9]]


# --- reports -------------------------------------------------------------------------------------


def test_a_report_is_read_with_its_time_in_canonical_utc_and_its_party_from_the_caller():
    report = track("BLUE", "B1", time="2026-12-03T15:00:00+03:00", alt_m=3000)

    assert report.party == "BLUE"
    assert report.to_json()["time"] == "2026-12-03T12:00:00.000Z"
    assert report.to_json(with_party=False) == {
        **raw(),
        "time": "2026-12-03T12:00:00.000Z",
        "alt_m": 3000.0,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 91}, "[1].lat"),
        ({"lon": "38"}, "[1].lon"),
        ({"speed_mps": -1}, "[1].speed_mps"),
        ({"heading_deg": float("nan")}, "[1].heading_deg"),
        ({"alt_m": True}, "[1].alt_m"),
        ({"kind": "submarine"}, "[1].kind"),
        ({"track_id": "two words"}, "[1].track_id"),
        ({"time": "2026-12-03T12:00:00"}, "[1].time"),
        ({"colour": "red"}, "[1].colour"),
    ],
)
def test_a_bad_report_is_refused_naming_its_place_and_field(change: dict[str, Any], field: str):
    with pytest.raises(InvalidInput) as refused:
        parse_reports([raw("B1"), {**raw("B2"), **change}], party="BLUE")

    assert refused.value.field == field
    assert refused.value.message.startswith(field)


def test_a_report_missing_a_member_is_refused_naming_it():
    item = raw()
    del item["heading_deg"]

    with pytest.raises(InvalidInput) as refused:
        parse_reports([item], party="BLUE")

    assert refused.value.field == "[0].heading_deg"


@pytest.mark.parametrize("count", [0, MAX_REPORTS + 1])
def test_a_list_of_reports_is_bounded(count: int):
    with pytest.raises(InvalidInput, match=f"{count} track reports: send from 1 to {MAX_REPORTS}"):
        parse_reports([raw(f"T{i}") for i in range(count)], party="BLUE")


def test_of_several_reports_of_one_track_only_the_latest_is_kept():
    reports = parse_reports(
        [raw(lon=38.2, time="2026-12-03T12:00:10Z"), raw(lon=38.1, time="2026-12-03T12:00:05Z")],
        party="BLUE",
    )

    assert [(r.track_id, r.lon) for r in reports] == [("B1", 38.2)]


def test_a_report_outside_the_time_bounds_is_refused_naming_the_bound():
    with pytest.raises(InvalidInput, match=r"\[0\].time: .* is after 2026-12-03T11:59:00.000Z"):
        parse_reports([raw()], party="BLUE", not_after=T0 - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="older than a track is kept"):
        parse_reports([raw()], party="BLUE", not_before=T0 + timedelta(seconds=1))


# --- approaches ----------------------------------------------------------------------------------


def test_converging_tracks_of_two_parties_warn_with_the_closest_approach():
    found = find_warnings(converging(), [], RULES)

    (warning,) = found.values()
    assert warning["key"] == approach_key(TrackRef("BLUE", "B1"), TrackRef("RED", "R1"))
    assert warning["rule"] == "approach"
    assert warning["a"] == {"party": "BLUE", "track_id": "B1", "time": "2026-12-03T12:00:00.000Z"}
    assert warning["b"]["track_id"] == "R1"
    assert warning["cpa_time"].startswith("2026-12-03T12:01:5")  # 45.6 km at 400 m/s: ~114 s
    assert warning["lateral_m"] < 1.0
    assert warning["vertical_m"] == 100.0
    assert warning["minima"] == {"lateral_m": 9260.0, "vertical_m": 300.0, "lookahead_s": 300.0}


def test_the_key_and_figures_do_not_depend_on_the_order_of_the_tracks():
    forward = find_warnings(converging(), [], RULES)
    backward = find_warnings(converging()[::-1], [], RULES)

    assert forward == backward
    blue, red = TrackRef("BLUE", "B1"), TrackRef("RED", "R1")
    assert approach_key(red, blue) == approach_key(blue, red)


def test_a_pairs_figures_depend_on_its_own_two_reports_only():
    """Another node may hold other tracks, reported later: the pair's warning is the same."""
    alone = find_warnings(converging(), [], RULES)
    later = track("GREEN", "G1", lat=10.0, time="2026-12-03T12:00:40Z")
    crowded = find_warnings([*converging(), later], [], RULES)

    assert crowded == alone


def test_of_more_approaches_than_held_at_most_the_closest_are_kept(
    monkeypatch: pytest.MonkeyPatch,
):
    # Degrees of longitude east of 38°E, all flying east: every pair keeps its own distance.
    blue, red = [0.0, 0.01, 0.02, 0.03], [0.0011, 0.0132, 0.0293, 0.0474]
    reports = [track("BLUE", f"B{i}", lon=38 + d) for i, d in enumerate(blue)] + [
        track("RED", f"R{i}", lon=38 + d, alt_m=3100) for i, d in enumerate(red)
    ]
    every = find_warnings(reports, [], RULES)
    assert len(every) == 16
    monkeypatch.setattr(track_warnings, "MAX_APPROACHES", 5)

    kept = find_warnings(reports, [], RULES)

    closest = sorted(every.values(), key=lambda w: w["lateral_m"])[:5]
    assert kept == {w["key"]: w for w in closest}


def test_diverging_tracks_do_not_warn():
    apart = [track("BLUE", "B1", heading_deg=270), track("RED", "R1", lon=38.5, heading_deg=90)]

    assert find_warnings(apart, [], RULES) == {}


def test_tracks_of_one_party_never_warn_against_each_other():
    same = [track("BLUE", "B1"), track("BLUE", "B2", lon=38.5, heading_deg=270)]

    assert find_warnings(same, [], RULES) == {}


def test_tracks_further_apart_in_height_than_the_vertical_minimum_do_not_warn():
    stacked = [track("BLUE", "B1"), track("RED", "R1", lon=38.5, heading_deg=270, alt_m=3301)]

    assert find_warnings(stacked, [], RULES) == {}


def test_a_meeting_beyond_the_lookahead_does_not_warn():
    short = ProximityRules(lookahead_s=60.0, lateral_m=9260.0, vertical_m=300.0)

    assert find_warnings(converging(), [], short) == {}


def test_the_window_starts_at_the_later_report_of_the_pair():
    """R1 reported 100 s after B1, which has flown 20 km further east by then: 25.6 km
    between them, closed at 400 m/s in 64 s."""
    later = track("RED", "R1", lon=38.5, heading_deg=270, time="2026-12-03T12:01:40Z")

    (warning,) = find_warnings([track("BLUE", "B1"), later], [], RULES).values()

    assert warning["cpa_time"].startswith("2026-12-03T12:02:44")


# --- entries into volumes ------------------------------------------------------------------------


def test_a_track_predicted_to_enter_another_partys_volume_warns_with_the_entry_time():
    volumes = volumes_of([notification("RED", "air-operation", AHEAD, "ntf_RED1")])

    (warning,) = find_warnings([track("BLUE", "B1")], volumes, RULES).values()

    assert warning["key"] == entry_key(TrackRef("BLUE", "B1"), "ntf_RED1")
    assert warning["rule"] == "volume"
    assert warning["notification"] == {
        "id": "ntf_RED1",
        "owner": "RED",
        "kind": "air-operation",
        "volume": 0,
    }
    # 38.2° E is 18.3 km east of 38° E at 35° N: 91 s at 200 m/s, seen at the 100 s step.
    assert warning["entry_time"] == "2026-12-03T12:01:40.000Z"
    assert warning["inside"] is False


def test_a_track_inside_a_volume_now_warns_as_inside():
    volumes = volumes_of([notification("RED", "zone", UNDER, "ntf_RED2")])

    (warning,) = find_warnings([track("BLUE", "B1")], volumes, RULES).values()

    assert warning["entry_time"] == "2026-12-03T12:00:00.000Z"
    assert warning["inside"] is True


def test_a_track_in_its_own_partys_volume_does_not_warn_but_in_its_own_protected_site_does():
    own = volumes_of([notification("BLUE", "air-operation", UNDER, "ntf_BLUE1")])
    site = volumes_of([notification("BLUE", "protected-site", UNDER, "ntf_BLUE2")])

    assert find_warnings([track("BLUE", "B1")], own, RULES) == {}
    (warning,) = find_warnings([track("BLUE", "B1")], site, RULES).values()
    assert warning["rule"] == "protected-site"


def test_a_track_above_the_volume_or_heading_away_does_not_warn():
    volumes = volumes_of([notification("RED", "air-operation", AHEAD, "ntf_RED1")])

    assert find_warnings([track("BLUE", "B1", alt_m=7000)], volumes, RULES) == {}
    assert find_warnings([track("BLUE", "B1", heading_deg=270)], volumes, RULES) == {}


def test_a_cleared_record_names_what_the_warning_was_about_without_its_figures():
    (approach,) = track_warnings.find_warnings(converging(), [], RULES).values()

    assert approach.cleared() == {
        "key": approach.key,
        "rule": "approach",
        "a": {"party": "BLUE", "track_id": "B1"},
        "b": {"party": "RED", "track_id": "R1"},
    }


# --- simulate's scenarios ------------------------------------------------------------------------


def test_the_example_scenario_reads_and_its_legs_start_where_the_track_got_to():
    from pathlib import Path

    from openline.cli.simulate import read_scenario

    scenario = read_scenario(Path(__file__).parents[2] / "examples" / "tracks-demo.yaml")

    assert scenario.duration_s == 300.0
    red22 = next(t for t in scenario.tracks if t.track_id == "RED-22")
    turned = red22.legs[1]
    assert (turned.at_s, turned.heading_deg, turned.alt_m) == (60.0, 180.0, 2500.0)
    assert turned.lat == pytest.approx(35.1 + 2400 / 110_950, abs=1e-4)  # 40 m/s north for 60 s
    report = red22.report_at(90.0, T0, 2.0)
    assert report["lat"] == pytest.approx(turned.lat - 1200 / 110_950, abs=1e-4)
    assert report["speed_mps"] == 80.0  # reported at twice the speed at --speed 2
    assert parse_reports([report], party="RED")[0].alt_m == 2500.0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"tracks": [{"track_id": "A", "lat": 95, "lon": 0}]}, "tracks[0].lat: 95 is outside"),
        ({"tracks": [{"track_id": "A", "lat": 0}]}, "tracks[0].lon: missing"),
        ({"tracks": [{"lat": 0, "lon": 0}]}, "tracks[0].track_id: missing"),
        ({"tracks": [{"track_id": "A", "lat": 0, "lon": 0}]}, "duration_s: give it"),
        (
            {"duration_s": 10, "tracks": [{"track_id": "A", "lat": 0, "lon": 0, "legs": [{}]}]},
            "tracks[0].legs[0]: a change is at_s",
        ),
        ({"tracks": []}, "tracks: give 1 to 1000 tracks"),
    ],
)
def test_a_bad_scenario_is_refused_naming_the_track_and_field(document: Any, message: str):
    from openline.cli.simulate import parse_scenario

    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_scenario(document)


def test_a_scenario_holding_a_yaml_alias_is_refused_at_once(tmp_path):
    from openline.cli.simulate import read_scenario
    from tests.support.hostile import ALIAS_BOMB

    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")

    with pytest.raises(InvalidInput, match=re.escape("found the alias *a: Openline reads YAML")):
        read_scenario(path)  # safe_load would expand 9**9 strings first


def test_a_speed_factor_that_would_report_too_fast_is_refused_naming_the_limit():
    from openline.cli.simulate import check_speed, parse_scenario

    scenario = parse_scenario(
        {"duration_s": 10, "tracks": [{"track_id": "A", "lat": 0, "lon": 0, "speed_mps": 250}]}
    )

    with pytest.raises(InvalidInput, match="2500 m/s, over the limit of 2000 m/s; use --speed 8"):
        check_speed(scenario, 10)
