"""GeographicLib's command-line tools, which the reference tests compare Openline against."""

from __future__ import annotations

import os
import shutil

import pytest


def geographiclib_tool(name: str) -> str:
    """The path of one of GeographicLib's tools (GeoConvert, GeodSolve). Missing, the test is
    skipped on a developer's machine and fails in CI, which must install it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian and Ubuntu: apt install geographiclib-tools)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must install it")
        pytest.skip(message)
    return path
