"""API fuzzing (tests/support/fuzzing.py) of the node, its line, tokens, bundles and envelopes
not applied, and the federation endpoint."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.fuzzing import TEST_TIMEOUT_S, fuzz_group
from tests.support.processes import RunningNode


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_no_generated_request_to_the_node_or_its_line_breaks_the_node(
    node_schema: Any, fuzzed_node: RunningNode, session: requests.Session
):
    fuzz_group("the node and the line", node_schema, fuzzed_node, session)
