"""YAML as Openline reads it (F3548 imports): no aliases, nesting held to the JSON limit."""

from __future__ import annotations

import re
import time

import pytest
import yaml

from openline.domain.strict_json import MAX_DEPTH
from openline.interop.yaml_text import load_yaml
from tests.support.hostile import ALIAS_BOMB
from tests.support.shared_data import SHARED_DATA, needs_shared_data


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ALIAS_BOMB, "found the alias *a: Openline reads YAML without aliases"),
        ("base: &base {altitude: 100}\nintent:\n  <<: *base\n", "found the alias *base"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH}"),
        ("- " * 10_000 + "x\n", f"nested deeper than {MAX_DEPTH}"),
        ("a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 5_000)), "nested deeper"),
    ],
    ids=["alias-bomb", "merge-key", "flow-one-over", "block-10000", "mappings-5000"],
)
def test_aliases_and_deep_nesting_are_refused_at_once_naming_the_limit(text: str, problem: str):
    started = time.monotonic()
    with pytest.raises(yaml.YAMLError, match=re.escape(problem)):
        load_yaml(text)

    assert time.monotonic() - started < 5  # refused while read, not after expanding it


def test_nesting_at_the_limit_reads():
    assert load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH) == _nested(MAX_DEPTH)


def _nested(depth: int) -> object:
    return [] if depth == 1 else [_nested(depth - 1)]


@needs_shared_data(SHARED_DATA / "interuss")
def test_every_flight_intent_file_of_interuss_reads_as_safe_load_reads_it():
    paths = sorted((SHARED_DATA / "interuss").rglob("*.yaml"))

    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == yaml.safe_load(text), path
