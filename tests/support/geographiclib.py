"""GeographicLib's command-line tools, which the reference tests compare Openline against."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence

import pytest

# GeodSolve run with some options over many input lines: the numbers of each output line.
GeodSolve = Callable[[Sequence[str], Sequence[str]], list[list[float]]]


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


def geodsolve_runner() -> GeodSolve:
    """GeodSolve (9 decimals), each call one process over every input line at once."""
    path = geographiclib_tool("GeodSolve")

    def run(options: Sequence[str], lines: Sequence[str]) -> list[list[float]]:
        result = subprocess.run(
            [path, "-p", "9", *options],
            input="".join(f"{line}\n" for line in lines),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        output = [[float(x) for x in line.split()] for line in result.stdout.splitlines()]
        assert len(output) == len(lines), result.stderr
        return output

    return run


def lon180(lon: float) -> float:
    """A longitude as a footprint gives it, in [-180, 180]."""
    return lon if -180.0 <= lon <= 180.0 else (lon + 180.0) % 360.0 - 180.0
