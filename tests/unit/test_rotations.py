"""A key rotation's statement (domain/rotations.py) and its signatures (keys/rotation.py): its
shape, fingerprints as operators read them, which key checks which envelope of a peer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.parties import Card
from openline.domain.rotations import fingerprint, fingerprint_matches, read_rotation
from openline.keys.rotation import KeyHistory, PeerKey, RetiredKey, check_rotation, sign_rotation
from openline.keys.signing import SigningKey

OLD, NEW, OTHER = (SigningKey(bytes([n]) * 32) for n in (1, 2, 3))
AT = "2026-12-07T12:00:00.000Z"


def card(key: SigningKey, party: str = "BLUE") -> Card:
    return Card(
        party=party,
        name="Blue command",
        lang="en",
        urls=("http://127.0.0.1:8470",),
        public_key=key.public_key.to_base64(),
    )


def body() -> dict[str, Any]:
    return sign_rotation(OLD, NEW, card(NEW), AT).to_body()


def test_a_rotation_signed_by_both_keys_reads_back_and_checks():
    rotation = read_rotation(body(), "BLUE")

    check_rotation(rotation, OLD.public_key.to_base64())
    assert rotation.new_key == NEW.public_key.to_base64()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda b: b.pop("new_sig"), "exactly new_sig, old_sig, statement"),
        (lambda b: b["statement"].update(party="RED"), "of 'RED' in an envelope from BLUE"),
        (lambda b: b["statement"].update(new_key=b["statement"]["old_key"]), "not of the new key"),
        (lambda b: b.update(old_sig="c2ln"), "old_sig is not a base64 Ed25519 signature"),
        (lambda b: b["statement"].update(rotated_at="yesterday"), "rotated_at"),
        (lambda b: b["statement"]["card"].pop("lang"), "the new card"),
    ],
)
def test_a_rotation_of_the_wrong_shape_is_refused_saying_why(change: Any, named: str):
    changed = body()
    change(changed)

    with pytest.raises(InvalidInput) as refused:
        read_rotation(changed, "BLUE")

    assert named in refused.value.message


@pytest.mark.parametrize(
    ("old_sig_by", "new_sig_by", "missing"),
    [(OLD, OTHER, "new"), (OTHER, NEW, "old"), (OTHER, OTHER, "old nor its new")],
)
def test_a_rotation_signed_by_one_key_only_is_refused_naming_the_other(
    old_sig_by: SigningKey, new_sig_by: SigningKey, missing: str
):
    rotation = read_rotation(body())
    data = rotation.signed_bytes()
    forged = replace(rotation, old_sig=old_sig_by.sign(data), new_sig=new_sig_by.sign(data))

    with pytest.raises(InvalidInput) as refused:
        check_rotation(forged, OLD.public_key.to_base64())

    assert f"not signed by its {missing} key" in refused.value.message


def test_a_rotation_from_a_key_not_linked_is_refused_naming_both():
    rotation = read_rotation(body())

    with pytest.raises(InvalidInput) as refused:
        check_rotation(rotation, OTHER.public_key.to_base64())

    assert fingerprint(OLD.public_key.to_base64()) in refused.value.message
    assert fingerprint(OTHER.public_key.to_base64()) in refused.value.message


def test_a_fingerprint_is_read_in_groups_and_matched_however_written():
    key = NEW.public_key.to_base64()
    shown = fingerprint(key)

    assert len(shown.split(" ")) == 10
    assert all(len(group) == 4 for group in shown.split(" "))
    assert fingerprint_matches(shown.upper().replace(" ", ":"), key)
    assert not fingerprint_matches(shown[:-1], key)  # every digit counts
    assert not fingerprint_matches(fingerprint(OLD.public_key.to_base64()), key)


def test_each_envelope_is_checked_with_the_key_of_its_place():
    keys = PeerKey(NEW.public_key.to_base64(), ((OLD.public_key.to_base64(), 7),))

    assert keys.at(7).to_bytes() == OLD.public_key.to_bytes()
    assert keys.at(8).to_bytes() == NEW.public_key.to_bytes()
    assert keys.retired_signer(8, b"data", OLD.sign(b"data")) == 7
    assert keys.retired_signer(7, b"data", OLD.sign(b"data")) is None  # its own place
    assert keys.retired_signer(8, b"data", OTHER.sign(b"data")) is None
    assert keys.known().verify(b"data", OLD.sign(b"data"))  # a relay takes either


def test_each_checkpoint_is_checked_with_the_key_of_its_tree_size():
    retired = RetiredKey(OLD.public_key, OLD, 40, AT, body(), {"RED": 3}, {"RED": 2})
    history = KeyHistory((retired,))

    assert history.public_key_at(40, NEW.public_key) is OLD.public_key
    assert history.public_key_at(41, NEW.public_key) is NEW.public_key
    assert history.first_key(NEW.public_key) is OLD.public_key
    assert KeyHistory().first_key(NEW.public_key) is NEW.public_key
