"""The console shows the paths to a peer and which one carries the traffic (docs/console.md)."""

from __future__ import annotations

import pytest

from tests.support.console import OpenConsole
from tests.support.ports import free_port
from tests.support.processes import Pair, run_openline

pytestmark = pytest.mark.slow


def test_blue_sees_the_backup_path_carry_its_line_to_red_while_the_preferred_one_is_down(
    pair: Pair, open_console: OpenConsole
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    blue = open_console(pair.blue)
    blue.page.locator(".peer[data-peer=RED][data-status=up]").wait_for()
    assert blue.page.locator(".peer[data-peer=RED] .path").count() == 0  # one path: no list

    changed = run_openline("peer", "paths", pair.blue.directory, "RED", dead, pair.red.url)

    assert changed.returncode == 0, changed.stderr
    peer = blue.page.locator(".peer[data-peer=RED][data-status=degraded]")
    peer.wait_for()
    blue.page.locator(f".path[data-via='{dead}'][data-status=down]").wait_for()
    backup = blue.page.locator(f".path[data-via='{pair.red.url}'][data-carrying=yes]")
    backup.wait_for()
    assert backup.get_attribute("data-status") == "up"
    assert "carries the traffic" in backup.inner_text()
    assert f"by a backup path: {pair.red.url}" in peer.inner_text()
    assert "down" in (blue.page.locator(f".path[data-via='{dead}']").get_attribute("title") or "")
    blue.screenshot("line-by-a-backup-path")

    swapped = run_openline("peer", "paths", pair.blue.directory, "RED", pair.red.url, dead)

    assert swapped.returncode == 0, swapped.stderr
    blue.page.locator(".peer[data-peer=RED][data-status=up]").wait_for()
    blue.page.locator(f".path[data-via='{pair.red.url}'][data-carrying=yes]").wait_for()
    assert blue.page.locator(".peer[data-peer=RED] .backup").count() == 0
