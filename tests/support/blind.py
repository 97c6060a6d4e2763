"""Blind notifications on real nodes (docs/blind.md), for the integration and console tests."""

from __future__ import annotations

from typing import Any

from tests.support.processes import RunningNode

WINDOW = {"time_start": "2026-12-08T10:00:00Z", "time_end": "2026-12-08T12:00:00Z"}


def blind_op(title: str, at: tuple[float, float], peer: str) -> dict[str, Any]:
    """A ground operation within 1.5 km of ``at`` (lat, lon), deconflicted blind with ``peer``."""
    volume = {
        "circle": {"lat": at[0], "lon": at[1], "radius_m": 1500},
        "altitude_lower_m": 0,
        "altitude_upper_m": 300,
        **WINDOW,
    }
    return {
        "kind": "ground-operation",
        "title": title,
        "volumes": [volume],
        "share_with": [peer],
        "disclosure": "blind",
    }


def notify(node: RunningNode, body: dict[str, Any]) -> str:
    """POST the notification; its id (a blind one is shared with no one)."""
    with node.client() as client:
        answer = client.post("/api/v1/notifications", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["share_with"] == []
    return str(answer.json()["id"])


def conflicts(node: RunningNode, blind: bool) -> list[dict[str, Any]]:
    """The node's open conflicts: the possible ones found blind, or the exact ones."""
    with node.client() as client:
        found = client.get("/api/v1/conflicts").json()["conflicts"]
    return [c for c in found if c["blind"] is blind]
