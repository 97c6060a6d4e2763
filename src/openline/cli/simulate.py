"""``openline simulate``: replay a scenario of tracks into a running node, for demonstrations.

A scenario (JSON or YAML, docs/proximity.md#simulate) lists tracks, each with a start position,
speed, heading and altitude, optional legs that change them at given times, and optionally the
party it belongs to. The command reports the tracks of the node's own party (and those that
name no party) through ``POST /api/v1/tracks`` every ``report_every_s`` seconds of scenario
time, and stops at the scenario's end. So one scenario file can drive both nodes of a demo:
``openline simulate --node blue demo.yaml`` and ``--node red demo.yaml`` side by side.

At ``--speed F`` the scenario runs F times faster than the clock; the node lives in real time,
so the speeds reported are F times the scenario's, and its predictions match what it will see.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from openline.cli.common import node_option, reported_errors
from openline.domain.errors import InvalidInput
from openline.domain.timeutil import format_utc
from openline.domain.tracks import KINDS, MAX_REPORTS, MAX_SPEED_MPS
from openline.interop.yaml_text import load_yaml

if TYPE_CHECKING:
    from openline.cli.client import NodeClient

MAX_DURATION_S = 86_400.0
_TRACK_KEYS = {"track_id", "party", "kind", "lat", "lon", "alt_m", "speed_mps", "heading_deg"}
_TRACK_KEYS |= {"start_s", "end_s", "legs"}
_LEG_KEYS = {"at_s", "speed_mps", "heading_deg", "alt_m"}


@dataclass(frozen=True)
class Leg:
    """From ``at_s`` (scenario seconds) on: where the track is and how it moves."""

    at_s: float
    lat: float
    lon: float
    alt_m: float
    speed_mps: float
    heading_deg: float


@dataclass(frozen=True)
class SimulatedTrack:
    track_id: str
    party: str | None
    kind: str
    start_s: float
    end_s: float
    legs: tuple[Leg, ...]  # the first at start_s; the rest where speed, heading or height change

    def report_at(self, at_s: float, when: datetime, speed_factor: float) -> dict[str, Any]:
        """The track report at scenario time ``at_s``, stamped ``when`` (wall clock)."""
        leg = next(leg for leg in reversed(self.legs) if leg.at_s <= at_s)
        lat, lon, heading = _advance(leg, at_s)
        return {
            "track_id": self.track_id,
            "time": format_utc(when),
            "lat": round(lat, 7),
            "lon": round(lon, 7),
            "alt_m": leg.alt_m,
            "speed_mps": leg.speed_mps * speed_factor,
            "heading_deg": round(heading, 3),
            "kind": self.kind,
        }


def _advance(leg: Leg, at_s: float) -> tuple[float, float, float]:
    """Where a leg has taken its track at ``at_s``, along its geodesic: latitude, longitude and
    the heading there."""
    from openline.geo.geodesy import forward

    lon, lat, heading = forward(
        leg.lon, leg.lat, leg.heading_deg, leg.speed_mps * (at_s - leg.at_s)
    )
    return float(lat[0]), float(lon[0]), float(heading[0]) % 360.0


@dataclass(frozen=True)
class Scenario:
    duration_s: float
    report_every_s: float
    tracks: tuple[SimulatedTrack, ...]


def read_scenario(path: Path) -> Scenario:
    """The scenario in a JSON or YAML file, checked; errors name the track and field."""
    import yaml  # for its error only: the text is read by load_yaml, Openline's one YAML reader

    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path} cannot be read as a scenario: {exc}") from None
    return parse_scenario(document)


def parse_scenario(document: Any) -> Scenario:
    if not isinstance(document, dict) or not isinstance(document.get("tracks"), list):
        raise InvalidInput("a scenario is an object with a list of tracks", field="tracks")
    unknown = sorted(set(document) - {"duration_s", "report_every_s", "tracks"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: not a member of a scenario", field=str(unknown[0]))
    every = _number(document, "report_every_s", "report_every_s", 0.1, 3600.0, default=2.0)
    if not 1 <= len(document["tracks"]) <= MAX_REPORTS:
        raise InvalidInput(f"tracks: give 1 to {MAX_REPORTS} tracks", field="tracks")
    tracks = [_track(item, f"tracks[{i}]") for i, item in enumerate(document["tracks"])]
    last = max(t.end_s for t in tracks)
    duration = (
        _number(document, "duration_s", "duration_s", 0.0, MAX_DURATION_S)
        if "duration_s" in document
        else last
    )
    if math.isinf(duration):
        raise InvalidInput("duration_s: give it, or an end_s for every track", field="duration_s")
    return Scenario(
        duration, every, tuple(replace(t, end_s=min(t.end_s, duration)) for t in tracks)
    )


def _track(item: Any, where: str) -> SimulatedTrack:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: a track is an object", field=where)
    unknown = sorted(set(item) - _TRACK_KEYS)
    if unknown:
        raise InvalidInput(f"{where}.{unknown[0]}: not a member of a track", field=where)
    track_id, kind, party = item.get("track_id"), item.get("kind", "air"), item.get("party")
    if not isinstance(track_id, str) or not track_id:
        raise InvalidInput(f"{where}.track_id: missing", field=f"{where}.track_id")
    if kind not in KINDS:
        raise InvalidInput(f"{where}.kind: {kind!r} is not one of {', '.join(KINDS)}", field=where)
    if party is not None and not isinstance(party, str):
        raise InvalidInput(f"{where}.party: not a party code", field=f"{where}.party")
    start = _number(item, "start_s", where, 0.0, MAX_DURATION_S, default=0.0)
    end = _number(item, "end_s", where, start, MAX_DURATION_S) if "end_s" in item else math.inf
    first = Leg(
        start,
        _number(item, "lat", where, -90.0, 90.0),
        _number(item, "lon", where, -180.0, 180.0),
        _number(item, "alt_m", where, -500.0, 100_000.0, default=0.0),
        _number(item, "speed_mps", where, 0.0, MAX_SPEED_MPS, default=0.0),
        _number(item, "heading_deg", where, 0.0, 360.0, default=0.0),
    )
    legs = [first]
    changes = item.get("legs", [])
    if not isinstance(changes, list):
        raise InvalidInput(f"{where}.legs: a list of changes", field=f"{where}.legs")
    for index, change in enumerate(changes):
        legs.append(_leg(legs[-1], change, f"{where}.legs[{index}]"))
    return SimulatedTrack(track_id, party, kind, start, end, tuple(legs))


def _leg(before: Leg, change: Any, where: str) -> Leg:
    """The leg that starts at ``change['at_s']``, where the one before has taken the track."""
    if not isinstance(change, dict) or set(change) - _LEG_KEYS or "at_s" not in change:
        raise InvalidInput(
            f"{where}: a change is at_s with any of speed_mps, heading_deg, alt_m", field=where
        )
    at = _number(change, "at_s", where, before.at_s, MAX_DURATION_S)
    lat, lon, heading = _advance(before, at)
    return Leg(
        at,
        lat,
        lon,
        _number(change, "alt_m", where, -500.0, 100_000.0, default=before.alt_m),
        _number(change, "speed_mps", where, 0.0, MAX_SPEED_MPS, default=before.speed_mps),
        _number(change, "heading_deg", where, 0.0, 360.0, default=heading),
    )


def _number(
    item: dict[str, Any],
    name: str,
    where: str,
    low: float,
    high: float,
    *,
    default: float | None = None,
) -> float:
    place = name if where == name else f"{where}.{name}"
    value = item.get(name, default)
    if value is None:
        raise InvalidInput(f"{place}: missing", field=place)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidInput(f"{place}: {value!r:.40} is not a number", field=place)
    if not low <= value <= high:
        raise InvalidInput(f"{place}: {value:g} is outside {low:g} to {high:g}", field=place)
    return float(value)


def check_speed(scenario: Scenario, factor: float) -> None:
    """Refuse a factor that would report a track faster than a node accepts."""
    for track in scenario.tracks:
        fastest = max(leg.speed_mps for leg in track.legs)
        if fastest * factor > MAX_SPEED_MPS:
            raise InvalidInput(
                f"--speed {factor:g}: track {track.track_id} would be reported at "
                f"{fastest * factor:g} m/s, over the limit of {MAX_SPEED_MPS:g} m/s; "
                f"use --speed {MAX_SPEED_MPS / fastest:g} or less"
            )


@click.command("simulate")
@node_option
@click.argument(
    "scenario_file", metavar="SCENARIO", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0.01, max=1000),
    default=1.0,
    show_default=True,
    help="How many times faster than real time the scenario runs.",
)
def simulate(directory: Path, scenario_file: Path, speed: float) -> None:
    """Replay the tracks of SCENARIO (JSON or YAML) into the running node at --node, those of
    the node's party and those naming none; stops at the scenario's end."""
    from openline.node.settings import load_settings

    with reported_errors():
        scenario = read_scenario(scenario_file)
        check_speed(scenario, speed)
        party = load_settings(directory, os.environ).party
    ours = [t for t in scenario.tracks if t.party in (None, party)]
    if not ours:
        raise click.ClickException(f"the scenario has no track of {party} (nor any without party)")
    click.echo(
        f"simulating {len(ours)} track(s) of {party} for {scenario.duration_s:g} s of scenario "
        f"time at {speed:g}x",
        err=True,
    )
    from openline.cli.client import NodeClient

    with reported_errors():
        client = NodeClient.for_node(directory)
        try:
            _replay(client, scenario, ours, speed)
        finally:
            client.close()


def _replay(
    client: NodeClient, scenario: Scenario, ours: list[SimulatedTrack], speed: float
) -> None:
    """Post the reports of every scenario step, each step at its time on the wall clock."""
    started = time.monotonic()
    steps = math.floor(scenario.duration_s / scenario.report_every_s + 1e-9)
    for step in range(steps + 1):
        at_s = step * scenario.report_every_s
        wait = started + at_s / speed - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        now = datetime.now(UTC)
        reports = [t.report_at(at_s, now, speed) for t in ours if t.start_s <= at_s <= t.end_s]
        if reports:
            done = client.request("POST", "/api/v1/tracks", json=reports)
            click.echo(f"t+{at_s:g} s: {done['accepted']} report(s)")
