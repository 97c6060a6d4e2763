"""Envelopes and receipts: sealed, opened and checked; every defect refused with its code."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openline.domain import envelopes as rules
from openline.domain.canonical import canonical_json
from openline.domain.envelopes import BadReceipt, Refused, check_receipt, issue_receipt, seal
from openline.keys.boxes import UnreadableBox, box_between
from openline.keys.signing import SigningKey
from tests.support.boxes import altered, box_to

KEY = SigningKey.generate()
OTHER = SigningKey.generate()


def sealed(**changes: Any) -> rules.Envelope:
    fields: dict[str, Any] = {
        "envelope_id": "env_1",
        "sender": "BLUE",
        "to": "RED",
        "link_seq": 1,
        "prev": rules.first_prev(),
        "sent_at": "2024-12-03T12:00:00.000Z",
        "kind": "message",
        "body": {"id": "msg_1", "to": ["RED"], "text": "x"},
        "sign": KEY.sign,
        "box": box_to(KEY, OTHER),
    }
    fields.update(changes)
    return seal(**fields)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_the_stored_text_is_the_canonical_json_of_the_envelope(body: dict[str, Any]):
    envelope = sealed(body=body)
    assert envelope.text == canonical_json(envelope.to_json()).decode("utf-8")


def test_an_opened_envelope_is_the_one_sealed_and_its_signature_holds():
    envelope = sealed()
    opened = rules.open_envelope(envelope.to_json(), max_bytes=10_000)
    assert opened.hash == envelope.hash
    assert opened.signed == envelope.signed
    rules.check_signature(opened, KEY.public_key.verify)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda e: e | {"v": 2}, rules.MALFORMED),
        (lambda e: e | {"link_seq": 0}, rules.MALFORMED),
        (lambda e: e | {"link_seq": True}, rules.MALFORMED),
        (lambda e: e | {"prev": "xyz"}, rules.MALFORMED),
        (lambda e: e | {"kind": "Gossip!"}, rules.MALFORMED),
        (lambda e: e | {"body": []}, rules.MALFORMED),
        (lambda e: e | {"sent_at": "yesterday"}, rules.MALFORMED),
        (lambda e: e | {"extra": 1}, rules.MALFORMED),
        (lambda e: {k: v for k, v in e.items() if k != "sig"}, rules.MALFORMED),
        (lambda e: e | {"body": {"id": "msg_1", "text": "in the clear"}}, rules.MALFORMED),
        (lambda e: e | {"body": {"box": 1}}, rules.MALFORMED),
        (lambda e: e | {"body": {"box": "y" * 20_000}}, rules.TOO_LARGE),
    ],
    ids=[
        "version",
        "seq 0",
        "seq bool",
        "prev",
        "kind",
        "body list",
        "sent_at",
        "extra member",
        "no sig",
        "body in the clear",
        "box not text",
        "too large",
    ],
)
def test_a_defective_envelope_is_refused_with_its_code(change: Any, code: str):
    with pytest.raises(Refused) as refused:
        rules.open_envelope(change(sealed().to_json()), max_bytes=10_000)
    assert refused.value.code == code


def test_a_kind_of_a_later_version_is_still_an_envelope_for_the_receiver_to_answer():
    # Refusing it would stop the link behind it; the receiver takes it as not applied.
    opened = rules.open_envelope(sealed().to_json() | {"kind": "gossip"}, max_bytes=10_000)
    assert opened.kind == "gossip"
    assert "gossip" not in rules.KINDS


@pytest.mark.parametrize("sig", ["", "not base64!", "A" * 88, OTHER.sign(b"x").hex()])
def test_a_signature_that_is_not_the_senders_is_refused(sig: str):
    opened = rules.open_envelope(sealed().to_json() | {"sig": sig}, max_bytes=10_000)
    with pytest.raises(Refused) as refused:
        rules.check_signature(opened, KEY.public_key.verify)
    assert refused.value.code == rules.BAD_SIGNATURE


def test_a_receipt_proves_delivery_of_exactly_its_envelope():
    envelope = sealed()
    receipt = issue_receipt(envelope, "2024-12-03T12:00:01.000Z", OTHER.sign)
    checked = check_receipt(receipt.to_json(), envelope.hash, OTHER.public_key.verify)
    assert checked == receipt
    with pytest.raises(BadReceipt, match="names hash"):
        check_receipt(receipt.to_json(), sealed(link_seq=2).hash, OTHER.public_key.verify)
    with pytest.raises(BadReceipt, match="bad signature"):
        check_receipt(receipt.to_json(), envelope.hash, KEY.public_key.verify)
    forged = receipt.to_json() | {"received_at": "2024-12-03T13:00:00.000Z"}
    with pytest.raises(BadReceipt, match="bad signature"):
        check_receipt(forged, envelope.hash, OTHER.public_key.verify)
    with pytest.raises(BadReceipt, match="not a receipt"):
        check_receipt({"receipt": 1}, envelope.hash, OTHER.public_key.verify)


def test_a_receipt_of_an_envelope_not_applied_says_why_under_the_receivers_signature():
    envelope = sealed()
    receipt = issue_receipt(envelope, "2024-12-03T12:00:01.000Z", OTHER.sign, not_applied="why")
    assert receipt.to_json()["not_applied"] == "why"
    applied_receipt = issue_receipt(envelope, "2024-12-03T12:00:01.000Z", OTHER.sign)
    assert "not_applied" not in applied_receipt.to_json()
    assert check_receipt(receipt.to_json(), envelope.hash, OTHER.public_key.verify) == receipt

    for changed in ({"not_applied": "another reason"}, {"not_applied": None}):
        with pytest.raises(BadReceipt):
            check_receipt(receipt.to_json() | changed, envelope.hash, OTHER.public_key.verify)
    applied = {k: v for k, v in receipt.to_json().items() if k != "not_applied"}
    with pytest.raises(BadReceipt, match="bad signature"):  # the reason cannot be taken off
        check_receipt(applied, envelope.hash, OTHER.public_key.verify)


@pytest.mark.parametrize("reason", ["", 7, "x" * (rules.NOT_APPLIED_MAX_CHARS + 1)])
def test_a_receipts_reason_not_to_apply_is_text_of_bounded_length(reason: object):
    envelope = sealed()
    receipt = issue_receipt(envelope, "2024-12-03T12:00:01.000Z", OTHER.sign).to_json()
    with pytest.raises(BadReceipt, match="not a reason of 1 to 500 characters"):
        check_receipt(receipt | {"not_applied": reason}, envelope.hash, OTHER.public_key.verify)


def test_a_long_reason_not_to_apply_is_cut_to_the_bound_when_the_receipt_is_issued():
    receipt = issue_receipt(
        sealed(), "2024-12-03T12:00:01.000Z", OTHER.sign, not_applied="y" * 9999
    )
    assert receipt.not_applied == "y" * rules.NOT_APPLIED_MAX_CHARS


def test_a_body_crosses_encrypted_and_opens_only_between_its_sender_and_addressee():
    envelope = sealed()
    carried = rules.open_envelope(envelope.to_json(), max_bytes=10_000)
    assert carried.body == {}
    assert b"msg_1" not in envelope.signed
    for own, other in [(OTHER, KEY), (KEY, OTHER)]:  # the addressee, and the sender its outbox
        opened = rules.open_body(carried, box_between(own, other.public_key.to_base64()).open)
        assert opened.body == {"id": "msg_1", "to": ["RED"], "text": "x"}
        assert opened.hash == envelope.hash
    stranger = box_between(SigningKey.generate(), KEY.public_key.to_base64())
    with pytest.raises(rules.Unreadable, match="does not open with the key"):
        rules.open_body(carried, stranger.open)


def test_the_signature_covers_the_box_so_a_carrier_can_check_but_not_change_it():
    envelope = sealed().to_json()
    carried = rules.open_envelope(envelope, max_bytes=10_000)
    rules.check_signature(carried, KEY.public_key.verify)  # without any key to open it
    changed = envelope | {"body": {"box": altered(envelope["body"]["box"])}}
    with pytest.raises(Refused) as refused:
        rules.check_signature(rules.open_envelope(changed, max_bytes=10_000), KEY.public_key.verify)
    assert refused.value.code == rules.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("plaintext", "said"),
    [
        (b"not json", "holds no JSON"),
        (b"[1, 2]", "no JSON object but list"),
        (b'{"text": "\\u0000"}', "holds no JSON"),
    ],
)
def test_a_box_its_sender_signed_that_holds_no_body_is_unreadable(plaintext: bytes, said: str):
    pair = box_between(KEY, OTHER.public_key.to_base64())
    envelope = rules.open_envelope(
        sealed(box=lambda _body: pair.seal(plaintext)).to_json(), max_bytes=10_000
    )
    with pytest.raises(rules.Unreadable, match=said):
        rules.open_body(envelope, pair.open)


@pytest.mark.parametrize(
    ("box", "said"),
    [("not base64!", "not base64"), ("AAAA", "shorter than any box")],
)
def test_a_box_that_is_not_one_is_unreadable(box: str, said: str):
    pair = box_between(OTHER, KEY.public_key.to_base64())
    with pytest.raises(UnreadableBox, match=said):
        pair.open(box)
