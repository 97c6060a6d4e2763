"""Signed notes, checkpoints and cosignatures against the C2SP specifications' published examples.

The PeterNeumann key and note come from the reference implementation of signed notes (the Go
module golang.org/x/mod/sumdb/note, its documentation and tests); Ed25519 is deterministic, so
signing the same text with the same key must give the published signature byte for byte. The
checkpoint with a witness's cosignature and the quasimodo note are the examples printed in the
C2SP tlog-cosignature and signed-note specifications.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from openline.domain.signed_note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    Cosignature,
    NoteError,
    SignedNote,
    checkpoint_origin,
    cosigned_message,
    cosigner_name,
    key_id,
    parse_checkpoint,
    parse_note,
    parse_verifier_key,
    verifier_key,
)
from openline.keys.notes import (
    cosign,
    sign_checkpoint,
    sign_note,
    verify_cosignature,
    verify_note,
)
from openline.keys.signing import PublicKey, SigningKey

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY_MATERIAL = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # after PRIVATE+KEY+name+id+
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE_LINE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
GO_NOTE = GO_TEXT + "\n" + GO_SIGNATURE_LINE

C2SP_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
C2SP_COSIGNED = (
    C2SP_CHECKPOINT
    + "\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URY"
    "N7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dl"
    "rDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
C2SP_QUASIMODO = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
    "ed \u00e8 subito sera.\n"
    "\n\u2014 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJK"
    "ONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def go_signing_key() -> SigningKey:
    raw = base64.b64decode(GO_SKEY_MATERIAL)
    assert raw[0] == ED25519
    return SigningKey(raw[1:])


def test_the_reference_key_signs_the_reference_note_byte_for_byte() -> None:
    key = go_signing_key()
    signature = sign_note(GO_TEXT, "PeterNeumann", key)
    assert SignedNote(GO_TEXT, (signature,)).to_text() == GO_NOTE
    assert verifier_key("PeterNeumann", ED25519, key.public_key.to_bytes()) == GO_VKEY


def test_the_reference_note_verifies_and_any_changed_text_does_not() -> None:
    name, signature_type, raw = parse_verifier_key(GO_VKEY)
    assert (name, signature_type) == ("PeterNeumann", ED25519)
    note = parse_note(GO_NOTE)
    assert note.text == GO_TEXT
    assert verify_note(note, name, PublicKey(raw))
    changed = parse_note(GO_NOTE.replace("cryptography", "cryptographY"))
    assert not verify_note(changed, name, PublicKey(raw))
    assert not verify_note(note, "PeterNeumann2", PublicKey(raw))  # another name: no line of it


def test_the_specification_example_checkpoint_and_cosignature_parse() -> None:
    note = parse_note(C2SP_COSIGNED)
    checkpoint = parse_checkpoint(note.text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.body() == C2SP_CHECKPOINT
    log_line, witness_line = note.signatures
    assert (log_line.name, len(log_line.signature)) == ("example.com/behind-the-sofa", 64)
    cosignature = Cosignature.from_note_signature(witness_line)
    # The specification's example signed message has the time line 'time 1679315147'.
    assert (cosignature.name, cosignature.timestamp) == ("witness.example.com/w1", 1679315147)
    assert cosignature.key_id == bytes.fromhex("8d66cf3f")
    assert cosignature.to_note_signature() == witness_line
    assert note.to_text() == C2SP_COSIGNED
    message = cosigned_message(note.text, cosignature.timestamp)
    assert message == b"cosignature/v1\ntime 1679315147\n" + C2SP_CHECKPOINT.encode()


def test_a_note_is_split_at_its_last_blank_line() -> None:
    note = parse_note(C2SP_QUASIMODO)
    assert note.text.endswith("sole:\n\ned \u00e8 subito sera.\n")
    assert note.signatures[0].name == "quasimodo.example/salvatore"
    assert note.to_text() == C2SP_QUASIMODO


def test_a_cosignature_verifies_for_its_witness_and_checkpoint_only() -> None:
    log_key, witness_key = SigningKey(b"\x01" * 32), SigningKey(b"\x02" * 32)
    origin = checkpoint_origin("BLUE", log_key.public_key.to_bytes())
    checkpoint = Checkpoint(origin, 7, bytes(range(32)))
    signed = sign_checkpoint(checkpoint, log_key)
    assert verify_note(parse_note(signed.to_text()), origin, log_key.public_key)
    name = cosigner_name("RED", witness_key.public_key.to_bytes())
    cosignature = cosign(signed.text, name, witness_key, 1_800_000_000)
    assert cosignature.key_id == key_id(name, COSIGNATURE_V1, witness_key.public_key.to_bytes())
    both = SignedNote(signed.text, (*signed.signatures, cosignature.to_note_signature()))
    reread = parse_note(both.to_text())
    assert verify_note(reread, origin, log_key.public_key)  # the cosignature line is ignored
    held = Cosignature.from_note_signature(reread.signatures_by(name, cosignature.key_id)[0])
    assert verify_cosignature(reread.text, held, name, witness_key.public_key)
    other = Checkpoint(origin, 8, bytes(range(32))).body()
    assert not verify_cosignature(other, held, name, witness_key.public_key)
    assert not verify_cosignature(reread.text, held, name, log_key.public_key)
    later = Cosignature(held.name, held.key_id, held.timestamp + 1, held.signature)
    assert not verify_cosignature(reread.text, later, name, witness_key.public_key)


def test_a_node_origin_names_its_party_and_key() -> None:
    key = bytes(range(32))
    assert checkpoint_origin("BLUE", key) == "openline/BLUE/" + key.hex()
    assert cosigner_name("RED", key) == "openline/RED/" + key.hex() + "/witness"


@pytest.mark.parametrize(
    ("note", "says"),
    [
        (GO_TEXT + GO_SIGNATURE_LINE, "blank line"),
        (GO_NOTE[:-1], "end with a newline"),
        (GO_TEXT + "\n" + GO_SIGNATURE_LINE.replace("\u2014", "-"), "em dash"),
        (GO_TEXT + "\n\u2014 PeterNeumann\n", "no signature"),
        (GO_TEXT + "\n\u2014 PeterNeumann not*base64\n", "base64"),
        (GO_TEXT + "\n\u2014 Peter+Neumann AAAAAAA=\n", "'+'"),
        (GO_TEXT + "\n\u2014 PeterNeumann AAAA\n", "4+1 bytes"),
        ("tab\there\n" + "\n" + GO_SIGNATURE_LINE, "control character"),
        (GO_TEXT + "\n" + GO_SIGNATURE_LINE * 101, "at most 100 signatures"),
        (b"\xff\n\n" + GO_SIGNATURE_LINE.encode(), "UTF-8"),
    ],
)
def test_a_malformed_note_is_refused_naming_why(note: str | bytes, says: str) -> None:
    with pytest.raises(NoteError) as caught:
        parse_note(note)
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("origin\n12\n", "at least 3 lines"),
        ("origin\n012\n" + "A" * 43 + "=\n", "leading 0s"),
        ("origin\n-1\n" + "A" * 43 + "=\n", "decimal"),
        ("origin\n1\n" + "A" * 42 + "==\n", "32 bytes"),
        ("origin\n1\nnot-base64\n", "base64"),
        ("\n1\n" + "A" * 43 + "=\n", "origin"),
    ],
)
def test_a_malformed_checkpoint_is_refused_naming_why(text: str, says: str) -> None:
    with pytest.raises(NoteError) as caught:
        parse_checkpoint(text)
    assert says in caught.value.message


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # a key ID that does not match
        GO_VKEY.replace("+ARpc", "+AhRpc"),  # not 32 bytes
        "PeterNeumann+c74f20a3",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_a_mangled_verifier_key_is_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_verifier_key(vkey)


def test_the_cosigned_checkpoint_shown_in_journal_md_verifies() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "journal.md").read_text("utf-8")
    # The example is the one code block that is a whole signed note of BLUE's.
    (example,) = re.findall(r"^```\n(openline/BLUE/[0-9a-f]{64}\n.*?)^```$", text, re.M | re.S)
    blue = PublicKey.from_base64("GWZftUNm0Fjqymk7s/EMd+Yg9XqdOyTjaCYkhJwwSiE=")
    red = PublicKey.from_base64("L200rBh5Qms9Xs4mKU1lOBCwHMw0srZdFGWOQC/NttE=")
    note = parse_note(example)
    origin = checkpoint_origin("BLUE", blue.to_bytes())
    assert parse_checkpoint(note.text).origin == origin
    assert verify_note(note, origin, blue)
    name = cosigner_name("RED", red.to_bytes())
    (line,) = note.signatures_by(name, key_id(name, COSIGNATURE_V1, red.to_bytes()))
    cosignature = Cosignature.from_note_signature(line)
    assert cosignature.timestamp == 1796601600
    assert verify_cosignature(note.text, cosignature, name, red)
