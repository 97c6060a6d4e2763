"""Nothing the API accepted is lost, doubled or reordered when the network between nodes fails.

BLUE and RED run as real node processes and reach each other only through a fault proxy each
(``tests/support/faultproxy.py``): the peer URL in each node's peers table is its proxy's. One
pair serves every test of this file; each test turns one fault on (or all of them, for the
mix), runs a mixed stream of requests against both nodes (messages each way,
acknowledgements, notifications created, revised and cancelled), and then checks, with the
faults still on, the guarantees of the crash tests: every message either node answered 201 to
reached the peer once and in order, every acknowledgement reached the sender, both nodes list
the same notifications and open conflicts, both journals verify and cross-verify agrees.

    FAULT_SEED=1234 .venv/bin/python -m pytest tests/integration/test_network_faults.py -s
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.faultproxy import Fault
from tests.support.faults import ProxiedPair, Workload, seed_from_env, start_proxied_pair

pytestmark = pytest.mark.slow

STEPS = 30
PAUSE_S = 0.02
FAULT_WEIGHT = 0.35


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProxiedPair, Workload]]:
    seed = seed_from_env("FAULT_SEED")
    base = tmp_path_factory.mktemp("network-faults")
    pair = start_proxied_pair(base, {"OPENLINE_LINE_CHECK_INTERVAL": "1"}, seed)
    try:
        yield pair, Workload(pair.pair, random.Random(seed))
    finally:
        pair.stop()


def run_under(
    proxied: tuple[ProxiedPair, Workload], weights: dict[Fault, float], into: Path
) -> Counter[Fault]:
    """Run the workload with ``weights`` on both proxies, check everything, and say what the
    proxies did meanwhile."""
    pair, workload = proxied
    before = pair.to_red.injected + pair.to_blue.injected
    pair.set_weights(weights)
    for _ in range(STEPS):
        workload.step()
        time.sleep(PAUSE_S)
    workload.assert_nothing_lost_doubled_or_reordered(into)
    injected = pair.to_red.injected + pair.to_blue.injected - before
    print(f"{dict(injected)}; totals so far {workload.figures()}")
    return injected


FAULTS = [Fault.DROP, Fault.DELAY, Fault.DUPLICATE, Fault.TRUNCATE, Fault.REORDER]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.value for f in FAULTS])
def test_nothing_is_lost_doubled_or_reordered_under_one_network_fault(
    proxied: tuple[ProxiedPair, Workload], fault: Fault, tmp_path: Path
):
    injected = run_under(proxied, {Fault.NONE: 1 - FAULT_WEIGHT, fault: FAULT_WEIGHT}, tmp_path)
    assert injected[fault] > 0, f"the proxy never got to {fault}"


def test_nothing_is_lost_doubled_or_reordered_under_every_fault_mixed(
    proxied: tuple[ProxiedPair, Workload], tmp_path: Path
):
    weights = {Fault.NONE: 0.5, **{fault: 0.5 / len(FAULTS) for fault in FAULTS}}
    injected = run_under(proxied, weights, tmp_path)
    assert sum(injected[f] for f in FAULTS) > 0
