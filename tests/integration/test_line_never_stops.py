"""Nothing stops the line (issue 23): no record a node accepts is refused by its peer for its
content, and an envelope the peer nevertheless cannot apply is receipted as not applied, so
the link goes on behind it.

BLUE and RED run as real ``openline serve`` processes linked on 127.0.0.1; every test ends
with a FLASH that must get through on the link it tried to stop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from openline.domain.envelopes import Envelope, first_prev, open_envelope, seal
from openline.domain.errors import InvalidInput, Unavailable
from openline.domain.messages import free_text_draft
from openline.keys.signing import SigningKey
from openline.line import receiver
from openline.node.settings import load_settings
from openline.services.messages import new_message, record_delivery
from openline.services.outbox import seal_for
from openline.store.database import alembic_config, database_url
from openline.store.journal import read_head
from openline.store.line import count_waiting, has_waiting, last_applied
from openline.store.writer import UnitOfWork
from tests.support.boxes import ANY_BOX
from tests.support.nodes import InProcess
from tests.support.operator import assert_flash_gets_through, get, journal_of, send, state
from tests.support.processes import Pair, RunningNode, export_transcripts, run_openline
from tests.support.red import Red, red_message
from tests.support.unappliable import seal_unappliable
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

POINT = {"lat": 35.0, "lon": 38.5}


def notification(time_start: str, time_end: str, share_with: str = "RED") -> dict[str, Any]:
    return {
        "kind": "air-operation",
        "title": "CAS north of the river",
        "volumes": [
            {
                "circle": {**POINT, "radius_m": 2000},
                "altitude_lower_m": 0,
                "altitude_upper_m": 3000,
                "time_start": time_start,
                "time_end": time_end,
            }
        ],
        "share_with": [share_with],
    }


def encounter_report(time: str) -> dict[str, Any]:
    return {
        "to": ["RED"],
        "precedence": "flash",
        "template": "unsafe-encounter-report",
        "fields": {"location": POINT, "time": time, "description": "close pass"},
    }


def post(node: RunningNode, path: str, body: dict[str, Any]) -> Any:
    with node.client() as client:
        return client.post(path, json=body)


def arrived(node: RunningNode, path: str, key: str, item_id: str) -> bool:
    return item_id in {item["id"] for item in get(node, path)[key]}


def still_reads(node: RunningNode) -> None:
    """What broke for every role in the issue: the lists the console reads at sign-in, and
    the exports."""
    for path in ("/api/v1/node", "/api/v1/notifications", "/api/v1/conflicts", "/api/v1/messages"):
        get(node, path)
    for name in ("geojson", "f3548"):
        get(node, f"/api/v1/exports/{name}")


# The times of the findings, and the extremes of the range the docs state.
TIMES = [
    pytest.param("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z", id="year 1"),
    pytest.param("0999-12-31T23:00:00Z", "0999-12-31T23:59:59Z", id="year 999"),
    pytest.param("9999-12-31T22:00:00Z", "9999-12-31T23:59:59.999Z", id="year 9999"),
]


@pytest.mark.parametrize(("start", "end"), TIMES)
def test_notifications_of_any_year_the_node_accepts_reach_the_peer_and_conflict_on_both(
    pair: Pair, start: str, end: str
):
    # One of each party, same window and place: their conflict is found at the range's edges.
    made = [
        post(pair.blue, "/api/v1/notifications", notification(start, end, "RED")),
        post(pair.red, "/api/v1/notifications", notification(start, end, "BLUE")),
    ]
    assert [m.status_code for m in made] == [201, 201], made[-1].text
    ids = [m.json()["id"] for m in made]
    for node in (pair.blue, pair.red):
        wait_for(
            lambda node=node: all(
                arrived(node, "/api/v1/notifications", "notifications", i) for i in ids
            ),
            what=f"both notifications on {node.directory.name}",
        )
    for node in (pair.blue, pair.red):
        (volume,) = get(node, f"/api/v1/notifications/{ids[0]}")["volumes"]
        assert volume["time_start"][:4] == start[:4]
        (conflict,) = get(node, "/api/v1/conflicts")["conflicts"]
        assert {conflict["a"]["notification"], conflict["b"]["notification"]} == set(ids)
        still_reads(node)
    assert_flash_gets_through(pair.blue, pair.red, "RED")


@pytest.mark.parametrize("time", ["0001-01-01T00:00:00Z", "0999-06-01T00:00:00Z"])
def test_an_encounter_report_of_any_year_reaches_the_peer_and_reads_the_same_there(
    pair: Pair, time: str
):
    sent = post(pair.blue, "/api/v1/messages", encounter_report(time))
    assert sent.status_code == 201, sent.text
    wait_for(
        lambda: arrived(pair.red, "/api/v1/messages", "messages", sent.json()["id"]),
        what="the report on RED",
    )
    received = get(pair.red, f"/api/v1/messages/{sent.json()['id']}")
    assert received["fields"] == sent.json()["fields"]
    assert received["fields"]["time"] == f"{time[:-1]}.000Z"
    for node in (pair.blue, pair.red):
        still_reads(node)
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def test_records_an_older_node_stored_with_short_years_read_again_once_it_is_upgraded(
    pair: Pair,
):
    start, end = "0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"
    made = [
        post(pair.blue, "/api/v1/notifications", notification(start, end, "RED")).json()["id"],
        post(pair.red, "/api/v1/notifications", notification(start, end, "BLUE")).json()["id"],
    ]
    report = post(pair.blue, "/api/v1/messages", encounter_report(start)).json()["id"]
    wait_for(
        lambda: (
            arrived(pair.red, "/api/v1/messages", "messages", report)
            and all(arrived(pair.blue, "/api/v1/notifications", "notifications", i) for i in made)
            and len(get(pair.red, "/api/v1/conflicts")["conflicts"]) == 1
        ),
        what="the records of year 1 on both nodes",
    )
    for which in ("blue", "red"):
        node: RunningNode = getattr(pair, which)
        node.stop()
        written_by_an_older_version(node.directory)
        pair.restart(which)

    for node in (pair.blue, pair.red):
        (volume,) = get(node, f"/api/v1/notifications/{made[0]}")["volumes"]
        assert volume["time_start"] == "0001-01-01T00:00:00.000Z"
        (conflict,) = get(node, "/api/v1/conflicts")["conflicts"]
        assert conflict["time_window"]["start"] == "0001-01-01T00:00:00.000Z"
        assert get(node, f"/api/v1/messages/{report}")["fields"]["time"] == volume["time_start"]
        still_reads(node)
    assert_flash_gets_through(pair.blue, pair.red, "RED")
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")


def written_by_an_older_version(directory: Path) -> None:
    """The node's records as Openline wrote them before four-digit years (year 1 as ``1``),
    in a database of the schema before the repair (0007: the later migrations undone)."""
    url = database_url(load_settings(directory, {}).database_url, directory)
    command.downgrade(alembic_config(url), "0007")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in (
                "UPDATE notifications SET record = REPLACE(record, '\"0001-', '\"1-')",
                "UPDATE conflicts SET record = REPLACE(record, '\"0001-', '\"1-')",
                "UPDATE messages SET fields = REPLACE(fields, '\"0001-', '\"1-')",
            ):
                conn.execute(text(statement))
            damaged = conn.execute(
                text("SELECT count(*) FROM notifications WHERE record LIKE '%\"1-01-01T%'")
            )
            assert damaged.scalar_one() == 2
    finally:
        engine.dispose()


# Bodies the peer would refuse on arrival: the sender refuses to seal them.
REFUSED_BODIES = [
    pytest.param("message", {**red_message(1).to_json(), "template": "no-such"}, id="template"),
    pytest.param("message", {**red_message(1).to_json(), "from": "BLUE"}, id="not to RED"),
    pytest.param("ack", {"message_id": "msg_1", "by": "duty", "at": "noon"}, id="ack at noon"),
    pytest.param("reminder", {"message_id": "msg_1"}, id="reminder"),
    pytest.param("notification", {"id": "ntf_1"}, id="notification"),
    pytest.param("track", {"tracks": [{"id": "t1"}]}, id="track"),
]


@pytest.mark.parametrize(("kind", "body"), REFUSED_BODIES)
def test_a_body_the_peer_would_refuse_is_never_sealed_and_nothing_of_its_operation_commits(
    api: InProcess, kind: str, body: dict[str, Any]
):
    node = api.node
    before = node.read(lambda conn: (count_waiting(conn, "RED"), read_head(conn)))

    def seal_after_a_message(uow: UnitOfWork) -> None:
        send_message_op(uow)  # a message of this operation, committed only if all of it is
        seal_for(uow, node, "RED", kind, body)

    send_message_op = new_message(
        node, free_text_draft(("RED",), "flash", "hi", "en"), "duty"
    ).store
    with pytest.raises(InvalidInput, match=f"RED would refuse this {kind} envelope on arrival"):
        node.write(seal_after_a_message)

    assert node.read(lambda conn: (count_waiting(conn, "RED"), read_head(conn))) == before


AFTER_IT = 100  # envelopes sent behind the one not applied


def test_an_envelope_the_peer_cannot_apply_is_receipted_as_not_applied_and_the_link_goes_on(
    pair: Pair, tmp_path: Path
):
    # RED (stopped) seals what BLUE cannot apply: an acknowledgement of a message BLUE never
    # sent, which RED's own check lets through, as a peer of another version would send it.
    pair.red.stop()
    stuck = seal_unappliable(pair.red.directory, "BLUE")
    pair.restart("red")
    behind = [send(pair.red, ["BLUE"], f"behind it {n}")["id"] for n in range(AFTER_IT)]

    (received,) = wait_for_entry(pair.blue, "envelope.not_applied")
    (delivered,) = wait_for_entry(pair.red, "envelope.delivered_not_applied")
    assert received["data"]["hash"] == delivered["data"]["hash"] == stuck.hash
    assert received["data"]["envelope"]["link_seq"] == stuck.link_seq
    assert "no message 'msg_never_sent'" in received["data"]["reason"]
    assert received["data"]["receipt"] == delivered["data"]["receipt"]
    assert delivered["data"]["receipt"]["not_applied"] == received["data"]["reason"]

    wait_for(
        lambda: all(state(pair.red, i) == "delivered" for i in behind),
        what=f"the {AFTER_IT} messages behind it delivered",
    )
    inbox = get(pair.blue, "/api/v1/messages", box="in", limit=1000)["messages"]
    assert sorted(m["id"] for m in inbox) == sorted(behind)
    applied_seqs = [
        e["data"]["envelope"]["link_seq"]
        for e in journal_of(pair.blue, "envelope.received")
        if e["data"]["envelope"]["from"] == "RED" and e["data"]["envelope"]["kind"] == "message"
    ]
    assert applied_seqs == sorted(applied_seqs)
    assert len(applied_seqs) == AFTER_IT
    assert min(applied_seqs) > stuck.link_seq

    # A replay of it gets the same receipt, and nothing more is journaled of it.
    again = Red(SigningKey.generate(), pair.blue, []).post(received["data"]["envelope"])
    assert again == [
        {"link_seq": stuck.link_seq, "id": stuck.id, "receipt": received["data"]["receipt"]}
    ]
    assert len(journal_of(pair.blue, "envelope.not_applied")) == 1

    ours, theirs = export_transcripts([pair.blue.directory, pair.red.directory], tmp_path)
    crossed = run_openline("journal", "cross-verify", ours, theirs)
    assert crossed.returncode == 0, crossed.stderr
    assert "the transcripts agree" in crossed.stdout
    assert (
        f"received but not applied: RED->BLUE envelope {stuck.link_seq}: ack body refused"
        in crossed.stdout
    )
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")


def wait_for_entry(node: RunningNode, kind: str) -> list[dict[str, Any]]:
    wait_for(lambda: journal_of(node, kind), what=f"{kind} on {node.directory.name}")
    return journal_of(node, kind)


def line_check_reply_from_red(link_seq: int = 1) -> Envelope:
    return seal(
        envelope_id=f"env_red_{link_seq}",
        sender="RED",
        to="BLUE",
        link_seq=link_seq,
        prev=first_prev(),
        sent_at="2026-12-03T12:00:00.000Z",
        kind="line_check_reply",
        body={"answers": "env_blue_1"},
        sign=SigningKey.generate().sign,  # apply_batch comes after the signature check
        box=ANY_BOX,
    )


def test_a_fault_in_a_handler_is_receipted_as_not_applied_and_logged_with_its_traceback(
    api: InProcess, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    def faulty(_uow: UnitOfWork, _node: Any, envelope: Envelope) -> None:
        raise KeyError(envelope.body["answers"])

    monkeypatch.setitem(receiver.HANDLERS, "line_check_reply", faulty)
    envelope = line_check_reply_from_red()

    (outcome,) = api.node.write(receiver.apply_batch(api.node, [envelope], "test"))

    assert outcome.receipt is not None
    assert outcome.receipt["not_applied"] == (
        "line_check_reply could not be applied: KeyError: 'env_blue_1'"
    )
    assert api.node.read(lambda conn: last_applied(conn, "RED")) == (1, envelope.hash)
    (logged,) = [r for r in caplog.records if r.name == receiver.__name__ and r.exc_info]
    assert logged.exc_info is not None
    assert logged.exc_info[0] is KeyError


def test_an_envelope_of_a_kind_this_version_does_not_know_is_receipted_as_not_applied(
    api: InProcess,
):
    # A peer upgraded first sends a kind this node does not know yet: its place on the link
    # is taken and its receipt says why, so the link goes on behind it.
    known = line_check_reply_from_red()
    later = open_envelope(known.to_json() | {"kind": "weather_report"}, max_bytes=100_000)

    (outcome,) = api.node.write(receiver.apply_batch(api.node, [later], "test"))

    assert outcome.receipt is not None
    assert outcome.receipt["not_applied"] == (
        "weather_report body refused: this node does not take weather_report envelopes yet"
    )
    assert api.node.read(lambda conn: last_applied(conn, "RED")) == (1, later.hash)


def test_a_failure_of_the_database_itself_fails_the_batch_and_takes_no_place(
    api: InProcess, monkeypatch: pytest.MonkeyPatch
):
    def disk_full(_uow: UnitOfWork, _node: Any, _envelope: Envelope) -> None:
        raise OperationalError("INSERT ...", {}, Exception("database or disk is full"))

    monkeypatch.setitem(receiver.HANDLERS, "line_check_reply", disk_full)
    before = api.node.read(read_head)

    with pytest.raises(Unavailable, match="database or disk is full"):  # 503 to the sender
        api.node.write(receiver.apply_batch(api.node, [line_check_reply_from_red()], "test"))

    assert api.node.read(lambda conn: last_applied(conn, "RED")) == (0, first_prev())
    assert api.node.read(read_head) == before


def test_an_overdue_message_is_reminded_of_only_to_a_peer_that_holds_it(api: InProcess):
    # A message whose envelope was not applied (or that the line has not carried yet) is not
    # on the peer: reminding it would be one more envelope it cannot apply, every repeat.
    sent = api.client.post(
        "/api/v1/messages", json={"to": ["RED"], "precedence": "flash", "text": "x", "lang": "en"}
    )
    message_id = sent.json()["id"]
    node = api.node

    def alarms() -> int:
        entries = api.client.get("/api/v1/journal", params={"kind": "message.overdue"}).json()
        return len(entries["entries"])

    def reminded() -> bool:
        return node.read(lambda conn: has_waiting(conn, "RED", "reminder"))

    api.clock.advance(minutes=11)  # past a flash message's deadline; RED never answers
    wait_for(lambda: alarms() == 1, what="the first alarm")
    assert not reminded()

    node.write(lambda uow: record_delivery(uow, node, "RED", message_id))  # RED's receipt
    api.clock.advance(seconds=node.settings.escalation_repeat_interval + 1)
    wait_for(lambda: alarms() == 2, what="the alarm repeated")
    wait_for(reminded, what="the reminder to RED, which holds the message now")
