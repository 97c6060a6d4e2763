"""API fuzzing (tests/support/fuzzing.py) of notifications: creating, reading, revising,
acknowledging and disclosing them, and their status."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.fuzzing import TEST_TIMEOUT_S, fuzz_group
from tests.support.processes import RunningNode


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_no_generated_notification_request_breaks_the_node(
    node_schema: Any, fuzzed_node: RunningNode, session: requests.Session
):
    fuzz_group("notifications", node_schema, fuzzed_node, session)
