"""API fuzzing (tests/fuzz): schemathesis against a real node, every operation of its OpenAPI
schema, with generated requests, valid and invalid, sent with an administrator's token to an
``openline serve`` process on 127.0.0.1.

Every answer must be: no 5xx; a status, content type and body the schema declares; for every
error, the one JSON error shape; and nothing may fail inside the node (no traceback in its log).
Each operation gets FUZZ_EXAMPLES valid and FUZZ_EXAMPLES invalid cases (docs/reliability.md
has the figures). The name is not OPENLINE_...: a node refuses to start with an OPENLINE_
variable that is not one of its settings.

The operations are walked here, each under hypothesis's ``@given``, rather than through
schemathesis's pytest plugin: its ``from_fixture`` loader does not run on pytest 9. They are
fuzzed in groups (GROUPS), one test file each, so that the test workers share the work.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from openline.domain.notifications import Kind
from openline.domain.strict_json import MAX_DEPTH
from tests.support.processes import RunningNode

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))  # about 2.5 minutes here: reliability.md
TIMEOUT_S = 30.0
# The event stream never ends: each case reads it for STREAM_S, so it gets fewer cases.
EVENTS = "/api/v1/events"
STREAM_S = 0.5
STREAM_EXAMPLES = min(EXAMPLES, 40)
# pytest-timeout's limit, raised with the number of cases (about 100 ms each at worst here): the
# default 120 s would stop a long run midway, inside a case, which hypothesis takes for a flaky
# failure of the node.
TEST_TIMEOUT_S = 300 + EXAMPLES * 4
# While working on one operation: FUZZ_ONLY="POST /api/v1/notifications" fuzzes only it.
ONLY = {label.strip() for label in os.environ.get("FUZZ_ONLY", "").split(",") if label.strip()}


def one_error_shape(_ctx: Any, response: Any, _case: Any) -> bool | None:
    """Every error answers ``{"error": {"code", "message", "field"?}}`` and nothing else."""
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type") == ["application/json"], response.headers
    body = response.json()
    assert isinstance(body, dict), body
    assert list(body) == ["error"], body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "field"}, error
    assert isinstance(error["code"], str), error
    assert isinstance(error["message"], str), error
    assert error["message"].strip(), error
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    one_error_shape,
]
# Not negative_data_rejection: it counts an unknown query parameter as invalid input (the API
# ignores those, as HTTP APIs do) and a dropped Authorization header too (every case here is
# sent with the administrator's token). Invalid cases are still generated, and checked above.


@dataclass
class Tally:
    """What one operation got: cases sent, answers by status, seconds taken."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0


def fuzz(
    operation: Any, mode: GenerationMode, node: RunningNode, session: requests.Session, tally: Tally
) -> None:
    """EXAMPLES generated requests to one operation, valid or invalid as ``mode`` says."""
    stream = operation.path == EVENTS
    examples = STREAM_EXAMPLES if stream else EXAMPLES
    send(operation.as_strategy(generation_mode=mode), examples, node, session, tally, stream=stream)


def fuzz_hostile(
    operation: Any, node: RunningNode, session: requests.Session, tally: Tally
) -> None:
    """HOSTILE_EXAMPLES valid requests to one operation, each with one value of its body or
    query made hostile (``hostile``): nested deep, a huge string, a year out of range."""
    if operation.path == EVENTS:
        return
    cases = st.tuples(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), st.data())
    send(cases.map(lambda drawn: made_hostile(*drawn)), HOSTILE_EXAMPLES, node, session, tally)


def send(
    cases: st.SearchStrategy[Any],
    examples: int,
    node: RunningNode,
    session: requests.Session,
    tally: Tally,
    *,
    stream: bool = False,
) -> None:
    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same cases on every run: CI fails for the code, not the dice
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one_case(case: Any) -> None:
        # Invalid cases may drop or mangle the token: the fuzzing is of what comes after it.
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {node.token}"}
        response = case.call_and_validate(
            session=session, checks=CHECKS, timeout=STREAM_S if stream else TIMEOUT_S
        )
        tally.cases += 1
        tally.statuses[response.status_code] += 1
        # An administrator's token is never refused: every case got past authentication.
        assert response.status_code not in (401, 403), response.text

    started = time.perf_counter()
    try:
        one_case()
    finally:
        tally.seconds += time.perf_counter() - started


# The operations of the schema, in groups of about the same fuzzing time: one test file each.
GROUPS = {
    "messages and journal": ("/api/v1/messages", "/api/v1/journal", "/api/v1/events"),
    "notifications": ("/api/v1/notifications",),
    "conflicts": ("/api/v1/conflicts",),
    "the node and the line": (
        "/api/v1/node",
        "/api/v1/line",
        "/api/v1/tokens",
        "/api/v1/bundles",
        "/api/v1/not-applied",
        "/federation/v1",
    ),
    "the rest": (),  # every other operation: templates, tracks, files, the console's helpers
}


def group_of(path: str) -> str:
    for name, prefixes in GROUPS.items():
        if any(path == p or path.startswith(p + "/") for p in prefixes):
            return name
    return "the rest"


def fuzz_group(
    group: str, node_schema: Any, fuzzed_node: RunningNode, session: requests.Session
) -> None:
    """Every operation of ``group``, valid and invalid cases; then the node must be unharmed."""
    tallies: dict[str, Tally] = {}
    hostile = Tally()  # made_hostile's cases, counted apart: what they add to the run
    failures: dict[str, str] = {}
    for result in node_schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if (ONLY and label not in ONLY) or group_of(operation.path) != group:
            continue
        tally = tallies[label] = Tally()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE, HOSTILE):
            try:
                if mode is HOSTILE:
                    fuzz_hostile(operation, fuzzed_node, session, hostile)
                else:
                    fuzz(operation, mode, fuzzed_node, session, tally)
            except Unsatisfiable:
                # Nothing to make invalid (POST /federation/v1/envelopes declares no input).
                assert mode is GenerationMode.NEGATIVE, label
            except (Exception, FailureGroup) as exc:  # every operation is fuzzed, then reported
                name = "hostile" if mode is HOSTILE else mode.value
                failures[f"{label} ({name})"] = f"{type(exc).__name__}: {exc}"[:4000]
    print(f"\nfuzzing {group}, FUZZ_EXAMPLES={EXAMPLES}:")
    for label, tally in {**tallies, "hostile values, every operation": hostile}.items():
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
        print(f"  {label}: {tally.cases} cases in {tally.seconds:.1f} s ({statuses})")

    assert ONLY or len(tallies) >= 3, f"{group}: only {sorted(tallies)}"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert fuzzed_node.process.poll() is None, "the node stopped"
    assert_nothing_failed_inside(fuzzed_node)


# --- hostile values: what the schema's generator never makes ----------------------------------
# A generated request with one value replaced (issue 23): nested deeper than the JSON reader's
# limit, or just within it; a string of tens of kilobytes to megabytes (past the request size
# limit); a date-time in the years 0001-0999 or 10000. Fewer cases than the two modes above,
# so that a group's fuzzing time grows by about a twentieth (a megabyte's upload is slow).

HOSTILE = object()  # the third mode of fuzz_group
HOSTILE_EXAMPLES = max(10, EXAMPLES // 25)
DEPTHS = (MAX_DEPTH - 1, MAX_DEPTH + 1, 500)  # 500: as deep as json.dumps here writes
HUGE = (70_000, 1_100_000)  # past max_text_bytes; past max_request_bytes
# A request line over about 64 KB is refused by uvicorn's HTTP parser before any route sees it
# (400, which not every operation declares): a query's huge value stays under that.
HUGE_IN_QUERY = 30_000
YEARS = ("0001", "0099", "0999", "1000", "9999", "10000")
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT")


def made_hostile(case: Any, data: st.DataObject) -> Any:
    """``case`` with one value of its JSON body (or, without one, its query) made hostile."""
    on_body = isinstance(case.body, dict | list)
    value = case.body if on_body else dict(case.query or {})
    how = data.draw(st.sampled_from(("deep", "huge", "year")), label="how")
    places = list(_places(value)) or [()]
    if how == "year" and any(_is_date_time(_at(value, p)) for p in places):
        places = [p for p in places if _is_date_time(_at(value, p))]
    place = data.draw(st.sampled_from(places), label="place")
    new: Any
    if how == "deep":
        new = _nested(data.draw(st.sampled_from(DEPTHS), label="depth"))
        new = new if on_body else json.dumps(new)  # a query holds text: the JSON of it
    elif how == "huge":
        new = "x" * (data.draw(st.sampled_from(HUGE), label="length") if on_body else HUGE_IN_QUERY)
    else:
        new = _with_year(_at(value, place), data.draw(st.sampled_from(YEARS), label="year"))
    changed = _replaced(value, place, new)
    if on_body:
        case.body = changed
    else:
        case.query = changed
    return case


def _places(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside ``value`` that is not a list or object."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(item, dict | list) and item:
            yield from _places(item, (*at, key))
        else:
            yield (*at, key)


def _at(value: Any, place: tuple[Any, ...]) -> Any:
    for key in place:
        value = value[key]
    return value


def _replaced(value: Any, place: tuple[Any, ...], new: Any) -> Any:
    if not place:
        return new if isinstance(value, list) or not isinstance(new, str) else {"value": new}
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[place[0]] = _replaced(value[place[0]], place[1:], new)
    return copy


def _nested(depth: int) -> Any:
    nested: Any = 1
    for level in range(depth):
        nested = [nested] if level % 2 else {"a": nested}
    return nested


def _is_date_time(value: Any) -> bool:
    return isinstance(value, str) and bool(DATE_TIME.match(value))


def _with_year(value: Any, year: str) -> str:
    if _is_date_time(value):
        return year + value[4:]
    return f"{year}-01-01T00:00:00Z"


def assert_nothing_failed_inside(node: RunningNode) -> None:
    """The node logged no traceback: nothing failed inside it, even behind a 4xx."""
    log = node.log.read_text(encoding="utf-8", errors="replace")
    first = log.find("Traceback")
    assert first < 0, log[max(0, first - 500) : first + 6000]


# --- notifications the schema alone would almost never make valid -----------------------------
# Generated from the schema, a volume is nearly always refused (its ring not closed, its times
# decades apart), so the conflict engine behind a valid one would go unfuzzed. These are built
# near one another, valid or nearly so, and sent one after the other to the same node.

CENTRE_LAT, CENTRE_LON = 35.0, 36.0
START = datetime(2026, 12, 3, 12, tzinfo=UTC)


def instant(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@st.composite
def footprints(draw: st.DrawFn) -> dict[str, Any]:
    lat = draw(st.floats(CENTRE_LAT - 0.5, CENTRE_LAT + 0.5))
    lon = draw(st.floats(CENTRE_LON - 0.5, CENTRE_LON + 0.5))
    figure = draw(st.sampled_from(["circle", "corridor", "star"]))
    if figure == "circle":
        radius = draw(st.floats(1, 60_000))
        return {"circle": {"lat": lat, "lon": lon, "radius_m": radius}}
    if figure == "corridor":  # a path of a few random steps: it may touch itself, or stand still
        path = [[round(lon, 4), round(lat, 4)]]
        for _ in range(draw(st.integers(0, 6))):
            x, y = path[-1]
            step = draw(st.tuples(st.floats(-0.2, 0.2), st.floats(-0.2, 0.2)))
            path.append([round(x + step[0], 4), round(y + step[1], 4)])
        return {"corridor": {"path": path, "half_width_m": draw(st.floats(0, 120_000))}}
    # A star of n points at random distances around (lon, lat): convex or not, sometimes
    # degenerate; its positions rounded so that some repeat.
    n = draw(st.integers(3, 12))
    ring = []
    for k in range(n):
        reach = draw(st.floats(0.0, 0.3))
        angle = 2 * math.pi * k / n
        ring.append(
            [round(lon + reach * math.cos(angle), 4), round(lat + reach * math.sin(angle), 4)]
        )
    ring.append(ring[0])
    return {"geometry": {"type": "Polygon", "coordinates": [ring]}}


@st.composite
def volumes(draw: st.DrawFn) -> dict[str, Any]:
    lower = draw(st.integers(-500, 10_000))
    start = draw(st.integers(-600, 600))
    return {
        **draw(footprints()),
        "altitude_lower_m": lower,
        "altitude_upper_m": lower + draw(st.integers(0, 5_000)),
        "time_start": instant(start),
        "time_end": instant(start + draw(st.integers(1, 24 * 60))),
    }


@st.composite
def routes(draw: st.DrawFn) -> dict[str, Any]:
    """A movement's timetable near the centre: its steps in space and time random, so that
    some go backwards in time, stand still or run over 500 km."""
    lon, lat, minute = CENTRE_LON, CENTRE_LAT, draw(st.integers(-600, 600))
    waypoints = []
    for _ in range(draw(st.integers(1, 6))):
        waypoints.append({"lon": round(lon, 4), "lat": round(lat, 4), "time": instant(minute)})
        lon += draw(st.sampled_from([0.0, 0.05, -0.1, 0.3, 6.0]))
        lat += draw(st.floats(-0.1, 0.1))
        minute += draw(st.integers(-5, 120))
    return {
        "waypoints": waypoints,
        "half_width_m": draw(st.sampled_from([0, 50, 500, 5_000, 200_000])),
        "time_tolerance_s": draw(st.integers(-1, 3_600)),
        "altitude_lower_m": 0,
        "altitude_upper_m": draw(st.integers(-10, 500)),
    }


notifications = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(list(Kind)).map(str),
            "title": st.text(min_size=1, max_size=40).filter(str.strip),
            "volumes": st.lists(volumes(), min_size=1, max_size=3),
            "share_with": st.sampled_from([[], ["RED"]]),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["movement", "movement", "exercise"]),
            "title": st.just("Convoy"),
            "route": routes(),
            "share_with": st.sampled_from([[], ["RED"]]),
        }
    ),
)


def checked(response: requests.Response, *expected: int) -> dict[str, Any]:
    assert response.status_code in expected, f"{response.status_code} {response.text[:2000]}"
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        assert list(body) == ["error"], body
        assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "field"}
    return body
