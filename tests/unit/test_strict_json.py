"""Strict JSON for request bodies: lone surrogates and NULs are refused, naming their place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openline.domain.strict_json import loads


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
