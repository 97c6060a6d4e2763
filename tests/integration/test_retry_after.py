"""A peer answering 429 with Retry-After (issue 27, item 5): BLUE's sender waits as long as it
asks, up to the ``retry_after_cap`` setting, then delivers (docs/line.md#retry-after).

BLUE and RED run as real node processes, each reaching the other through a fault proxy
(``tests/support/faultproxy.py``), whose log gives the time of each of BLUE's posts to RED.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openline.line.paths import retry_after_s
from openline.line.sender import MAX_BACKOFF_S
from tests.support.backend import sqlite_only
from tests.support.faultproxy import Fault
from tests.support.faults import ProxiedPair, start_proxied_pair
from tests.support.operator import send, state
from tests.support.waiting import wait_for

CAP_S = 5.0
# The line's own checks stay out of the way: the first at the start, the next after the test.
ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "60", "OPENLINE_RETRY_AFTER_CAP": str(CAP_S)}
SLACK_S = 1.5  # a loaded machine's delay between the wait's end and the post


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[ProxiedPair]:
    with start_proxied_pair(tmp_path, ENV, seed=27) as running:
        yield running


def wait_asked_of(proxied: ProxiedPair, retry_after: str, text: str) -> float:
    """Send ``text`` BLUE to RED while RED's proxy answers 429 with ``retry_after``; once
    delivered, the seconds between the 429 and BLUE's next post."""
    proxy = proxied.to_red
    proxy.retry_after = retry_after
    proxy.set_weights({Fault.BUSY: 1.0})
    before = len(proxy.log)
    message = send(proxied.pair.blue, ["RED"], text)
    wait_for(lambda: any(f is Fault.BUSY for _, f in proxy.log[before:]), what="the 429")
    proxy.set_weights({Fault.NONE: 1.0})
    wait_for(
        lambda: state(proxied.pair.blue, message["id"]) == "delivered",
        what=f"{text!r} delivered after the wait",
        timeout=CAP_S + 10,
    )
    posts = proxy.log[before:]
    busy = max(i for i, (_, fault) in enumerate(posts) if fault is Fault.BUSY)
    assert [fault for _, fault in posts[: busy + 1]] == [Fault.BUSY] * (busy + 1)
    return posts[busy + 1][0] - posts[busy][0]


@sqlite_only("the sender's waits, the same on either database")
def test_the_sender_waits_as_a_busy_peer_asks_within_the_cap(proxied: ProxiedPair):
    warm = send(proxied.pair.blue, ["RED"], "before the peer is busy")
    wait_for(lambda: state(proxied.pair.blue, warm["id"]) == "delivered", what="the first")

    asked = wait_asked_of(proxied, "3", "while RED asks for 3 s")
    capped = wait_asked_of(proxied, "3600", "while RED asks for an hour")

    assert 3.0 <= asked < 3.0 + SLACK_S, asked  # its own backoff alone: under MAX_BACKOFF_S
    assert MAX_BACKOFF_S < 3.0
    assert CAP_S <= capped < CAP_S + SLACK_S, capped


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Mon, 07 Dec 2026 12:01:00 GMT", 60.0),
        ("Mon, 07 Dec 2026 12:01:00 -0000", 60.0),
        ("Mon, 07 Dec 2026 11:00:00 GMT", 0.0),  # a date past: no wait asked
        ("-1", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, seconds: float | None):
    assert retry_after_s(header, NOW) == seconds
