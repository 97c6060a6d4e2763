"""A possible conflict found blind on the console (docs/blind.md): BLUE's and RED's blind
operations meet; BLUE's console lists the possible conflict with RED under the conflicts,
naming BLUE's own operation, with its resolution, draws the shared cells on the map, and
discloses the operation to RED in one click; an operation drawn and notified blind from the
console's form is deconflicted with RED without reaching it. Two real nodes, BLUE's console in
a real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.blind import WINDOW, blind_op, conflicts, notify
from tests.support.console import OpenConsole
from tests.support.processes import Pair
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def test_the_console_draws_the_shared_cells_discloses_in_one_click_and_notifies_blind(
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

    # An operation drawn beside it and notified blind from the form: RED never holds it, and
    # the possible conflict names it once its run with RED's blind march is done.
    blue.page.click("#draw")
    box = blue.page.locator("#map").bounding_box()
    assert box is not None
    for dx, dy in ((-60, -40), (60, -40), (0, 60)):
        blue.page.locator("#map").click(
            position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy}
        )
    blue.page.click("#finish")
    form = blue.page.locator("#notify-form")
    form.wait_for()
    assert "only where and when" in form.locator(".disclosure .hint").inner_text()
    form.locator("select[name=kind]").select_option("ground-operation")
    form.locator("input[name=title]").fill("Dawn patrol")
    form.locator("input[name=start]").fill(WINDOW["time_start"])  # when RED's march is out
    form.locator("input[name=end]").fill(WINDOW["time_end"])
    form.locator("input[name=disclosure][value=blind]").check()
    form.locator("button[type=submit]").click()
    toast = blue.page.locator("#toast.error, #toast:has-text('created')")
    toast.wait_for()
    assert "created" in toast.inner_text()

    def dawn_patrol() -> list[dict[str, Any]]:
        with pair.blue.client() as client:
            listed = client.get("/api/v1/notifications").json()["notifications"]
        return [n for n in listed if n["title"] == "Dawn patrol"]

    wait_for(dawn_patrol, what="the operation notified blind from the form")
    (made,) = dawn_patrol()
    assert (made["share_with"], made["blind_with"]) == ([], ["RED"])
    wait_for(
        lambda: any(
            n["notification"] == made["id"]
            for c in conflicts(pair.blue, blind=True)
            for n in c["notifications"]
        ),
        what="the possible conflict naming the operation notified blind",
    )
    with pair.red.client() as red:
        assert red.get(f"/api/v1/notifications/{made['id']}").status_code == 404
