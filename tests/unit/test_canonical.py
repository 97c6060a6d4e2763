"""RFC 8785 canonical JSON: the bytes every node hashes and signs must be the same everywhere."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.domain.canonical import canonical_json


def binary64(bits: str) -> float:
    """The IEEE 754 double whose 64 bits are ``bits`` in hexadecimal (RFC 8785 Appendix B)."""
    return float(struct.unpack(">d", bytes.fromhex(bits))[0])


# RFC 8785 section 3.2.2: the sample input, as the RFC prints it (parsed as JSON, not as Python).
RFC_SAMPLE_INPUT = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
# RFC 8785 section 3.2.4: the UTF-8 bytes of its canonical form.
RFC_SAMPLE_OUTPUT = bytes.fromhex(
    """
    7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
    75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
    5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
    65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
    5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
    30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
    """
)


def test_the_rfc_8785_sample_becomes_the_exact_bytes_the_rfc_prints() -> None:
    assert canonical_json(json.loads(RFC_SAMPLE_INPUT)) == RFC_SAMPLE_OUTPUT


def test_the_rfc_8785_sample_reads_as_its_documented_text() -> None:
    expected = (
        '{"literals":[null,true,false],'
        '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(json.loads(RFC_SAMPLE_INPUT)).decode("utf-8") == expected


# RFC 8785 Appendix B: IEEE 754 doubles and their ECMAScript serialisation.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_a_number_is_written_in_its_shortest_ecmascript_form(bits: str, expected: str) -> None:
    assert canonical_json(binary64(bits)) == expected.encode("ascii")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-7, "-7"),
        (1.0, "1"),
        (4.50, "4.5"),
        (2**53 - 1, "9007199254740991"),
        (-(2**53 - 1), "-9007199254740991"),
        ([], "[]"),
        ({}, "{}"),
        ((1, "a"), '[1,"a"]'),
        ([3, 1, 2], "[3,1,2]"),
        ({"b": [1, {"d": 1, "c": 2}], "a": None}, '{"a":null,"b":[1,{"c":2,"d":1}]}'),
    ],
)
def test_literals_integers_and_containers_are_written_without_white_space(
    value: Any, expected: str
) -> None:
    assert canonical_json(value) == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\b\t\n\f\r", r'"\b\t\n\f\r"'),
        ("\x00", r'"\u0000"'),
        ("\x0f", r'"\u000f"'),
        ("\x1f", r'"\u001f"'),
        ('"\\', r'"\"\\"'),
        ("/", '"/"'),
        ("\x7f", '"\x7f"'),
        ("€ Привет مرحبا", '"€ Привет مرحبا"'),
        ("\u2028\u2029", '"\u2028\u2029"'),
        ("\U0001f600", '"\U0001f600"'),
    ],
)
def test_strings_escape_only_quote_backslash_and_control_characters(
    text: str, expected: str
) -> None:
    assert canonical_json(text) == expected.encode("utf-8")


# RFC 8785 section 3.2.3: keys sort by their UTF-16 code units, not by code points.
RFC_SORTING_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORTING_ORDER = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_keys_sort_as_in_the_rfc_8785_sorting_example() -> None:
    written = json.loads(canonical_json(json.loads(RFC_SORTING_INPUT)))
    assert list(written) == RFC_SORTING_ORDER


def test_a_key_outside_the_bmp_sorts_before_a_bmp_key_above_u_e000() -> None:
    # By code point U+FB33 < U+1F600, but in UTF-16 the emoji starts with the surrogate 0xD83D.
    value = {"\ufb33": "dalet", "\U0001f600": "emoji", "\ue000": "private use"}
    expected = '{"\U0001f600":"emoji","\ue000":"private use","\ufb33":"dalet"}'
    assert canonical_json(value) == expected.encode("utf-8")


def test_the_order_of_keys_given_does_not_change_the_bytes() -> None:
    keys = [*RFC_SORTING_ORDER, "a", "A", "aa", "", "\u00e9", "e\u0301"]
    forward = {key: index for index, key in enumerate(keys)}
    backward = dict(reversed(list(forward.items())))
    assert canonical_json(forward) == canonical_json(backward)


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        [1.0, math.nan],
        {"deep": {"deeper": [math.inf]}},
        2**53,
        -(2**53),
        {1: "key that is not a string"},
        b"bytes",
        {"a set"},
        object(),
    ],
    # An object's repr holds its address: the same test must have one id in every worker.
    ids=lambda value: "object()" if type(value) is object else repr(value),
)
def test_a_value_that_cannot_be_canonicalised_raises_value_error(value: Any) -> None:
    with pytest.raises(ValueError, match="cannot be written as canonical JSON"):
        canonical_json(value)


# The fast path against the reference implementation, on arbitrary JSON values: text with
# every kind of character (astral keys sort differently in UTF-16), floats of every magnitude
# (ECMAScript writes exponents from 1e21 and below 1e-6, Python from 1e16 and below 1e-4),
# integers on both sides of 2**53.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=20,
)


def assert_written_as_the_reference_writes_it(value: object) -> None:
    """The same bytes as the rfc8785 package, or the same refusal."""
    try:
        expected = bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        with pytest.raises(ValueError, match="cannot be written as canonical JSON"):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@settings(max_examples=3000, deadline=None)
@given(json_values)
def test_the_fast_path_writes_exactly_what_the_reference_writes(value: object) -> None:
    assert_written_as_the_reference_writes_it(value)


@pytest.mark.parametrize(
    "value",
    [
        -0.0, 0.0, 35.0, 1e-4, 9.999999999999999e-05, 1e-6, 1e-7, 5e-324, 1e16, 1e16 + 2,
        9007199254740991.0, 9007199254740992.0, 1e21, 1e22, 2.0**60, 123456789012345.67,
        2**53 - 1, 2**53, -(2**53) + 1, 0.1 + 0.2, 1 / 3,
        {"\U0001f600": 1, "\ue000": 2, "a": 3}, {"é": 1, "e": 2}, ["\ud800"],
    ],
)  # fmt: skip
def test_edge_values_are_written_as_the_reference_writes_them(value: object) -> None:
    assert_written_as_the_reference_writes_it(value)
