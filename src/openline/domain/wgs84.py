"""The WGS84 ellipsoid's figures, written once for all of Openline: the checks of footprints
in ``domain`` and the geometry engine and grid conversions in ``geo`` take them from here."""

from __future__ import annotations

import math

SEMI_MAJOR_AXIS_M = 6_378_137.0  # a
FLATTENING = 1 / 298.257223563  # f
ECCENTRICITY_SQUARED = FLATTENING * (2 - FLATTENING)  # e² = f (2 - f)
ECCENTRICITY = math.sqrt(ECCENTRICITY_SQUARED)

# Spheres near the ellipsoid, for sizes where a few parts in a thousand do not matter (and to
# start iterations that then run on the ellipsoid):
AUTHALIC_RADIUS_M = 6_371_007.180918  # the sphere with the ellipsoid's area: sqrt(area / 4π)
MEAN_RADIUS_M = 6_371_008.771  # (2a + b) / 3, b = a (1 - f)
