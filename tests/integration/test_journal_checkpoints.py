"""A journal written before checkpoints (each entry signed on its own), migrated: its entries'
signatures stay verifiable, and the node's first commit signs a checkpoint covering them all.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from openline.domain.errors import Conflict
from openline.domain.journal import GENESIS_HASH, make_entry
from openline.domain.proofs import check_proof
from openline.keys.signing import PublicKey, read_private_key
from openline.node.assembly import Node
from openline.services.journal import prove_entry, verify_journal
from openline.store.database import alembic_config, migrate
from tests.support.backend import node_database_url, node_engine
from tests.support.nodes import make_node_dir

BEFORE_CHECKPOINTS = "0011"
LEGACY_ENTRIES = 40


def written_before_checkpoints(directory: Path) -> int:
    """The node's database as Openline wrote it before checkpoints: the schema of migration
    0011, and every entry signed on its own by the node key (with more of them); the number
    of entries."""
    url = node_database_url(directory)
    command.downgrade(alembic_config(url), BEFORE_CHECKPOINTS)
    key = read_private_key(directory / "node.key")
    engine = node_engine(directory)
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, at, kind, data FROM journal ORDER BY seq")).all()
        conn.execute(text("DELETE FROM journal"))
        prev_hash = GENESIS_HASH
        kept = [(seq, at, kind, json.loads(data)) for seq, at, kind, data in rows]
        more = [
            (seq, "2026-12-01T10:00:00.000Z", "message.reminder", {"n": seq})
            for seq in range(len(kept) + 1, LEGACY_ENTRIES + 1)
        ]
        for seq, at, kind, data in kept + more:
            entry = make_entry(
                seq=seq, at=at, kind=kind, data=data, prev_hash=prev_hash, sign=key.sign
            )
            conn.execute(
                text(
                    "INSERT INTO journal (seq, at, kind, data, prev_hash, hash, sig) "
                    "VALUES (:seq, :at, :kind, :data, :prev_hash, :hash, :sig)"
                ),
                {c: getattr(entry, c) for c in ("seq", "at", "kind", "data", "prev_hash")}
                | {"hash": entry.hash, "sig": entry.sig},
            )
            prev_hash = entry.hash
    engine.dispose()
    return LEGACY_ENTRIES


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    directory = make_node_dir(tmp_path / "blue").directory
    written_before_checkpoints(directory)
    migrate(node_database_url(directory))
    return directory


def test_a_migrated_journal_verifies_by_its_entries_own_signatures(migrated: Path):
    node = Node.open(migrated, environ={})
    try:
        report = verify_journal(node)
    finally:
        node.close()

    assert report.intact, report
    assert (report.verified, report.checkpoints) == (LEGACY_ENTRIES, 0)


def test_no_proof_is_made_until_a_checkpoint_covers_the_migrated_entries(migrated: Path):
    node = Node.open(migrated, environ={})
    try:
        with pytest.raises(Conflict, match="no checkpoint covers entry 5 yet"):
            prove_entry(node, 5)
    finally:
        node.close()


def test_a_changed_signature_of_a_migrated_entry_is_named(migrated: Path):
    engine = node_engine(migrated)
    with engine.begin() as conn:
        (sig,) = conn.execute(text("SELECT sig FROM journal WHERE seq = 17")).one()
        flipped = base64.b64encode(
            bytes([base64.b64decode(sig)[0] ^ 1]) + base64.b64decode(sig)[1:]
        )
        conn.execute(
            text("UPDATE journal SET sig = :sig WHERE seq = 17"), {"sig": flipped.decode()}
        )
    engine.dispose()
    node = Node.open(migrated, environ={})
    try:
        report = verify_journal(node)
    finally:
        node.close()

    assert (report.bad_seq, report.verified) == (17, 16)
    assert report.reason == "its signature does not verify against the node key"


def test_the_first_commit_after_the_migration_signs_a_checkpoint_covering_the_old_entries(
    migrated: Path,
):
    node = Node.open(migrated, environ={})
    node.start()
    node.stop()
    node = Node.open(migrated, environ={})
    try:
        report = verify_journal(node)
        proof = prove_entry(node, 5)  # an entry signed on its own, proved by the checkpoint
        first = node.read(
            lambda conn: conn.execute(text("SELECT min(size) FROM journal_checkpoints")).scalar()
        )
    finally:
        node.close()

    assert report.intact, report
    assert report.verified == LEGACY_ENTRIES + 2  # node.started and node.stopped
    assert first == LEGACY_ENTRIES + 1  # the start's commit covers every entry before it
    checked = check_proof(json.dumps(proof), lambda raw: PublicKey(raw).verify)
    assert checked.holds, checked.problems
    assert proof["entries"][0]["sig"] != ""
