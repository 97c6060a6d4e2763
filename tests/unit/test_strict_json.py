"""Strict JSON for request bodies: lone surrogates and NULs are refused, naming their place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openline.domain.strict_json import MAX_DEPTH, loads
from tests.support.shared_data import SHARED_DATA, needs_shared_data


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (r'{"text": "a\ud800b"}', r"text holds a lone surrogate \ud800"),
        (r'{"a": [1, {"b": "\udfff"}]}', r"a[1].b holds a lone surrogate \udfff"),
        (r'{"a": {"\ud800": 1}}', r"a key of a holds a lone surrogate \ud800"),
        (r'"\udc00"', r"the body holds a lone surrogate \udc00"),
        (r'{"text": "hold\u0000fire"}', r"text holds a NUL character (\u0000)"),
        (r'["\ud83d"]', r"[0] holds a lone surrogate \ud83d"),  # a pair's first half alone
    ],
)
def test_a_lone_surrogate_or_a_nul_is_refused_naming_its_place(text: str, problem: str):
    with pytest.raises(json.JSONDecodeError) as caught:
        loads(text)

    assert str(caught.value).startswith(problem)
    assert "\\u" in str(caught.value)  # named by its escape, never written out itself
    str(caught.value).encode("utf-8")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'["\ud83d\ude00"]', ["\U0001f600"]),  # a whole pair is one character
        ('{"a": "é€"}', {"a": "é€"}),
        ('{"lat": NaN}', {"lat": pytest.approx(float("nan"), nan_ok=True)}),
        ('{"n": 1e400}', {"n": float("inf")}),
    ],
)
def test_everything_else_reads_as_json_loads_reads_it(text: str, value: Any):
    assert loads(text) == value


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


NESTED_TOO_DEEP = f"the body is nested deeper than {MAX_DEPTH} arrays and objects, the limit"


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        "[" * 100_000 + "]" * 100_000,
        "[" * 100_000,  # never closed: the parser stops, the answer is the same
        "[1," * 10_000 + "{}" + "]" * 9_999 + "}",  # mismatched at the end
    ],
    ids=["one-over", "objects-10000", "arrays-100000", "unclosed", "mismatched"],
)
def test_nesting_deeper_than_the_limit_is_refused_before_it_is_parsed(text: str):
    with pytest.raises(json.JSONDecodeError, match=NESTED_TOO_DEEP):
        loads(text)


def test_nesting_at_the_limit_and_brackets_in_strings_read():
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    brackets_in_strings = json.dumps(["[" * 1000, "{" * 1000, '\\"[[[' * 100])

    assert _depth(loads(at_limit)) == MAX_DEPTH
    assert loads(brackets_in_strings)[0] == "[" * 1000
    assert _depth(loads(at_limit.encode("utf-16"))) == MAX_DEPTH  # counted as characters


@needs_shared_data(SHARED_DATA)
def test_every_document_of_the_shared_data_nests_well_under_the_limit():
    depths = {
        path.name: _depth(json.loads(path.read_text(encoding="utf-8")))
        for path in SHARED_DATA.rglob("*.json")
    }

    assert depths
    assert max(depths.values()) <= MAX_DEPTH // 4, depths
