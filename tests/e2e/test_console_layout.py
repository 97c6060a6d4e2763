"""Russian and Arabic at the console's usual width (1366 by 768): the six tabs on one row, badges
and ids never broken mid-word, units in the console's language. Real nodes, a real Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.catalogues import catalogue
from tests.support.console import Console, OpenConsole, blue_asks_red_to_cease
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import Pair, start_node

pytestmark = pytest.mark.slow

WIDTH, HEIGHT = 1366, 768
# How many lines each element's text takes: one rectangle per line.
LINES = """(selector) => [...document.querySelectorAll(selector)].map((element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
})"""


def _assert_tabs_on_one_row(console: Console) -> None:
    tops = console.page.evaluate(
        """() => [...document.querySelectorAll("[data-tab]")].map(
            (tab) => Math.round(tab.getBoundingClientRect().top))"""
    )
    assert len(tops) == 6
    assert len(set(tops)) == 1, f"the tabs take {len(set(tops))} rows"
    fits = console.page.evaluate(
        "() => { const tabs = document.querySelector('.tabs');"
        " return tabs.scrollWidth <= tabs.clientWidth; }"
    )
    assert fits, "the tabs do not fit: they scroll"


def test_russian_reads_on_one_row_with_whole_words_and_russian_units(
    pair: Pair, open_console: OpenConsole
) -> None:
    red = open_console(pair.red)
    red.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    blue_asks_red_to_cease(pair, "immediate")
    row = red.page.locator("#tab-inbox tr.msg.prec-immediate")
    row.wait_for()
    # IMMEDIATE in Russian is two words: the badge keeps them on one line.
    assert row.locator(".prec").inner_text() == catalogue("ru")["precedence.immediate"]
    _assert_tabs_on_one_row(red)
    assert red.page.evaluate(LINES, "#tab-inbox .prec") == [1]
    assert red.page.evaluate(LINES, "#tab-inbox .title small") == [1]
    # The row fits its panel: the acknowledge button is not cut at the edge.
    button = red.page.locator("#tab-inbox tr.msg button.ack").bounding_box()
    panel = red.page.locator(".panel").bounding_box()
    assert button is not None
    assert panel is not None
    assert button["x"] + button["width"] <= panel["x"] + panel["width"]
    red.screenshot("layout-ru")

    red.tab("journal")
    red.page.locator(".verify.intact").wait_for()
    # "Журнал цел, проверено записей: 28.": one colon, not two in a row of clauses.
    assert red.page.locator(".verify").inner_text().count(":") == 1


def test_arabic_reads_on_one_row_right_to_left(tmp_path: Path, open_console: OpenConsole) -> None:
    created = make_node_dir(tmp_path / "green", party="GREEN", lang="ar", port=free_port())
    link(created.directory, silent_card("BLUE", lang="en"))
    node = start_node(created.directory, created.token)
    try:
        green = open_console(node)
        try:
            green.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
            _assert_tabs_on_one_row(green)
            green.tab("compose")
            green.screenshot("layout-ar")
        finally:
            green.page.close()  # before its node stops: a request of the map's in flight fails
    finally:
        node.stop_surely()
