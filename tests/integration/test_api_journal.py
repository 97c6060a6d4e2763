"""The journal through the node's API: what each change records, paging, the head, and proof.

An outside reviewer holding only the API's answers and the node's public key (from
``GET /api/v1/node``) must be able to check every entry with the domain's ``verify_chain``,
against the newest checkpoint (from ``GET /api/v1/journal/{seq}/proof``).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from openline.domain.canonical import canonical_json
from openline.domain.checkpoints import NodeKey, checked_checkpoint
from openline.domain.journal import (
    GENESIS_HASH,
    ChainReport,
    CheckedCheckpoint,
    JournalEntry,
    JournalKind,
    verify_chain,
)
from openline.domain.roles import Role
from openline.keys.signing import PublicKey, SigningKey
from openline.services.journal import prove_entry, verify_journal
from openline.services.operators import create_token
from openline.store.journal import read_head
from tests.support.nodes import InProcess

JOURNAL = "/api/v1/journal"
FIRST_KINDS = ["node.initialized", "operator.token_created", "operator.token_created"]


def entries(api: InProcess, **params: int) -> list[dict[str, Any]]:
    page = api.client.get(JOURNAL, params={"limit": 5000, **params})
    assert page.status_code == 200, page.text
    return list(page.json()["entries"])


def kinds(api: InProcess) -> list[str]:
    return [e["kind"] for e in entries(api)]


def send(api: InProcess, to: list[str], text: str = "hi") -> dict[str, Any]:
    body = {"to": to, "precedence": "flash", "text": text, "lang": "en"}
    sent = api.client.post("/api/v1/messages", json=body)
    assert sent.status_code == 201, sent.text
    return dict(sent.json())


def as_entry(public: dict[str, Any]) -> JournalEntry:
    """An entry as the API shows it, back in the stored form (``data`` as canonical JSON)."""
    data = canonical_json(public["data"]).decode("utf-8")
    fields = {k: v for k, v in public.items() if k != "data"}
    return JournalEntry(data=data, **fields)


def node_key(api: InProcess) -> PublicKey:
    return PublicKey.from_base64(api.client.get("/api/v1/node").json()["party"]["public_key"])


def newest_checkpoint(api: InProcess, key: PublicKey) -> list[CheckedCheckpoint]:
    """The node's newest checkpoint, from the API's proof of its last entry, read for checking
    with ``key``: the entries carry no signature of their own, the checkpoint signs them all."""
    head = api.client.get("/api/v1/node").json()["journal"]["seq"]
    note = api.client.get(f"/api/v1/journal/{head}/proof").json()["checkpoint"]
    node = NodeKey("BLUE", key.to_bytes(), key.verify)
    return [checked_checkpoint(head, note, node, lambda raw: PublicKey(raw).verify)]


def verify_with(api: InProcess, journal: list[JournalEntry], key: PublicKey) -> ChainReport:
    return verify_chain(journal, key.verify, checkpoints=newest_checkpoint(api, key))


def send_and_ack(api: InProcess) -> None:
    message = send(api, ["BLUE"])
    api.client.post(f"/api/v1/messages/{message['id']}/ack")


def send_and_ack_twice(api: InProcess) -> None:
    message = send(api, ["BLUE"])
    api.client.post(f"/api/v1/messages/{message['id']}/ack")
    api.client.post(f"/api/v1/messages/{message['id']}/ack")


def read_everything(api: InProcess) -> None:
    for path in ("/api/v1/node", "/api/v1/messages", JOURNAL, "/api/v1/messages?box=in"):
        assert api.client.get(path).status_code == 200


def refused_send(api: InProcess) -> None:
    body = {"to": ["BLUE"], "precedence": "urgent", "text": "hi", "lang": "en"}
    assert api.client.post("/api/v1/messages", json=body).status_code == 422


def unauthenticated(api: InProcess) -> None:
    assert api.client.get("/api/v1/messages", headers={"Authorization": "Bearer x"}).is_error


CREATED_AND_DELIVERED = ["message.created", "message.delivered"]
QUEUED = "envelope.queued"
ACTIONS: list[tuple[str, Callable[[InProcess], object], list[str]]] = [
    ("send to our own party", lambda api: send(api, ["BLUE"]), CREATED_AND_DELIVERED),
    ("send to another party", lambda api: send(api, ["RED"]), ["message.created", QUEUED]),
    ("send to both", lambda api: send(api, ["BLUE", "RED"]), [*CREATED_AND_DELIVERED, QUEUED]),
    ("send and acknowledge", send_and_ack, [*CREATED_AND_DELIVERED, "message.acknowledged"]),
    ("acknowledge twice", send_and_ack_twice, [*CREATED_AND_DELIVERED, "message.acknowledged"]),
    (
        "create a token",
        lambda api: create_token(api.node, "watch-2", Role.DUTY_OFFICER),
        ["operator.token_created"],
    ),
    ("a request with a wrong token", unauthenticated, ["security.unauthenticated"]),
    ("only reads", read_everything, []),
    ("a refused send", refused_send, []),
]


def test_a_started_node_has_journaled_its_creation_and_its_start(api: InProcess):
    journal = entries(api)

    # The api fixture links RED, whose node never answers: the line judges it down at once
    # and queues its first line check, and with it the checkpoint RED is to witness; that
    # check finds no answer, and RED's path is judged down.
    assert [e["kind"] for e in journal] == [
        *FIRST_KINDS,
        "peer.added",
        "node.started",
        "line.status",
        "envelope.queued",
        "envelope.queued",
        "line.path_status",
    ]
    assert [e["seq"] for e in journal] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    card = api.client.get("/api/v1/node").json()
    assert journal[0]["data"]["card"] == card["party"]
    assert journal[4]["data"] == {"version": card["version"]}
    assert journal[5]["data"]["status"] == "down"
    assert journal[6]["data"]["kind"] == "line_check"
    assert journal[7]["data"]["kind"] == "checkpoint"


@pytest.mark.parametrize(("name", "action", "added"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_every_change_adds_its_journal_entries_and_nothing_else(
    api: InProcess, name: str, action: Callable[[InProcess], object], added: list[str]
):
    before = kinds(api)

    action(api)

    after = kinds(api)
    assert after[: len(before)] == before
    assert after[len(before) :] == added


def test_a_created_message_is_journaled_with_everything_needed_to_prove_it(api: InProcess):
    api.clock.advance(minutes=5)
    message = send(api, ["BLUE", "RED"], text="convoy at 1400Z")
    api.clock.advance(seconds=30)
    api.client.post(f"/api/v1/messages/{message['id']}/ack")

    created, delivered, queued, acknowledged = entries(api)[-4:]

    assert created["kind"] == "message.created"
    assert created["at"] == message["created_at"] == "2024-12-03T12:05:00.000Z"
    assert created["data"] == {
        "id": message["id"],
        "from": "BLUE",
        "to": ["BLUE", "RED"],
        "precedence": "flash",
        "template": "free-text",
        "fields": {"text": "convoy at 1400Z", "lang": "en"},
        "in_reply_to": None,
        "created_at": "2024-12-03T12:05:00.000Z",
        "deadline": "2024-12-03T12:15:00.000Z",
        "created_by": "admin",
    }
    assert delivered["kind"] == "message.delivered"
    assert delivered["data"] == {
        "message_id": message["id"],
        "party": "BLUE",
        "at": "2024-12-03T12:05:00.000Z",
    }
    assert queued["kind"] == "envelope.queued"
    assert queued["data"]["to"] == "RED"
    assert queued["data"]["kind"] == "message"
    assert acknowledged["kind"] == "message.acknowledged"
    assert acknowledged["at"] == "2024-12-03T12:05:30.000Z"
    assert acknowledged["data"] == {
        "message_id": message["id"],
        "party": "BLUE",
        "at": "2024-12-03T12:05:30.000Z",
        "by": "admin",
    }


def test_a_new_token_is_journaled_by_its_fingerprint_never_by_itself(api: InProcess):
    token = create_token(api.node, "watch-2", Role.DUTY_OFFICER)

    entry = entries(api)[-1]

    assert entry["kind"] == "operator.token_created"
    assert entry["data"] == {
        "operator": "watch-2",
        "role": "duty-officer",
        "token_id": hashlib.sha256(token.encode()).hexdigest()[:12],
    }
    assert token not in str(entries(api))
    assert api.token not in str(entries(api))


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 50])
def test_paging_with_after_and_limit_walks_the_whole_journal_once(api: InProcess, limit: int):
    for n in range(4):
        send(api, ["BLUE"], text=f"m{n}")
    whole = entries(api)

    walked: list[dict[str, Any]] = []
    page = entries(api, after=0, limit=limit)
    while page:
        assert len(page) <= limit
        walked += page
        page = entries(api, after=page[-1]["seq"], limit=limit)

    assert walked == whole
    assert [e["seq"] for e in walked] == list(range(1, len(whole) + 1))


@pytest.mark.parametrize("after", [0, 3, 16, 17, 18, 10_000])
def test_after_returns_exactly_the_entries_that_follow_it(api: InProcess, after: int):
    for n in range(4):
        send(api, ["BLUE"], text=f"m{n}")
    whole = entries(api)
    assert len(whole) == 17  # 9 from the api fixture (see the first test), 2 per message

    assert entries(api, after=after) == [e for e in whole if e["seq"] > after]


def test_the_head_is_the_last_entry_wherever_the_page_ends(api: InProcess):
    send(api, ["BLUE", "RED"])
    last = entries(api)[-1]
    expected = {"seq": last["seq"], "hash": last["hash"]}

    for params in ({}, {"limit": 1}, {"after": last["seq"]}, {"after": 10_000}):
        assert api.client.get(JOURNAL, params=params).json()["head"] == expected
    assert api.client.get("/api/v1/node").json()["journal"] == expected


def test_each_entry_names_the_hash_of_the_entry_before_it(api: InProcess):
    send_and_ack(api)
    journal = entries(api)

    assert journal[0]["prev_hash"] == GENESIS_HASH
    for before, entry in itertools.pairwise(journal):
        assert entry["prev_hash"] == before["hash"]
        assert entry["seq"] == before["seq"] + 1


def test_the_journal_from_the_api_verifies_with_the_public_key_from_the_api(api: InProcess):
    send_and_ack(api)
    send(api, ["RED"])
    unauthenticated(api)
    journal = [as_entry(e) for e in entries(api)]

    report = verify_with(api, journal, node_key(api))

    assert report.intact, report
    assert report.verified == len(journal) == 15
    assert report.checkpoints == 1


def test_the_journal_does_not_verify_with_another_key(api: InProcess):
    journal = [as_entry(e) for e in entries(api)]

    report = verify_with(api, journal, SigningKey.generate().public_key)

    assert report.bad_checkpoint == len(journal)
    assert report.reason is not None
    assert "another node's checkpoint, or another key's" in report.reason


def altered_text(journal: list[JournalEntry], seq: int) -> list[JournalEntry]:
    entry = journal[seq - 1]
    return [
        *journal[: seq - 1],
        replace(entry, data=entry.data.replace("hi", "ho")),
        *journal[seq:],
    ]


def removed(journal: list[JournalEntry], seq: int) -> list[JournalEntry]:
    return [e for e in journal if e.seq != seq]


def swapped(journal: list[JournalEntry], seq: int) -> list[JournalEntry]:
    changed = list(journal)
    changed[seq - 1], changed[seq] = changed[seq], changed[seq - 1]
    return changed


@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [(altered_text, 10), (removed, 11), (swapped, 11)],
    ids=["altered", "removed", "swapped"],
)
def test_a_journal_changed_after_the_api_served_it_fails_verification_at_the_change(
    api: InProcess, tamper: Callable[[list[JournalEntry], int], list[JournalEntry]], bad_seq: int
):
    send(api, ["BLUE"], text="hi")  # entry 10: message.created, entry 11: message.delivered
    journal = [as_entry(e) for e in entries(api)]
    assert journal[9].kind == "message.created"
    assert verify_with(api, journal, node_key(api)).intact

    report = verify_with(api, tamper(journal, 10), node_key(api))

    assert report.bad_seq == bad_seq
    assert report.verified == 9


def test_about_gives_exactly_a_messages_own_entries_however_far_back(api: InProcess):
    first = send(api, ["RED"], "first")
    for number in range(30):  # entries about other messages in between
        send(api, ["RED"], f"other {number}")
    last = send(api, ["RED"], "last")
    everything = entries(api)

    def about(message_id: str) -> list[dict[str, Any]]:
        named = ("id", "message_id")
        return [e for e in everything if message_id in (e["data"].get(k) for k in named)]

    for message in (first, last):
        page = api.client.get(JOURNAL, params={"about": message["id"], "limit": 5})
        assert page.status_code == 200, page.text
        assert page.json()["entries"] == about(message["id"])
        assert page.json()["entries"], "a sent message has at least its creation"
        assert page.json()["head"]["seq"] == everything[-1]["seq"]


def test_about_refuses_what_is_not_an_id(api: InProcess):
    answer = api.client.get(JOURNAL, params={"about": 'msg"%'})
    assert answer.status_code == 422, answer.text
    assert "about" in answer.text


def matching(everything: list[dict[str, Any]], keep: Callable[[str], bool]) -> list[int]:
    return [e["seq"] for e in everything if keep(e["kind"])]


def seqs(api: InProcess, **params: Any) -> list[int]:
    page = api.client.get(JOURNAL, params={"limit": 5000, **params})
    assert page.status_code == 200, page.text
    return [e["seq"] for e in page.json()["entries"]]


def test_kind_and_hide_filter_the_whole_journal_by_kind_or_prefix(api: InProcess):
    for number in range(5):
        send_and_ack(api)
        send(api, ["RED"], f"to red {number}")
    everything = entries(api)

    assert seqs(api, kind="message.") == matching(everything, lambda k: k.startswith("message."))
    assert seqs(api, kind="message.acknowledged") == matching(
        everything, lambda k: k == "message.acknowledged"
    )
    assert seqs(api, kind=["message.acknowledged", "peer."]) == matching(
        everything, lambda k: k in {"message.acknowledged", "peer.added"}
    )
    assert seqs(api, hide="envelope.") == matching(
        everything, lambda k: not k.startswith("envelope.")
    )
    assert seqs(api, kind="message.", hide="message.created") == matching(
        everything, lambda k: k.startswith("message.") and k != "message.created"
    )
    assert len(seqs(api, kind="message.acknowledged")) == 5


def test_q_finds_text_in_the_data_however_far_back_ignoring_case(api: InProcess):
    first = send(api, ["RED"], "Convoy at the Bridge")
    for number in range(40):
        send(api, ["RED"], f"other {number}")
    head = entries(api)[-1]["seq"]

    page = api.client.get(JOURNAL, params={"q": "convoy AT the bridge", "limit": 5})
    assert page.status_code == 200, page.text
    found = page.json()["entries"]
    assert [e["data"]["id"] for e in found] == [first["id"]]
    assert page.json()["head"]["seq"] == head
    # The latest page before the head, as the console asks for it, finds it too.
    assert seqs(api, q="Convoy", before=head + 1, limit=5) == [found[0]["seq"]]
    assert seqs(api, q="not in any entry") == []
    assert seqs(api, q="message.created", kind="message.") == matching(
        entries(api), lambda k: k == "message.created"
    )


@pytest.mark.parametrize(
    ("wanted", "other"),
    [
        ("rate 50% now", "rate 50 percent now"),
        ("a_b", "axb"),
        ('say "hi"', "say hi"),
        ("path C:\\ops", "path C:ops"),
        ("Колонна у моста", "Колонна"),  # noqa: RUF001 - Russian text
    ],
)
def test_q_matches_its_text_literally(api: InProcess, wanted: str, other: str):
    sent = send(api, ["RED"], wanted)
    send(api, ["RED"], other)

    found = api.client.get(JOURNAL, params={"q": wanted, "kind": "message.created"})
    assert found.status_code == 200, found.text
    assert [e["data"]["id"] for e in found.json()["entries"]] == [sent["id"]]


def test_before_pages_back_through_a_filter_to_the_first_entry(api: InProcess):
    for number in range(12):
        send(api, ["RED"], f"page {number}")
    everything = entries(api)
    wanted = matching(everything, lambda k: k == "message.created")

    pages: list[list[int]] = []
    before = everything[-1]["seq"] + 1
    while page := seqs(api, kind="message.created", before=before, limit=5):
        pages.append(page)
        before = page[0]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [seq for page in reversed(pages) for seq in page] == wanted


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "message%"},
        {"hide": "Envelope."},
        {"kind": "a.b.c"},
        {"q": ""},
        {"q": "x" * 201},
        {"before": 0},
        {"about": "msg_1", "q": "x"},
        {"about": "msg_1", "kind": "message."},
    ],
)
def test_a_filter_that_is_not_one_is_refused(api: InProcess, params: dict[str, Any]):
    answer = api.client.get(JOURNAL, params=params)
    assert answer.status_code == 422, answer.text
    assert next(iter(params)) in answer.text


def test_the_journal_verifies_and_proves_while_the_writer_commits_more(api: InProcess):
    # Verification reads the entries and the checkpoints over them in two statements: both
    # must come from one snapshot, or a commit landing between them shows entries that no
    # checkpoint read signs (PostgreSQL's READ COMMITTED took a snapshot per statement).
    stop = threading.Event()

    def commit_forever() -> None:
        while not stop.is_set():
            api.node.write(
                lambda uow: [uow.record(JournalKind.NODE_STARTED, {"n": n}) for n in range(20)]
            )

    writer = threading.Thread(target=commit_forever)
    writer.start()
    try:
        for _ in range(30):
            report = verify_journal(api.node)
            assert report.intact, report
            head = api.node.read(read_head)[0]
            assert prove_entry(api.node, head)["entries"]
    finally:
        stop.set()
        writer.join()
