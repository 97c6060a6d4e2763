"""API fuzzing (tests/support/fuzzing.py) of conflicts: generated notifications near one
another, valid or nearly so, created, revised and withdrawn on one node, so that the conflict
engine behind them is fuzzed; then the schema's conflict operations, on the conflicts they
made (the tests of a file run in order, on the file's one node)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fuzzing import (
    EXAMPLES,
    TEST_TIMEOUT_S,
    assert_nothing_failed_inside,
    checked,
    fuzz_group,
    notifications,
)
from tests.support.processes import RunningNode


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_generated_notifications_near_one_another_never_break_the_node(
    fuzzed_node: RunningNode, session: requests.Session
):
    base = f"{fuzzed_node.url}/api/v1"
    auth = {"Authorization": f"Bearer {fuzzed_node.token}"}
    created: list[str] = []
    statuses: Counter[int] = Counter()

    @given(
        body=notifications,
        change=st.sampled_from(["create", "revise", "active", "completed", "cancelled"]),
        pick=st.integers(0, 10_000),
    )
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one_change(body: dict[str, Any], change: str, pick: int) -> None:
        if change == "create" or not created:
            response = session.post(f"{base}/notifications", json=body, headers=auth, timeout=30)
            answer = checked(response, 201, 400, 422)  # 400: a title with a NUL
            if response.status_code == 201:
                created.append(answer["id"])
                assert answer["status"] == "planned"
        else:
            target = f"{base}/notifications/{created[pick % len(created)]}"
            if change == "revise":
                response = session.put(target, json=body, headers=auth, timeout=30)
            else:
                status = {"status": change}
                response = session.post(f"{target}/status", json=status, headers=auth, timeout=30)
            checked(response, 200, 400, 409, 422)
        statuses[response.status_code] += 1

    one_change()
    print(f"\nnotifications near one another: {dict(statuses)}")

    conflicts = checked(session.get(f"{base}/conflicts?state=all&limit=1000", headers=auth), 200)
    for conflict in conflicts["conflicts"][:50]:
        key = conflict["key"]
        checked(session.get(f"{base}/conflicts/{key}", headers=auth), 200)
        # 409 for a conflict between two of BLUE's own notifications: no other party to ask.
        request = session.get(f"{base}/conflicts/{key}/request", headers=auth)
        checked(request, 200, 409)
        if request.status_code == 200:
            checked(session.post(f"{base}/messages", json=request.json(), headers=auth), 201)
    assert statuses[201] > 0, "no generated notification was accepted: the strategy is broken"
    assert fuzzed_node.process.poll() is None, "the node stopped"
    assert_nothing_failed_inside(fuzzed_node)


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_no_generated_conflict_request_breaks_the_node(
    node_schema: Any, fuzzed_node: RunningNode, session: requests.Session
):
    fuzz_group("conflicts", node_schema, fuzzed_node, session)
