"""Quoting a value from outside in a message: short, escaped, and named by length and hash when
cut."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from openline.domain import strict_json
from openline.domain.dtg import parse_dtg
from openline.domain.envelopes import Refused, open_envelope
from openline.domain.errors import InvalidInput
from openline.domain.parties import check_party_code
from openline.domain.phrasebook import check_callsign
from openline.domain.precedence import parse_precedence
from openline.domain.quoting import SHOWN_CHARACTERS, quote, quote_all
from openline.domain.timeutil import parse_utc

LONG = "a" * 7_000_000
LONG_HASH = hashlib.sha256(LONG.encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("urgent", "'urgent'"),
        ("", "''"),
        ("Кремль", "'Кремль'"),
        (5, "5"),
        (None, "None"),
        (1.5, "1.5"),
        ("x" * SHOWN_CHARACTERS, "'" + "x" * SHOWN_CHARACTERS + "'"),
    ],
)
def test_a_short_value_is_quoted_whole(value: object, quoted: str) -> None:
    assert quote(value) == quoted


def test_a_long_string_is_cut_and_named_by_its_length_and_hash() -> None:
    shown = "a" * SHOWN_CHARACTERS
    assert quote(LONG) == f"'{shown}\u2026' (7000000 characters, sha256 {LONG_HASH})"


def test_a_long_value_of_another_type_is_cut_the_same_way() -> None:
    quoted = quote(list(range(10_000)))
    assert quoted.startswith("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1\u2026 (58890 characters,")
    assert len(quoted) < 2 * SHOWN_CHARACTERS + 40
    assert "characters, sha256 " in quoted


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a\nb", "'a\\x0ab'"),
        ("it's", "'it\\'s'"),
        ('say "hi"', "'say \\\"hi\\\"'"),
        ("back\\slash", "'back\\\\slash'"),
        ("\x1b[31m", "'\\x1b[31m'"),
        ("\u202eevil", "'\\u202eevil'"),
        ("line\u2028break", "'line\\u2028break'"),
        ("\U000e0001", "'\\U000e0001'"),
    ],
)
def test_quotes_backslashes_and_unprintable_characters_are_escaped(text: str, escaped: str) -> None:
    assert quote(text) == escaped


def test_nothing_quoted_holds_a_line_break_or_a_bare_quote() -> None:
    quoted = quote("x'\n" * 10_000)
    inside = quoted[1 : quoted.index("\u2026")]
    assert "\n" not in quoted
    assert "'" not in inside.replace("\\'", "")  # every quote inside is escaped


def test_an_integer_too_long_to_write_is_named_by_its_type() -> None:
    assert quote(10**5000) == "<a int too large to show>"


def test_a_list_of_values_shows_the_first_few_and_counts_the_rest() -> None:
    assert quote_all(["a", "b", "c", "d", "e"]) == "'a', 'b', 'c' and 2 more"
    assert quote_all(["a"]) == "'a'"
    assert quote_all([]) == ""


@pytest.mark.parametrize("member", ["id", "kind", "link_seq", "v", "an extra member"])
def test_an_envelope_refusal_quotes_a_huge_value_short(member: str) -> None:
    envelope: dict[str, object] = {
        "v": 1,
        "id": "env_1",
        "from": "RED",
        "to": "BLUE",
        "link_seq": 1,
        "prev": "0" * 64,
        "sent_at": "2024-12-03T12:00:00.000Z",
        "kind": "message",
        "body": {},
        "sig": "",
    }
    if member == "an extra member":
        envelope[LONG] = 1
    else:
        envelope[member] = LONG
    with pytest.raises(Refused) as refused:
        open_envelope(envelope, max_bytes=10_000_000)
    assert refused.value.code == "malformed"
    assert len(refused.value.reason) < 300
    assert f"(7000000 characters, sha256 {LONG_HASH})" in refused.value.reason


@pytest.mark.parametrize("character", ["a", "\x00", "\u202e", "\U000e0001", "\U0001f600", "'"])
def test_escapes_count_in_what_is_shown_so_a_quote_is_short_whatever_the_value(character: str):
    quoted = quote(character * 100_000, shown=200)
    assert len(quoted) <= 200 + 9 + 3 + len(" (100000 characters, sha256 0123456789abcdef)")
    assert quoted.endswith("\u2026' (100000 characters, sha256 " + sha16(character * 100_000) + ")")


def sha16(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_json_refused_for_a_nul_names_a_huge_member_name_short() -> None:
    with pytest.raises(ValueError, match="holds a NUL") as refused:
        strict_json.loads('{"' + "k" * 70_000 + '": "\\u0000"}')
    assert len(str(refused.value)) < 300
    assert "(70000 characters, sha256 " in str(refused.value)


@pytest.mark.parametrize(
    "refuse",
    [
        lambda value: parse_utc(value, field="time_start"),
        parse_dtg,
        check_party_code,
        parse_precedence,
        lambda value: check_callsign(value, "fields.unit"),
    ],
    ids=["instant", "dtg", "party", "precedence", "callsign"],
)
def test_a_rule_refusing_a_huge_value_names_it_short(refuse: Callable[[str], object]) -> None:
    with pytest.raises(InvalidInput) as refused:
        refuse("\n" + LONG)
    assert len(refused.value.message) < 400
    assert "(7000001 characters, sha256 " in refused.value.message
    assert "\n" not in refused.value.message
