"""片区与拜访路线 · zones and visiting routes (spec §3 "Zones and routes"): pure computation.

A customer's zone is its own 片区, else its salesperson's 片区 (业务员 sheet), else 省份+城市
(:func:`assign_zones`).  Within a zone the customers are cut into routes of at most ``capacity``
(参数 ``每路线客户数``) customers, each put in a visiting order (路线, 拜访顺序) by
:func:`plan_routes`.  Nothing here reads or writes a file.

The problem, as decided for salesxl:

* A route is an **open path** — a rep drives from the first customer to the last, there is no
  depot — and its length is the sum of the great-circle legs between consecutive stops
  (haversine, mean Earth radius :data:`EARTH_RADIUS_KM`, degrees in).
* A zone gets the **fewest routes**, ``ceil(n / capacity)`` (the fewest visiting days); the
  zone's total length is minimised subject to each route holding at most ``capacity``
  customers.  Without the fixed count the shortest answer would be one customer per route.
* Customers without coordinates (``NaN`` latitude or longitude) cannot be routed by distance:
  they are grouped by 区县 (a blank district is its own, last, group), ordered by address then
  customer id, and each district is split evenly into ``ceil(n_d / capacity)`` consecutive
  routes, so a route never spans two districts.  These routes are numbered after the zone's
  coordinate routes and have no distances (``NaN``).
* Route names are ``f"{zone}-{k:02d}"``, ``k`` counting from 1 in each zone (three digits once
  the zone has more than 99 routes, four past 999).  Coordinate routes are numbered along a
  Hilbert curve through the zone's bounding box, taken at each route's centroid, so routes with
  neighbouring numbers lie next to each other.  A route starts at whichever of its two ends lies
  nearer the zone's centroid (the rep works outwards from the middle of the zone); on a tie, at
  the end whose customer sorts first.
* The answer is a function of the data alone: :func:`plan_routes` sorts the rows by customer id
  before anything else (so permuting the rows changes nothing), the search is seeded, and every
  loop is bounded by convergence or an iteration count, never by the clock — running the
  command again on its own output rewrites exactly the same 路线 and 拜访顺序.

The solver (:func:`solve_zone`) is route-first, cluster-second followed by local search and
ruin-and-recreate.  A zone larger than :data:`CHUNK` customers is first cut recursively across
its longer axis, at multiples of ``capacity`` and preferably in a gap between towns, into compact
pieces solved independently: that keeps the time linear and the distance matrices small, and
cutting at multiples of ``capacity`` keeps the zone's route count at the minimum.  Per piece:

1. a haversine distance matrix and each customer's :data:`NEIGHBOURS` nearest neighbours;
2. a giant tour — greedy edge matching, then 2-opt and Or-opt on neighbour lists;
3. the optimal split of that cycle into ``ceil(n / capacity)`` runs of at most ``capacity``
   (dynamic programming over every rotation that matters);
4. local search over the routes, modelled as a capacitated VRP whose dummy depot is at zero
   distance from everyone (so an open path is a closed route and the textbook moves apply):
   relocate, swap, 2-opt* in its four open-path variants and Or-opt of strings of 2-3, each
   tried only between a customer and its near neighbours, first improvement; every route a move
   changes is re-ordered by 2-opt and Or-opt, and routes of up to :data:`EXACT_MAX` stops are
   finally ordered exactly (Held-Karp, batched over routes in NumPy);
5. :data:`ILS_ROUNDS_PER_CUSTOMER` rounds per customer of ruin and recreate: strings of
   customers are taken out of a few neighbouring routes, put back at their cheapest places,
   the damage repaired by the local search, and the round kept only if the total is no longer.

Python loops walk the neighbour lists (where NumPy would only add overhead per move); NumPy does
everything that touches whole arrays.  On ``bench/bench_routes.py`` this ends up shorter than
OR-Tools' routing solver given 30 seconds (GLS; about 1 % on the demo book, 4-10 % on 2,000
clustered customers) in about a fiftieth of its time, and routes 50,000 customers in 11-14 s.

Where things live: this module holds zones, the cutting of large zones into pieces, the
numbering of routes and :func:`plan_routes`; the constants and distances are in
:mod:`salesxl.core.route_geometry` (re-exported here), steps 1-3 per piece in
:mod:`salesxl.core.route_tour`, steps 4-5 in :mod:`salesxl.core.route_search`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.idrules import normalize_province
from salesxl.core.route_geometry import (
    CHUNK,
    DEG,
    EARTH_RADIUS_KM,
    EXACT_MAX,
    ILS_MIN_ROUNDS,
    ILS_ROUNDS_PER_CUSTOMER,
    LONG_ROUTE,
    NEIGHBOURS,
    RUIN_ROUTES,
    RUIN_STRING,
    STAGE,
    UNZONED,
    FloatArray,
    IntArray,
    great_circle_km,
    route_length_km,
)
from salesxl.core.route_search import solve_piece

__all__ = [
    "CHUNK",
    "EARTH_RADIUS_KM",
    "EXACT_MAX",
    "ILS_MIN_ROUNDS",
    "ILS_ROUNDS_PER_CUSTOMER",
    "LONG_ROUTE",
    "NEIGHBOURS",
    "RUIN_ROUTES",
    "RUIN_STRING",
    "STAGE",
    "UNZONED",
    "FloatArray",
    "IntArray",
    "assign_zones",
    "great_circle_km",
    "plan_routes",
    "route_length_km",
    "solve_zone",
]


# ----------------------------------------------------------------------------------------------
# Zones


def _text(v: object) -> str | None:
    """A cell as stripped text; ``None`` for missing (``None``, ``<NA>``, ``NaN``) or blank."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(v).strip() or None


def _clean(s: pd.Series) -> list[str | None]:
    """A column as :func:`_text` values, whatever its dtype (object, string, Arrow)."""
    return [_text(v) for v in s.tolist()]


def assign_zones(
    zone_cell: pd.Series,
    salesperson: pd.Series,
    province: pd.Series,
    city: pd.Series,
    salesperson_zones: Mapping[str, str],
) -> pd.Series:
    """Each customer's zone: its 片区 if set, else its salesperson's 片区, else 省份+城市.

    省份+城市 reads "浙江省杭州市", or just "上海市" when the province is the city (the four
    municipalities, typed 上海 or 上海市), or whichever of the two is present; ``province`` is
    expected normalised (:func:`salesxl.core.identifiers.card_provinces`), so 浙江 and 浙江省
    make one zone; with none of these, :data:`UNZONED`.
    Blank text counts as missing, so a stray space never makes a zone of its own.  The result has
    ``zone_cell``'s index; the inputs are matched by position."""
    own, rep, prov, town = _clean(zone_cell), _clean(salesperson), _clean(province), _clean(city)
    if not len(own) == len(rep) == len(prov) == len(town):
        raise ValueError("assign_zones: the four columns must have the same length")
    zones = {}
    for k, v in salesperson_zones.items():
        key, value = _text(k), _text(v)
        if key is not None and value is not None:
            zones[key] = value
    out = []
    for z, r, p, c in zip(own, rep, prov, town, strict=True):
        if z is None and r is not None:
            z = zones.get(r)
        if z is None:
            z = (p if p == c or normalize_province(c) == p else p + c) if p and c else (p or c or UNZONED)
        out.append(z)
    return pd.Series(out, index=zone_cell.index, dtype="string", name="zone")


# ----------------------------------------------------------------------------------------------
# Zones of any size


def _plane(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Equirectangular km about the points' mean latitude: good enough to cut and to order."""
    scale = EARTH_RADIUS_KM * DEG
    mid = float(np.mean(lat)) if len(lat) else 0.0
    return lon * (scale * math.cos(mid * DEG)), lat * scale


def _pieces(lat: FloatArray, lon: FloatArray, cap: int, limit: int) -> list[IntArray]:
    """Index sets of at most ``limit`` customers (``limit`` ≥ ``cap``), cut recursively across
    the longer axis at a multiple of ``cap`` — so the pieces' route counts add up to the zone's
    minimum — choosing, between 40 % and 60 % of the way, the widest gap (a cut between two
    towns costs nothing; one through a town costs a few extra kilometres)."""
    out: list[IntArray] = []
    stack = [np.arange(len(lat))]
    while stack:
        part = stack.pop()
        n = len(part)
        if n <= limit:
            out.append(part)
            continue
        x, y = _plane(lat[part], lon[part])
        coord = x if np.ptp(x) >= np.ptp(y) else y
        order = np.lexsort((part, coord))
        ranked = coord[order]
        k = -(-n // cap)
        lo, hi = max(1, int(0.4 * k)), min(k - 1, max(1, int(math.ceil(0.6 * k))))
        cuts = np.arange(lo, hi + 1) * cap
        gaps = ranked[cuts] - ranked[cuts - 1]
        pick = int(np.lexsort((np.abs(cuts - n / 2), -gaps))[0])
        cut = int(cuts[pick])
        stack.append(part[order[cut:]])
        stack.append(part[order[:cut]])
    return out


def _hilbert(x: int, y: int, bits: int = 16) -> int:
    """Position along the Hilbert curve of the grid point (x, y), both in ``[0, 2**bits)``."""
    side = 1 << bits
    d = 0
    s = side >> 1
    while s:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if not ry:
            if rx:
                x, y = side - 1 - x, side - 1 - y
            x, y = y, x
        s >>= 1
    return d


def _arrange(lat: FloatArray, lon: FloatArray, routes: list[IntArray]) -> list[IntArray]:
    """Number the routes along a Hilbert curve (by centroid) and point each one outwards:
    it starts at the end nearer the zone's centroid (ties: the end that sorts first)."""
    if not routes:
        return routes
    x, y = _plane(lat, lon)
    x0, y0 = float(x.min()), float(y.min())
    span = max(float(x.max()) - x0, float(y.max()) - y0, 1e-9)
    gx = np.array([x[r].mean() for r in routes])
    gy = np.array([y[r].mean() for r in routes])
    top = (1 << 16) - 1
    h = np.array([_hilbert(int(a), int(b)) for a, b in zip(
        np.rint((gx - x0) / span * top).tolist(), np.rint((gy - y0) / span * top).tolist(), strict=True)])
    first = np.array([int(r.min()) for r in routes])
    order = np.lexsort((first, h))
    # Zone centroid: mean of unit vectors, so it is right across any meridian.
    p, lam = lat * DEG, lon * DEG
    vx, vy, vz = np.mean(np.cos(p) * np.cos(lam)), np.mean(np.cos(p) * np.sin(lam)), np.mean(np.sin(p))
    c_lat = math.degrees(math.atan2(vz, math.hypot(vx, vy)))
    c_lon = math.degrees(math.atan2(vy, vx))
    out = []
    for q in order.tolist():
        r = routes[q]
        if len(r) > 1:
            ends = great_circle_km(lat[[r[0], r[-1]]], lon[[r[0], r[-1]]], c_lat, c_lon)
            if ends[1] < ends[0] or (ends[1] == ends[0] and r[-1] < r[0]):
                r = r[::-1]
        out.append(np.ascontiguousarray(r, dtype=np.intp))
    return out


def solve_zone(lat: Any, lon: Any, capacity: int) -> list[IntArray]:
    """The coordinate routes of one zone: index arrays into ``lat``/``lon`` in visiting order.

    Exactly ``ceil(n / capacity)`` routes of 1..``capacity`` customers, every index exactly
    once, numbered and oriented as the module docstring says."""
    cap = _capacity(capacity)
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    if la.shape != lo.shape or la.ndim != 1:
        raise ValueError("solve_zone: lat and lon must be 1-d arrays of the same length")
    if not (np.isfinite(la).all() and np.isfinite(lo).all()):
        raise ValueError("solve_zone: coordinates must be finite")
    routes: list[IntArray] = []
    for part in _pieces(la, lo, cap, max(CHUNK, cap)):
        for r in solve_piece(la[part], lo[part], cap):
            routes.append(part[np.asarray(r, dtype=np.intp)])
    return _arrange(la, lo, routes)


def _capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or int(capacity) != capacity or capacity < 1:
        raise ValueError(f"route capacity must be a whole number ≥ 1, not {capacity!r}")
    return int(capacity)


# ----------------------------------------------------------------------------------------------
# Whole frame


def _even_runs(n: int, cap: int) -> list[int]:
    """Sizes of ``ceil(n / cap)`` runs as even as possible, larger first."""
    k = -(-n // cap)
    q, extra = divmod(n, k)
    return [q + 1] * extra + [q] * (k - extra)


def plan_routes(
    frame: pd.DataFrame,
    capacity: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """路线 and 拜访顺序 for every customer of ``frame``.

    ``frame`` has ``customer_id``, ``zone``, ``lat``, ``lon`` (``NaN`` when absent), ``district``
    and ``address``.  The result has the same index and the columns ``route`` (name),
    ``stop`` (1-based), ``leg_km`` (from the previous stop; ``NaN`` for the first stop and
    without coordinates) and ``route_km`` (the route's length; ``NaN`` without coordinates).
    ``progress(stage, done, total)`` is called after each zone."""
    cap = _capacity(capacity)
    n = len(frame)
    ids = _clean(frame["customer_id"])
    zone = _clean(frame["zone"])
    district = _clean(frame["district"])
    address = _clean(frame["address"])
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    has = np.isfinite(lat) & np.isfinite(lon)
    # Row order must not matter: everything below walks the rows sorted by customer id (the
    # other fields only break ties between duplicate ids).
    rank = sorted(range(n), key=lambda i: (ids[i] or "", not has[i], lat[i] if has[i] else 0.0,
                                           lon[i] if has[i] else 0.0, district[i] or "",
                                           address[i] or "", zone[i] or ""))
    by_zone: dict[str, list[int]] = {}
    for i in rank:
        by_zone.setdefault(zone[i] or UNZONED, []).append(i)
    route_name = np.empty(n, dtype=object)
    stop = np.zeros(n, dtype=np.int64)
    leg = np.full(n, np.nan)
    total = np.full(n, np.nan)
    names = sorted(by_zone)
    for done, name in enumerate(names, 1):
        rows = np.array(by_zone[name], dtype=np.intp)
        geo = rows[has[rows]]
        runs: list[tuple[IntArray, bool]] = [
            (geo[r], True) for r in solve_zone(lat[geo], lon[geo], cap)] if len(geo) else []
        flat = rows[~has[rows]]
        groups: dict[str | None, list[int]] = {}
        for i in sorted(flat.tolist(), key=lambda i: (address[i] or "", ids[i] or "")):
            groups.setdefault(district[i], []).append(i)
        for key in sorted(groups, key=lambda g: (g is None, g or "")):
            group = groups[key]
            at = 0
            for size in _even_runs(len(group), cap):
                runs.append((np.array(group[at: at + size], dtype=np.intp), False))
                at += size
        width = max(2, len(str(len(runs))))
        for k, (members, geo_run) in enumerate(runs, 1):
            route_name[members] = f"{name}-{k:0{width}d}"
            stop[members] = np.arange(1, len(members) + 1)
            if geo_run:
                legs = great_circle_km(lat[members[:-1]], lon[members[:-1]],
                                       lat[members[1:]], lon[members[1:]])
                leg[members[1:]] = legs
                total[members] = float(np.sum(legs))
        if progress is not None:
            progress(STAGE, done, len(names))
    return pd.DataFrame(
        {"route": pd.array(route_name, dtype="string"), "stop": stop, "leg_km": leg,
         "route_km": total},
        index=frame.index,
    )
