"""The third-party data the tests check Openline against (NOTAMs, geozones, InterUSS flight
intents, GeographicLib's cases), in ../shared/data beside the checkout, where CI has it.

A test that reads it says which part with ``needs_shared_data(path)``. Where that path is
missing the test is skipped, saying so; under ``CI=true`` it fails instead, since a CI run
without the data would otherwise pass having checked none of it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import REPO

SHARED_DATA = REPO.parent / "shared" / "data"
MARK = "shared_data"

GEOZONES = SHARED_DATA / "geozones"
ED318_EXAMPLES = GEOZONES / "ed318-UASGeoZones" / "examples"
# EUROCONTROL's published ED-318 schema, where the shared data keeps it: Openline ships no copy.
ED318_SCHEMA = GEOZONES / "ed318-UASGeoZones" / "schema"


def needs_shared_data(path: Path = SHARED_DATA) -> pytest.MarkDecorator:
    """Mark a test (or, as ``pytestmark``, a module) that reads ``path``."""
    return getattr(pytest.mark, MARK)(path)


def check_shared_data(item: pytest.Item) -> None:
    """Skip ``item``, or under CI=true fail it, if data it needs is missing (tests/conftest.py
    calls this before each test)."""
    for mark in item.iter_markers(MARK):
        path = Path(mark.args[0])
        if path.exists():
            continue
        missing = f"{path} is not here (the tests' third-party data, beside the checkout)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}: CI=true, where it must be", pytrace=False)
        pytest.skip(missing)
