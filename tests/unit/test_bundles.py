"""Courier bundles' file format: written, read back, and refused whole for any byte changed,
a line removed, the file cut short, another key or something that is not a bundle."""

from __future__ import annotations

import json

import pytest

from openline.domain import envelopes as rules
from openline.domain.bundles import check_bundle, file_name, read_bundle, write_bundle
from openline.domain.envelopes import Refused
from openline.keys.signing import SigningKey

KEY = SigningKey.generate()
OTHER = SigningKey.generate()
MAX = 1_000_000
ENVELOPES = ['{"id":"env_1","link_seq":1}', '{"id":"env_2","link_seq":2,"text":"é\\n"}']
RECEIPTS = [{"envelope_id": "env_9", "link_seq": 9, "sig": "x"}]


def bundle(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "bundle_id": "bdl_01ABC",
        "sender": "BLUE",
        "to": "RED",
        "created_at": "2026-12-07T08:00:00.000Z",
        "envelopes": ENVELOPES,
        "receipts": RECEIPTS,
        "sign": KEY.sign,
    }
    fields.update(changes)
    return write_bundle(**fields)  # type: ignore[arg-type]


def refusal(data: bytes, key: SigningKey = KEY) -> Refused:
    with pytest.raises(Refused) as refused:
        check_bundle(read_bundle(data, max_bytes=MAX), key.public_key.verify)
    return refused.value


def test_a_bundle_reads_back_its_envelopes_and_receipts_in_order():
    data = bundle()
    read = read_bundle(data, max_bytes=MAX)
    contents = check_bundle(read, KEY.public_key.verify)
    assert contents.envelopes == [json.loads(e) for e in ENVELOPES]
    assert contents.receipts == RECEIPTS
    assert read.summary()["from"] == "BLUE"
    assert file_name(read.header) == "openline-BLUE-to-RED-bdl_01ABC.bundle"
    header, *lines = data.decode("utf-8").split("\n")
    assert lines[:2] == ENVELOPES
    assert lines[-1] == ""
    assert sorted(json.loads(header)) == sorted(read.header.to_json())


def test_an_empty_bundle_is_a_bundle():
    data = bundle(envelopes=[], receipts=[])
    contents = check_bundle(read_bundle(data, max_bytes=MAX), KEY.public_key.verify)
    assert (contents.envelopes, contents.receipts) == ([], [])


def test_every_byte_changed_anywhere_refuses_the_bundle_whole():
    data = bundle()
    for at in range(len(data)):
        changed = bytearray(data)
        changed[at] ^= 0x01
        with pytest.raises(Refused):
            check_bundle(read_bundle(bytes(changed), max_bytes=MAX), KEY.public_key.verify)


@pytest.mark.parametrize("keep", [1, 50, -60, -1])
def test_a_bundle_cut_short_is_refused(keep: int):
    data = bundle()
    assert refusal(data[:keep]).code in {rules.MALFORMED, rules.BAD_SIGNATURE}


def test_a_line_removed_is_refused_as_not_what_was_signed():
    header, _first, *rest = bundle().split(b"\n")
    refused = refusal(b"\n".join([header, *rest]))
    assert refused.code == rules.BAD_SIGNATURE
    assert "altered or cut short" in refused.reason


def test_a_bundle_signed_by_another_key_is_refused():
    refused = refusal(bundle(sign=OTHER.sign))
    assert refused.code == rules.BAD_SIGNATURE
    assert "does not verify with BLUE's key" in refused.reason


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "no header line"),
        (b"hello world\n", "not a JSON header"),
        (b'{"envelopes": []}\n', "no 'openline_bundle'"),
        (b'{"openline_bundle": 2}\n', "version 2 is not 1"),
        (b'{"openline_bundle": 1, "id": "bdl_1"}\n', "members wrong"),
        (b"\x89PNG\r\n\x1a\n", "not a JSON header"),
    ],
)
def test_what_is_not_a_bundle_is_refused_as_malformed_naming_why(data: bytes, words: str):
    with pytest.raises(Refused) as refused:
        read_bundle(data, max_bytes=MAX)
    assert refused.value.code == rules.MALFORMED
    assert words in refused.value.reason


def test_a_header_naming_a_party_badly_is_refused_naming_the_value():
    header = json.loads(bundle().split(b"\n")[0])
    header["to"] = "red; rm -rf"
    with pytest.raises(Refused) as refused:
        read_bundle(json.dumps(header).encode() + b"\n", max_bytes=MAX)
    assert "to 'red; rm -rf' is not valid" in refused.value.reason


def test_a_bundle_over_the_limit_is_refused_before_it_is_read():
    with pytest.raises(Refused) as refused:
        read_bundle(bundle(), max_bytes=100)
    assert refused.value.code == rules.TOO_LARGE
