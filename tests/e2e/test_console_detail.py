"""A message's detail reads top-down, and text typed by a person is marked untranslated with its
language: two real nodes (BLUE in English, RED in Russian), consoles in a real Chromium."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.catalogues import catalogue
from tests.support.console import Console, OpenConsole, blue_asks_red_to_cease
from tests.support.processes import Pair
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

KEPT_BY_THE_VIEWER = 500  # the journal viewer's window (js/journal.js)


def _open_detail(console: Console, box: str, message_id: str) -> None:
    console.tab(box)
    row = console.page.locator(f"#tab-{box} tr.msg[data-id='{message_id}']")
    row.wait_for()
    row.click()
    console.page.locator("#detail[open] .receipts").wait_for()


def test_a_message_opens_at_its_top_with_precedence_title_sender_and_deadline_first(
    pair: Pair, open_console: OpenConsole
) -> None:
    red = open_console(pair.red)
    # A low screen, so that the detail is taller than its dialog and could open scrolled down.
    red.page.set_viewport_size({"width": 1366, "height": 420})
    message_id = blue_asks_red_to_cease(pair, "flash")
    _open_detail(red, "inbox", message_id)

    dialog = red.page.locator("#detail")
    layout = dialog.evaluate(
        """(d) => ({
            overflows: d.scrollHeight > d.clientHeight,
            scrollTop: d.scrollTop,
            focused: document.activeElement.tagName,
            order: [...d.querySelectorAll("article > *")].map((e) => e.className || e.tagName),
        })"""
    )
    assert layout["overflows"], "the detail fits: the test would not see it open scrolled"
    assert layout["scrollTop"] == 0
    assert layout["focused"] == "H2"
    assert layout["order"][:3] == ["HEADER", "facts", "actions"]
    header = dialog.locator("article > header").inner_text()
    assert "МОЛНИЯ" in header
    assert "Просьба прекратить действия" in header
    assert dialog.locator(".facts .from").inner_text() == "BLUE"
    assert " мин " in dialog.locator(".facts .countdown").inner_text()
    for shown in (".facts .from", ".facts .deadline", "button.ack"):
        assert dialog.locator(shown).is_visible()
        box = dialog.locator(shown).bounding_box()
        assert box is not None
        assert box["y"] + box["height"] < 420, f"{shown} is below the fold"

    red.screenshot("message-detail-ru")

    # The raw JSON only on request.
    raw = dialog.locator("pre.fields")
    assert not raw.is_visible()
    dialog.locator("details.raw summary").click()
    assert '"template": "request-cease-activity"' in raw.inner_text()

    # BLUE typed "Mortar fire" in English: on RED it is marked, in Russian, as English.
    typed = dialog.locator("dd[data-field=activity] .untranslated[data-lang=en]")
    assert "Mortar fire" in typed.inner_text()
    assert "без перевода" in typed.inner_text()
    assert "английский" in typed.inner_text()


def test_free_text_and_typed_fields_are_marked_with_their_language_only_across_languages(
    pair: Pair, open_console: OpenConsole
) -> None:
    blue = open_console(pair.blue)
    sent_id = blue_asks_red_to_cease(pair, "routine")
    with pair.red.client() as red:
        answer = red.post(
            "/api/v1/messages",
            json={"to": ["BLUE"], "precedence": "routine", "text": "Огонь прекращён", "lang": "ru"},
        )
    assert answer.status_code == 201, answer.text

    _open_detail(blue, "inbox", answer.json()["id"])
    free = blue.page.locator("#detail dd[data-field=text] .untranslated[data-lang=ru]")
    assert "Огонь прекращён" in free.inner_text()
    assert "untranslated, in Russian" in free.inner_text()
    blue.page.click("#detail button.close")

    # BLUE's own message, typed in BLUE's language, reads unmarked on BLUE.
    _open_detail(blue, "outbox", sent_id)
    activity = blue.page.locator("#detail dd[data-field=activity]")
    assert activity.inner_text() == "Mortar fire"
    assert blue.page.locator("#detail .untranslated").count() == 0


def test_a_message_hundreds_of_entries_back_still_shows_its_entries_and_signatures(
    pair: Pair, open_console: OpenConsole
) -> None:
    message_id = blue_asks_red_to_cease(pair, "routine")
    now = datetime.now(UTC).replace(microsecond=0)
    with pair.red.client() as red:
        wait_for(
            lambda: red.get(f"/api/v1/messages/{message_id}").status_code == 200,
            what="BLUE's message on RED",
        )
        # More entries after it than the console's window of the latest 500 holds.
        for number in range(KEPT_BY_THE_VIEWER + 20):
            body = {
                "kind": "exercise",
                "title": f"Drill {number}",
                "volumes": [
                    {
                        "circle": {"lat": 10.0, "lon": -170 + number * 0.5, "radius_m": 100},
                        "altitude_lower_m": 0,
                        "altitude_upper_m": 50,
                        "time_start": now.isoformat(),
                        "time_end": (now + timedelta(hours=1)).isoformat(),
                    }
                ],
                "share_with": [],
            }
            assert red.post("/api/v1/notifications", json=body).status_code == 201
        journal = red.get("/api/v1/journal", params={"about": message_id}).json()
    assert journal["entries"][0]["seq"] < journal["head"]["seq"] - KEPT_BY_THE_VIEWER

    red_console = open_console(pair.red)
    _open_detail(red_console, "inbox", message_id)
    signatures = red_console.page.locator("#detail .signatures tr")
    assert signatures.count() == len(journal["entries"])
    received = red_console.page.locator("#detail .signatures tr[data-kind='message.received']")
    assert received.inner_text().split("\t")[1] == catalogue("ru")["journal.kind.message.received"]
    red_console.page.click("#detail button.close")

    # The viewer hides the line's traffic (envelope.* entries) until asked for, names kinds in
    # Russian, searches the whole journal on the node (an entry far before the latest page is
    # found), filters by kind, and pages back to the journal's first entry.
    red_console.tab("journal")
    traffic = red_console.page.locator("table.journal tr[data-kind^='envelope.']")
    assert traffic.count() == 0
    red_console.page.locator("input[name=traffic]").check()
    traffic.first.wait_for()
    rows = red_console.page.locator("table.journal tr")
    oldest_loaded = int(rows.last.get_attribute("data-seq") or 0)
    search = red_console.page.locator("input[name=search]")
    found_seqs = []
    for number in (KEPT_BY_THE_VIEWER + 19, 0):
        search.fill(f"drill {number}")
        wait_for(
            lambda n=number: rows.count() == 1 and f"Drill {n}" in rows.first.inner_text(),
            what=f"only Drill {number} found",
        )
        assert catalogue("ru")["journal.kind.notification.created"] in rows.first.inner_text()
        found_seqs.append(int(rows.first.get_attribute("data-seq") or 0))
    assert found_seqs[1] < oldest_loaded < found_seqs[0]  # Drill 0: before the page loaded
    search.fill("")
    # The kind filter: the message's own message.* entries, nothing else.
    red_console.page.locator("select[name=journal-kind]").select_option("message.")
    wanted = [e["seq"] for e in journal["entries"] if e["kind"].startswith("message.")]
    # Read in one call: the table is drawn anew as the filter's answer comes, and a row
    # located by its index may be gone by the time it is read.
    wait_for(
        lambda: sorted(rows.evaluate_all("rows => rows.map(r => Number(r.dataset.seq))")) == wanted,
        what="the message.* entries",
    )
    red_console.page.locator("select[name=journal-kind]").select_option("")
    # The whole latest page again (a live entry, such as a line's status under load, may add a
    # row to it meanwhile).
    wait_for(lambda: rows.count() >= KEPT_BY_THE_VIEWER, what="the latest page, every kind")
    # Paged back until the first entry is drawn: a page may take longer than a fixed pause to
    # come on a loaded machine, and the button is hidden while it comes (seen visible, it may
    # be hidden again by the time the click reaches it: the click is then tried at the next
    # look, not waited on for 30 s).
    older = red_console.page.locator("button.older")
    first = red_console.page.locator("table.journal tr[data-seq='1']")

    def paged_back_to_the_first() -> bool:
        if first.count() == 1:
            return True
        if older.is_visible():
            with contextlib.suppress(PlaywrightTimeoutError):
                older.click(timeout=2_000)
        return False

    wait_for(paged_back_to_the_first, timeout=60, what="the journal paged back to its first entry")
