"""Notifications through the API: stored, shared over the line, checked for conflicts.

BLUE's API runs in this process; the test plays RED, holding RED's key, and posts RED's
notifications to BLUE's federation endpoint as RED's node would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.domain.conflicts import conflict_key
from openline.domain.envelopes import Envelope, first_prev, seal
from openline.domain.errors import Unavailable
from openline.keys.signing import SigningKey
from openline.node.assembly import Node
from openline.services import notifications as service
from openline.services.setup import NewNode
from openline.store import line as line_store
from openline.store.writer import UnitOfWork
from tests.support.boxes import box_to
from tests.support.nodes import FakeClock, InProcess, link, silent_card
from tests.support.waiting import wait_for

T0, T1 = "2026-12-03T12:00:00.000Z", "2026-12-03T14:00:00.000Z"


def square(lon: float, lat: float, size: float = 0.1, **changes: Any) -> dict[str, Any]:
    """A volume: a square of ``size`` degrees with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    volume = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "altitude_lower_m": 0,
        "altitude_upper_m": 3000,
        "time_start": T0,
        "time_end": T1,
    }
    volume.update(changes)
    return volume


def corridor(path: list[list[float]], half_width_m: float = 500.0) -> dict[str, Any]:
    volume = square(36, 35)
    del volume["geometry"]
    return {"corridor": {"path": path, "half_width_m": half_width_m}, **volume}


def route(*times: str, **changes: Any) -> dict[str, Any]:
    """A movement along the parallel 35 N from 36 E, a tenth of a degree a leg, at these times."""
    waypoints = [{"lon": 36 + k / 10, "lat": 35, "time": t} for k, t in enumerate(times)]
    return {
        "kind": "movement",
        "title": "Convoy",
        "route": {
            "waypoints": waypoints,
            "half_width_m": 200,
            "altitude_lower_m": 0,
            "altitude_upper_m": 10,
            **changes,
        },
    }


def body(kind: str = "air-operation", *volumes: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": f"{kind} test",
        "volumes": list(volumes) or [square(36, 35)],
        **more,
    }


@dataclass
class Red:
    """The test, speaking for RED over BLUE's federation endpoint."""

    key: SigningKey
    client: TestClient
    blue: SigningKey
    sealed: list[Envelope] = field(default_factory=list)

    def send(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        n = len(self.sealed) + 1
        envelope = seal(
            envelope_id=f"env_red_{n}",
            sender="RED",
            to="BLUE",
            link_seq=n,
            prev=self.sealed[-1].hash if self.sealed else first_prev(),
            sent_at="2026-12-01T12:00:00.000Z",
            kind=kind,
            body=record,
            sign=self.key.sign,
            box=box_to(self.key, self.blue),
        )
        response = self.client.post(
            "/federation/v1/envelopes", json={"envelopes": [envelope.to_json()]}
        )
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        if "receipt" in result:
            self.sealed.append(envelope)
        return result


def red_record(
    ident: str = "ntf_RED1",
    version: int = 1,
    status: str = "planned",
    volumes: list[dict[str, Any]] | None = None,
    kind: str = "ground-operation",
) -> dict[str, Any]:
    return {
        "id": ident,
        "owner": "RED",
        "kind": kind,
        "title": "Колонна",
        "status": status,
        "volumes": volumes or [square(36.05, 35.05)],
        "share_with": ["BLUE"],
        "created_at": "2026-12-01T10:00:00.000Z",
        "updated_at": f"2026-12-01T10:0{version}:00.000Z",
        "version": version,
    }


@pytest.fixture
def blue(
    node_dir: NewNode, clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[tuple[InProcess, Red]]:
    """BLUE in process, in English or in the language the test gives (indirect parameter)."""
    key = SigningKey.generate()
    link(node_dir.directory, silent_card(key=key))
    lang = getattr(request, "param", "en")
    node = Node.open(node_dir.directory, environ={"OPENLINE_LANG": lang}, clock=clock)
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {node_dir.token}"
        wait_for(lambda: node.read(lambda conn: line_store.has_waiting(conn, "RED", "line_check")))
        yield InProcess(client, node, node_dir.token, clock), Red(key, client, node.key)


def kinds_after(api: InProcess, seq: int) -> list[str]:
    entries = api.client.get("/api/v1/journal", params={"after": seq, "limit": 5000}).json()
    return [e["kind"] for e in entries["entries"]]


def head(api: InProcess) -> int:
    return int(api.client.get("/api/v1/journal").json()["head"]["seq"])


def test_a_notification_is_stored_listed_and_journaled(blue: tuple[InProcess, Red]):
    api, _red = blue
    before = head(api)

    response = api.client.post("/api/v1/notifications", json=body())

    assert response.status_code == 201, response.text
    made = response.json()
    assert made["owner"] == "BLUE"
    assert made["status"] == "planned"
    assert made["version"] == 1
    assert made["conflicts"] == []
    assert response.headers["Location"] == f"/api/v1/notifications/{made['id']}"
    assert api.client.get(response.headers["Location"]).json()["title"] == "air-operation test"
    listed = api.client.get("/api/v1/notifications").json()["notifications"]
    assert [n["id"] for n in listed] == [made["id"]]
    assert kinds_after(api, before) == ["notification.created"]


@pytest.mark.parametrize(
    ("volume", "where"),
    [
        (square(36, 35, time_end="2026-12-03T11:00:00Z"), "volumes[0].time_end"),
        (square(36, 35, altitude_lower_m=5000), "volumes[0].altitude_upper_m"),
        (
            {
                **square(36, 35),
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[36, 35], [37, 36], [36, 36], [37, 35], [36, 35]]],
                },
            },
            "volumes[0].geometry.coordinates[0]",
        ),
        (
            corridor([[36.0, 35.0], [36.0, 35.0]]),
            "volumes[0].corridor.path",
        ),
        (corridor([[36.0, 35.0], [36.2, 35.1]], 0), "volumes[0].corridor.half_width_m"),
        (corridor([[36.0, 35.0], [36.2, 35.1]], 100_001), "volumes[0].corridor.half_width_m"),
        (
            corridor([[36.0, 35.0], [36.2, 35.0], [36.2, 35.2], [36.1, 34.9]]),
            "volumes[0].corridor.path",
        ),
    ],
)
def test_a_bad_volume_is_refused_naming_it_and_nothing_is_kept(
    blue: tuple[InProcess, Red], volume: dict[str, Any], where: str
):
    api, _red = blue
    before = head(api)

    response = api.client.post("/api/v1/notifications", json=body("air-operation", volume))

    assert response.status_code == 422
    assert response.json()["error"]["field"] == where
    assert api.client.get("/api/v1/notifications").json()["notifications"] == []
    assert head(api) == before


def test_a_movement_given_as_a_route_is_stored_as_its_legs_with_the_route(
    blue: tuple[InProcess, Red],
):
    api, _red = blue
    times = ("2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z", "2026-12-03T14:00:00Z")

    response = api.client.post("/api/v1/notifications", json=route(*times))

    assert response.status_code == 201, response.text
    made = response.json()
    assert [v["corridor"]["path"] for v in made["volumes"]] == [
        [[36.0, 35.0], [36.1, 35.0]],
        [[36.1, 35.0], [36.2, 35.0]],
    ]
    assert [v["time_start"] for v in made["volumes"]] == [T0, "2026-12-03T13:00:00.000Z"]
    assert made["route"]["waypoints"][2]["time"] == T1
    assert api.client.get(f"/api/v1/notifications/{made['id']}").json()["route"] == made["route"]


@pytest.mark.parametrize(
    ("sent", "where"),
    [
        (route("2026-12-03T12:00:00Z", "2026-12-03T11:59:00Z"), "route.waypoints[1].time"),
        (route("2026-12-03T12:00:00Z"), "route.waypoints"),
        (
            route("2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z", half_width_m=0),
            "route.half_width_m",
        ),
        ({**route(T0, T1), "kind": "exercise"}, "route"),
        ({"kind": "movement", "title": "Convoy"}, "volumes"),
    ],
)
def test_a_bad_route_is_refused_naming_its_place_and_nothing_is_kept(
    blue: tuple[InProcess, Red], sent: dict[str, Any], where: str
):
    api, _red = blue

    response = api.client.post("/api/v1/notifications", json=sent)

    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["field"] == where
    assert api.client.get("/api/v1/notifications").json()["notifications"] == []


def test_sharing_with_a_party_with_no_line_is_refused(blue: tuple[InProcess, Red]):
    api, _red = blue

    response = api.client.post("/api/v1/notifications", json=body(share_with=["GREEN"]))

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "share_with[0]"
    assert api.client.get("/api/v1/notifications").json()["notifications"] == []


def test_a_shared_notification_is_sealed_for_the_peer(blue: tuple[InProcess, Red]):
    api, _red = blue

    api.client.post("/api/v1/notifications", json=body(share_with=["RED"]))

    assert api.node.read(lambda conn: line_store.has_waiting(conn, "RED", "notification"))


def test_an_own_operation_over_an_own_protected_site_conflicts_until_cancelled(
    blue: tuple[InProcess, Red],
):
    api, _red = blue
    site = api.client.post(
        "/api/v1/notifications", json=body("protected-site", square(36.05, 35.05, 0.01))
    )
    before = head(api)

    operation = api.client.post("/api/v1/notifications", json=body("air-operation")).json()

    (conflict,) = operation["conflicts"]
    assert conflict["rule"] == "protected-site"
    assert conflict["key"] == conflict_key(operation["id"], site.json()["id"])
    assert conflict["distance_m"] == 0
    assert conflict["time_window"] == {"start": T0, "end": T1}
    assert conflict["altitude_band"] == {"lower_m": 0, "upper_m": 3000}
    assert api.client.get("/api/v1/conflicts").json()["conflicts"] == [conflict]
    assert kinds_after(api, before) == ["notification.created", "conflict.opened"]

    path = f"/api/v1/notifications/{operation['id']}/status"
    cancelled = api.client.post(path, json={"status": "cancelled"}).json()

    assert cancelled["status"] == "cancelled"
    assert cancelled["conflicts"] == []
    assert api.client.get("/api/v1/conflicts").json()["conflicts"] == []
    (cleared,) = api.client.get("/api/v1/conflicts", params={"state": "cleared"}).json()[
        "conflicts"
    ]
    assert cleared["key"] == conflict["key"]
    assert cleared["cleared_at"] is not None


def test_a_peers_notification_is_stored_as_its_and_conflicts_with_ours(blue: tuple[InProcess, Red]):
    api, red = blue
    ours = api.client.post("/api/v1/notifications", json=body(share_with=["RED"])).json()

    result = red.send("notification", red_record())

    assert "receipt" in result, result
    theirs = api.client.get("/api/v1/notifications/ntf_RED1").json()
    assert theirs["owner"] == "RED"
    (conflict,) = api.client.get("/api/v1/conflicts").json()["conflicts"]
    assert conflict["key"] == conflict_key(ours["id"], "ntf_RED1")
    assert conflict["rule"] == "separation"
    assert {conflict["a"]["owner"], conflict["b"]["owner"]} == {"BLUE", "RED"}
    assert conflict["a"]["notification"] == min(ours["id"], "ntf_RED1")


def journaled_since(api: InProcess, seq: int, kind: str) -> list[dict[str, Any]]:
    entries = api.client.get("/api/v1/journal", params={"after": seq, "kind": kind}).json()
    return [e["data"] for e in entries["entries"]]


def test_a_conflict_the_peer_opened_and_cleared_unseen_here_is_journaled_as_reported(
    blue: tuple[InProcess, Red],
):
    api, red = blue
    ours = api.client.post("/api/v1/notifications", json=body(share_with=["RED"])).json()
    red.send("notification", red_record("ntf_RED1", volumes=[square(40, 30)]))  # far: none
    red.send("notification", red_record("ntf_RED2"))  # over ours: opened here, and told RED
    (held,) = api.client.get("/api/v1/conflicts").json()["conflicts"]
    assert api.node.read(lambda conn: line_store.has_waiting(conn, "RED", "conflict_report"))
    # What RED saw of ntf_RED1 against our notification while a revision crossed: the same
    # conflict as ntf_RED2's, under ntf_RED1's key.
    seen = {k: held[k] for k in ("rule", "a", "b", "minima", "distance_m", "time_window")}
    seen |= {"altitude_band": held["altitude_band"], "clashes": held["clashes"]}
    record = json.loads(json.dumps(seen).replace("ntf_RED2", "ntf_RED1"))
    key = conflict_key(ours["id"], "ntf_RED1")
    at = "2026-12-01T12:00:00.000Z"
    before = head(api)

    opening = {"event": "opened", "at": at, "conflict": {"key": key, **record}}
    assert "receipt" in red.send("conflict_report", opening)

    (opened,) = journaled_since(api, before, "conflict.opened")
    assert opened["key"] == key
    assert (opened["reported_by"], opened["at"]) == ("RED", at)
    assert [c["key"] for c in api.client.get("/api/v1/conflicts").json()["conflicts"]] == [
        held["key"]
    ]  # not open here: its notifications do not clash on this node
    reported = api.client.get(f"/api/v1/conflicts/{key}").json()
    assert (reported["state"], reported["opened_at"], reported["cleared_at"]) == (
        "cleared",
        at,
        None,
    )

    cleared = {
        "event": "cleared",
        "at": "2026-12-01T12:00:05.000Z",
        "conflict": {"key": key, **record},
    }
    cause = {"because": "ntf_RED1", "status": "planned", "version": 2}
    for report in (
        {**cleared, **cause},
        {**cleared, **cause},  # again: nothing more
        {**cleared, **cause, "because": "ntf_RED2", "conflict": held},  # open here: it stands
    ):
        assert "receipt" in red.send("conflict_report", report)

    (journaled,) = journaled_since(api, before, "conflict.cleared")
    assert journaled == {"key": key, **cause, "reported_by": "RED", "at": cleared["at"]}
    assert api.client.get(f"/api/v1/conflicts/{key}").json()["cleared_at"] == cleared["at"]
    assert len(journaled_since(api, before, "conflict.opened")) == 1
    assert [c["key"] for c in api.client.get("/api/v1/conflicts").json()["conflicts"]] == [
        held["key"]
    ]


def test_a_peers_update_moves_the_conflict_and_its_cancellation_clears_it(
    blue: tuple[InProcess, Red],
):
    api, red = blue
    api.client.post("/api/v1/notifications", json=body(share_with=["RED"]))
    red.send("notification", red_record())
    before = head(api)

    far = [square(40, 30)]
    assert "receipt" in red.send("notification_update", red_record(version=2, volumes=far))
    assert api.client.get("/api/v1/conflicts").json()["conflicts"] == []

    assert "receipt" in red.send("notification_update", red_record(version=3))
    (reopened,) = api.client.get("/api/v1/conflicts").json()["conflicts"]

    assert "receipt" in red.send("notification_update", red_record(version=4, status="cancelled"))
    assert api.client.get("/api/v1/conflicts").json()["conflicts"] == []
    assert kinds_after(api, before).count("conflict.cleared") == 2
    assert kinds_after(api, before).count("conflict.opened") == 1
    assert reopened["state"] == "open"


def test_a_stale_update_from_the_peer_is_not_applied_and_changes_nothing(
    blue: tuple[InProcess, Red],
):
    api, red = blue
    red.send("notification", red_record(version=2))

    stale = red.send("notification_update", red_record(version=2, status="cancelled"))

    assert "version 2 is not newer than the version 2 held" in stale["receipt"]["not_applied"]
    held = api.client.get("/api/v1/notifications/ntf_RED1").json()
    assert (held["version"], held["status"]) == (2, "planned")


def test_a_peers_notification_not_shared_with_us_is_not_applied(blue: tuple[InProcess, Red]):
    api, red = blue
    record = {**red_record(), "share_with": ["GREEN"]}

    result = red.send("notification", record)

    assert "ntf_RED1 is not shared with BLUE" in result["receipt"]["not_applied"]
    assert api.client.get("/api/v1/notifications").json()["notifications"] == []


def test_only_the_owner_changes_a_notification(blue: tuple[InProcess, Red]):
    api, red = blue
    red.send("notification", red_record())

    response = api.client.post(
        "/api/v1/notifications/ntf_RED1/status", json={"status": "cancelled"}
    )

    assert response.status_code == 409
    assert "belongs to RED" in response.json()["error"]["message"]


def test_revising_moves_the_volumes_and_keeps_the_sharing(blue: tuple[InProcess, Red]):
    api, red = blue
    red.send("notification", red_record())
    ours = api.client.post("/api/v1/notifications", json=body(share_with=["RED"])).json()
    assert len(ours["conflicts"]) == 1

    moved = api.client.put(
        f"/api/v1/notifications/{ours['id']}",
        json=body("air-operation", square(40, 30), share_with=["RED"]),
    ).json()

    assert moved["version"] == 2
    assert moved["conflicts"] == []
    unshared = api.client.put(f"/api/v1/notifications/{ours['id']}", json=body())
    assert unshared.status_code == 422
    assert unshared.json()["error"]["field"] == "share_with"


def test_the_lifecycle_is_enforced(blue: tuple[InProcess, Red]):
    api, _red = blue
    made = api.client.post("/api/v1/notifications", json=body()).json()
    path = f"/api/v1/notifications/{made['id']}/status"

    assert api.client.post(path, json={"status": "active"}).json()["status"] == "active"
    assert api.client.post(path, json={"status": "completed"}).json()["status"] == "completed"
    again = api.client.post(path, json={"status": "active"})

    assert again.status_code == 409
    assert api.client.get("/api/v1/notifications").json()["notifications"] == []
    assert (
        len(
            api.client.get("/api/v1/notifications", params={"status": "all"}).json()[
                "notifications"
            ]
        )
        == 1
    )


@pytest.mark.parametrize(
    ("blue", "asked"),
    [
        ("en", "{own} / {theirs}: separation conflict {key}, {d} m apart"),
        ("ru", "{own} / {theirs}: конфликт (разнесение) {key}, расстояние {d} м"),
    ],
    indirect=["blue"],
)
def test_a_conflict_is_answered_with_a_prefilled_deconfliction_request_in_the_nodes_language(
    blue: tuple[InProcess, Red], asked: str
):
    api, red = blue
    api.client.post("/api/v1/notifications", json=body(share_with=["RED"]))
    red.send("notification", red_record())
    (conflict,) = api.client.get("/api/v1/conflicts").json()["conflicts"]

    request = api.client.get(f"/api/v1/conflicts/{conflict['key']}/request").json()

    assert request["to"] == ["RED"]
    assert request["template"] == "deconfliction-request"
    assert request["fields"]["time_window"] == {"start": T0, "end": T1}
    sides = {side["owner"]: side["notification"] for side in (conflict["a"], conflict["b"])}
    titles = {
        party: api.client.get(f"/api/v1/notifications/{ident}").json()["title"]
        for party, ident in sides.items()
    }
    assert request["fields"]["request"] == asked.format(
        own=titles["BLUE"],
        theirs=titles["RED"],
        key=conflict["key"],
        d=f"{min(c['distance_m'] for c in conflict['clashes']):.0f}",
    )
    sent = api.client.post("/api/v1/messages", json=request)
    assert sent.status_code == 201, sent.text


def test_unknown_notifications_and_conflicts_are_404(blue: tuple[InProcess, Red]):
    api, _red = blue

    assert api.client.get("/api/v1/notifications/ntf_nope").status_code == 404
    assert api.client.get("/api/v1/conflicts/cfl-nope").status_code == 404


@pytest.mark.parametrize("loaded_before", [False, True], ids=["first use", "already loaded"])
def test_a_rolled_back_notification_leaves_nothing_in_the_conflict_finder(
    blue: tuple[InProcess, Red], loaded_before: bool
):
    api, _red = blue
    if loaded_before:  # the finder is loaded by an earlier notification, far away
        api.client.post("/api/v1/notifications", json=body("zone", square(10, 10)))
    site = service.create(
        api.node, service.parse_draft(body("protected-site", square(36.05, 35.05, 0.01))), "test"
    )

    def fails_after_storing(uow: UnitOfWork) -> None:
        site(uow)
        raise RuntimeError("the operation fails after the site was stored and detected")

    with pytest.raises(RuntimeError):
        api.node.write(fails_after_storing)

    operation = api.client.post("/api/v1/notifications", json=body("air-operation")).json()
    assert operation["conflicts"] == []
    assert [n["kind"] for n in api.client.get("/api/v1/notifications").json()["notifications"]] == (
        ["zone", "air-operation"] if loaded_before else ["air-operation"]
    )


def test_a_node_loads_its_live_notifications_into_the_conflict_finder_as_it_starts(
    node_dir: NewNode, clock: FakeClock
):
    site = body("protected-site", square(36.05, 35.05, 0.01))
    first = Node.open(node_dir.directory, environ={}, clock=clock)
    first.start()
    try:
        stored, _ = first.write(service.create(first, service.parse_draft(site), "test"))
    finally:
        first.stop()
    again = Node.open(node_dir.directory, environ={}, clock=clock)
    try:
        with pytest.raises(Unavailable, match="still loading"):
            again.conflict_finder  # noqa: B018 - only a started node has one, once loaded
        again.start()

        assert stored.id in again.conflict_finder
        _, conflicts = again.write(service.create(again, service.parse_draft(body()), "test"))
        assert len(conflicts) == 1
    finally:
        again.stop()


# --- bad geometry through the API ---------------------------------------------------------------
# Each is sent as raw JSON text, so that NaN and Infinity arrive as the JSON tokens some encoders
# write, and 1e400 as the huge number it is (Python reads it as infinity).
G = "volumes[0].geometry.coordinates"


def ring_text(positions: str) -> str:
    return f'{{"type": "Polygon", "coordinates": [[{positions}]]}}'


SQUARE_RING = "[36, 35], [36.1, 35], [36.1, 35.1], [36, 35.1], [36, 35]"
HUGE = "9" * 400
MANY = ", ".join(f"[{36 + k * 1e-5:.5f}, 35]" for k in range(10_001))
BAD_GEOMETRY = [
    ("self-intersecting", ring_text("[36, 35], [37, 36], [36, 36], [37, 35], [36, 35]"), f"{G}[0]"),
    (
        "NaN as a JSON token",
        ring_text("[NaN, 35], [36.1, 35], [36.1, 35.1], [NaN, 35]"),
        f"{G}[0][0]",
    ),
    (
        "Infinity as a JSON token",
        ring_text("[36, Infinity], [36.1, 35], [36.1, 35.1], [36, Infinity]"),
        f"{G}[0][0]",
    ),
    (
        "-Infinity as a JSON token",
        ring_text("[-Infinity, 35], [36.1, 35], [36.1, 35.1], [-Infinity, 35]"),
        f"{G}[0][0]",
    ),
    (
        "a huge number",
        ring_text("[1e400, 35], [36.1, 35], [36.1, 35.1], [1e400, 35]"),
        f"{G}[0][0]",
    ),
    ("latitude over 90", ring_text("[36, 91], [36.1, 35], [36.1, 35.1], [36, 91]"), f"{G}[0][0]"),
    (
        "longitude under -180",
        ring_text("[-181, 35], [36.1, 35], [36.1, 35.1], [-181, 35]"),
        f"{G}[0][0]",
    ),
    ("unclosed ring", ring_text("[36, 35], [36.1, 35], [36.1, 35.1], [36, 35.1]"), f"{G}[0]"),
    ("empty ring", ring_text(""), f"{G}[0]"),
    ("no rings", '{"type": "Polygon", "coordinates": []}', f"{G}"),
    (
        "a position of three numbers",
        ring_text("[36, 35, 10], [36.1, 35], [36.1, 35.1], [36, 35, 10]"),
        f"{G}[0][0]",
    ),
    ("10,001 vertices", ring_text(f"{MANY}, [36, 35]"), G),
    # Found by fuzzing: a 400-digit integer overflowed math.isfinite() (a 500).
    (
        "a 400-digit longitude",
        ring_text(f"[{HUGE}, 35], [36.1, 35], [36.1, 35.1], [{HUGE}, 35]"),
        f"{G}[0][0]",
    ),
]
BAD_CIRCLES = [
    ("huge radius", '{"lat": 35, "lon": 36, "radius_m": 1e9}', "volumes[0].circle.radius_m"),
    (
        "infinite radius",
        '{"lat": 35, "lon": 36, "radius_m": Infinity}',
        "volumes[0].circle.radius_m",
    ),
    ("NaN radius", '{"lat": 35, "lon": 36, "radius_m": NaN}', "volumes[0].circle.radius_m"),
    ("zero radius", '{"lat": 35, "lon": 36, "radius_m": 0}', "volumes[0].circle.radius_m"),
    ("circle latitude NaN", '{"lat": NaN, "lon": 36, "radius_m": 5}', "volumes[0].circle.lat"),
    ("circle longitude 1e400", '{"lat": 35, "lon": 1e400, "radius_m": 5}', "volumes[0].circle.lon"),
    (
        "a 400-digit radius",
        f'{{"lat": 35, "lon": 36, "radius_m": {HUGE}}}',
        "volumes[0].circle.radius_m",
    ),
]
BAND_AND_WINDOW = (
    f'"altitude_lower_m": 0, "altitude_upper_m": 3000, "time_start": "{T0}", "time_end": "{T1}"'
)


def raw_body(shape: str, text: str) -> bytes:
    volume = f'{{"{shape}": {text}, {BAND_AND_WINDOW}}}'
    return f'{{"kind": "air-operation", "title": "t", "volumes": [{volume}]}}'.encode()


def raw_volume(band_and_window: str) -> bytes:
    volume = f'{{"circle": {{"lat": 35, "lon": 36, "radius_m": 5}}, {band_and_window}}}'
    return f'{{"kind": "air-operation", "title": "t", "volumes": [{volume}]}}'.encode()


BAD_BANDS_AND_WINDOWS = [
    (
        "a 400-digit altitude",
        BAND_AND_WINDOW.replace('"altitude_lower_m": 0', f'"altitude_lower_m": {HUGE}'),
        "volumes[0].altitude_lower_m",
    ),
    (
        "NaN altitude",
        BAND_AND_WINDOW.replace('"altitude_upper_m": 3000', '"altitude_upper_m": NaN'),
        "volumes[0].altitude_upper_m",
    ),
    (
        "a start that is year 0 in UTC",
        BAND_AND_WINDOW.replace(T0, "0001-01-01T00:00:00+01:00"),
        "volumes[0].time_start",
    ),
]
BAD_BODIES = (
    [pytest.param(raw_body("geometry", text), field, id=name) for name, text, field in BAD_GEOMETRY]
    + [pytest.param(raw_body("circle", text), field, id=name) for name, text, field in BAD_CIRCLES]
    + [
        pytest.param(raw_volume(text), field, id=name)
        for name, text, field in BAD_BANDS_AND_WINDOWS
    ]
)


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize(("content", "field"), BAD_BODIES)
def test_bad_geometry_is_refused_in_the_error_shape_naming_its_place_and_nothing_is_kept(
    blue: tuple[InProcess, Red], method: str, content: bytes, field: str
):
    api, _red = blue
    kept = api.client.post("/api/v1/notifications", json=body("air-operation")).json()
    before, stored = head(api), api.client.get("/api/v1/notifications").json()
    path = "/api/v1/notifications" + (f"/{kept['id']}" if method == "PUT" else "")

    response = api.client.request(
        method, path, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert set(response.json()) == {"error"}
    assert set(error) == {"code", "message", "field"}
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert error["message"].startswith(field)
    assert api.client.get("/api/v1/notifications").json() == stored
    assert head(api) == before
