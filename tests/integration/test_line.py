"""The line between two real node processes on 127.0.0.1: delivery, acknowledgement, status."""

from __future__ import annotations

from typing import Any

from openline.geo.coords import format_dd, format_mgrs
from openline.i18n import catalogue
from tests.conftest import Pair, RunningNode, wait_for


def send(node: RunningNode, to: list[str], text: str, precedence: str = "flash") -> dict[str, Any]:
    with node.client() as client:
        sent = client.post(
            "/api/v1/messages",
            json={"to": to, "precedence": precedence, "text": text, "lang": "en"},
        )
    assert sent.status_code == 201, sent.text
    message: dict[str, Any] = sent.json()
    return message


def get(node: RunningNode, path: str, **params: Any) -> Any:
    with node.client() as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def state(node: RunningNode, message_id: str) -> str:
    return str(get(node, f"/api/v1/messages/{message_id}")["state"])


def peer_status(node: RunningNode, party: str) -> str:
    peers = {p["party"]: p for p in get(node, "/api/v1/node")["peers"]}
    return str(peers[party]["status"])


def test_a_message_crosses_is_delivered_and_its_acknowledgement_crosses_back(pair: Pair):
    message = send(pair.blue, ["RED"], "Check fire grid 37S")

    wait_for(lambda: state(pair.blue, message["id"]) == "delivered", what="delivery")
    inbox = get(pair.red, "/api/v1/messages", box="in")["messages"]
    assert [m["id"] for m in inbox] == [message["id"]]
    assert inbox[0]["fields"] == {"text": "Check fire grid 37S", "lang": "en"}
    assert inbox[0]["deadline"] == message["deadline"]

    with pair.red.client() as client:
        assert client.post(f"/api/v1/messages/{message['id']}/ack").status_code == 200
    wait_for(lambda: state(pair.blue, message["id"]) == "acknowledged", what="the ack")


def test_both_lines_come_up_and_a_stopped_peer_goes_down_then_up_again(pair: Pair):
    wait_for(lambda: peer_status(pair.blue, "RED") == "up", what="BLUE's line to RED up")
    wait_for(lambda: peer_status(pair.red, "BLUE") == "up", what="RED's line to BLUE up")

    pair.red.stop()
    wait_for(lambda: peer_status(pair.blue, "RED") == "down", timeout=5, what="down")

    pair.restart("red")
    wait_for(lambda: peer_status(pair.blue, "RED") == "up", what="up again")


def test_a_message_from_the_english_node_reads_in_russian_on_red_with_the_same_places_and_times(
    pair: Pair,
):
    fields = {
        "area": {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 5000}},
        "time_window": {"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T14:30:00Z"},
        "activity": "air strike",
    }
    with pair.blue.client() as client:
        sent = client.post(
            "/api/v1/messages",
            json={
                "to": ["RED"],
                "precedence": "immediate",
                "template": "planned-operation",
                "fields": fields,
            },
        )
    assert sent.status_code == 201, sent.text
    assert sent.json()["rendering"]["lang"] == "en"

    wait_for(lambda: get(pair.red, "/api/v1/messages", box="in")["messages"], what="arrival")
    (arrived,) = get(pair.red, "/api/v1/messages", box="in")["messages"]
    rendering = arrived["rendering"]

    assert rendering["lang"] == "ru"
    assert rendering["title"] == catalogue("ru").text("templates.planned-operation.title")
    for shown in (format_dd(36.2, 37.15), format_mgrs(36.2, 37.15), "031200ZDEC24", "031430ZDEC24"):
        assert shown in rendering["text"]
        assert shown in sent.json()["rendering"]["text"]
    assert arrived["fields"] == sent.json()["fields"]
