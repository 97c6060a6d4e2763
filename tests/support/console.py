"""The console in Chromium, for the end-to-end tests: one operator's signed-in console, what the
pages must not do, and the scenes the tests set up on a linked pair of nodes (tests/e2e)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page

from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for


@dataclass
class Watch:
    """What the pages of one test did that they must not."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Console:
    """One operator's console: a signed-in page on one node."""

    page: Page
    node: RunningNode
    shots: Path
    watch: Watch

    def tab(self, name: str) -> None:
        self.page.click(f"[data-tab={name}]")

    def state(self) -> str:
        """What the console shows, for a failing test's message."""
        return str(
            self.page.evaluate(
                """() => [
                    `alarms: ${document.getElementById("alarms").innerText}`,
                    `stream: ${document.getElementById("live").innerText}`,
                    ...[...document.querySelectorAll("tr.msg")].map(
                        (row) => `message ${row.dataset.id}: ${row.dataset.state}`),
                ].join("; ")"""
            )
        )

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))


OpenConsole = Callable[[RunningNode], Console]


def red_shares_circle(
    pair: Pair,
    *,
    kind: str,
    title: str,
    lat: float,
    lon: float,
    radius_m: float,
    upper_m: float,
    hours: float,
) -> str:
    """RED notifies a circle from the ground to ``upper_m``, from five minutes ago for
    ``hours``, shared with BLUE; returns its id once BLUE holds it."""
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "kind": kind,
        "title": title,
        "volumes": [
            {
                "circle": {"lat": lat, "lon": lon, "radius_m": radius_m},
                "altitude_lower_m": 0,
                "altitude_upper_m": upper_m,
                "time_start": (now - timedelta(minutes=5)).isoformat(),
                "time_end": (now + timedelta(hours=hours)).isoformat(),
            }
        ],
        "share_with": ["BLUE"],
    }
    with pair.red.client() as red:
        created = red.post("/api/v1/notifications", json=body)
    assert created.status_code == 201, created.text
    notification_id = str(created.json()["id"])
    with pair.blue.client() as blue:
        wait_for(
            lambda: blue.get(f"/api/v1/notifications/{notification_id}").status_code == 200,
            what=f"RED's {kind} on BLUE",
        )
    return notification_id


def blue_asks_red_to_cease(pair: Pair, precedence: str) -> str:
    """BLUE sends RED a request to cease mortar fire through its API; returns the message id."""
    body = {
        "to": ["RED"],
        "precedence": precedence,
        "template": "request-cease-activity",
        "fields": {"location": {"lat": 35.95, "lon": 39.01}, "activity": "Mortar fire"},
    }
    with pair.blue.client() as client:
        sent = client.post("/api/v1/messages", json=body)
    assert sent.status_code == 201, sent.text
    return str(sent.json()["id"])


def notify_over(node: RunningNode, lat: float, lon: float, share_with: list[str]) -> None:
    """The node notifies an air operation over the point, 4 km round, for the next three hours."""
    now = datetime.now(UTC).replace(microsecond=0)
    body = {
        "kind": "air-operation",
        "title": "Close air support",
        "volumes": [
            {
                "circle": {"lat": lat, "lon": lon, "radius_m": 4000},
                "altitude_lower_m": 0,
                "altitude_upper_m": 3000,
                "time_start": now.isoformat(),
                "time_end": (now + timedelta(hours=3)).isoformat(),
            }
        ],
        "share_with": share_with,
    }
    with node.client() as client:
        created = client.post("/api/v1/notifications", json=body)
    assert created.status_code == 201, created.text


def blue_notifies_over(pair: Pair, lat: float, lon: float) -> None:
    """BLUE notifies an air operation over the point, shared with RED."""
    notify_over(pair.blue, lat, lon, ["RED"])
