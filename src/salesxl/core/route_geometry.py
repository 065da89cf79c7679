"""Routing's constants and distances: great-circle kilometres, distance matrices, route lengths.

The solver's tuning constants (piece size :data:`CHUNK`, :data:`NEIGHBOURS`, the
ruin-and-recreate budget, :data:`EXACT_MAX`), the array types, and the haversine distances
(mean Earth radius :data:`EARTH_RADIUS_KM`, degrees in) every part of
:mod:`salesxl.core.routes` measures with.  Pure NumPy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088
#: The zone of a customer with no 片区, no salesperson zone and no 省份/城市.
UNZONED = "未分片区"
#: The progress stage reported per zone.
STAGE = "路线"
#: Largest number of customers solved as one piece: one distance matrix, held as nested lists
#: for fast scalar access (1,000 points ≈ 30 MB); larger zones are cut (:func:`salesxl.core.routes.solve_zone`).
CHUNK = 1000
#: Neighbour list length for the local search and the ruin step.
NEIGHBOURS = 10
#: Ruin-and-recreate rounds per customer of a piece, and at least :data:`ILS_MIN_ROUNDS` (what
#: zones of a dozen customers need to reach their optimum every time in the brute-force tests;
#: more per small zone would cost a book of many small zones dearly).  A count, not a clock, so
#: that the same input always gives the same routes.
ILS_ROUNDS_PER_CUSTOMER = 0.5
ILS_MIN_ROUNDS = 20
#: Routes ruined per round (fewest, most) and the longest string of customers taken from one.
RUIN_ROUTES = (2, 4)
RUIN_STRING = 8
#: Largest route re-ordered exactly (Held-Karp, 2**m * m states per route).
EXACT_MAX = 10
#: Longer routes are re-ordered with neighbour lists rather than by quadratic passes.
LONG_ROUTE = 20

EPS = 1e-9
DEG = math.pi / 180.0

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]


# ----------------------------------------------------------------------------------------------
# Distances


def great_circle_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> FloatArray:
    """Haversine distance in km between points given in degrees, broadcasting like NumPy.

    Haversine rather than the spherical law of cosines because it stays accurate for the short
    legs (tens of metres) between neighbouring shops."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin((p2 - p1) * 0.5) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl * 0.5) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def distance_matrix(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """All pairwise distances; the same formula as :func:`great_circle_km` with the cosines
    computed once per point (the matrix is the hot part of building a piece)."""
    p = lat * DEG
    cp = np.cos(p)
    half_p = p * 0.5
    half_l = lon * (DEG * 0.5)
    a = np.sin(half_p[:, None] - half_p[None, :]) ** 2
    a += np.outer(cp, cp) * np.sin(half_l[:, None] - half_l[None, :]) ** 2
    np.clip(a, 0.0, 1.0, out=a)
    out = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    return np.minimum(out, out.T)  # exactly symmetric whatever the rounding


def route_length_km(lat: Any, lon: Any, order: Any) -> float:
    """Length in km of the open path visiting ``order`` (indices into ``lat``/``lon``)."""
    idx = np.asarray(order, dtype=np.intp)
    if len(idx) < 2:
        return 0.0
    la, lo = np.asarray(lat, dtype=np.float64)[idx], np.asarray(lon, dtype=np.float64)[idx]
    return float(np.sum(great_circle_km(la[:-1], lo[:-1], la[1:], lo[1:])))
