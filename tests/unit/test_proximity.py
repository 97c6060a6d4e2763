"""Closest point of approach (openline.geo.proximity) against an independent computation.

The reference moves each track along its geodesic (pyproj's direct problem at the report's
heading, the distance its speed covers) and measures the geodesic distance between the two
every 10 ms of the look-ahead window; the closed form must find the same least distance,
within the error budget of docs/proximity.md, and warn exactly when the sampled trajectories
come within the minimum. The indexed screening must return what computing every pair returns.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from openline.geo.proximity import Approaches, Tracks, screen, screen_all_pairs

GEOD = Geod(ellps="WGS84")
LOOKAHEAD_S = 300.0
SAMPLE_S = 0.01


def tolerance(distance_m: float) -> float:
    """The error budget: half a metre, and 0.1 mm per metre apart (docs/proximity.md)."""
    return 0.5 + 1e-4 * distance_m


def sampled(lat: tuple[float, float], lon: tuple[float, float], speed: tuple[float, float],
            heading: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The two tracks moved along their geodesics: the sample times and the distances."""
    t = np.arange(0.0, LOOKAHEAD_S + SAMPLE_S / 2, SAMPLE_S)
    ends = [
        GEOD.fwd(
            np.full_like(t, lon[k]),
            np.full_like(t, lat[k]),
            np.full_like(t, heading[k]),
            speed[k] * t,
        )
        for k in (0, 1)
    ]
    _, _, distance = GEOD.inv(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
    return t, np.asarray(distance)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Tracks, tuple[float, ...]]:
    lat0 = draw(st.floats(-89.0, 89.0))
    lon0 = draw(st.floats(-180.0, 180.0))
    lon1, lat1, _ = GEOD.fwd(lon0, lat0, draw(st.floats(0, 360)), draw(st.floats(0, 40_000)))
    speed = (draw(st.floats(0, 300)), draw(st.floats(0, 300)))
    heading = (draw(st.floats(0, 360)), draw(st.floats(0, 360)))
    tracks = Tracks.of(
        party=[0, 1], time_s=[0.0, 0.0], lat=[lat0, float(lat1)], lon=[lon0, float(lon1)],
        alt_m=[1000.0, 1000.0], speed_mps=speed, heading_deg=heading,
    )  # fmt: skip
    return tracks, (lat0, float(lat1), lon0, float(lon1), *speed, *heading)


@settings(max_examples=120, deadline=None)
@given(pairs(), st.floats(100, 30_000))
def test_the_closest_approach_agrees_with_sampled_geodesic_trajectories(
    pair: tuple[Tracks, tuple[float, ...]], lateral_m: float
) -> None:
    tracks, (lat0, lat1, lon0, lon1, s0, s1, h0, h1) = pair
    times, distance = sampled((lat0, lat1), (lon0, lon1), (s0, s1), (h0, h1))
    least = float(distance.min())
    every = screen_all_pairs(tracks, 0.0, LOOKAHEAD_S, 1e9, 10.0)
    assert len(every.a) == 1
    # Sampling misses the true least distance by at most half a step's change of distance.
    slack = np.abs(np.diff(distance)).max()
    budget = tolerance(least) + slack / 2
    assert every.lateral_m[0] == pytest.approx(least, abs=budget)
    # The predicted time: the sampled trajectories are as close then as at their closest.
    at_cpa = distance[round(every.t_cpa_s[0] / SAMPLE_S)]
    assert at_cpa <= least + budget + slack
    # A warning exactly when the sampled trajectories come within the minimum.
    warned = len(screen(tracks, 0.0, LOOKAHEAD_S, lateral_m, 10.0).a) == 1
    if abs(least - lateral_m) > budget:
        assert warned == (least <= lateral_m)
    assert times[-1] == pytest.approx(LOOKAHEAD_S)


def test_head_on_tracks_meet_halfway_in_time() -> None:
    """Two aircraft 60 km apart on one meridian, flying at each other at 100 m/s: they meet
    after 300 s, at the midpoint."""
    lon, lat, _ = GEOD.fwd(36.0, 35.0, 0.0, 60_000)
    tracks = Tracks.of(
        party=[0, 1], time_s=[0, 0], lat=[35.0, lat], lon=[36.0, lon], alt_m=[3000, 3100],
        speed_mps=[100, 100], heading_deg=[0, 180],
    )  # fmt: skip
    found = screen(tracks, 0.0, 400.0, 500.0, 300.0)
    assert (found.a.tolist(), found.b.tolist()) == ([0], [1])
    assert found.t_cpa_s[0] == pytest.approx(300.0, abs=0.5)
    assert found.lateral_m[0] == pytest.approx(0.0, abs=50.0)
    assert found.vertical_m[0] == pytest.approx(100.0)
    assert len(screen(tracks, 0.0, 250.0, 500.0, 300.0).a) == 0  # not within the window
    assert len(screen(tracks, 0.0, 400.0, 500.0, 50.0).a) == 0  # vertically separated


def test_reports_are_dead_reckoned_to_now_and_parties_never_warn_about_their_own() -> None:
    """A report 60 s old has moved on 6 km; a pair of the same party is never a warning."""
    tracks = Tracks.of(
        party=[0, 1, 1], time_s=[-60.0, 0.0, 0.0], lat=[35.0, 35.0, 35.0],
        lon=[36.0, 36.0, 36.0], alt_m=[0, 0, 0], speed_mps=[100, 0, 0], heading_deg=[90, 0, 0],
    )  # fmt: skip
    found = screen(tracks, 0.0, 60.0, 100.0, 100.0)
    assert len(found.a) == 0  # 6 km east already, and going away
    found = screen(tracks, 0.0, 60.0, 7_000.0, 100.0)
    assert (found.a.tolist(), found.b.tolist()) == ([0, 0], [1, 2])
    assert found.t_cpa_s.tolist() == [0.0, 0.0]
    assert found.lateral_m[0] == pytest.approx(6_000.0, rel=1e-3)


# --- the index against every pair -----------------------------------------------------------

places = st.sampled_from(
    [(36.0, 35.0), (179.95, -17.0), (-179.9, 65.0), (0.0, 89.95), (120.0, -89.9), (0.0, 0.0)]
)


@st.composite
def track_sets(draw: st.DrawFn) -> Tracks:
    lon0, lat0 = draw(places)
    n = draw(st.integers(2, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    spread = draw(st.sampled_from([2_000.0, 30_000.0, 150_000.0]))
    lon, lat, _ = GEOD.fwd(
        np.full(n, lon0), np.full(n, lat0), rng.uniform(0, 360, n), rng.uniform(0, spread, n)
    )
    fast = rng.random(n) < 0.3
    return Tracks.of(
        party=rng.integers(0, 3, n), time_s=rng.uniform(-30, 0, n), lat=lat, lon=lon,
        alt_m=rng.uniform(0, 2_000, n), heading_deg=rng.uniform(0, 360, n),
        speed_mps=np.where(fast, rng.uniform(100, 600, n), rng.uniform(0, 30, n)) * (
            rng.random(n) > 0.1),
    )  # fmt: skip


def same(x: Approaches, y: Approaches) -> None:
    for name in Approaches._fields:
        np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)


@settings(max_examples=150, deadline=None)
@given(track_sets(), st.floats(0, 20_000), st.floats(0, 1_000), st.floats(0, 600))
def test_the_index_finds_exactly_what_every_pair_finds(
    tracks: Tracks, lateral_m: float, vertical_m: float, lookahead_s: float
) -> None:
    same(
        screen(tracks, 0.0, lookahead_s, lateral_m, vertical_m),
        screen_all_pairs(tracks, 0.0, lookahead_s, lateral_m, vertical_m),
    )


def test_no_tracks_and_one_track_give_no_pairs() -> None:
    for n in (0, 1):
        tracks = Tracks.of(
            party=[0] * n, time_s=[0.0] * n, lat=[1.0] * n, lon=[1.0] * n, alt_m=[0.0] * n,
            speed_mps=[1.0] * n, heading_deg=[0.0] * n,
        )  # fmt: skip
        assert len(screen(tracks, 0.0, 300.0, 1_000.0, 300.0).a) == 0
        assert len(screen_all_pairs(tracks, 0.0, 300.0, 1_000.0, 300.0).a) == 0


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one value per track"):
        Tracks.of(party=[0, 1], time_s=[0.0], lat=[1.0, 2.0], lon=[1.0, 2.0], alt_m=[0.0, 0.0],
                  speed_mps=[1.0, 1.0], heading_deg=[0.0, 0.0])  # fmt: skip
