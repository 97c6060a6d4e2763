"""Openline on the TAK map (docs/tak.md), against a real TAK server: taky, started on
127.0.0.1 by the test, with BLUE's bridge connected to it (``tak_url``) and a CoT client
reading what the server relays through pytak and takproto (not Openline's code).

BLUE and RED are real ``openline serve`` processes, linked. What both notify, their conflict,
their tracks and their proximity warning reach the client with the right types, coordinates,
times and stale times, every event valid against the CoT base event schema; a revision
replaces its shape, a cancellation removes it and cancels its conflict's alert; a position
report from the client becomes BLUE's track, on RED too; nothing is sent twice; after the TAK
server restarts, the bridge sends it all again. A TAK server that sends what cannot be taken
(malformed XML, a huge event, a DOCTYPE, coordinates out of range) gets it dropped, logged and
counted, and the bridge reads on.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import takproto
import xmlschema

from openline.domain.timeutil import format_utc, parse_utc
from openline.domain.tracks import TrackRef, approach_key
from openline.keys.tls import write_self_signed
from tests.support.backend import sqlite_only
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import (
    Pair,
    RunningNode,
    make_pair,
    run_openline,
    start_node,
    start_pair,
)
from tests.support.tak import CotClient, Received, pli, taky_server
from tests.support.tracks import post_tracks, track_report
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    sqlite_only("the bridge reads what every backend gives alike; a TAK server costs seconds"),
]

SCHEMA = xmlschema.XMLSchema(Path(__file__).parents[1] / "data" / "cot" / "Event.xsd")
ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "1", "OPENLINE_TRACK_INTERVAL": "0.2"}
SQUARE = [[40.0, 36.0], [40.1, 36.0], [40.1, 36.1], [40.0, 36.1], [40.0, 36.0]]


def ms(instant: datetime | str) -> int:
    """An instant as TAK protocol 1 counts it: milliseconds of the Unix epoch."""
    moment = parse_utc(instant) if isinstance(instant, str) else instant
    return round(moment.timestamp() * 1000)


def volume(footprint: dict[str, Any], start: datetime, hours: float = 2) -> dict[str, Any]:
    return {
        **footprint,
        "altitude_lower_m": 0,
        "altitude_upper_m": 4000,
        "time_start": format_utc(start),
        "time_end": format_utc(start + timedelta(hours=hours)),
    }


def notify(node: RunningNode, body: dict[str, Any]) -> dict[str, Any]:
    with node.client() as client:
        made = client.post("/api/v1/notifications", json=body)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


def tracks_of(node: RunningNode) -> dict[tuple[str, str], dict[str, Any]]:
    with node.client() as client:
        listed = client.get("/api/v1/tracks").json()["tracks"]
    return {(t["party"], t["track_id"]): t for t in listed}


def journaled(node: RunningNode, kind: str) -> list[dict[str, Any]]:
    with node.client() as client:
        entries = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [e["data"] for e in entries if e["kind"] == kind]


def open_conflicts(node: RunningNode) -> list[dict[str, Any]]:
    with node.client() as client:
        found: list[dict[str, Any]] = client.get(
            "/api/v1/conflicts", params={"state": "open"}
        ).json()["conflicts"]
    return found


def assert_valid(received: Received) -> None:
    SCHEMA.validate(received.xml.decode())


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[tuple[Pair, Any, CotClient]]:
    with taky_server(tmp_path / "taky") as taky:
        client = CotClient(taky.url)
        pair = start_pair(tmp_path, ENV, {"OPENLINE_TAK_URL": taky.url})
        try:
            yield pair, taky, client
        finally:
            client.close()
            for node in (pair.blue, pair.red):
                node.stop_surely()


def test_two_nodes_notifications_conflict_tracks_and_warning_reach_a_tak_client(scene):
    pair, taky, client = scene
    now = datetime.now(UTC).replace(microsecond=0)
    polygon = {"geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
    blue_ntf = notify(
        pair.blue,
        {
            "kind": "air-operation",
            "title": "Strike package",
            "volumes": [volume(polygon, now)],
            "share_with": ["RED"],
        },
    )
    circle = {"circle": {"lat": 36.05, "lon": 40.05, "radius_m": 3000}}
    red_ntf = notify(
        pair.red,
        {
            "kind": "artillery",
            "title": "Огневой рубеж",
            "volumes": [volume(circle, now + timedelta(minutes=30))],
            "share_with": ["BLUE"],
        },
    )
    path = [[45.0, 30.0], [45.2, 30.0], [45.2, 30.2]]
    corridor = {"corridor": {"path": path, "half_width_m": 2000}}
    blue_route = notify(
        pair.blue,
        {"kind": "uav-operation", "title": "Drone route", "volumes": [volume(corridor, now)]},
    )
    post_tracks(pair.blue, b1 := track_report("B1", lat=35.0, lon=38.0, heading_deg=90))
    post_tracks(pair.red, r1 := track_report("R1", lat=35.0, lon=38.5, heading_deg=270, alt_m=3100))

    # BLUE's own notification: a drawn polygon valid over its volume's window.
    blue_shape = client.latest(f"openline.{blue_ntf['id']}.v0")
    assert blue_shape.type == "u-d-f"
    assert blue_shape.event.startTime == ms(now)
    assert blue_shape.event.staleTime == ms(now + timedelta(hours=2))
    assert (round(blue_shape.event.lat, 6), round(blue_shape.event.lon, 6)) == (36.05, 40.05)
    assert blue_shape.xml.count(b"<link point=") == 5
    assert b'owner="BLUE"' in blue_shape.xml
    assert b'altitude_upper_m="4000.0"' in blue_shape.xml
    # RED's, shared with BLUE: a circle.
    red_shape = client.latest(f"openline.{red_ntf['id']}.v0")
    assert red_shape.type == "u-d-c-c"
    assert (red_shape.event.lat, red_shape.event.lon) == (36.05, 40.05)
    assert red_shape.event.startTime == ms(now + timedelta(minutes=30))
    assert b'<ellipse major="3000.0" minor="3000.0" angle="360"/>' in red_shape.xml
    assert b'kind="artillery" owner="RED"' in red_shape.xml

    # A corridor: its outline, rounded at both ends, with its half width.
    route = client.latest(f"openline.{blue_route['id']}.v0")
    assert route.type == "u-d-f"
    assert route.xml.count(b"<link point=") == 2 * len(path) + 2 * 7 + 1
    assert b'half_width_m="2000.0"' in route.xml
    assert route.event.staleTime == ms(now + timedelta(hours=2))

    # Their conflict: an alert at the first notification's volume, until the overlap ends.
    wait_for(lambda: open_conflicts(pair.blue), timeout=10, what="the conflict on BLUE")
    [held] = open_conflicts(pair.blue)
    alert = client.latest(f"openline.{held['key']}")
    assert alert.type == "b-a-g"
    assert held["a"]["notification"] == blue_ntf["id"]
    assert (round(alert.event.lat, 6), round(alert.event.lon, 6)) == (36.05, 40.05)
    assert alert.event.sendTime == ms(held["updated_at"])
    assert alert.event.staleTime == ms(held["time_window"]["end"])
    assert b'<emergency type="Geo-fence Breached">' in alert.xml

    # The tracks: BLUE's friendly, RED's neutral, stale when the nodes forget them.
    for report, uid, cot_type in (
        (b1, "openline.track.BLUE.B1", "a-f-A"),
        (r1, "openline.track.RED.R1", "a-n-A"),
    ):
        unit = client.latest(uid)
        assert unit.type == cot_type
        assert (unit.event.lat, unit.event.lon, unit.event.hae) == (
            report["lat"],
            report["lon"],
            report["alt_m"],
        )
        assert (unit.event.detail.track.speed, unit.event.detail.track.course) == (
            report["speed_mps"],
            report["heading_deg"],
        )
        assert unit.event.sendTime == ms(report["time"])
        assert unit.event.staleTime == ms(report["time"]) + 60_000

    # The proximity warning: an alert at B1, timed by the newer of the two reports.
    key = approach_key(TrackRef("BLUE", "B1"), TrackRef("RED", "R1"))
    warning = client.latest(f"openline.{key}")
    assert warning.type == "b-a-o-pan"
    assert (warning.event.lat, warning.event.lon) == (35.0, 38.0)
    newer = max(ms(b1["time"]), ms(r1["time"]))
    assert warning.event.sendTime == newer
    assert warning.event.staleTime == newer + 60_000
    assert b'<emergency type="Ring The Bell">' in warning.xml

    # A TAK device's position report: BLUE's track, on RED too, never sent back to the map.
    client.send(pli("ANDROID-openline-test", 35.5, 39.25))
    ref = ("BLUE", "ANDROID-openline-test")
    wait_for(lambda: ref in tracks_of(pair.blue), timeout=10, what="the PLI as BLUE's track")
    wait_for(lambda: ref in tracks_of(pair.red), timeout=10, what="the PLI's track on RED")
    taken = tracks_of(pair.red)[ref]
    assert (taken["lat"], taken["lon"], taken["alt_m"], taken["kind"]) == (
        35.5,
        39.25,
        250.0,
        "ground",
    )
    assert (taken["speed_mps"], taken["heading_deg"]) == (12.5, 271.0)

    # Nothing sent twice: each thing once, however many intervals went by.
    time.sleep(2)
    for uid in (blue_shape.uid, red_shape.uid, alert.uid, warning.uid, "openline.track.BLUE.B1"):
        assert len(client.of(uid)) == 1, uid
    assert client.of("openline.track.BLUE.ANDROID-openline-test") == []
    for received in client.received:
        assert_valid(received)

    # A revision replaces BLUE's shape (same uid); RED's cancellation removes its shape and
    # cancels the conflict's alert.
    revised = {**blue_ntf, "title": "Strike package, revised"}
    body = {k: revised[k] for k in ("kind", "title", "volumes", "share_with")}
    with pair.blue.client() as api:
        assert api.put(f"/api/v1/notifications/{blue_ntf['id']}", json=body).status_code == 200
    wait_for(lambda: len(client.of(blue_shape.uid)) == 2, timeout=10, what="the revised shape")
    assert client.of(blue_shape.uid)[-1].event.detail.contact.callsign == "Strike package, revised"
    with pair.red.client() as api:
        cancelled = api.post(
            f"/api/v1/notifications/{red_ntf['id']}/status", json={"status": "cancelled"}
        )
    assert cancelled.status_code == 200, cancelled.text
    wait_for(lambda: len(client.of(red_shape.uid)) == 2, timeout=10, what="RED's shape removed")
    removal = client.of(red_shape.uid)[-1]
    assert removal.type == "t-x-d-d"
    assert f'<link uid="{red_shape.uid}" relation="none" type="u-d-c-c"/>' in removal.xml.decode()
    wait_for(lambda: len(client.of(alert.uid)) == 2, timeout=10, what="the alert cancelled")
    assert client.of(alert.uid)[-1].type == "b-a-o-can"

    # Out of range on CoT in, through the server: dropped, counted in BLUE's journal.
    client.send(pli("ANDROID-lost", 95.0, 39.0))
    wait_for(lambda: journaled(pair.blue, "tak.cot_dropped"), timeout=15, what="the drop")
    [dropped] = journaled(pair.blue, "tak.cot_dropped")
    assert dropped["count"] == 1
    assert dropped["reasons"] == ["lat 95.000000 is outside -90 to 90"]  # as taky relays it

    # The TAK server restarts, empty: the bridge connects again and sends everything again.
    client.close()
    taky.stop()
    taky.start()
    again = CotClient(taky.url)
    try:
        shape = again.latest(blue_shape.uid, timeout=30)
        assert shape.event.detail.contact.callsign == "Strike package, revised"
        assert again.latest("openline.track.RED.R1").type == "a-n-A"
        assert again.of(red_shape.uid) == []  # cancelled: not drawn again
    finally:
        again.close()
    verified = run_openline("journal", "verify", pair.blue.directory)
    assert verified.returncode == 0, verified.stdout + verified.stderr


class HostileServer:
    """A TAK server gone wrong, on 127.0.0.1: it sends the first connection ``chunks``, one
    after another, and keeps the connection open."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.chunks = chunks
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.connection: socket.socket | None = None

    def _serve(self) -> None:
        self.connection, _ = self.listener.accept()
        for chunk in self.chunks:
            self.connection.sendall(chunk)
            time.sleep(0.05)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.listener.close()


def test_what_a_tak_server_sends_that_cannot_be_taken_is_dropped_counted_and_logged(
    tmp_path: Path,
):
    bad = [
        b"<event version='2.0' uid='x' type='a-f-G'><point lat='1' </event>",  # malformed
        b"<event version='2.0' uid='big' type='a-f-G'>" + b"<x/>" * 40_000 + b"</event>",
        b"<?xml version='1.0'?><!DOCTYPE e [<!ENTITY a 'aaaa'>]><event uid='d' type='a-f-G'>"
        b"&a;</event>",
        pli("ANDROID-off-the-map", 36.0, 181.5),
    ]
    server = HostileServer([*bad, pli("ANDROID-after", 35.0, 38.0)])
    pair = start_pair(tmp_path, ENV, {"OPENLINE_TAK_URL": f"tcp://127.0.0.1:{server.port}"})
    try:
        wait_for(
            lambda: ("BLUE", "ANDROID-after") in tracks_of(pair.blue),
            timeout=20,
            what="the good report after the bad ones, taken",
        )
        wait_for(
            lambda: sum(d["count"] for d in journaled(pair.blue, "tak.cot_dropped")) == len(bad),
            timeout=30,
            what="every drop counted in the journal",
        )
        drops = journaled(pair.blue, "tak.cot_dropped")
        reasons = [reason for entry in drops for reason in entry["reasons"]]
        assert any("not XML" in reason for reason in reasons)
        assert drops[-1]["total"] == len(bad)
        log = (pair.blue.directory.parent / "blue.log").read_text()
        assert log.count("CoT from the TAK server dropped") == len(bad)
        for expected in ("over 65536 bytes", "a DOCTYPE", "lon 181.5 is outside -180 to 180"):
            assert expected in log
        # Still reading: a later report is taken on the same connection.
        assert server.connection is not None
        server.connection.sendall(pli("ANDROID-later", 35.1, 38.1))
        wait_for(
            lambda: ("BLUE", "ANDROID-later") in tracks_of(pair.blue),
            timeout=10,
            what="a later report taken",
        )
    finally:
        for node in (pair.blue, pair.red):
            node.stop_surely()
        server.close()


def test_tak_test_says_whether_the_nodes_tak_server_answers(tmp_path: Path):
    blue, _ = make_pair(tmp_path, {})
    unset = run_openline("tak", "test", "--node", blue.directory)
    assert unset.returncode == 1
    assert "tak_url is not set" in unset.stderr
    with taky_server(tmp_path / "taky") as taky:
        env = {"OPENLINE_TAK_URL": taky.url}
        ok = run_openline("tak", "test", "--node", blue.directory, env=env)
        assert ok.returncode == 0, ok.stderr
        assert f"TAK server {taky.url}: connected" in ok.stdout
    down = run_openline("tak", "test", "--node", blue.directory, env=env)
    assert down.returncode == 1
    assert f"TAK server {taky.url}:" in down.stderr
    bad = run_openline(
        "tak", "test", "--node", blue.directory, env={"OPENLINE_TAK_URL": "http://x:1"}
    )
    assert bad.returncode == 1
    assert "OPENLINE_TAK_URL" in bad.stderr


def test_a_tls_tak_server_takes_the_node_by_its_client_certificate(tmp_path: Path):
    with taky_server(tmp_path / "taky", tls=True) as taky:
        certs = taky.directory
        blue = make_node_dir(tmp_path / "blue", port=free_port())
        link(blue.directory, silent_card())
        env = {
            "OPENLINE_TAK_URL": taky.url,
            "OPENLINE_TAK_CLIENT_CERT": str(certs / "node.pem"),
            "OPENLINE_TAK_CLIENT_KEY": str(certs / "node.key"),
            "OPENLINE_TAK_CA_FILE": str(certs / "ca.pem"),
        }
        ok = run_openline("tak", "test", "--node", blue.directory, env=env)
        assert ok.returncode == 0, ok.stderr
        assert f"TAK server {taky.url}: connected, and it answered a ping" in ok.stdout
        # A certificate the TAK server's CA did not sign: the server closes the connection.
        cert, key, _ = write_self_signed(tmp_path / "stranger", ["127.0.0.1"], 1)
        stranger = {
            **env,
            "OPENLINE_TAK_CLIENT_CERT": str(cert),
            "OPENLINE_TAK_CLIENT_KEY": str(key),
        }
        refused = run_openline("tak", "test", "--node", blue.directory, env=stranger)
        assert refused.returncode == 1
        assert f"TAK server {taky.url}:" in refused.stderr
        # Without the TAK server's CA, the node does not trust the server.
        untrusted = {k: v for k, v in env.items() if k != "OPENLINE_TAK_CA_FILE"}
        distrust = run_openline("tak", "test", "--node", blue.directory, env=untrusted)
        assert distrust.returncode == 1
        assert "its certificate is not trusted (self-signed certificate in" in distrust.stderr
        assert "set tak_ca_file" in distrust.stderr

        # The bridge over TLS: a device with its own certificate sees BLUE's notification,
        # and its position report becomes BLUE's track.
        device = CotClient(
            taky.url,
            PYTAK_TLS_CLIENT_CERT=str(certs / "device.pem"),
            PYTAK_TLS_CLIENT_KEY=str(certs / "device.key"),
            PYTAK_TLS_CLIENT_CAFILE=str(certs / "ca.pem"),
        )
        node = start_node(blue.directory, blue.token, env)
        try:
            circle = {"circle": {"lat": 36.0, "lon": 40.0, "radius_m": 1500}}
            made = notify(
                node,
                {
                    "kind": "protected-site",
                    "title": "Hospital",
                    "volumes": [volume(circle, datetime.now(UTC))],
                },
            )
            shape = device.latest(f"openline.{made['id']}.v0")
            assert (shape.type, shape.event.lat, shape.event.lon) == ("u-d-c-c", 36.0, 40.0)
            device.send(pli("ANDROID-over-tls", 36.2, 40.2))
            wait_for(
                lambda: ("BLUE", "ANDROID-over-tls") in tracks_of(node),
                timeout=10,
                what="the device's report over TLS as BLUE's track",
            )
        finally:
            device.close()
            node.stop_surely()


def test_over_udp_the_node_sends_its_events_as_datagrams(tmp_path: Path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(20)
    url = f"udp://127.0.0.1:{listener.getsockname()[1]}"
    blue = make_node_dir(tmp_path / "blue", port=free_port())
    link(blue.directory, silent_card())
    try:
        tested = run_openline(
            "tak", "test", "--node", blue.directory, env={"OPENLINE_TAK_URL": url}
        )
        assert tested.returncode == 0, tested.stderr
        assert "a ping sent (UDP: nothing comes back" in tested.stdout
        ping = takproto.parse_proto(takproto.xml2proto(listener.recv(65536))).cotEvent
        assert ping.type == "t-x-c-t"

        node = start_node(blue.directory, blue.token, {"OPENLINE_TAK_URL": url})
        try:
            circle = {"circle": {"lat": 36.0, "lon": 40.0, "radius_m": 1500}}
            made = notify(
                node,
                {
                    "kind": "exercise",
                    "title": "Drill",
                    "volumes": [volume(circle, datetime.now(UTC))],
                },
            )
            datagram = listener.recv(65536)
            SCHEMA.validate(datagram.decode())
            event = takproto.parse_proto(takproto.xml2proto(datagram)).cotEvent
            assert (event.uid, event.type) == (f"openline.{made['id']}.v0", "u-d-c-c")
        finally:
            node.stop_surely()
    finally:
        listener.close()
