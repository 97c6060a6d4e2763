"""Geodesics on the WGS84 ellipsoid, vectorised over numpy arrays.

Every figure of the geometry engine comes from here: GeographicLib's exact solutions of the
direct and inverse geodesic problems (accurate to about 15 nanometres), through
``pyproj.Geod``, one C call over whole arrays (about 0.4 µs per element). The few constants
below are bounds used to pad boxes and to start iterations; none of them enters a distance.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from openline.domain.wgs84 import (
    ECCENTRICITY_SQUARED,
    FLATTENING,
    MEAN_RADIUS_M,
    SEMI_MAJOR_AXIS_M,
)
from openline.geo.arrays import FloatArray

WGS84 = Geod(ellps="WGS84")
# The shortest degree of latitude, at the equator (meridional radius b²/a = 6,335,439 m):
# no geodesic of length s changes latitude by more than s / this many degrees.
MIN_METRES_PER_DEGREE_LAT = 110_574.0


def wrap180(degrees: npt.ArrayLike) -> FloatArray:
    """Angles of [-540, 540), such as the difference of two azimuths or longitudes, brought
    into [-180, 180), exactly (a full turn is added or taken away only where a value lies
    beyond ±180, where the subtraction is exact). Faster than a modulo on the arrays of a
    check, and no rounding: ``(d + 180) % 360 - 180`` would turn 1e-14° into 0."""
    d = np.asarray(degrees, dtype=np.float64)
    return np.asarray(d - 360.0 * ((d >= 180.0).astype(np.int8) - (d < -180.0)))


def inverse(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The shortest geodesics from points 1 to points 2: the azimuth at 1 towards 2, the
    azimuth at 2 towards 1 (the back azimuth), and the length in metres (1-d arrays of one
    length, also for scalars)."""
    az12, az21, length, lat2_ = _buffers(lon1, lat1, lon2, lat2)
    WGS84._inv(az12, az21, length, lat2_, radians=False, return_back_azimuth=True)
    return az12, az21, length


def forward(
    lon: npt.ArrayLike, lat: npt.ArrayLike, azimuth: npt.ArrayLike, distance_m: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Where the geodesics leaving (lon, lat) at ``azimuth`` are after ``distance_m``: the
    longitude, the latitude and the forward azimuth there (the direction of travel); 1-d
    arrays of one length, also for scalars."""
    lon2, lat2, az2, distance = _buffers(lon, lat, azimuth, distance_m)
    WGS84._fwd(lon2, lat2, az2, distance, radians=False, return_back_azimuth=False)
    return lon2, lat2, az2


def _buffers(*values: npt.ArrayLike) -> list[FloatArray]:
    """Fresh contiguous float64 copies (at least 1-d) of equally long inputs, for pyproj's in-place
    ``Geod._inv`` and ``Geod._fwd``: the C calls behind ``Geod.inv`` and ``Geod.fwd``, without
    the conversions those make for lists and scalars (a few microseconds a call, and the engine
    makes several calls per check). tests/unit/test_geodesy.py holds them to the public ones."""
    out = [np.array(v, dtype=np.float64, ndmin=1) for v in values]
    if len({a.shape for a in out}) > 1:
        raise ValueError(f"arrays of lengths {[a.size for a in out]}: give equally long ones")
    return out


def reduced_latitude(lat: npt.ArrayLike) -> FloatArray:
    """The reduced (parametric) latitude β of geodetic latitudes, in degrees."""
    return np.degrees(np.arctan((1 - FLATTENING) * np.tan(np.radians(_array(lat)))))


def geodetic_latitude(beta: npt.ArrayLike) -> FloatArray:
    """The geodetic latitude of reduced latitudes β, in degrees."""
    return np.degrees(np.arctan(np.tan(np.radians(_array(beta))) / (1 - FLATTENING)))


def parallel_radius_m(lat: float) -> float:
    """The radius of the parallel at ``lat`` degrees (N cos φ), in metres: moving along any path
    that stays at or equatorward of ``lat`` by ``s`` metres changes longitude by at most
    ``s / parallel_radius_m(lat)`` radians, as the parallels only shrink towards the poles."""
    phi = math.radians(lat)
    denominator = math.sqrt(1 - ECCENTRICITY_SQUARED * math.sin(phi) ** 2)
    return SEMI_MAJOR_AXIS_M * math.cos(phi) / denominator


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
