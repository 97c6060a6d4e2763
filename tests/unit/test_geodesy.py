"""openline.geo.geodesy calls pyproj's in-place ``Geod._inv`` and ``Geod._fwd`` directly: these
tests hold them to the public ``Geod.inv`` and ``Geod.fwd``, so that a pyproj release that
changed them would fail here rather than move a distance."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from openline.geo.geodesy import forward, inverse, wrap180

PUBLIC = Geod(ellps="WGS84")


def _points(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-180.0, 180.0, count)
    lat = rng.uniform(-90.0, 90.0, count)
    # The awkward places: the antimeridian, the poles, the equator, one point twice.
    lon[:6] = [179.9999, -180.0, 0.0, 45.0, 12.0, 12.0]
    lat[:6] = [0.0, 89.9999, -90.0, 0.0, 34.5, 34.5]
    return lon, lat


def test_inverse_is_the_public_inverse() -> None:
    lon1, lat1 = _points(2_000, 1)
    lon2, lat2 = _points(2_000, 2)
    lon2[5], lat2[5] = lon1[5], lat1[5]  # the same point: length 0
    expected = PUBLIC.inv(lon1, lat1, lon2, lat2, return_back_azimuth=True)
    got = inverse(lon1, lat1, lon2, lat2)
    for mine, theirs in zip(got, expected, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert got[2][5] == 0.0


def test_forward_is_the_public_forward() -> None:
    lon, lat = _points(2_000, 3)
    rng = np.random.default_rng(4)
    azimuth, distance = rng.uniform(-180.0, 180.0, 2_000), rng.uniform(0.0, 2e7, 2_000)
    expected = PUBLIC.fwd(lon, lat, azimuth, distance, return_back_azimuth=False)
    for mine, theirs in zip(forward(lon, lat, azimuth, distance), expected, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_scalars_give_one_element_arrays_and_inputs_are_left_alone() -> None:
    lon = np.array([38.0, 38.5])
    before = lon.copy()
    az12, az21, length = inverse(38.0, 35.0, 38.1, 35.1)
    assert az12.shape == az21.shape == length.shape == (1,)
    inverse(lon, np.array([35.0, 35.5]), np.array([38.1, 38.6]), np.array([35.1, 35.6]))
    np.testing.assert_array_equal(lon, before)  # pyproj works in place, on copies only


def test_strided_views_are_read_as_their_values() -> None:
    table = np.array([[38.0, 35.0, 38.2, 35.3], [10.0, -5.0, 10.5, -4.0]])
    az12, _, length = inverse(table[:, 0], table[:, 1], table[:, 2], table[:, 3])
    expected = PUBLIC.inv(
        table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy(), table[:, 3].copy()
    )
    np.testing.assert_array_equal(az12, expected[0])
    np.testing.assert_array_equal(length, expected[2])


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match=r"lengths \[2, 1, 2, 2\]"):
        inverse(np.zeros(2), 0.0, np.zeros(2), np.zeros(2))


def test_wrap180_brings_differences_of_angles_into_a_half_open_turn_exactly() -> None:
    rng = np.random.default_rng(5)
    first, second = rng.uniform(-180.0, 180.0, 10_000), rng.uniform(-180.0, 180.0, 10_000)
    difference = np.concatenate([first - second, [180.0, -180.0, 359.999, -360.0, 1e-14]])
    wrapped = wrap180(difference)
    assert ((wrapped >= -180.0) & (wrapped < 180.0)).all()
    turns = (difference - wrapped) / 360.0
    np.testing.assert_array_equal(turns, np.round(turns))  # whole turns only
    assert wrap180(180.0) == -180.0
    assert wrap180(1e-14) == 1e-14  # no rounding away of a small turn
