"""API fuzzing (tests/support/fuzzing.py) of sending, reading and acknowledging messages, the
journal and the event stream."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.fuzzing import TEST_TIMEOUT_S, fuzz_group
from tests.support.processes import RunningNode


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_no_generated_message_or_journal_request_breaks_the_node(
    node_schema: Any, fuzzed_node: RunningNode, session: requests.Session
):
    fuzz_group("messages and journal", node_schema, fuzzed_node, session)
