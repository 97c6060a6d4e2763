"""Blind runs on one node, in process (docs/blind.md): a blind notification is sealed for no one
and offered blinded; bad input is refused by name; a peer's runs beyond its runs per hour, its
items per day or on another grid are refused, journaled with their sizes and unanswered; a run
answered keeps no items once it ends; a run's costly part is computed outside the node's writer,
so a FLASH message posted meanwhile commits before it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openline.api.app import create_app
from openline.domain.blind import encode_points
from openline.domain.envelopes import Envelope, first_prev, seal
from openline.keys import psi
from openline.keys.signing import SigningKey
from openline.node.assembly import Node
from openline.services import blind
from openline.store.tables import blind_runs, envelopes_out
from tests.support.blind import blind_op
from tests.support.boxes import box_to, node_key
from tests.support.nodes import FakeClock, InProcess, link, make_node_dir, silent_card

BUDGETS = {
    "OPENLINE_BLIND_RUNS_PER_HOUR": "2",
    "OPENLINE_BLIND_ITEMS_PER_DAY": "5",
}
GRID = "h3r6-s1800-b11"


RED_KEY = SigningKey.generate()


@pytest.fixture
def blue(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[InProcess]:
    """BLUE in process with small budgets (or the settings the test names), linked to RED,
    whose node never answers."""
    made = make_node_dir(tmp_path / "blue")
    link(made.directory, silent_card(key=RED_KEY))
    clock = FakeClock()
    node = Node.open(made.directory, environ=getattr(request, "param", BUDGETS), clock=clock)
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {made.token}"
        yield InProcess(client, node, made.token, clock)


def offer_body(run: str, points: int, grid: str = GRID) -> dict[str, Any]:
    items = [f"item {i}" for i in range(points)]
    return {"run": run, "grid": grid, "points": encode_points(psi.blind(psi.new_secret(), items))}


def offer_from_red(blue: InProcess, run: str, points: int, grid: str = GRID) -> None:
    """RED's blind_offer as BLUE's receiver hands it on, opened."""
    body = offer_body(run, points, grid)
    envelope = Envelope(
        id=f"env_{run}", sender="RED", to="BLUE", link_seq=1, prev="", sent_at="",
        kind="blind_offer", box="", sig="", signed=b"", hash="", body=body,
    )  # fmt: skip
    blue.node.write(lambda uow: blind.apply_offer(uow, blue.node, envelope))


def journal(blue: InProcess, kind: str) -> list[dict[str, Any]]:
    entries = blue.client.get("/api/v1/journal", params={"kind": kind}).json()["entries"]
    return [e["data"] for e in entries]


def queued_kinds(blue: InProcess) -> list[str]:
    return list(blue.node.read(lambda conn: conn.execute(select(envelopes_out.c.kind)).scalars()))


def test_a_blind_notification_is_sealed_for_no_one_and_offered_blinded(blue: InProcess):
    answer = blue.client.post("/api/v1/notifications", json=blind_op("patrol", (36.1, 38.6), "RED"))

    assert answer.status_code == 201, answer.text
    assert (answer.json()["share_with"], answer.json()["blind_with"]) == ([], ["RED"])
    assert "notification" not in queued_kinds(blue)
    assert "blind_offer" in queued_kinds(blue)
    (offered,) = journal(blue, "conflict.blind_offered")
    assert offered["peer"] == "RED"
    assert offered["items"] > 100
    assert set(offered) == {"run", "peer", "items"}


@pytest.mark.parametrize(
    ("change", "field"),
    [({"disclosure": "secret"}, "disclosure"), ({"share_with": []}, "share_with")],
)
def test_a_bad_blind_notification_is_refused_naming_the_field(
    blue: InProcess, change: dict[str, Any], field: str
):
    body = {**blind_op("patrol", (36.1, 38.6), "RED"), **change}

    answer = blue.client.post("/api/v1/notifications", json=body)

    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_disclosing_to_a_party_not_blind_with_is_a_409_and_a_malformed_code_a_422(blue: InProcess):
    made = blue.client.post("/api/v1/notifications", json=blind_op("p", (36.1, 38.6), "RED"))
    ident = made.json()["id"]

    wrong = blue.client.post(f"/api/v1/notifications/{ident}/disclose", json={"to": ["GREEN"]})
    malformed = blue.client.post(f"/api/v1/notifications/{ident}/disclose", json={"to": ["x y"]})
    right = blue.client.post(f"/api/v1/notifications/{ident}/disclose", json={"to": ["RED"]})

    assert malformed.status_code == 422, malformed.text
    assert "to[0]" in malformed.text
    assert wrong.status_code == 409, wrong.text
    assert "to[0]" in wrong.text
    assert right.status_code == 200, right.text
    assert "notification" in queued_kinds(blue)
    assert journal(blue, "notification.disclosed")[0]["to"] == ["RED"]


def test_a_peers_runs_beyond_its_budgets_or_grid_are_refused_and_journaled(blue: InProcess):
    offer_from_red(blue, "bld_1", 2)
    offer_from_red(blue, "bld_2", 2)
    offer_from_red(blue, "bld_3", 1)  # a third in the hour
    blue.clock.advance(hours=2)
    offer_from_red(blue, "bld_4", 2)  # 2 + 2 + 2 over the 5 items a day
    offer_from_red(blue, "bld_5", 1, grid="h3r7-s900-b11")

    refused = journal(blue, "conflict.blind_refused")
    assert [(r["run"], r["items"]) for r in refused] == [("bld_3", 1), ("bld_4", 2), ("bld_5", 1)]
    assert "blind_runs_per_hour" in refused[0]["why"]
    assert "blind_items_per_day" in refused[1]["why"]
    assert "h3r7-s900-b11" in refused[2]["why"]
    assert [a["run"] for a in journal(blue, "conflict.blind_answered")] == ["bld_1", "bld_2"]
    assert queued_kinds(blue).count("blind_reply") == 2


def test_a_run_answered_then_finished_keeps_no_items(blue: InProcess):
    blue.client.post("/api/v1/notifications", json=blind_op("patrol", (36.1, 38.6), "RED"))
    offer_from_red(blue, "bld_1", 1)
    kept = blue.node.read(
        lambda conn: conn.execute(
            select(blind_runs.c["items"], blind_runs.c.their_twice).where(
                blind_runs.c.run == "bld_1"
            )
        ).one()
    )
    assert kept.items  # while it runs
    assert kept.their_twice
    reply = next(e for e in journal(blue, "conflict.blind_answered") if e["run"] == "bld_1")
    finish = Envelope(
        id="env_f", sender="RED", to="BLUE", link_seq=2, prev="", sent_at="", kind="blind_finish",
        box="", sig="", signed=b"", hash="",
        body={"run": "bld_1", "reblinded": encode_points([bytes(32)] * reply["items"])},
    )  # fmt: skip
    blue.node.write(lambda uow: blind.apply_finish(uow, blue.node, finish))

    ended = blue.node.read(
        lambda conn: conn.execute(select(blind_runs).where(blind_runs.c.run == "bld_1")).one()
    )
    assert (ended.state, ended.items, ended.their_twice, ended.secret) == (
        "finished",
        None,
        None,
        None,
    )
    assert journal(blue, "conflict.blind_run")[-1]["matches"] == 0


def test_a_revision_that_does_not_say_keeps_a_blind_notification_blind(blue: InProcess):
    body = blind_op("patrol", (36.1, 38.6), "RED")
    ident = blue.client.post("/api/v1/notifications", json=body).json()["id"]
    del body["disclosure"]

    revised = blue.client.put(f"/api/v1/notifications/{ident}", json={**body, "title": "later"})

    assert revised.status_code == 200, revised.text
    assert (revised.json()["share_with"], revised.json()["blind_with"]) == ([], ["RED"])
    assert "notification" not in queued_kinds(blue)
    assert "notification_update" not in queued_kinds(blue)
    assert queued_kinds(blue).count("blind_offer") == 2


@pytest.mark.parametrize("blue", [{}], indirect=True)  # the default budgets: 10,000 items a run
def test_a_flash_message_commits_while_a_peers_10000_item_run_is_computed(blue: InProcess):
    blue.client.post("/api/v1/notifications", json=blind_op("patrol", (36.1, 38.6), "RED"))
    offer = seal(
        envelope_id="env_red_1", sender="RED", to="BLUE", link_seq=1, prev=first_prev(),
        sent_at="2024-12-03T12:00:00.000Z", kind="blind_offer", body=offer_body("bld_big", 10_000),
        sign=RED_KEY.sign, box=box_to(RED_KEY, node_key(blue.node.directory.path)),
    )  # fmt: skip
    delivered: list[Any] = []
    at_start = time.process_time()
    red = threading.Thread(
        target=lambda: delivered.append(
            blue.client.post("/federation/v1/envelopes", json={"envelopes": [offer.to_json()]})
        )
    )
    red.start()
    # Once BLUE has spent 0.15 s of processor on the offer (its run takes about 0.4 s: 10,000
    # points blinded again), the FLASH message: it waits for no run.
    while time.process_time() - at_start < 0.15 and red.is_alive():
        time.sleep(0.005)
    flash = blue.client.post("/api/v1/messages", json=FLASH)
    red.join()

    assert flash.status_code == 201, flash.text
    assert "receipt" in delivered[0].json()["results"][0], delivered[0].text
    sent = seq_of(blue, "message.created")
    answered = seq_of(blue, "conflict.blind_answered")
    assert sent < answered, "the FLASH message waited for the blind run"
    assert queued_kinds(blue).count("blind_reply") == 1


FLASH = {"to": ["RED"], "precedence": "flash", "text": "hold fire", "lang": "en"}


def seq_of(blue: InProcess, kind: str) -> int:
    (entry,) = blue.client.get("/api/v1/journal", params={"kind": kind}).json()["entries"]
    return int(entry["seq"])
