"""Key rotation as the receiver judges it (services/keys.py, line/receiver.py), in this process:
BLUE's outbox handed to RED's receiver, envelope by envelope. A rotation signed by both keys is
taken; by one key only, it is not applied; replayed, it changes nothing; an envelope signed by
the retired key after the switch is refused and journaled; a rotation held for confirmation
waits for the right fingerprint; a key replaced by an administrator. The two real nodes and
their 500 messages are in test_key_rotation.py."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from openline.domain.envelopes import open_envelope
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.roles import Role
from openline.domain.rotations import RETIRED_KEY, fingerprint
from openline.domain.signed_note import checkpoint_origin
from openline.keys.rotation import sign_rotation
from openline.keys.signing import SigningKey, read_private_key
from openline.line import receiver
from openline.node.directory import NodeDirectory, served
from openline.node.settings import ConfigError
from openline.services.journal import prove_entry, verify_journal
from openline.services.keys import KEY_ROTATION, confirm_key, peer_keys, rotate_key
from openline.services.operators import create_token
from openline.services.outbox import seal_for
from openline.services.peers import link_directories
from openline.services.witness import offer_checkpoint
from openline.store import line as line_store
from openline.store.journal import read_entries
from openline.store.witness import latest_witnessed
from tests.support.backend import sqlite_only
from tests.support.nodes import make_node_dir
from tests.support.processes import run_openline
from tests.support.rotation import forged_line_check, opened
from tests.support.witnessing import Tree

pytestmark = sqlite_only("the rules of one receiver, in this process; no store of its own")

HOLD = {"OPENLINE_REQUIRE_KEY_CONFIRMATION": "true"}


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    blue = make_node_dir(tmp_path / "blue").directory
    red = make_node_dir(tmp_path / "red", party="RED", lang="ru").directory
    link_directories(blue, red)
    return blue, red


def outbox(directory: Path, peer: str = "RED") -> list[dict[str, Any]]:
    with opened(directory) as node:
        waiting = node.read(lambda conn: line_store.waiting(conn, peer, limit=100))
    return [json.loads(outgoing.envelope) for outgoing in waiting]


def deliver(
    directory: Path, envelopes: list[dict[str, Any]], environ: dict[str, str] | None = None
):
    """Hand ``envelopes`` to the receiver of the node at ``directory``, as its federation
    endpoint would: checked alone with the peers' keys as the line reads them, then applied."""
    with opened(directory, environ) as node:
        keys = node.read(peer_keys)
        checked = receiver.check_alone(node, envelopes, keys)
        return node.write(receiver.apply_batch(node, checked, "test"))


def entries(directory: Path, kind: JournalKind) -> list[dict[str, Any]]:
    with opened(directory) as node:
        found = node.read(lambda conn: read_entries(conn, after=0, limit=10_000))
    return [json.loads(e.data) for e in found if e.kind == kind]


def peer_key(directory: Path, party: str) -> str | None:
    with opened(directory) as node:
        return node.read(lambda conn: line_store.peer_public_key(conn, party))


def test_a_rotation_signed_by_both_keys_switches_the_peer_and_the_old_key_is_refused_after(
    linked: tuple[Path, Path],
):
    blue, red = linked
    old_key = read_private_key(blue / "node.key")
    with opened(blue) as node:  # a proof made before the rotation, kept by someone
        (blue.parent / "proof.json").write_text(json.dumps(prove_entry(node, 1)))
    rotated = rotate_key(blue)

    new_key = read_private_key(blue / "node.key")
    assert new_key.public_key.to_base64() == rotated.new_key != rotated.old_key
    kept = blue / "retired-keys" / (fingerprint(rotated.old_key).replace(" ", "")[:16] + ".key")
    assert read_private_key(kept).public_key.to_base64() == rotated.old_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    history = json.loads((blue / "key-history.json").read_text())["retired"]
    assert [h["public_key"] for h in history] == [rotated.old_key]
    assert history[0]["sealed"] == {"RED": 1} == rotated.links
    (journaled,) = entries(blue, JournalKind.NODE_KEY_ROTATED)
    assert (journaled["old_key"], journaled["new_key"]) == (rotated.old_key, rotated.new_key)

    (announced,) = outbox(blue)
    assert announced["kind"] == KEY_ROTATION
    (outcome,) = deliver(red, [announced])
    assert outcome.receipt is not None
    assert "not_applied" not in outcome.receipt
    assert peer_key(red, "BLUE") == rotated.new_key
    (switch,) = entries(red, JournalKind.PEER_KEY_ROTATED)
    assert switch == {
        "peer": "BLUE",
        "old_key": rotated.old_key,
        "new_key": rotated.new_key,
        "fingerprint": fingerprint(rotated.new_key),
        "link_seq": 1,
        "how": "rotation",
        "confirmed": False,
    }

    # Replayed: the same envelope gets its receipt back; the same rotation sealed again by
    # the new key is applied and changes nothing.
    assert deliver(red, [announced])[0].receipt == outcome.receipt
    with opened(blue) as node:
        node.write(lambda uow: seal_for(uow, node, "RED", KEY_ROTATION, rotation_body(blue)))
    again = outbox(blue)[-1]
    (replayed,) = deliver(red, [again])
    assert replayed.receipt is not None
    assert "not_applied" not in replayed.receipt
    assert len(entries(red, JournalKind.PEER_KEY_ROTATED)) == 1
    assert peer_key(red, "BLUE") == rotated.new_key

    # An envelope forged with the old key after the switch: refused, journaled in full.
    red_key = read_private_key(red / "node.key").public_key.to_base64()
    forged = forged_line_check(old_key, red_key, 3, open_envelope(again, max_bytes=10**6).hash)
    (refused,) = deliver(red, [forged])
    assert refused.refused is not None
    assert refused.refused.code == RETIRED_KEY
    (security,) = [
        e for e in entries(red, JournalKind.SECURITY_ENVELOPE_REFUSED) if e["code"] == RETIRED_KEY
    ]
    assert security["link_seq"] == 3
    assert "retired after envelope 1" in security["reason"]

    # The proof made before the rotation is checked against BLUE's new card with its history.
    assert_proof_checks_across_the_rotation(blue)

    # BLUE's journal verifies across the rotation: checkpoints before it by the old key,
    # after it (a token made now) by the new one.
    with opened(blue) as node:
        create_token(node, "after-rotation", Role.DUTY_OFFICER)
        report = verify_journal(node)
    assert report.intact, report


def assert_proof_checks_across_the_rotation(blue: Path) -> None:
    new_card = blue.parent / "blue-card.json"
    with opened(blue) as node:
        new_card.write_text(node.card().model_dump_json())
    proof, history = blue.parent / "proof.json", blue / "key-history.json"

    checking = ("journal", "check-proof", proof, "--card", new_card)
    alone = run_openline(*checking)  # the proof carries, and is signed by, the old card
    assert alone.returncode == 1
    assert "not the card given" in alone.stderr
    held = run_openline(*checking, "--key-history", history)
    assert held.returncode == 0, held.stderr
    assert "signed by a key BLUE has since rotated" in held.stderr

    forged = json.loads(history.read_text())
    forged["retired"][0]["rotation"]["new_sig"] = forged["retired"][0]["rotation"]["old_sig"]
    (blue.parent / "forged-history.json").write_text(json.dumps(forged))
    refused = run_openline(*checking, "--key-history", blue.parent / "forged-history.json")
    assert refused.returncode == 1
    assert "rotation 1 is not signed by both its keys" in refused.stderr


def rotation_body(blue: Path) -> dict[str, Any]:
    """BLUE's rotation as it sealed it, from its key history."""
    return json.loads((blue / "key-history.json").read_text())["retired"][0]["rotation"]


@pytest.mark.parametrize("signed_by", ["old key only", "new key only"])
def test_a_rotation_signed_by_one_key_only_is_not_applied_and_the_key_stays(
    linked: tuple[Path, Path], signed_by: str
):
    blue, red = linked
    with opened(blue) as node:
        old, new, impostor = node.key, SigningKey.generate(), SigningKey.generate()
        card = node.card().model_copy(update={"public_key": new.public_key.to_base64()})
        rotation = sign_rotation(old, new, card, "2026-12-07T12:00:00.000Z")
        wrong = sign_rotation(impostor, impostor, card, rotation.rotated_at)
        if signed_by == "old key only":
            rotation = replace(rotation, new_sig=wrong.new_sig)
        else:
            rotation = replace(rotation, old_sig=wrong.old_sig)
        node.write(lambda uow: seal_for(uow, node, "RED", KEY_ROTATION, rotation.to_body()))
    before = peer_key(red, "BLUE")

    (outcome,) = deliver(red, outbox(blue))

    assert outcome.receipt is not None
    missing = "new" if signed_by == "old key only" else "old"
    assert f"not signed by its {missing} key" in outcome.receipt["not_applied"]
    assert peer_key(red, "BLUE") == before
    assert entries(red, JournalKind.PEER_KEY_ROTATED) == []
    (not_applied,) = entries(red, JournalKind.ENVELOPE_NOT_APPLIED)
    assert "a rotation must be signed by both" in not_applied["reason"]


def test_a_rotation_held_for_confirmation_waits_for_the_right_fingerprint(
    linked: tuple[Path, Path],
):
    blue, red = linked
    rotated = rotate_key(blue)
    with opened(blue) as node:  # BLUE's next envelope, signed by its new key
        node.write(lambda uow: seal_for(uow, node, "RED", "line_check", {"interval_s": 1}))
    announced, after = outbox(blue)

    deliver(red, [announced], HOLD)
    (held,) = entries(red, JournalKind.PEER_KEY_ROTATION_HELD)
    assert held["new_key"] == rotated.new_key
    assert peer_key(red, "BLUE") == rotated.old_key
    (refused,) = deliver(red, [after], HOLD)
    assert refused.refused is not None
    assert refused.refused.code == "bad_signature"

    with opened(red, HOLD) as node, pytest.raises(InvalidInput) as wrong:
        confirm_key(node, "BLUE", fingerprint(rotated.old_key))
    assert fingerprint(rotated.old_key) in wrong.value.message
    assert fingerprint(rotated.new_key) in wrong.value.message

    confirmed = run_openline(
        "peer", "confirm-key", red, "BLUE", "--fingerprint", fingerprint(rotated.new_key)
    )
    assert confirmed.returncode == 0, confirmed.stderr
    (switch,) = entries(red, JournalKind.PEER_KEY_ROTATED)
    assert (switch["confirmed"], switch["link_seq"]) == (True, 1)
    (taken,) = deliver(red, [after], HOLD)
    assert taken.receipt is not None
    assert "not_applied" not in taken.receipt


def test_replace_key_takes_the_new_card_only_with_its_fingerprint(
    linked: tuple[Path, Path], tmp_path: Path
):
    blue, red = linked
    with opened(blue) as node:
        new = SigningKey.generate()
        card = node.card().model_copy(update={"public_key": new.public_key.to_base64()})
    card_file = tmp_path / "blue-new.json"
    card_file.write_text(card.model_dump_json())
    old = peer_key(red, "BLUE")
    assert old is not None

    wrong = run_openline(
        "peer", "replace-key", red, "BLUE", card_file, "--fingerprint", fingerprint(old)
    )
    assert wrong.returncode == 1
    assert fingerprint(old) in wrong.stderr
    assert fingerprint(card.public_key) in wrong.stderr
    assert peer_key(red, "BLUE") == old

    right = run_openline(
        "peer", "replace-key", red, "BLUE", card_file, "--fingerprint", fingerprint(card.public_key)
    )
    assert right.returncode == 0, right.stderr
    assert peer_key(red, "BLUE") == card.public_key
    (replaced,) = entries(red, JournalKind.PEER_KEY_REPLACED)
    assert (replaced["old_key"], replaced["new_key"], replaced["link_seq"]) == (
        old,
        card.public_key,
        0,
    )


def test_a_rotation_cannot_begin_a_history_unchecked_by_the_witness(linked: tuple[Path, Path]):
    blue, red = linked
    old_origin = checkpoint_origin(
        "BLUE", read_private_key(blue / "node.key").public_key.to_bytes()
    )
    with opened(blue) as node:  # RED, BLUE's witness, cosigns a checkpoint under the old key
        node.write(lambda uow: offer_checkpoint(uow, node, "RED"))
    deliver(red, outbox(blue))
    with opened(red) as node:
        held = node.read(lambda conn: latest_witnessed(conn, old_origin))
    assert held is not None

    rotate_key(blue)
    with opened(blue) as node:  # a history rewritten at the rotation, signed by the new key
        rewritten = Tree("BLUE", node.key, [b"rewritten %d" % n for n in range(held.size + 5)])
        offered = rewritten.offer(held.size + 5, held.size)
        node.write(lambda uow: seal_for(uow, node, "RED", "checkpoint", offered.to_body()))
    deliver(red, outbox(blue))

    (fork,) = entries(red, JournalKind.SECURITY_CHECKPOINT_REFUSED)
    assert (fork["peer"], fork["cosigned_size"]) == ("BLUE", held.size)
    assert fork["origin"] == rewritten.origin != old_origin


def test_a_node_whose_key_was_lost_takes_a_new_one_and_the_peer_replaces_it(
    linked: tuple[Path, Path],
):
    blue, red = linked
    with opened(blue) as node:  # waiting for RED, signed by the key about to be lost
        node.write(lambda uow: [seal_for(uow, node, "RED", "line_check", {}) for _ in range(3)])
    lost = read_private_key(blue / "node.key").public_key.to_base64()
    (blue / "node.key").unlink()

    made = run_openline("key", "rotate", blue, "--old-key-lost")
    assert made.returncode == 0, made.stderr
    assert "3 envelopes waiting for RED signed again by the new key" in made.stdout
    new_key = read_private_key(blue / "node.key").public_key.to_base64()
    card_file = blue.parent / "blue-new.json"
    with opened(blue) as node:
        card_file.write_text(node.card().model_dump_json())
        assert verify_journal(node).intact  # its old checkpoints, by the lost key's public key
    (journaled,) = entries(blue, JournalKind.NODE_KEY_ROTATED)
    assert (journaled["old_key"], journaled["old_key_lost"]) == (lost, True)

    taken = run_openline(
        "peer", "replace-key", red, "BLUE", card_file, "--fingerprint", fingerprint(new_key)
    )
    assert taken.returncode == 0, taken.stderr
    outcomes = deliver(red, outbox(blue))  # signed again by the new key, boxed by the lost one
    assert [o.receipt and "not_applied" not in o.receipt for o in outcomes] == [True] * 3
    assert peer_key(red, "BLUE") == new_key


def test_a_key_is_not_rotated_while_the_node_is_served(linked: tuple[Path, Path]):
    blue, _red = linked
    before = (blue / "node.key").read_text()

    with served(NodeDirectory(blue)), pytest.raises(ConfigError) as refused:
        rotate_key(blue)

    assert "serve lock" in refused.value.message
    assert (blue / "node.key").read_text() == before
    assert not (blue / "key-history.json").exists()
    assert entries(blue, JournalKind.NODE_KEY_ROTATED) == []
