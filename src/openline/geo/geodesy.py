"""Geodesics on the WGS84 ellipsoid, vectorised over numpy arrays.

Every figure of the geometry engine comes from here: GeographicLib's exact solutions of the
direct and inverse geodesic problems (accurate to about 15 nanometres), through
``pyproj.Geod``, one C call over whole arrays (about 0.5 µs per element). The few constants
below are bounds used to pad boxes and to start iterations; none of them enters a distance.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

FloatArray = npt.NDArray[np.float64]

WGS84 = Geod(ellps="WGS84")
WGS84_A_M = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
# The shortest degree of latitude, at the equator (meridional radius b²/a = 6,335,439 m):
# no geodesic of length s changes latitude by more than s / this many degrees.
MIN_METRES_PER_DEGREE_LAT = 110_574.0
# A sphere near the ellipsoid, only to start iterations and to turn metres into angles where a
# few parts in a thousand do not matter.
MEAN_RADIUS_M = 6_371_008.8


def wrap180(degrees: npt.ArrayLike) -> FloatArray:
    """Angles brought into [-180, 180)."""
    return np.asarray((np.asarray(degrees, dtype=np.float64) + 180.0) % 360.0 - 180.0)


def inverse(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The shortest geodesics from points 1 to points 2: the azimuth at 1 towards 2, the
    azimuth at 2 towards 1 (the back azimuth), and the length in metres (1-d arrays, also for
    scalars)."""
    az12, az21, length = WGS84.inv(
        _array(lon1), _array(lat1), _array(lon2), _array(lat2), return_back_azimuth=True
    )
    return _vector(az12), _vector(az21), _vector(length)


def forward(
    lon: npt.ArrayLike, lat: npt.ArrayLike, azimuth: npt.ArrayLike, distance_m: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Where the geodesics leaving (lon, lat) at ``azimuth`` are after ``distance_m``: the
    longitude, the latitude and the forward azimuth there (the direction of travel); 1-d
    arrays, also for scalars."""
    lon2, lat2, az2 = WGS84.fwd(
        _array(lon), _array(lat), _array(azimuth), _array(distance_m), return_back_azimuth=False
    )
    return _vector(lon2), _vector(lat2), _vector(az2)


def reduced_latitude(lat: npt.ArrayLike) -> FloatArray:
    """The reduced (parametric) latitude β of geodetic latitudes, in degrees."""
    return np.degrees(np.arctan((1 - WGS84_F) * np.tan(np.radians(_array(lat)))))


def geodetic_latitude(beta: npt.ArrayLike) -> FloatArray:
    """The geodetic latitude of reduced latitudes β, in degrees."""
    return np.degrees(np.arctan(np.tan(np.radians(_array(beta))) / (1 - WGS84_F)))


def parallel_radius_m(lat: float) -> float:
    """The radius of the parallel at ``lat`` degrees (N cos φ), in metres: moving along any path
    that stays at or equatorward of ``lat`` by ``s`` metres changes longitude by at most
    ``s / parallel_radius_m(lat)`` radians, as the parallels only shrink towards the poles."""
    phi = math.radians(lat)
    return WGS84_A_M * math.cos(phi) / math.sqrt(1 - WGS84_E2 * math.sin(phi) ** 2)


def along_track_m(distance_m: FloatArray, angle_deg: FloatArray) -> FloatArray:
    """How far along a geodesic the foot of the perpendicular from a point lies, on the mean
    sphere: the point is ``distance_m`` away at ``angle_deg`` from the geodesic's direction
    (a right spherical triangle, tan a = tan c cos A). A starting value for exact iterations."""
    c = distance_m / MEAN_RADIUS_M
    return np.asarray(
        MEAN_RADIUS_M * np.arctan2(np.sin(c) * np.cos(np.radians(angle_deg)), np.cos(c))
    )


def _array(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _vector(values: npt.ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64))
