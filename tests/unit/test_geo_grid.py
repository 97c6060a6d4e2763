"""The MGRS grid over a map view (geo/grid.py): round lines, labels as /mgrs writes them."""

from __future__ import annotations

import pytest

from openline.domain.errors import InvalidInput
from openline.geo.grid import mgrs_grid
from openline.geo.mgrs import format_mgrs
from openline.geo.utm import latlon_to_utm


@pytest.mark.parametrize(
    ("view", "zone"),
    [
        ((35.90, 38.95, 36.00, 39.07), 37),  # north of the equator
        ((-34.00, 150.90, -33.80, 151.30), 56),  # south: northings carry the false northing
    ],
)
def test_every_line_is_a_round_easting_or_northing_of_the_views_zone(view, zone):
    overlay = mgrs_grid(*view, spacing_m=10_000)
    assert overlay.zone == zone
    for line in overlay.lines:
        points = [latlon_to_utm(lat, lon) for lat, lon in line]
        eastings = {round(p.easting, 3) for p in points}
        northings = {round(p.northing, 3) for p in points}
        assert len(eastings) == 1 or len(northings) == 1, "a line keeps one coordinate"
        constant = (eastings if len(eastings) == 1 else northings).pop()
        assert min(constant % 10_000, 10_000 - constant % 10_000) < 1e-3, constant


def test_each_label_is_the_square_holding_its_point_at_the_spacing():
    overlay = mgrs_grid(35.0, 38.0, 36.0, 39.5, spacing_m=100_000)
    assert overlay.labels
    for lat, lon, text in overlay.labels:
        assert text == format_mgrs(lat, lon, 0)


def test_beyond_utm_there_is_no_grid():
    assert mgrs_grid(85.0, 10.0, 86.0, 12.0, spacing_m=100_000).lines == []


@pytest.mark.parametrize(
    ("view", "spacing", "named"),
    [
        ((35.0, 38.0, 36.0, 39.0), 5_000, "spacing 5000 m"),
        ((30.0, 30.0, 40.0, 40.0), 100, "grid lines of 100 m"),
        ((36.0, 39.0, 35.0, 40.0), 1_000, "south < north"),
    ],
)
def test_a_grid_that_cannot_be_drawn_is_refused_saying_why(view, spacing, named):
    with pytest.raises(InvalidInput, match=named):
        mgrs_grid(*view, spacing_m=spacing)
