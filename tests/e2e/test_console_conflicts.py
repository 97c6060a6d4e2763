"""A conflict card says why the pair conflicts and turns into a deconfliction request in one
click, in the sending officer's language: two real nodes (BLUE in English, RED in Russian),
consoles in a real Chromium."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.console import Console, OpenConsole, blue_notifies_over, red_shares_circle
from tests.support.processes import Pair

pytestmark = pytest.mark.slow

# RED's convoy (3 km around this point) and BLUE's air operation (4 km around a point 0.0888° of
# longitude east, about 8 km): the footprints about 1 km apart, inside the 2 km minimum of an
# air operation over a ground operation.
LAT, LON = 35.95, 39.01


def _request_from_the_card(console: Console, own_radius_m: int) -> str:
    """Click the card's request button; the request field's text in Compose (its area, the
    requesting party's own circle)."""
    console.tab("conflicts")
    card = console.page.locator("#tab-conflicts li.conflict")
    card.wait_for()
    card.locator("button.request").click()
    form = console.page.locator("#tab-compose form")
    form.wait_for()
    assert form.locator("select[name=template]").input_value() == "deconfliction-request"
    assert form.locator("select[name=precedence]").input_value() == "immediate"
    area = json.loads(form.locator("textarea[name=area]").input_value())
    assert area["circle"]["radius_m"] == own_radius_m
    return form.locator("textarea[name=request]").input_value()


def test_a_conflict_card_names_the_minima_broken_and_requests_deconfliction_in_one_click(
    pair: Pair, open_console: OpenConsole
) -> None:
    red_shares_circle(
        pair,
        kind="ground-operation",
        title="Convoy escort",
        lat=LAT,
        lon=LON,
        radius_m=3000,
        upper_m=500,
        hours=6,
    )
    blue_notifies_over(pair, LAT, LON + 0.0888)
    blue = open_console(pair.blue)
    red = open_console(pair.red)
    with pair.blue.client() as client:
        key = client.get("/api/v1/conflicts?state=open").json()["conflicts"][0]["key"]

    blue.tab("conflicts")
    card = blue.page.locator(f"#tab-conflicts li.conflict[data-key='{key}']")
    card.wait_for()
    lateral = card.locator(".minima [data-dimension=lateral]").inner_text()
    found = re.fullmatch(r"Lateral: (\d+) m apart, minimum 2000 m: (\d+) m inside it", lateral)
    assert found, lateral
    assert 800 < int(found[1]) < 1200
    assert int(found[1]) + int(found[2]) in (1999, 2000, 2001)  # each rounded to the metre
    vertical = card.locator(".minima [data-dimension=vertical]").inner_text()
    assert vertical == "Vertical: the altitude bands overlap (minimum any height)"
    assert "windows overlap" in card.locator(".minima [data-dimension=time]").inner_text()
    blue.screenshot("conflict-card")

    # One click: the node's draft in Compose, its words in English on BLUE, in Russian on RED.
    english = _request_from_the_card(blue, 4000)
    assert english.startswith("Close air support / Convoy escort: separation conflict")
    assert key in english
    russian = _request_from_the_card(red, 3000)
    assert russian.startswith("Convoy escort / Close air support: конфликт (разнесение)")
    assert key in russian
    assert " м" in russian
    red.screenshot("conflict-request-ru")

    # Sent from RED as it stands: on BLUE, the request is marked as Russian text.
    red.page.locator("#tab-compose form button.send").click()
    arrived = blue.page.locator("#tab-inbox tr.msg.prec-immediate")
    arrived.wait_for(state="attached")
    blue.tab("inbox")
    arrived.click()
    request = blue.page.locator("#detail dd[data-field=request] .untranslated[data-lang=ru]")
    assert key in request.inner_text()
    assert "untranslated, in Russian" in request.inner_text()
