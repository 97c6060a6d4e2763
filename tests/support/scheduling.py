"""The order in which ``make test``'s workers take the test files.

With ``--dist loadfile`` pytest-xdist hands each worker one file at a time, by default the
files with the most tests first. That put the files of one or two long tests (the API fuzzing,
the crash and line-fault runs) last, where one of them ran on alone for minutes after the other
worker had finished. ``--no-loadscope-reorder`` (pyproject.toml) keeps the collection order
instead, and ``longest_first`` puts the longest files at its head: each worker starts on a
long one, and the many short files fill in around them.
"""

from __future__ import annotations

import pytest

# The longest files first: the API fuzzing (three files of one test each) and the runs of
# faults, then files of several tests of tens of seconds. The figures are the seconds of each
# file's longest test in CI's run at commit a9c5aea (``pytest --durations``, SQLite, two cores).
LONGEST = (
    "tests/fuzz/test_fuzz_notifications.py",  # 323 with the conflicts' (split at 15be886)
    "tests/fuzz/test_fuzz_conflicts.py",
    "tests/fuzz/test_fuzz_other_operations.py",  # 238
    "tests/integration/test_crash_consistency.py",  # 221
    "tests/fuzz/test_fuzz_messages_and_journal.py",  # 111
    "tests/fuzz/test_fuzz_node_and_line.py",  # split from the other operations' at 6663a5f
    "tests/integration/test_line_faults.py",  # 55
    "tests/integration/test_line_paths.py",  # 45, 17, 14 (this machine, at 1b564cb)
    "tests/integration/test_relay.py",  # 35 to 58 (this machine, at 2fabb50)
    "tests/integration/test_network_faults.py",  # 21, and five more of 12 to 19
    "tests/integration/test_bundles.py",  # 25, 20, 15 (this machine, at 61f3e10)
    "tests/integration/test_witnessing.py",  # 26 (this machine, at 06b6a7f)
    "tests/integration/test_journal_crash.py",  # 17 to 21 (this machine, loaded, at c1c9acc)
    "tests/integration/test_acknowledgements.py",  # 36 (this machine, loaded, at bd3a315)
    "tests/e2e/test_console_resolutions.py",  # 33 (this machine, loaded, at bd3a315)
    "tests/integration/test_resolutions.py",  # 26 to 32 (this machine, loaded, at b29f651)
    "tests/e2e/test_console_detail.py",  # 50
    "tests/integration/test_line.py",
    "tests/e2e/test_console_alarms.py",  # 20, 17, 9
    "tests/integration/test_busy_sky.py",  # 27
    "tests/integration/test_conflicts_both_sides.py",  # 23 with its pair (this machine, 4829ad5)
    "tests/integration/test_spreadsheet_import.py",  # 11, and 12 short (this machine, 9e69675)
    "tests/integration/test_demo.py",  # 24
    "tests/e2e/test_console.py",
    "tests/integration/test_misbehaving_peer.py",
    "tests/integration/test_serve_process.py",  # 14, 11
    "tests/integration/test_journal_growth.py",  # 19
    "tests/integration/test_tls.py",  # 18, 11, 9
    "tests/integration/test_tak.py",  # 14, 11, 10, 8, 8 (this machine, at 3f74d18)
    "tests/e2e/test_console_tracks.py",
)


def longest_first(items: list[pytest.Item]) -> None:
    """Move the tests of the LONGEST files to the front, in that order; the rest keep theirs."""
    rank = {path: place for place, path in enumerate(LONGEST)}

    def place(item: pytest.Item) -> int:
        return rank.get(item.nodeid.split("::", 1)[0], len(LONGEST))

    items.sort(key=place)  # stable: each file's tests stay in their order
