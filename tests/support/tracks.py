"""Track reports, as ``POST /api/v1/tracks`` takes them."""

from __future__ import annotations

import random
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


def in_one_area(prefix: str, count: int, seed: int, **changes: Any) -> list[dict[str, Any]]:
    """A busy sky: ``count`` reports (``{prefix}0000`` on) within about 1 km and 50 m of
    35°N 38°E, every way at 50 to 250 m/s, from a fixed ``seed``; every pair of two parties'
    tracks among them is within the default minima (5 NM, 300 m) now."""
    rnd = random.Random(seed)
    return [
        track_report(
            f"{prefix}{i:04}",
            **{
                "lat": 35 + rnd.uniform(-0.01, 0.01),
                "lon": 38 + rnd.uniform(-0.01, 0.01),
                "alt_m": 3000 + rnd.uniform(-50, 50),
                "speed_mps": rnd.uniform(50, 250),
                "heading_deg": rnd.uniform(0, 360),
                **changes,
            },
        )
        for i in range(count)
    ]


def post_tracks(node: RunningNode, *reports: dict[str, Any]) -> None:
    """Report tracks to a running node's API; they must be accepted."""
    with node.client() as client:
        answer = client.post("/api/v1/tracks", json=list(reports))
    assert answer.status_code == 200, answer.text
