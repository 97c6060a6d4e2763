"""API fuzzing (tests/support/fuzzing.py) of every operation not fuzzed by the other files:
templates, tracks and proximity, imports and exports, the console's helpers; and a check that
the groups cover the whole schema."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.fuzzing import GROUPS, TEST_TIMEOUT_S, fuzz_group, group_of
from tests.support.processes import RunningNode


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_no_other_generated_request_breaks_the_node(
    node_schema: Any, fuzzed_node: RunningNode, session: requests.Session
):
    fuzz_group("the rest", node_schema, fuzzed_node, session)


def test_every_operation_of_the_schema_is_in_one_fuzzing_group(node_schema: Any):
    named = [group_of(result.ok().path) for result in node_schema.get_all_operations()]
    assert set(named) == set(GROUPS), named
