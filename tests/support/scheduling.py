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

# The longest files, longest first, as ``pytest --durations`` measured them on SQLite
# (seconds per file on a busy two-core machine, where the suite took 24 minutes).
LONGEST = (
    "tests/integration/test_crash_consistency.py",  # 361
    "tests/fuzz/test_fuzz_other_operations.py",  # the API fuzzing, 509 in all, in three files
    "tests/fuzz/test_fuzz_notifications.py",
    "tests/fuzz/test_fuzz_messages_and_journal.py",
    "tests/integration/test_line_faults.py",  # 214
    "tests/integration/test_line.py",  # 140
    "tests/integration/test_network_faults.py",  # 126
    "tests/integration/test_demo.py",  # 101
    "tests/e2e/test_console.py",  # 77
    "tests/integration/test_misbehaving_peer.py",  # 72
    "tests/integration/test_serve_process.py",  # 70
    "tests/e2e/test_console_tracks.py",  # 48
    "tests/integration/test_tls.py",  # 40
)


def longest_first(items: list[pytest.Item]) -> None:
    """Move the tests of the LONGEST files to the front, in that order; the rest keep theirs."""
    rank = {path: place for place, path in enumerate(LONGEST)}

    def place(item: pytest.Item) -> int:
        return rank.get(item.nodeid.split("::", 1)[0], len(LONGEST))

    items.sort(key=place)  # stable: each file's tests stay in their order
