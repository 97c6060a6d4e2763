"""Track reports, as ``POST /api/v1/tracks`` takes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from openline.domain.timeutil import format_utc
from tests.support.processes import RunningNode


def track_report(track_id: str = "B1", **changes: Any) -> dict[str, Any]:
    """A track report as ``POST /api/v1/tracks`` takes it: an aircraft at 35°N 38°E, 3,000 m,
    200 m/s due east, reported now; ``changes`` replace or add fields."""
    report = {
        "track_id": track_id,
        "time": format_utc(datetime.now(UTC)),
        "lat": 35.0,
        "lon": 38.0,
        "alt_m": 3000,
        "speed_mps": 200,
        "heading_deg": 90,
        "kind": "air",
    }
    return {**report, **changes}


def post_tracks(node: RunningNode, *reports: dict[str, Any]) -> None:
    """Report tracks to a running node's API; they must be accepted."""
    with node.client() as client:
        answer = client.post("/api/v1/tracks", json=list(reports))
    assert answer.status_code == 200, answer.text
