"""Proofs of journal entries (docs/journal.md, "Proofs"): made by the node's API and by
``openline journal prove``, checked offline by ``openline journal check-proof`` and by an
independent RFC 9162 implementation (pymerkle); a proof changed in any byte, or checked against
another party's card, fails naming why."""

from __future__ import annotations

import base64
import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pymerkle import InclusionProof, InmemoryTree, verify_consistency, verify_inclusion

from openline.domain.checkpoints import NodeKey, read_checkpoint
from openline.domain.merkle import leaf_hash
from openline.domain.proofs import check_proof
from openline.keys.signing import PublicKey
from openline.store.journal import iter_checkpoints
from tests.support.nodes import InProcess, silent_card
from tests.support.processes import run_openline


def key_check(raw: bytes) -> Any:
    return PublicKey(raw).verify


def send(api: InProcess, text: str) -> int:
    """Send a message to BLUE itself; the seq of its message.created entry."""
    body = {"to": ["BLUE"], "precedence": "flash", "text": text, "lang": "en"}
    sent = api.client.post("/api/v1/messages", json=body)
    assert sent.status_code == 201, sent.text
    page = api.client.get("/api/v1/journal", params={"about": sent.json()["id"]}).json()
    (created,) = [e for e in page["entries"] if e["kind"] == "message.created"]
    return int(created["seq"])


def proof_of(api: InProcess, seq: int) -> bytes:
    answer = api.client.get(f"/api/v1/journal/{seq}/proof")
    assert answer.status_code == 200, answer.text
    return answer.content


@pytest.fixture
def proven(api: InProcess) -> tuple[int, bytes]:
    """A proof of the creation of the second of three messages, from the API."""
    send(api, "first")
    seq = send(api, "the one to prove")
    send(api, "third")
    return seq, proof_of(api, seq)


def test_a_proof_of_an_entry_holds_and_shows_that_entry_alone(
    api: InProcess, proven: tuple[int, bytes]
):
    seq, proof = proven
    head = api.client.get("/api/v1/node").json()["journal"]["seq"]

    report = check_proof(proof, key_check)

    assert report.holds, report.problems
    assert [(e["seq"], e["kind"]) for e in report.entries] == [(seq, "message.created")]
    assert report.entries[0]["data"]["fields"]["text"] == "the one to prove"
    assert report.party == "BLUE"
    assert report.tree_size == head
    # Nothing else of the journal: one entry's bytes, hashes, the checkpoint and the card.
    document = json.loads(proof)
    assert "first" not in proof.decode()
    assert "third" not in proof.decode()
    assert set(document) == {"openline_proof", "card", "checkpoint", "entries", "sig"}


def test_any_one_byte_of_a_proof_changed_fails_and_says_why(proven: tuple[int, bytes]):
    _seq, proof = proven
    reasons: Counter[str] = Counter()
    undetected = []
    for index in range(len(proof)):
        changed = bytearray(proof)
        changed[index] ^= 0x01
        report = check_proof(bytes(changed), key_check)
        if report.holds:
            undetected.append((index, proof[index - 20 : index + 20]))
        else:
            reasons[_reason(report.problems[0])] += 1

    assert undetected == []
    # Each part of the proof is checked for itself, not only by the document's signature.
    assert {
        "not JSON",
        "inclusion proof",
        "content does not match its hash",
        "checkpoint",
        "proof's own signature",
    } <= set(reasons), reasons


def _reason(problem: str) -> str:
    for reason in (
        "not JSON",
        "inclusion proof",
        "content does not match its hash",
        "proof's own signature",
        "checkpoint",
    ):
        if reason in problem:
            return reason
    return problem


def test_a_proof_checked_against_another_partys_card_fails_naming_it(
    proven: tuple[int, bytes],
):
    _seq, proof = proven
    red = silent_card("RED").model_dump()

    report = check_proof(proof, key_check, card=red)

    assert not report.holds
    assert report.problems[0] == (
        "the proof carries the card of BLUE, not the card given (RED): checking against the card "
        "given"
    )
    assert "not this node's openline/RED/" in report.problems[1]


def test_a_proof_of_an_entry_not_yet_written_is_not_found(api: InProcess):
    head = api.client.get("/api/v1/node").json()["journal"]["seq"]

    answer = api.client.get(f"/api/v1/journal/{head + 1}/proof")

    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == f"the journal holds no entry {head + 1}"
    assert api.client.get("/api/v1/journal/0/proof").status_code == 422


def entry_bytes(api: InProcess) -> list[bytes]:
    """Every entry's bytes, from what the API shows (its data canonicalised again)."""
    from openline.domain.canonical import canonical_json
    from openline.domain.journal import signing_bytes

    page = api.client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [
        signing_bytes(
            e["seq"], e["at"], e["kind"], canonical_json(e["data"]).decode(), e["prev_hash"]
        )
        for e in page
    ]


def test_an_independent_rfc_9162_implementation_verifies_the_nodes_proofs_and_roots(
    api: InProcess,
):
    for n in range(12):
        send(api, f"message {n}")
    leaves = entry_bytes(api)
    independent = InmemoryTree(algorithm="sha256")  # RFC 9162's 0x00 / 0x01 prefixes
    for body in leaves:
        independent.append_entry(body)
    node = NodeKey("BLUE", api.node.key.public_key.to_bytes(), api.node.key.public_key.verify)
    checkpoints = [
        read_checkpoint(note, node, key_check).checkpoint
        for _size, note in api.node.read(lambda conn: list(iter_checkpoints(conn)))
    ]

    for checkpoint in checkpoints:  # every signed root is the independent tree's root
        assert independent.get_root(checkpoint.size) == checkpoint.root_hash
    newest = checkpoints[-1]
    for seq in (1, 2, len(leaves) // 2, newest.size):
        document = json.loads(proof_of(api, seq))
        (entry,) = document["entries"]
        ours = [base64.b64decode(h) for h in entry["inclusion"]]
        assert entry["entry"].encode() == leaves[seq - 1]
        tree_size = read_checkpoint(document["checkpoint"], node, key_check).checkpoint.size
        # pymerkle's own proof of the same leaf gives the layout (which side each hash is
        # on); the path it checks is the node's proof, after the leaf's hash.
        layout = independent.prove_inclusion(seq, tree_size)
        theirs = InclusionProof(
            "sha256", True, tree_size, seq, layout.rule, [leaf_hash(leaves[seq - 1]), *ours]
        )
        root = independent.get_root(tree_size)
        verify_inclusion(leaf_hash(leaves[seq - 1]), root, theirs)
        altered = InclusionProof(
            "sha256", True, tree_size, seq, layout.rule, [leaf_hash(b"forged"), *ours]
        )
        with pytest.raises(Exception, match="Base hash does not match"):
            verify_inclusion(leaf_hash(leaves[seq - 1]), root, altered)
    # Each signed checkpoint is consistent with the next, by the independent implementation.
    for old, new in itertools.pairwise(checkpoints):
        consistency = independent.prove_consistency(old.size, new.size)
        verify_consistency(old.root_hash, new.root_hash, consistency)


def test_the_command_line_proves_an_entry_and_checks_it_offline(api: InProcess, tmp_path: Path):
    seq = send(api, "proved on the command line")
    directory = api.node.directory.path
    out = tmp_path / "proof.json"
    card = tmp_path / "blue.json"
    other = tmp_path / "red.json"
    card.write_text(json.dumps(api.node.card().model_dump()), encoding="utf-8")
    other.write_text(json.dumps(silent_card("RED").model_dump()), encoding="utf-8")

    made = run_openline("journal", "prove", directory, str(seq), "--out", out)
    assert made.returncode == 0, made.stderr
    checked = run_openline("journal", "check-proof", out, "--card", card)
    refused = run_openline("journal", "check-proof", out, "--card", other)
    out.write_text(out.read_text().replace("proved on", "proved in"), encoding="utf-8")
    altered = run_openline("journal", "check-proof", out)

    assert checked.returncode == 0, checked.stderr
    assert f"entry {seq}  " in checked.stdout
    assert "message.created" in checked.stdout
    assert "proof holds: 1 entries in BLUE's journal" in checked.stdout
    assert refused.returncode == 1
    assert "FAILED: the proof carries the card of BLUE, not the card given (RED)" in refused.stderr
    assert altered.returncode == 1
    assert f"entry {seq}'s content does not match its hash (altered)" in altered.stderr
