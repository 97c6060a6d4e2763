"""UTM and UPS on WGS84: latitude and longitude to grid coordinates and back.

The transverse Mercator projection is Karney's Krüger series to 6th order (C. F. F. Karney,
"Transverse Mercator with an accuracy of a few nanometers", J. Geodesy 85, 2011), the polar
stereographic projection is Snyder's with Newton's method for the inverse, and the zone rules
(Norway and Svalbard exceptions, UPS north of 84°N and south of 80°S) are those of
GeographicLib's ``UTMUPS``, step for step, so that our grid coordinates agree with
``GeoConvert`` to well under a millimetre.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from openline.domain.errors import InvalidInput
from openline.domain.wgs84 import (
    ECCENTRICITY,
    ECCENTRICITY_SQUARED,
    FLATTENING,
    SEMI_MAJOR_AXIS_M,
)

# The UTM/UPS scale factors, written as GeographicLib computes them.
UTM_K0 = 9996 / 10000
UPS_K0 = 994 / 1000
UPS = 0  # the zone number that stands for UPS
TILE = 100_000  # metres: the MGRS 100 km square, the unit of every grid limit below
UTM_NORTH_SHIFT = 10_000_000.0  # false northing of the southern hemisphere

_E2M = 1 - ECCENTRICITY_SQUARED
_N = FLATTENING / (2 - FLATTENING)
_PS_C = (1 - FLATTENING) * math.exp(ECCENTRICITY * math.atanh(ECCENTRICITY))
_DEGREE = math.pi / 180
_EPSILON = 2.0**-52
_TAU_TOL = math.sqrt(_EPSILON) / 10
_TAU_MAX = 2 / math.sqrt(_EPSILON)
_TAN_OVERFLOW = 1 / _EPSILON**2

# Limits on grid coordinates in 100 km squares, indexed by (UTM? 2 : 0) + (north? 1 : 0), as
# GeographicLib's MGRS class has them: lower ends closed, upper ends open for MGRS, and 100 km
# wider on each side for plain UTM/UPS input.
MIN_EASTING = (8, 13, 1, 1)
MAX_EASTING = (32, 27, 9, 9)
MIN_NORTHING = (8, 13, 10, -90)
MAX_NORTHING = (32, 27, 195, 95)
_FALSE_EASTING = (2_000_000.0, 2_000_000.0, 500_000.0, 500_000.0)
_FALSE_NORTHING = (2_000_000.0, 2_000_000.0, UTM_NORTH_SHIFT, 0.0)


class LatLon(NamedTuple):
    """A point on WGS84 in degrees: latitude north positive, longitude east positive."""

    lat: float
    lon: float


class GridPoint(NamedTuple):
    """UTM (zone 1 to 60) or UPS (zone 0) coordinates in metres, hemisphere ``N`` or ``S``."""

    zone: int
    hemisphere: str
    easting: float
    northing: float


# Karney's series coefficients (order 6): b1, alpha (forward) and beta (reverse), each a
# polynomial in the third flattening n.
_B1_COEFF = (1, 4, 64, 256, 256)
_ALP_COEFF = (
    (31564, -66675, 34440, 47250, -100800, 75600, 151200),
    (-1983433, 863232, 748608, -1161216, 524160, 1935360),
    (670412, 406647, -533952, 184464, 725760),
    (6601661, -7732800, 2230245, 7257600),
    (-13675556, 3438171, 7983360),
    (212378941, 319334400),
)
_BET_COEFF = (
    (384796, -382725, -6720, 932400, -1612800, 1209600, 2419200),
    (-1118711, 1695744, -1174656, 258048, 80640, 3870720),
    (22276, -16929, -15984, 12852, 362880),
    (-830251, -158400, 197865, 7257600),
    (-435388, 453717, 15966720),
    (20648693, 638668800),
)


def _polyval(coeffs: tuple[int, ...], x: float) -> float:
    y = 0.0
    for c in coeffs:
        y = y * x + c
    return y


def _series(table: tuple[tuple[int, ...], ...]) -> tuple[float, ...]:
    # Index 0 is unused, so that term j multiplies sin(2 j zeta) as in the paper.
    terms = [0.0]
    d = _N
    for row in table:
        terms.append(d * _polyval(row[:-1], _N) / row[-1])
        d *= _N
    return tuple(terms)


_B1 = _polyval(_B1_COEFF[:-1], _N * _N) / (_B1_COEFF[-1] * (1 + _N))
_A1_K0 = _B1 * SEMI_MAJOR_AXIS_M * UTM_K0
_ALP = _series(_ALP_COEFF)
_BET = _series(_BET_COEFF)
_ORDER = 6


def _sincosd(x: float) -> tuple[float, float]:
    """sin and cos of x degrees, exact at multiples of 90°."""
    r = math.remainder(x, 90.0)
    q = round((x - r) / 90.0)
    s, c = math.sin(r * _DEGREE), math.cos(r * _DEGREE)
    quadrant = q & 3
    if quadrant == 1:
        s, c = c, -s
    elif quadrant == 2:
        s, c = -s, -c
    elif quadrant == 3:
        s, c = -c, s
    return s + 0.0 if s != 0 else math.copysign(0.0, x), c + 0.0


def _atan2d(y: float, x: float) -> float:
    """atan2 in degrees, reduced to the first octant first so that 45° and 90° are exact."""
    q = 0
    if abs(y) > abs(x):
        x, y = y, x
        q = 2
    if math.copysign(1.0, x) < 0:
        x = -x
        q += 1
    angle = math.atan2(y, x) / _DEGREE
    if q == 1:
        return math.copysign(180.0, y) - angle
    if q == 2:
        return 90.0 - angle
    if q == 3:
        return -90.0 + angle
    return angle


def _tand(x: float) -> float:
    s, c = _sincosd(x)
    r = s / c if c != 0 else math.copysign(math.inf, s)
    return min(max(r, -_TAN_OVERFLOW), _TAN_OVERFLOW)


def _ang_normalize(x: float) -> float:
    y = math.remainder(x, 360.0)
    return math.copysign(180.0, x) if abs(y) == 180.0 else y


def _two_sum(u: float, v: float) -> tuple[float, float]:
    """u + v rounded, and the rounding error (Knuth's error-free sum)."""
    s = u + v
    up = s - v
    vpp = s - up
    up -= u
    vpp -= v
    return s, (0.0 - (up + vpp) if s != 0 else s)


def _ang_diff(x: float, y: float) -> float:
    """y - x reduced to [-180, 180], as GeographicLib's AngDiff."""
    d, e = _two_sum(math.remainder(-x, 360.0), math.remainder(y, 360.0))
    d, e = _two_sum(math.remainder(d, 360.0), e)
    if d == 0 or abs(d) == 180.0:
        d = math.copysign(d, y - x if e == 0 else -e)
    return d


def _taupf(tau: float) -> float:
    """tan of the conformal latitude from tan of the latitude."""
    if not math.isfinite(tau):
        return tau
    tau1 = math.hypot(1.0, tau)
    sig = math.sinh(ECCENTRICITY * math.atanh(ECCENTRICITY * tau / tau1))
    return math.hypot(1.0, sig) * tau - sig * tau1


def _tauf(taup: float) -> float:
    """tan of the latitude from tan of the conformal latitude (Newton's method)."""
    if abs(taup) > 70:
        tau = taup * math.exp(ECCENTRICITY * math.atanh(ECCENTRICITY))
    else:
        tau = taup / _E2M
    stol = _TAU_TOL * max(1.0, abs(taup))
    if not abs(tau) < _TAU_MAX:
        return tau
    for _ in range(5):
        taupa = _taupf(tau)
        dtau = (
            (taup - taupa)
            * (1 + _E2M * tau * tau)
            / (_E2M * math.hypot(1.0, tau) * math.hypot(1.0, taupa))
        )
        tau += dtau
        if not abs(dtau) >= stol:
            break
    return tau


def _clenshaw(a: complex, coeffs: tuple[float, ...], sign: float) -> complex:
    """Sum sign * c[j] sin(2 j zeta) by Clenshaw's method (without the sin(2 zeta) factor)."""
    y0 = y1 = 0j
    n = _ORDER
    while n:
        y1 = a * y0 - y1 + sign * coeffs[n]
        n -= 1
        y0 = a * y1 - y0 + sign * coeffs[n]
        n -= 1
    return y0


def tm_forward(lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """Transverse Mercator (UTM scale) x, y in metres of a point, for central meridian lon0."""
    lon = _ang_diff(lon0, lon)
    latsign = -1.0 if math.copysign(1.0, lat) < 0 else 1.0
    lonsign = -1.0 if math.copysign(1.0, lon) < 0 else 1.0
    lat *= latsign
    lon *= lonsign
    backside = lon > 90.0
    if backside:
        if lat == 0:
            latsign = -1.0
        lon = 180.0 - lon
    sphi, cphi = _sincosd(lat)
    slam, clam = _sincosd(lon)
    if lat != 90.0:
        taup = _taupf(sphi / cphi)
        xip = math.atan2(taup, clam)
        etap = math.asinh(slam / math.hypot(taup, clam))
    else:
        xip, etap = math.pi / 2, 0.0
    c0, ch0 = math.cos(2 * xip), math.cosh(2 * etap)
    s0, sh0 = math.sin(2 * xip), math.sinh(2 * etap)
    y0 = _clenshaw(complex(2 * c0 * ch0, -2 * s0 * sh0), _ALP, 1.0)
    zeta = complex(xip, etap) + complex(s0 * ch0, c0 * sh0) * y0
    xi, eta = zeta.real, zeta.imag
    return _A1_K0 * eta * lonsign, _A1_K0 * (math.pi - xi if backside else xi) * latsign


def tm_reverse(lon0: float, x: float, y: float) -> LatLon:
    """The point at transverse Mercator (UTM scale) x, y metres, for central meridian lon0."""
    xi, eta = y / _A1_K0, x / _A1_K0
    xisign = -1.0 if math.copysign(1.0, xi) < 0 else 1.0
    etasign = -1.0 if math.copysign(1.0, eta) < 0 else 1.0
    xi *= xisign
    eta *= etasign
    backside = xi > math.pi / 2
    if backside:
        xi = math.pi - xi
    c0, ch0 = math.cos(2 * xi), math.cosh(2 * eta)
    s0, sh0 = math.sin(2 * xi), math.sinh(2 * eta)
    y0 = _clenshaw(complex(2 * c0 * ch0, -2 * s0 * sh0), _BET, -1.0)
    zetap = complex(xi, eta) + complex(s0 * ch0, c0 * sh0) * y0
    xip, etap = zetap.real, zetap.imag
    s, c = math.sinh(etap), max(0.0, math.cos(xip))
    r = math.hypot(s, c)
    if r != 0:
        lon = _atan2d(s, c)
        lat = _atan2d(_tauf(math.sin(xip) / r), 1.0)
    else:
        lat, lon = 90.0, 0.0
    lat *= xisign
    if backside:
        lon = 180.0 - lon
    lon *= etasign
    return LatLon(lat, _ang_normalize(lon + lon0))


def ps_forward(north: bool, lat: float, lon: float) -> tuple[float, float]:
    """Polar stereographic (UPS scale) x, y in metres, centred on the pole of that side."""
    lat = lat if north else -lat
    tau = _tand(lat)
    taup = _taupf(tau)
    rho = math.hypot(1.0, taup) + abs(taup)
    rho = (1 / rho if lat != 90.0 else 0.0) if taup >= 0 else rho
    rho *= 2 * UPS_K0 * SEMI_MAJOR_AXIS_M / _PS_C
    x, y = _sincosd(lon)
    return x * rho, y * (-rho if north else rho)


def ps_reverse(north: bool, x: float, y: float) -> LatLon:
    """The point at polar stereographic (UPS scale) x, y metres from the pole of that side."""
    rho = math.hypot(x, y)
    t = rho / (2 * UPS_K0 * SEMI_MAJOR_AXIS_M / _PS_C) if rho != 0 else _EPSILON**2
    tau = _tauf((1 / t - t) / 2)
    lat = (1.0 if north else -1.0) * _atan2d(tau, 1.0)
    return LatLon(lat, _atan2d(x, -y if north else y))


def latitude_band(lat: float) -> int:
    """The MGRS latitude band index, -10 (C, 80°S) to 9 (X, 72°N to 84°N)."""
    ilat = math.floor(lat)
    return max(-10, min(9, int((ilat + 80) / 8) - 10))


def central_meridian(zone: int) -> float:
    """The central meridian of a UTM zone, in degrees."""
    return 6.0 * zone - 183.0


def standard_zone(lat: float, lon: float) -> int:
    """The UTM zone (1 to 60) of a point by the standard rules, or 0 (UPS) beyond 84°N/80°S.

    Includes the Norway exception (zone 32 from 3°E in band V) and the Svalbard exception
    (zones 31, 33, 35, 37 in band X); every test is closed below and open above.
    """
    if not -80.0 <= lat < 84.0:
        return UPS
    ilon = math.floor(_ang_normalize(lon))
    if ilon == 180:
        ilon = -180
    zone = (ilon + 186) // 6
    band = latitude_band(lat)
    if band == 7 and zone == 31 and ilon >= 3:  # Norway
        return 32
    if band == 9 and 0 <= ilon < 42:  # Svalbard
        return 2 * ((ilon + 183) // 12) + 1
    return zone


def check_latlon(lat: float, lon: float) -> None:
    """Raise InvalidInput unless lat is a number in -90..90 and lon one in -180..180."""
    for name, value, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{name} {value!r} is not a number")
        if not math.isfinite(value):
            raise InvalidInput(f"{name} {value} is not a finite number")
        if not -limit <= value <= limit:
            raise InvalidInput(f"{name} {value:.10g} is outside -{limit} to {limit}")


def _index(zone: int, north: bool) -> int:
    return (2 if zone != UPS else 0) + (1 if north else 0)


def latlon_to_utm(lat: float, lon: float) -> GridPoint:
    """UTM or UPS coordinates of a point, in its standard zone (zone 0 means UPS).

    The hemisphere follows the sign bit of the latitude, as in GeographicLib: -0.0 is south.
    """
    check_latlon(lat, lon)
    lat, lon = float(lat), float(lon)
    north = math.copysign(1.0, lat) > 0
    zone = standard_zone(lat, lon)
    if zone == UPS:
        x, y = ps_forward(north, lat, lon)
    else:
        x, y = tm_forward(central_meridian(zone), lat, lon)
    ind = _index(zone, north)
    return GridPoint(zone, "N" if north else "S", x + _FALSE_EASTING[ind], y + _FALSE_NORTHING[ind])


def check_grid(zone: int, hemisphere: str, easting: float, northing: float) -> None:
    """Raise InvalidInput unless the grid coordinates are ones UTM/UPS can hold.

    The limits are GeographicLib's: 100 km beyond the MGRS limits on each side.
    """
    if isinstance(zone, bool) or not isinstance(zone, int) or not 0 <= zone <= 60:
        raise InvalidInput(f"UTM zone {zone!r} is not 1 to 60 (or 0 for UPS)")
    if hemisphere not in ("N", "S"):
        raise InvalidInput(f"hemisphere {hemisphere!r} is not N or S")
    ind = _index(zone, hemisphere == "N")
    system = f"UTM zone {zone}{hemisphere}" if zone != UPS else f"UPS {hemisphere}"
    for name, value, low, high in (
        ("easting", easting, MIN_EASTING[ind] - 1, MAX_EASTING[ind] + 1),
        ("northing", northing, MIN_NORTHING[ind] - 1, MAX_NORTHING[ind] + 1),
    ):
        if not math.isfinite(value):
            raise InvalidInput(f"{system} {name} {value} is not a finite number")
        if not low * TILE <= value <= high * TILE:
            raise InvalidInput(
                f"{system} {name} {value:.10g} m is outside {low * TILE} to {high * TILE} m"
            )


def utm_to_latlon(zone: int, hemisphere: str, easting: float, northing: float) -> LatLon:
    """The point at UTM (zone 1 to 60) or UPS (zone 0) coordinates, hemisphere N or S."""
    check_grid(zone, hemisphere, easting, northing)
    north = hemisphere == "N"
    ind = _index(zone, north)
    x, y = easting - _FALSE_EASTING[ind], northing - _FALSE_NORTHING[ind]
    if zone == UPS:
        return ps_reverse(north, x, y)
    return tm_reverse(central_meridian(zone), x, y)


def fix_hemisphere(point: GridPoint, lat: float) -> GridPoint:
    """The same UTM point written in the hemisphere its latitude is in (northings continue
    across the equator); a point on the equator keeps the hemisphere it was given."""
    north = point.hemisphere == "N"
    if lat == 0 or north == (lat > 0) or point.zone == UPS:
        return point
    shift = UTM_NORTH_SHIFT if north else -UTM_NORTH_SHIFT
    return point._replace(hemisphere="S" if north else "N", northing=point.northing + shift)
