"""Witnessing over the line between real node processes: each party cosigns the other's
checkpoints, a third party's node (a liaison linked to both) cosigns both, and a party that
rewrites its own history and re-signs it with its own key is refused by every witness.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from openline.domain.canonical import canonical_json
from openline.domain.journal import GENESIS_HASH, JournalKind, signing_bytes
from openline.domain.merkle import Frontier, inclusion_proof, leaf_hash, verify_inclusion
from openline.domain.signed_note import (
    Checkpoint,
    Cosignature,
    checkpoint_origin,
    cosigner_name,
    parse_checkpoint,
    parse_note,
)
from openline.keys.notes import sign_checkpoint, verify_cosignature, verify_note
from openline.keys.signing import PublicKey, SigningKey, read_private_key
from openline.node.directory import NodeDirectory
from openline.services.peers import link_directories
from openline.store import witness as store
from openline.store.journal import node_reader
from tests.support.backend import node_engine, sqlite_only
from tests.support.nodes import make_node_dir
from tests.support.operator import assert_flash_gets_through, journal_of, send, state
from tests.support.ports import free_port
from tests.support.processes import (
    RunningNode,
    answering,
    launch_node,
    run_openline,
    start_pair,
    stop_pair,
)
from tests.support.waiting import wait_for

pytestmark = sqlite_only("nothing here depends on the database: the writer and store are shared")

ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "1"}


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[dict[str, RunningNode]]:
    """BLUE and RED linked to each other, and LIAISON, a third party's node, linked to both."""
    made = {
        party: make_node_dir(tmp_path / party.lower(), party=party, port=free_port())
        for party in ("BLUE", "RED", "LIAISON")
    }
    for a, b in (("BLUE", "RED"), ("BLUE", "LIAISON"), ("RED", "LIAISON")):
        link_directories(made[a].directory, made[b].directory)
    running = {p: launch_node(new.directory, new.token, ENV) for p, new in made.items()}
    started = list(running.values())  # and any the test starts again in their place
    try:
        for node in started:
            answering(node)
        yield running
    finally:
        for node in [*started, *running.values()]:
            node.stop_surely()


def read(node: RunningNode, query: Any) -> Any:
    engine = node_engine(node.directory)
    try:
        with engine.connect() as conn:
            return query(conn)
    finally:
        engine.dispose()


def public_key(node: RunningNode) -> PublicKey:
    return read_private_key(NodeDirectory(node.directory).key_file).public_key


def cosigned_by(owner: RunningNode, witness: str) -> list[store.Held]:
    return [h for h in read(owner, store.all_cosignatures) if h.peer == witness]


def test_cosignatures_flow_both_ways_and_through_a_third_party_then_a_rewrite_is_refused(
    trio: dict[str, RunningNode],
) -> None:
    cosignatures_flow_both_ways_and_through_the_third_party(trio)
    a_party_that_rewrites_its_history_is_refused_by_its_witnesses(trio)


def cosignatures_flow_both_ways_and_through_the_third_party(trio: dict[str, RunningNode]) -> None:
    for owner, witness in [(o, w) for o in trio for w in trio if o != w]:
        wait_for(
            lambda o=owner, w=witness: len(cosigned_by(trio[o], w)) >= 2,
            what=f"{owner} holding two cosignatures by {witness}",
        )
        key, witness_key = public_key(trio[owner]), public_key(trio[witness])
        origin = checkpoint_origin(owner, key.to_bytes())
        name = cosigner_name(witness, witness_key.to_bytes())
        for held in cosigned_by(trio[owner], witness):
            cosignature = Cosignature.from_note_signature(
                parse_note("x\n\n" + held.cosignature).signatures[0]
            )
            assert held.witness == name
            assert verify_cosignature(held.checkpoint, cosignature, name, witness_key)
            assert parse_checkpoint(held.checkpoint).origin == origin
            # what the witness keeps is the same checkpoint, signed by the owner's key
            kept = read(trio[witness], lambda c, o=origin, s=held: _witnessed(c, o, s.size))
            assert parse_note(kept.checkpoint).text == held.checkpoint
            assert verify_note(parse_note(kept.checkpoint), origin, key)
            # and the owner's checkpoint of that size is the one cosigned
            note = read(trio[owner], lambda c, s=held: _checkpoint_note(c, s.size))
            assert note.startswith(held.checkpoint + "\n")
    assert journal_of(trio["RED"], JournalKind.SECURITY_CHECKPOINT_REFUSED) == []


def _checkpoint_note(conn: Connection, size: int) -> str:
    query = text("SELECT note FROM journal_checkpoints WHERE size = :s")
    return str(conn.execute(query, {"s": size}).scalar_one())


def _witnessed(conn: Connection, origin: str, size: int) -> store.Witnessed:
    row = conn.execute(
        text("SELECT * FROM witnessed_checkpoints WHERE origin = :o AND size = :s"),
        {"o": origin, "s": size},
    ).one()
    return store.Witnessed(**row._mapping)


def a_party_that_rewrites_its_history_is_refused_by_its_witnesses(
    trio: dict[str, RunningNode],
) -> None:
    """BLUE, stopped, has its journal rewritten and re-signed with its own key, and started
    again: RED and LIAISON refuse its next checkpoint; a proof of the rewritten entry fails
    against the checkpoint RED cosigned; the line still carries a FLASH both ways."""
    blue, red, liaison = trio["BLUE"], trio["RED"], trio["LIAISON"]
    message = send(blue, ["RED"], "Hold fire on grid 37S DA 1234 5678")
    wait_for(lambda: state(blue, message["id"]) == "delivered", what="the message's delivery")
    created = next(
        e["seq"]
        for e in journal_of(blue, JournalKind.MESSAGE_CREATED)
        if e["data"]["id"] == message["id"]
    )
    origin = checkpoint_origin("BLUE", public_key(blue).to_bytes())
    red_name = cosigner_name("RED", public_key(red).to_bytes())
    wait_for(
        lambda: _held_size(red, origin) >= created and _held_size(liaison, origin) >= created,
        what="RED and LIAISON cosigning a checkpoint of BLUE's that covers the message",
    )
    blue.stop()
    cosigned = read(red, lambda c: store.latest_witnessed(c, origin))
    cosigned_root = parse_checkpoint(parse_note(cosigned.checkpoint).text).root_hash
    honest = _inclusion(blue, created, cosigned.size)
    assert verify_inclusion(created - 1, cosigned.size, *honest, cosigned_root)

    assert run_openline("journal", "verify", blue.directory).returncode == 0
    honest_proof = _proof(blue, created, "honest")
    assert honest_proof.returncode == 0, honest_proof.stderr
    assert "cosigned by RED" in honest_proof.stdout
    _rewrite(blue, created, "Open fire on grid 37S DA 1234 5678")
    # Its own verification finds the witnesses' cosignatures kept no longer verify.
    verified = run_openline("journal", "verify", blue.directory)
    assert verified.returncode == 1
    assert "journal broken at the checkpoint of tree size" in verified.stderr
    # Its proof of the entry, drawn from the rewritten journal, fails on RED's cosignature.
    rewritten_proof = _proof(blue, created, "rewritten")
    assert rewritten_proof.returncode == 1
    assert f"FAILED: the checkpoint's signature by witness {red_name} does not verify" in (
        rewritten_proof.stdout + rewritten_proof.stderr
    )
    blue = trio["BLUE"] = answering(launch_node(blue.directory, blue.token, ENV))

    for witness in (red, liaison):
        wait_for(
            lambda w=witness: journal_of(w, JournalKind.SECURITY_CHECKPOINT_REFUSED),
            what="the rewritten history refused",
        )
        refused = journal_of(witness, JournalKind.SECURITY_CHECKPOINT_REFUSED)[0]["data"]
        assert refused["peer"] == "BLUE"
        assert refused["reason"].endswith("which was cosigned")
        assert refused["from_size"] == refused["cosigned_size"]
        # the evidence: both checkpoints, signed by BLUE's own key
        for note in (refused["checkpoint"], refused["cosigned_checkpoint"]):
            assert verify_note(parse_note(note), origin, public_key(blue))
    assert _held_size(red, origin) == cosigned.size  # nothing of BLUE's cosigned since

    # A proof drawn from the rewritten journal fails against the checkpoint RED cosigned.
    rewritten = _inclusion(blue, created, cosigned.size)
    assert rewritten[0] != honest[0]
    assert not verify_inclusion(created - 1, cosigned.size, *rewritten, cosigned_root)

    assert_flash_gets_through(blue, red, "RED")
    assert_flash_gets_through(red, blue, "BLUE")


def _proof(node: RunningNode, seq: int, name: str) -> subprocess.CompletedProcess[str]:
    """``openline journal prove`` of entry ``seq``, then ``check-proof`` of the file."""
    path = node.directory.parent / f"{name}-proof.json"
    proved = run_openline("journal", "prove", node.directory, str(seq), "--out", path)
    assert proved.returncode == 0, proved.stderr
    return run_openline("journal", "check-proof", path)


def _held_size(witness: RunningNode, origin: str) -> int:
    held = read(witness, lambda c: store.latest_witnessed(c, origin))
    return held.size if held else 0


def _inclusion(node: RunningNode, seq: int, size: int) -> tuple[bytes, list[bytes]]:
    """Entry ``seq``'s leaf hash and its inclusion proof in the tree of ``size`` entries, as the
    node's database holds them."""

    def query(conn: Connection) -> tuple[bytes, list[bytes]]:
        row = conn.execute(
            text("SELECT seq, at, kind, data, prev_hash FROM journal WHERE seq = :s"), {"s": seq}
        ).one()
        leaf = leaf_hash(signing_bytes(*row))
        return leaf, inclusion_proof(seq - 1, size, node_reader(conn))

    return read(node, query)


def _rewrite(node: RunningNode, seq: int, text_now: str) -> None:
    """What a party holding its own key can do to its stopped node: change entry ``seq``'s
    message text, then rebuild the chain, the tree and every checkpoint, re-signed."""
    key = read_private_key(NodeDirectory(node.directory).key_file)
    origin = checkpoint_origin("BLUE", key.public_key.to_bytes())
    engine = node_engine(node.directory)
    try:
        with engine.begin() as conn:
            _rewrite_rows(conn, key, origin, seq, text_now)
    finally:
        engine.dispose()


def _rewrite_rows(conn: Connection, key: SigningKey, origin: str, seq: int, text_now: str) -> None:
    rows = conn.execute(text("SELECT seq, at, kind, data, sig FROM journal ORDER BY seq")).all()
    roots: dict[int, bytes] = {}
    prev, frontier = GENESIS_HASH, Frontier()
    for number, at, kind, stored, sig in rows:
        data = stored
        if number == seq:
            changed = json.loads(stored)
            changed["fields"]["text"] = text_now
            data = canonical_json(changed).decode("utf-8")
        body = signing_bytes(number, at, kind, data, prev)
        frontier, completed = frontier.append(leaf_hash(body))
        roots[number] = frontier.root()
        digest = hashlib.sha256(body).hexdigest()
        conn.execute(
            text(
                "UPDATE journal SET data = :data, prev_hash = :prev, hash = :hash, sig = :sig,"
                " tree = :tree WHERE seq = :seq"
            ),
            {
                "data": data,
                "prev": prev,
                "hash": digest,
                "sig": base64.b64encode(key.sign(body)).decode("ascii") if sig else "",
                "tree": b"".join(completed),
                "seq": number,
            },
        )
        prev = digest
    # Every checkpoint re-signed; the cosignatures held are left as they were.
    for (size,) in conn.execute(text("SELECT size FROM journal_checkpoints")).all():
        note = sign_checkpoint(Checkpoint(origin, size, roots[size]), key).to_text()
        conn.execute(
            text("UPDATE journal_checkpoints SET note = :note WHERE size = :size"),
            {"note": note, "size": size},
        )


def test_a_busy_journal_is_offered_to_its_witness_between_line_checks(tmp_path: Path) -> None:
    """Line checks an hour apart: the cosignatures that follow BLUE's journal as it grows by
    messages come from witnessing under load, once it grows by 40 entries."""
    env = {"OPENLINE_LINE_CHECK_INTERVAL": "3600", "OPENLINE_WITNESS_AFTER_ENTRIES": "40"}
    pair = start_pair(tmp_path, env)
    try:
        wait_for(lambda: cosigned_by(pair.blue, "RED"), what="RED cosigning at the first check")
        first = max(held.size for held in cosigned_by(pair.blue, "RED"))
        for n in range(25):
            send(pair.blue, ["RED"], f"Convoy {n} passing checkpoint C", precedence="routine")
        wait_for(
            lambda: max(held.size for held in cosigned_by(pair.blue, "RED")) >= first + 40,
            what="RED cosigning BLUE's grown journal before the next line check",
        )
        assert len(journal_of(pair.blue, JournalKind.ENVELOPE_QUEUED)) < 100  # no offer storm
    finally:
        stop_pair(pair)
