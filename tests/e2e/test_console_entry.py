"""Entry in the officer's notation: a location typed as MGRS, times as DTGs, read by the node and
shown before sending; the forms cancel and reset. Two real nodes, consoles in a real Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openline.domain.dtg import format_dtg
from openline.domain.timeutil import format_utc
from tests.support.console import Console, OpenConsole
from tests.support.processes import Pair

pytestmark = pytest.mark.slow

MGRS = "37SEV0090178402"


def _hours_ahead(hours: int) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _type(console: Console, selector: str, text: str, understood: str) -> None:
    """Type into a Compose input; wait until the node's reading shows ``understood``."""
    field = console.page.locator(f"#tab-compose form {selector}")
    field.fill(text)
    field.locator("xpath=ancestor::span[contains(@class, 'entry')][1]").locator(
        "output.parsed"
    ).filter(has_text=understood).wait_for()


def test_a_planned_operation_typed_as_mgrs_and_dtgs_reads_the_same_on_the_peer(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    red = open_console(pair.red)
    blue.tab("compose")
    form = blue.page.locator("#tab-compose form")
    form.locator("select[name=template]").select_option("planned-operation")

    # A mistyped square says why, before anything is sent.
    _type(blue, "textarea[name=area]", "37SZZ", "column letter 'Z'")
    assert "error" in str(form.locator("[data-field=area] output").get_attribute("class"))
    # The browser logs the node's 422 for it: expected here, and only for that text.
    refused = [e for e in blue.watch.errors if "/api/v1/entry/point?text=37SZZ" in e]
    assert refused
    assert all("422" in e for e in refused)

    form.locator("input[name='area.radius_m']").fill("2500")
    _type(blue, "textarea[name=area]", MGRS, MGRS)
    blue.page.locator("#map path.entered").wait_for()  # the circle, drawn before sending
    start, end = _hours_ahead(2), _hours_ahead(6)
    _type(blue, "input[name='time_window.start']", format_dtg(start), format_utc(start)[:16])
    # Spaced as some officers write it: "03 2200Z DEC 26".
    dtg = format_dtg(end)
    spaced = f"{dtg[:2]} {dtg[2:7]} {dtg[7:10]} {dtg[10:]}"
    _type(blue, "input[name='time_window.end']", spaced, format_utc(end)[:16])
    form.locator("input[name='altitude_band.lower']").fill("0")
    form.locator("input[name='altitude_band.upper']").fill("500")
    form.locator("textarea[name=activity]").fill("Convoy to the river crossing")
    blue.screenshot("compose-mgrs")
    form.locator("button.send").click()
    blue.watch.errors[:] = [e for e in blue.watch.errors if e not in refused]

    sent = blue.page.locator("#tab-outbox tr.msg").first
    sent.wait_for()
    message_id = sent.get_attribute("data-id")
    # The form is back, empty and usable: the same template, its fields all there.
    blue.tab("compose")
    assert form.locator("select[name=template]").input_value() == "planned-operation"
    assert form.locator("textarea[name=area]").input_value() == ""

    received = red.page.locator(f"#tab-inbox tr.msg[data-id='{message_id}']")
    received.wait_for()
    received.click()
    detail = red.page.locator("#detail")
    assert MGRS in detail.locator("dd[data-field=area]").inner_text()
    assert "2500" in detail.locator("dd[data-field=area]").inner_text()
    window = detail.locator("dd[data-field=time_window]").inner_text()
    assert format_dtg(start) in window
    assert format_dtg(end) in window
    with pair.red.client() as client:
        fields = client.get(f"/api/v1/messages/{message_id}").json()["fields"]
    assert fields["time_window"] == {"start": format_utc(start), "end": format_utc(end)}
    assert fields["area"]["circle"]["radius_m"] == 2500
    assert round(fields["area"]["circle"]["lat"], 4) == 35.95
    assert round(fields["area"]["circle"]["lon"], 4) == 39.01

    # RED draws the message's area on its map from the detail: the 2,500 m circle, in view.
    detail.locator("button.show-map").click()
    drawn = red.page.locator("#map path.message-shape")
    drawn.wait_for()
    box = drawn.bounding_box()
    assert box is not None
    assert box["width"] > 100, "the circle is brought into view at a working zoom"
    # At that zoom, the MGRS grid of the node: 1 km squares, labelled with their reference.
    red.page.locator("#map path.mgrs-grid").first.wait_for(state="attached")
    red.page.locator("#map .mgrs-label").filter(has_text="37SEV").first.wait_for()
    red.screenshot("message-area-ru")


def test_free_text_leaves_a_usable_form_and_the_notify_form_cancels_with_a_band_by_kind(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    blue.tab("compose")
    form = blue.page.locator("#tab-compose form")
    form.locator("select[name=template]").select_option("free-text")
    form.locator("textarea[name=text]").fill("Radio check")
    form.locator("input[name=lang]").fill("en")
    form.locator("button.send").click()
    blue.page.locator("#tab-outbox tr.msg").first.wait_for()
    blue.tab("compose")
    assert form.locator("select[name=template]").input_value() == "free-text"
    assert form.locator("textarea[name=text]").is_visible()

    notify = blue.page.locator("#notify-form")
    box = blue.page.locator("#map").bounding_box()
    assert box is not None

    def draw() -> None:
        blue.page.click("#draw")
        for dx, dy in ((-80, -60), (80, -60), (0, 80)):
            blue.page.locator("#map").click(
                position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy}
            )
        blue.page.click("#finish")
        notify.wait_for()

    # From the world view to a working zoom, where a drawn edge is tens of kilometres long.
    for _ in range(6):
        blue.page.click(".leaflet-control-zoom-in")
        blue.page.wait_for_timeout(300)
    draw()
    notify.locator("select[name=kind]").select_option("ground-operation")
    assert notify.locator("input[name=upper]").input_value() == "50"
    notify.locator("select[name=kind]").select_option("air-operation")
    assert notify.locator("input[name=upper]").input_value() == "3000"
    blue.page.keyboard.press("Escape")
    notify.wait_for(state="hidden")
    assert blue.page.locator("#draw").is_visible()

    draw()
    notify.locator("#notify-cancel").click()
    notify.wait_for(state="hidden")

    # Times typed as DTGs are read by the node there too.
    start, end = _hours_ahead(1), _hours_ahead(5)
    draw()
    notify.locator("input[name=title]").fill("Patrol")
    notify.locator("input[name=start]").fill(format_dtg(start))
    notify.locator("input[name=end]").fill(format_dtg(end))
    notify.locator("button[type=submit]").click()
    notify.wait_for(state="hidden")
    with pair.blue.client() as client:
        mine = client.get("/api/v1/notifications?status=live").json()["notifications"]
    volume = next(n for n in mine if n["title"] == "Patrol")["volumes"][0]
    assert (volume["time_start"], volume["time_end"]) == (format_utc(start), format_utc(end))
