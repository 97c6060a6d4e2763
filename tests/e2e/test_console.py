"""The operator console end to end: two real nodes, two consoles in a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.console import Console, OpenConsole, blue_asks_red_to_cease, red_shares_circle
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import Pair, RunningNode, start_node, start_pair, stop_pair

pytestmark = pytest.mark.slow


def test_a_flash_message_from_blue_is_read_in_russian_and_acknowledged_on_red_and_journaled(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    red = open_console(pair.red)
    assert red.page.locator("html").get_attribute("lang") == "ru"

    blue.tab("compose")
    form = blue.page.locator("#tab-compose form")
    form.locator("select[name=template]").select_option("request-cease-activity")
    form.locator("select[name=precedence]").select_option("flash")
    form.locator("[data-field=location] button").click()
    blue.page.locator("#map").click(position={"x": 400, "y": 300})
    assert form.locator("input[name='location.lat']").input_value() != ""
    form.locator("textarea[name=activity]").fill("Artillery fire at grid square 12")
    blue.screenshot("compose")
    form.locator("button.send").click()

    sent = blue.page.locator("#tab-outbox tr.msg").first
    sent.wait_for()
    message_id = sent.get_attribute("data-id")

    received = red.page.locator(f"#tab-inbox tr.msg[data-id='{message_id}']")
    received.wait_for()
    assert "МОЛНИЯ" in received.inner_text()
    assert "Просьба прекратить действия" in received.inner_text()
    assert red.page.locator("#inbox-count").inner_text() == "1"
    red.screenshot("inbox-ru")

    received.locator("button.ack").click()
    red.page.locator(
        f"#tab-inbox tr.msg[data-id='{message_id}'][data-state=acknowledged]"
    ).wait_for()
    blue.page.locator(
        f"#tab-outbox tr.msg[data-id='{message_id}'][data-state=acknowledged]"
    ).wait_for()

    # RED answers from the message's detail: a confirmation in reply to it, back to BLUE.
    red.page.locator(f"#tab-inbox tr.msg[data-id='{message_id}']").click()
    red.page.click("#detail button.reply")
    reply = red.page.locator("#tab-compose form")
    assert reply.locator("input[name=in_reply_to]").input_value() == message_id
    reply.locator("textarea[name=remarks]").fill("Огонь прекращён")
    reply.locator("button.send").click()
    blue.page.locator("#tab-inbox tr.msg.prec-flash").filter(has_text="Confirm").wait_for(
        state="attached"
    )
    assert blue.page.locator("#inbox-count").inner_text() == "1"

    blue.page.locator(f"#tab-outbox tr.msg[data-id='{message_id}']").click()
    detail = blue.page.locator("#detail")
    detail.locator(".receipts").wait_for()
    assert "RED" in detail.locator(".receipts").inner_text()
    assert detail.locator(".signatures tr").count() >= 2
    blue.screenshot("message-detail")
    blue.page.click("#detail button.close")

    # The journal viewer: the acknowledgement among the latest entries, the chain verified.
    blue.tab("journal")
    blue.page.locator(".verify.intact").wait_for()
    assert "Journal intact" in blue.page.locator(".verify").inner_text()
    acknowledged = blue.page.locator("table.journal tr[data-kind='message.acknowledged']")
    assert "message acknowledged" in acknowledged.first.inner_text()  # the kind, in words
    blue.screenshot("journal")


def test_blue_sees_its_line_to_red_go_down_when_red_stops(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    blue.page.locator(".peer[data-peer=RED][data-status=up]").wait_for()
    blue.screenshot("line-up")

    pair.red.stop()

    blue.page.locator(".peer[data-peer=RED][data-status=down]").wait_for()
    alarm = blue.page.locator(".alarm[data-key='down:RED']")
    alarm.wait_for()
    assert "RED" in alarm.inner_text()
    assert blue.page.locator("#alarms").get_attribute("data-beeps") == "1"
    blue.screenshot("line-down")


def _draw_around_the_middle(console: Console) -> None:
    console.page.click("#draw")
    box = console.page.locator("#map").bounding_box()
    assert box is not None
    middle_x, middle_y = box["width"] / 2, box["height"] / 2
    for dx, dy in ((-120, -100), (120, -100), (120, 100), (-120, 100)):
        console.page.locator("#map").click(position={"x": middle_x + dx, "y": middle_y + dy})
    console.page.click("#finish")


def test_an_area_drawn_and_notified_on_blue_shows_its_conflict_on_both_maps(
    pair: Pair, open_console: OpenConsole
) -> None:
    red_id = red_shares_circle(
        pair,
        kind="ground-operation",
        title="Convoy escort",
        lat=35.95,
        lon=39.01,
        radius_m=3000,
        upper_m=500,
        hours=6,
    )
    blue = open_console(pair.blue)
    red = open_console(pair.red)
    # BLUE's map opens on the notifications it holds: RED's, in the peer's colour.
    blue.page.locator("path.notification.peer").wait_for()

    _draw_around_the_middle(blue)
    form = blue.page.locator("#notify-form")
    form.wait_for()
    form.locator("select[name=kind]").select_option("air-operation")
    form.locator("input[name=title]").fill("Close air support")
    blue.screenshot("draw-area")
    form.locator("button[type=submit]").click()

    for console in (blue, red):
        conflict = console.page.locator("#tab-conflicts li.conflict")
        conflict.wait_for(state="attached")
        assert conflict.count() == 1
        assert console.page.locator("#conflict-count").inner_text() == "1"
        # Both notifications are drawn in the conflict colour, RED's among them.
        assert console.page.locator("path.notification.conflicted").count() == 2
        console.tab("conflicts")
        assert red_id in conflict.inner_text() or "Convoy escort" in conflict.inner_text()
    blue.page.locator("#tab-conflicts li.conflict button.show").click()
    blue.screenshot("conflict")
    red.screenshot("conflict-ru")

    red.page.mouse.move(900, 400)
    red.page.locator("#cursor-mgrs").filter(has_text="37S").wait_for()


@pytest.fixture
def hurried_pair(tmp_path: Path) -> Iterator[Pair]:
    """BLUE and RED where a flash message is overdue two seconds after it is sent."""
    env = {"OPENLINE_LINE_CHECK_INTERVAL": "1", "OPENLINE_ACK_DEADLINE_FLASH": "2"}
    running = start_pair(tmp_path, env)
    try:
        yield running
    finally:
        stop_pair(running)


def test_a_message_left_unacknowledged_past_its_deadline_raises_the_alarm_on_both_consoles(
    hurried_pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(hurried_pair.blue)
    red = open_console(hurried_pair.red)
    message_id = blue_asks_red_to_cease(hurried_pair, "flash")

    for console in (red, blue):
        alarm = console.page.locator(f".alarm[data-key='overdue:{message_id}']")
        try:
            alarm.wait_for()
        except PlaywrightTimeout:
            pytest.fail(f"no alarm on {console.node.directory.name}: {console.state()}")
        assert message_id in alarm.inner_text()
    assert "ПРОСРОЧЕНО" in red.page.locator(f".alarm[data-key='overdue:{message_id}']").inner_text()
    red.page.locator(f"#tab-inbox tr.msg.late[data-id='{message_id}']").wait_for()
    red.screenshot("overdue-ru")


def test_an_arabic_nodes_console_reads_right_to_left(
    tmp_path: Path, open_console: OpenConsole
) -> None:
    created = make_node_dir(tmp_path / "green", party="GREEN", lang="ar", port=free_port())
    link(created.directory, silent_card("BLUE", lang="en"))
    node = start_node(created.directory, created.token)
    try:
        green = open_console(node)
        html = green.page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        assert green.page.locator("[data-tab=inbox]").inner_text().startswith("الوارد")
        # Right to left: the message panel sits on the right, the map on the left.
        panel = green.page.locator(".panel").bounding_box()
        map_side = green.page.locator(".mapside").bounding_box()
        assert panel is not None
        assert map_side is not None
        assert panel["x"] > map_side["x"]
        green.tab("compose")
        green.screenshot("compose-ar")
    finally:
        node.stop_surely()


def test_the_watch_catches_a_request_beyond_127_0_0_1_and_a_javascript_error(
    running_node: RunningNode, open_console: OpenConsole
) -> None:
    """What every test asserts after it can fail: shown once, then forgiven."""
    blue = open_console(running_node)
    # The node's Content-Security-Policy (connect-src 'self') stops a fetch before it is sent,
    # and says so as an error; a window opened elsewhere is a navigation, which it lets go.
    blue.page.evaluate("fetch('http://192.0.2.1/tile.png').catch(() => null)")
    blue.page.evaluate("window.open('http://192.0.2.2/tile.png')")
    blue.page.evaluate("setTimeout(() => { throw new Error('deliberate') }, 0)")
    # Playwright hands events over while it is called: wait in the page, not in Python.
    for _ in range(200):
        if any("deliberate" in error for error in blue.watch.errors) and blue.watch.outside:
            break
        blue.page.wait_for_timeout(50)
    assert "http://192.0.2.2/tile.png" in blue.watch.outside
    assert "http://192.0.2.1/tile.png" not in blue.watch.outside
    assert any("deliberate" in error for error in blue.watch.errors)
    assert any("directive: \"connect-src 'self'\"" in error for error in blue.watch.errors)
    blue.watch.outside.clear()
    blue.watch.errors.clear()
