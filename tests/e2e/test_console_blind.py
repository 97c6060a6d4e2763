"""A possible conflict found blind on the console (docs/blind.md): BLUE's and RED's blind
operations meet; BLUE's console lists the possible conflict with RED under the conflicts,
naming BLUE's own operation, with its resolution, draws the shared cells on the map, and
discloses the operation to RED in one click. Two real nodes, BLUE's console in a real Chromium."""

from __future__ import annotations

import pytest

from tests.support.blind import blind_op, conflicts, notify
from tests.support.console import OpenConsole
from tests.support.processes import Pair
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def test_the_console_draws_the_shared_cells_and_discloses_in_one_click(
    pair: Pair, open_console: OpenConsole
) -> None:
    ours = notify(pair.blue, blind_op("Night patrol", (36.05, 38.40), "RED"))
    notify(pair.red, blind_op("Ночной марш", (36.06, 38.41), "BLUE"))
    wait_for(lambda: conflicts(pair.blue, blind=True), what="the possible conflict on BLUE")
    blue = open_console(pair.blue)

    blue.tab("conflicts")
    card = blue.page.locator("#tab-conflicts section.blind-conflicts li.rule-blind")
    card.wait_for()
    assert "RED" in card.inner_text()
    assert "Night patrol" in card.inner_text()
    cells = len(conflicts(pair.blue, blind=True)[0]["notifications"][0]["cells"])
    assert blue.page.locator("path.blind-cell").count() == cells > 0
    assert card.locator(".resolution[data-state=open]").count() == 1  # resolved as a conflict is
    blue.screenshot("blind-possible-conflict")

    card.locator("button.disclose").click()
    with pair.red.client() as red:
        wait_for(
            lambda: red.get(f"/api/v1/notifications/{ours}").status_code == 200,
            what="BLUE's operation on RED once disclosed",
        )
