"""The witness's alarm: a peer's checkpoint refused as a rewritten history raises it on the
console, live and at sign-in, naming the peer and the sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openline.domain.journal import JournalKind
from tests.support.console import OpenConsole
from tests.support.operator import journal_of
from tests.support.red import Red
from tests.support.witnessing import Tree, blue_witnessing_red, offer_to_blue

ENTRIES = [f"RED's entry {i}".encode() for i in range(12)]


@pytest.fixture
def red(tmp_path: Path) -> Iterator[Red]:
    """Set up before the consoles, so the node outlives them."""
    with blue_witnessing_red(tmp_path) as playing:
        yield playing


def test_a_rewritten_history_raises_the_alarm_live_and_at_sign_in(
    red: Red, open_console: OpenConsole
) -> None:
    honest = Tree("RED", red.key, ENTRIES)
    rewritten = Tree("RED", red.key, [b"RED's entry 0, rewritten", *ENTRIES[1:]])
    offer_to_blue(red, honest.offer(8, 0))
    console = open_console(red.blue)

    offer_to_blue(red, rewritten.offer(8, 0))  # the size held, another root

    (refused,) = journal_of(red.blue, JournalKind.SECURITY_CHECKPOINT_REFUSED)
    key = ".alarm[data-key='fork:RED:8']"
    console.page.locator(key).wait_for()
    assert console.page.get_attribute(key, "data-level") == "flash"
    text = console.page.inner_text(key)
    assert "RED REWROTE ITS JOURNAL" in text
    assert "tree size 8 has another root than cosigned" in text
    assert f"(entry {refused['seq']})" in text

    # Offered again (a rewritten history grows): refused again, no second alarm.
    offer_to_blue(red, rewritten.offer(11, 8))
    assert len(journal_of(red.blue, JournalKind.SECURITY_CHECKPOINT_REFUSED)) == 2
    fresh = open_console(red.blue)  # signed in after the refusals: from the journal
    fresh.page.locator(key).wait_for()
    assert fresh.page.locator(".alarm[data-key^='fork:']").count() == 1
    fresh.screenshot("witness-fork-alarm")
