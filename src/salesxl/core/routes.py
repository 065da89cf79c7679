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
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.idrules import normalize_province

#: Mean Earth radius (IUGG), kilometres.
EARTH_RADIUS_KM = 6371.0088
#: The zone of a customer with no 片区, no salesperson zone and no 省份/城市.
UNZONED = "未分片区"
#: The progress stage reported per zone.
STAGE = "路线"
#: Largest number of customers solved as one piece: one distance matrix, held as nested lists
#: for fast scalar access (1,000 points ≈ 30 MB); larger zones are cut (see :func:`_pieces`).
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

_EPS = 1e-9
_DEG = math.pi / 180.0

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


def _matrix(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """All pairwise distances; the same formula as :func:`great_circle_km` with the cosines
    computed once per point (the matrix is the hot part of building a piece)."""
    p = lat * _DEG
    cp = np.cos(p)
    half_p = p * 0.5
    half_l = lon * (_DEG * 0.5)
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
# Giant tour


def _neighbours(dist: FloatArray, k: int) -> list[list[int]]:
    """The ``k`` nearest other points of each point, nearest first."""
    n = len(dist)
    k = min(k, n - 1)
    if k <= 0:
        return [[] for _ in range(n)]
    d = dist.copy()
    np.fill_diagonal(d, np.inf)
    if k < n - 1:
        part = np.argpartition(d, k, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(n), (n, 1))[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    rows = np.arange(n)[:, None]
    order = np.lexsort((part, d[rows, part]), axis=1)
    return np.take_along_axis(part, order, axis=1).tolist()


def _greedy_tour(dist: FloatArray, neigh: list[list[int]]) -> list[int]:
    """A cycle by greedy edge matching on the neighbour graph, fragments joined nearest-end-first.

    Greedy matching gives tours some 15-20 % above optimal, a much better start for 2-opt than
    nearest neighbour (fewer long closing edges)."""
    n = len(dist)
    if n <= 3:
        return list(range(n))
    ii = np.repeat(np.arange(n), [len(x) for x in neigh])
    jj = np.fromiter((j for x in neigh for j in x), dtype=np.intp, count=len(ii))
    lo, hi = np.minimum(ii, jj), np.maximum(ii, jj)
    key = np.unique(lo * n + hi)
    lo, hi = key // n, key % n
    w = dist[lo, hi]
    order = np.lexsort((hi, lo, w))
    deg = [0] * n
    parent = list(range(n))
    adj: list[list[int]] = [[] for _ in range(n)]

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(lo[order].tolist(), hi[order].tolist(), strict=True):
        if deg[a] < 2 and deg[b] < 2:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
                deg[a] += 1
                deg[b] += 1
                adj[a].append(b)
                adj[b].append(a)
    # Fragments (paths, singletons included), each as a list of nodes.
    seen = [False] * n
    frags: list[list[int]] = []
    for s in range(n):
        if seen[s] or deg[s] == 2:
            continue
        path = [s]
        seen[s] = True
        prev, cur = -1, s
        while True:
            nxt = [x for x in adj[cur] if x != prev and not seen[x]]
            if not nxt:
                break
            prev, cur = cur, nxt[0]
            seen[cur] = True
            path.append(cur)
        frags.append(path)
    # Join the fragments: from the current end, go to the nearest free fragment end.
    tour = frags[0]
    free = np.ones(len(frags), dtype=bool)
    free[0] = False
    heads = np.array([f[0] for f in frags])
    tails = np.array([f[-1] for f in frags])
    while free.any():
        end = tour[-1]
        dh = np.where(free, dist[end, heads], np.inf)
        dt = np.where(free, dist[end, tails], np.inf)
        h, t = int(np.argmin(dh)), int(np.argmin(dt))
        if dh[h] <= dt[t]:
            tour.extend(frags[h])
            free[h] = False
        else:
            tour.extend(reversed(frags[t]))
            free[t] = False
    return tour


def _improve_tour(tour: list[int], d: list[list[float]], neigh: list[list[int]]) -> list[int]:
    """2-opt and Or-opt (strings of 1-3, either way round) on a cycle, neighbour lists and
    a queue of customers to look at; a 2-opt move reverses the shorter side of the cycle, an
    Or-opt move rebuilds the list (both are rare next to the moves merely tried).

    ``tour`` may be a subset of the points ``neigh`` knows (a long route with the depot, see
    :meth:`_Search._polish`); neighbours outside it are skipped."""
    n = len(tour)
    if n < 5:
        return tour
    t = list(tour)
    p = [-1] * len(neigh)
    for i, x in enumerate(t):
        p[x] = i

    def reverse(i: int, j: int) -> None:
        """Reverse the cyclic stretch of positions i..j (inclusive) — or, the same cycle, the
        complement, whichever is shorter."""
        m = (j - i) % n + 1
        if 2 * m > n:
            i, j = (j + 1) % n, (i - 1) % n
            m = n - m
        for _ in range(m // 2):
            a, b = t[i], t[j]
            t[i], t[j] = b, a
            p[b], p[a] = i, j
            i = i + 1 if i + 1 < n else 0
            j = j - 1 if j > 0 else n - 1

    queue = deque(t)
    queued = [x >= 0 for x in p]
    while queue:
        a = queue.popleft()
        queued[a] = False
        improved = False
        for direction in (1, -1):
            pa = p[a]
            b = t[(pa + direction) % n]
            dab = d[a][b]
            for c in neigh[a]:
                dac = d[a][c]
                if dac >= dab:
                    break
                if p[c] < 0:
                    continue
                e = t[(p[c] + direction) % n]
                if c == b or e == a:
                    continue
                delta = dac + d[b][e] - dab - d[c][e]
                if delta < -_EPS:
                    if direction == 1:
                        reverse(p[b], p[c])
                    else:
                        reverse(p[c], p[b])
                    for x in (a, b, c, e):
                        if not queued[x]:
                            queued[x] = True
                            queue.append(x)
                    improved = True
                    break
            if improved:
                break
        if improved:
            continue
        # Or-opt: move the string s1..sL (forward from a) between c and its neighbour.
        for length in (1, 2, 3):
            pa = p[a]
            seg = [t[(pa + q) % n] for q in range(length)]
            prev, nxt = t[(pa - 1) % n], t[(pa + length) % n]
            if nxt == a or prev == seg[-1] or prev in seg or nxt in seg:
                break
            s1, sl = seg[0], seg[-1]
            gain = d[prev][s1] + d[sl][nxt] - d[prev][nxt]
            if gain <= _EPS:
                continue
            best = None
            for end in (s1, sl):
                for c in neigh[end]:
                    if d[end][c] >= gain:
                        break
                    if p[c] < 0 or c in seg:
                        continue
                    for e in (t[(p[c] + 1) % n], t[(p[c] - 1) % n]):
                        if e in seg:
                            continue
                        # insert between c and e with `end` next to c
                        other = sl if end == s1 else s1
                        delta = d[c][end] + d[other][e] - d[c][e] - gain
                        if delta < -_EPS:
                            best = (c, e, end)
                            break
                    if best:
                        break
                if best:
                    break
            if best is None:
                continue
            c, e, end = best
            # Rebuild with the string removed (rotated so that it sat at the end), then put it
            # back between c and e with `end` next to c.
            start = (pa + length) % n
            body = (t[start:] + t[:start])[: n - length]
            pos_c = body.index(c)
            if body[(pos_c + 1) % len(body)] == e:  # c, end .. other, e
                run = seg if end == s1 else seg[::-1]
                t[:] = body[: pos_c + 1] + run + body[pos_c + 1:]
            else:  # e, other .. end, c
                run = seg if end == sl else seg[::-1]
                t[:] = body[:pos_c] + run + body[pos_c:]
            for i, x in enumerate(t):
                p[x] = i
            for x in (a, prev, nxt, c, e, *seg):
                if not queued[x]:
                    queued[x] = True
                    queue.append(x)
            break
    return t


# ----------------------------------------------------------------------------------------------
# Route-first, cluster-second


def _open_longest(cycle: list[int], dist: FloatArray) -> list[int]:
    """The cycle as the open path that leaves out its longest edge."""
    if len(cycle) < 3:
        return list(cycle)
    c = np.asarray(cycle, dtype=np.intp)
    at = int(np.argmax(dist[c, np.roll(c, -1)]))  # edge c[at] -> c[at+1]
    return c[at + 1:].tolist() + c[: at + 1].tolist()


def _split(tour: list[int], dist: FloatArray, cap: int) -> list[list[int]]:
    """The cut of the cycle ``tour`` into exactly ``ceil(n / cap)`` consecutive runs of at most
    ``cap`` customers with the least total internal length (dynamic programming, vectorised
    over the end position and the rotations).

    Whatever the cut, every ``cap`` consecutive edges hold a cut edge, so trying the paths that
    start at positions ``0 .. cap-1`` of the cycle finds the optimum over all rotations.  After
    ``j`` runs the end can only lie where the remaining runs still fit, so each step of the DP
    only looks at that window (a single position when the routes must all be full)."""
    n = len(tour)
    k = -(-n // cap)
    if k <= 1:
        return [_open_longest(tour, dist)]
    t = np.asarray(tour, dtype=np.intp)
    rot = min(cap, n)
    paths = np.stack([np.roll(t, -r) for r in range(rot)])
    prefix = np.zeros((rot, n + 1))
    prefix[:, 1:n] = np.cumsum(dist[paths[:, :-1], paths[:, 1:]], axis=1)
    # The cost of run [a, b) is prefix[b-1] - prefix[a]; f[b] the best cost of the first b.
    f = np.full((rot, n + 1), np.inf)
    f[:, 0] = 0.0
    choice = np.zeros((k, rot, n + 1), dtype=np.int16 if cap < 2**15 else np.int64)
    for j in range(k):
        lo, hi = max(j + 1, n - (k - 1 - j) * cap), min(n, (j + 1) * cap)
        base = f - prefix  # f[a] - prefix[a]
        g = np.full((rot, n + 1), np.inf)
        win, arg = g[:, lo: hi + 1], choice[j][:, lo: hi + 1]
        for s in range(1, cap + 1):
            if hi - s < 0:
                break
            a0 = lo - s
            cand = np.full((rot, hi - lo + 1), np.inf)
            first = max(0, -a0)
            cand[:, first:] = base[:, a0 + first: hi - s + 1] + prefix[:, lo - 1 + first: hi]
            better = cand < win
            np.copyto(win, cand, where=better)
            np.copyto(arg, s, where=better)
        f = g
    r = int(np.argmin(f[:, n]))
    routes, b = [], n
    for j in range(k - 1, -1, -1):
        s = int(choice[j][r, b])
        routes.append(paths[r, b - s: b].tolist())
        b -= s
    return routes[::-1]


def _layers(m: int) -> list[list[tuple[IntArray, IntArray, int]]]:
    """For Held-Karp on ``m`` points: per subset size, per last point ``k``, the subsets of that
    size holding ``k`` and the same subsets without ``k`` (cached: they depend on ``m`` only)."""
    if m not in _LAYERS:
        masks = np.arange(1 << m)
        size = sum((masks >> j) & 1 for j in range(m))
        out = []
        for p in range(2, m + 1):
            layer = masks[size == p]
            steps = []
            for k in range(m):
                sel = layer[(layer >> k) & 1 == 1]
                steps.append((sel, sel ^ (1 << k), k))
            out.append(steps)
        _LAYERS[m] = out
    return _LAYERS[m]


_LAYERS: dict[int, list[list[tuple[IntArray, IntArray, int]]]] = {}


def _exact_paths(w: FloatArray) -> tuple[IntArray, FloatArray]:
    """Shortest open paths through each of ``R`` point sets of the same size ``m``, exactly
    (Held-Karp over subsets, batched over the sets and over the subsets of one size): orders
    ``(R, m)`` and lengths ``(R,)``.

    Routes are short, so 2**m * m states per route cost less than one pass of Python local
    search, and re-ordering every route optimally leaves the moves between routes their true
    gains."""
    r, m = w.shape[0], w.shape[1]
    full = (1 << m) - 1
    dp = np.full((full + 1, r, m), np.inf)
    rows = np.arange(r)
    for j in range(m):
        dp[1 << j, :, j] = 0.0
    for layer in _layers(m):
        for sel, prev, k in layer:
            dp[sel, :, k] = (dp[prev] + w[None, :, :, k]).min(axis=2)
    # Walk back from the best last point, re-deriving each predecessor.
    last = dp[full].argmin(axis=1)
    cost = dp[full][rows, last]
    order = np.empty((r, m), dtype=np.intp)
    mask = np.full(r, full, dtype=np.int64)
    for step in range(m - 1, 0, -1):
        order[:, step] = last
        mask ^= np.int64(1) << last
        last = (dp[mask, rows, :] + w[rows, :, last]).argmin(axis=1)
    order[:, 0] = last
    return order, cost


class _Search:
    """Local search over the routes of one piece, as a capacitated VRP whose depot (index
    ``n``) is zero distance from everyone: then an open path is a closed route, and the usual
    VRP moves apply unchanged.

    Moves are tried only between a customer and its nearest neighbours (granular search),
    first improvement, driven by a queue of customers whose surroundings changed.  Every change
    goes through :meth:`_set`, which can journal the old routes so that a ruin-and-recreate
    round that made things worse is undone exactly."""

    def __init__(self, dist: FloatArray, cap: int, routes: list[list[int]],
                 neigh: list[list[int]], d: list[list[float]]) -> None:
        n = len(dist)
        self.n, self.cap, self.dist = n, cap, dist
        self.d = d
        self.neigh = neigh
        self.neigh_dep = [*neigh, []]  # the depot starts no move
        self.routes = [list(x) for x in routes]
        self.rid = [0] * n
        self.pos = [0] * n
        self.cost = [self._length(x) for x in self.routes]
        for r in range(len(self.routes)):
            self._index(r)
        self.journal: dict[int, tuple[list[int], float]] | None = None
        self.queue: deque[int] = deque()
        self.queued = [False] * n
        #: route (as visited) -> the same customers after :meth:`_polish`; in the ruin and
        #: recreate rounds one route in six or so comes back exactly as seen before.
        self.polished: dict[tuple[int, ...], tuple[int, ...]] = {}
        #: routes known to be in their best order (:meth:`exact` need not look at them again)
        self.optimal: set[tuple[int, ...]] = set()

    # -- bookkeeping ---------------------------------------------------------------------------

    def _length(self, route: list[int]) -> float:
        d = self.d
        return sum([d[a][b] for a, b in zip(route, route[1:], strict=False)])

    def _index(self, r: int) -> None:
        rid, pos = self.rid, self.pos
        for i, x in enumerate(self.routes[r]):
            rid[x] = r
            pos[x] = i

    def _set(self, r: int, route: list[int]) -> None:
        if self.journal is not None and r not in self.journal:
            self.journal[r] = (self.routes[r], self.cost[r])
        self.routes[r] = route
        self.cost[r] = self._length(route)
        self._index(r)

    def _push(self, r: int) -> None:
        queued, queue = self.queued, self.queue
        for x in self.routes[r]:
            if not queued[x]:
                queued[x] = True
                queue.append(x)

    def total(self) -> float:
        return float(sum(self.cost))

    # -- inside one route ----------------------------------------------------------------------

    def _polish(self, r: int) -> None:
        """2-opt and Or-opt (strings of 1-3, either way round) inside route ``r`` until none
        improves; the path's two ends are free (depot edges cost nothing)."""
        route = self.routes[r]
        m = len(route)
        if m < 3:
            return
        key = tuple(route)
        known = self.polished.get(key)
        if known is not None:
            if known != key:
                self._set(r, list(known))
            return
        d, dep = self.d, self.n
        if m > LONG_ROUTE:
            # Quadratic passes get slow on long routes: use the neighbour-list tour improver on
            # the cycle closed by the depot, then open it at the depot again.
            # First as a closed tour opened at its longest edge (the neighbour moves never
            # shift the depot that far), then as the open path.
            done = _open_longest(_improve_tour(route, d, self.neigh_dep), self.dist)
            cycle = _improve_tour([dep, *done], d, self.neigh_dep)
            at = cycle.index(dep)
            done = cycle[at + 1:] + cycle[:at]
            self.polished[key] = self.polished[tuple(done)] = tuple(done)
            if self._length(done) < self.cost[r] - _EPS:
                self._set(r, done)
            return
        changed = False
        improved = True
        while improved:
            improved = False
            ext = [dep, *route, dep]
            for i in range(1, m):
                a, b = ext[i - 1], ext[i]
                da, dab = d[a], d[a][b]
                db = d[b]
                for j in range(i + 1, m + 1):
                    c, e = ext[j], ext[j + 1]
                    if da[c] + db[e] - dab - d[c][e] < -_EPS:
                        route = route[: i - 1] + route[i - 1: j][::-1] + route[j:]
                        improved = True
                        break
                if improved:
                    break
            if not improved:
                for length in (1, 2, 3):
                    if length >= m:
                        break
                    for i in range(1, m - length + 2):
                        a, s1, sl, b = ext[i - 1], ext[i], ext[i + length - 1], ext[i + length]
                        limit = d[a][s1] + d[sl][b] - d[a][b] - _EPS
                        if limit <= 0.0:
                            continue
                        ds1, dsl = d[s1], d[sl]
                        # the gaps (ext[q], ext[q+1]) before and after the string
                        for q in itertools.chain(range(i - 1), range(i + length, m + 1)):
                            x, y = ext[q], ext[q + 1]
                            dxy = d[x][y]
                            if ds1[x] + dsl[y] - dxy < limit:
                                seg = ext[i: i + length]
                            elif length > 1 and dsl[x] + ds1[y] - dxy < limit:
                                seg = ext[i: i + length][::-1]
                            else:
                                continue
                            if q < i:
                                new = ext[: q + 1] + seg + ext[q + 1: i] + ext[i + length:]
                            else:
                                new = ext[:i] + ext[i + length: q + 1] + seg + ext[q + 1:]
                            route = new[1:-1]
                            improved = True
                            break
                        if improved:
                            break
                    if improved:
                        break
            changed = changed or improved
        if changed:
            self.polished[key] = self.polished[tuple(route)] = tuple(route)
            self._set(r, route)
        else:
            self.polished[key] = key

    def exact(self, only: set[int] | None = None) -> list[int]:
        """Re-order every route (or those in ``only``) of 4..:data:`EXACT_MAX` stops optimally;
        the routes that got shorter."""
        by_size: dict[int, list[int]] = {}
        for r, route in enumerate(self.routes):
            if (only is None or r in only) and 4 <= len(route) <= EXACT_MAX \
                    and tuple(route) not in self.optimal:
                by_size.setdefault(len(route), []).append(r)
        better = []
        for _m, rs in sorted(by_size.items()):
            members = np.array([self.routes[r] for r in rs], dtype=np.intp)
            w = self.dist[members[:, :, None], members[:, None, :]]
            order, cost = _exact_paths(w)
            for q, r in enumerate(rs):
                if cost[q] < self.cost[r] - 1e-7:
                    self._set(r, members[q][order[q]].tolist())
                    better.append(r)
                self.optimal.add(tuple(self.routes[r]))
        return better

    # -- between routes ------------------------------------------------------------------------

    def _apply(self, changes: list[tuple[int, list[int]]]) -> None:
        for r, route in changes:
            self._set(r, route)
        for r, _ in changes:
            self._polish(r)
            self._push(r)

    def _improve(self, u: int) -> bool:
        """Try the moves that bring ``u`` next to one of its neighbours; apply the first that
        shortens the total.  Capacity is checked on the new routes' sizes."""
        d, dep, cap = self.d, self.n, self.cap
        routes, rid, pos = self.routes, self.rid, self.pos
        ru = rid[u]
        a_route = routes[ru]
        la, i = len(a_route), pos[u]
        up = a_route[i - 1] if i else dep
        un = a_route[i + 1] if i + 1 < la else dep
        du = d[u]
        d_upu, d_uun = du[up], du[un]
        rem = d[up][un] - d_upu - d_uun
        # Gain criterion (as in Lin-Kernighan): a move that puts u beside v is only tried while
        # the new edge u-v is no longer than the longer of u's edges now.  It loses almost
        # nothing and halves the search.
        reach = max(d_upu, d_uun)
        for v in self.neigh[u]:
            if du[v] > reach:
                break
            rv = rid[v]
            if rv == ru:
                continue
            b_route = routes[rv]
            lb, j = len(b_route), pos[v]
            vp = b_route[j - 1] if j else dep
            vn = b_route[j + 1] if j + 1 < lb else dep
            dv = d[v]
            duv, d_vpv, d_vvn = du[v], dv[vp], dv[vn]
            a, b = a_route, b_route
            if lb < cap:  # relocate u next to v
                if rem + duv + du[vn] - d_vvn < -_EPS:
                    self._apply([(ru, a[:i] + a[i + 1:]), (rv, b[: j + 1] + [u] + b[j + 1:])])
                    return True
                if rem + du[vp] + duv - d_vpv < -_EPS:
                    self._apply([(ru, a[:i] + a[i + 1:]), (rv, b[:j] + [u] + b[j:])])
                    return True
            # 2-opt*: cut one edge at u and one at v, join u-v and the two loose ends.
            if (i + 1 + lb - j <= cap and j + la - i - 1 <= cap
                    and duv + d[vp][un] - d_uun - d_vpv < -_EPS):
                self._apply([(ru, a[: i + 1] + b[j:]), (rv, b[:j] + a[i + 1:])])
                return True
            if (j + 1 + la - i <= cap and i + lb - j - 1 <= cap
                    and duv + d[up][vn] - d_upu - d_vvn < -_EPS):
                self._apply([(ru, b[: j + 1] + a[i:]), (rv, a[:i] + b[j + 1:])])
                return True
            if (i + j + 2 <= cap and la + lb - i - j - 2 <= cap
                    and duv + d[un][vn] - d_uun - d_vvn < -_EPS):
                self._apply([(ru, a[: i + 1] + b[: j + 1][::-1]), (rv, a[i + 1:][::-1] + b[j + 1:])])
                return True
            if (la - i + lb - j <= cap and i + j <= cap
                    and duv + d[up][vp] - d_upu - d_vpv < -_EPS):
                self._apply([(ru, b[j:][::-1] + a[i:]), (rv, a[:i] + b[:j][::-1])])
                return True
            # swap u with v, or with v's predecessor / successor (so that u lands beside v)
            for q in (j, j - 1, j + 1):
                if q < 0 or q >= lb:
                    continue
                w = b[q]
                wp = b[q - 1] if q else dep
                wn = b[q + 1] if q + 1 < lb else dep
                dw = d[w]
                delta = (dw[up] + dw[un] + du[wp] + du[wn]
                         - d_upu - d_uun - dw[wp] - dw[wn])
                if delta < -_EPS:
                    self._apply([(ru, a[:i] + [w] + a[i + 1:]), (rv, b[:q] + [u] + b[q + 1:])])
                    return True
            # Or-opt: a string of 2-3 ending at u moves next to v (u beside v).
            for length in (2, 3):
                if lb + length > cap:
                    break
                if i + length <= la:  # u first: a[i:i+L]
                    last = a[i + length - 1]
                    after = a[i + length] if i + length < la else dep
                    gain = d_upu + d[last][after] - d[up][after]
                    dl = d[last]
                    if duv + dl[vn] - d_vvn < gain - _EPS:
                        seg = a[i: i + length]
                        self._apply([(ru, a[:i] + a[i + length:]), (rv, b[: j + 1] + seg + b[j + 1:])])
                        return True
                    if dl[vp] + duv - d_vpv < gain - _EPS:
                        seg = a[i: i + length][::-1]
                        self._apply([(ru, a[:i] + a[i + length:]), (rv, b[:j] + seg + b[j:])])
                        return True
                if i + 1 >= length:  # u last: a[i-L+1:i+1]
                    first = a[i - length + 1]
                    before = a[i - length] if i >= length else dep
                    gain = d[before][first] + d_uun - d[before][un]
                    df = d[first]
                    if duv + df[vn] - d_vvn < gain - _EPS:
                        seg = a[i - length + 1: i + 1][::-1]
                        self._apply([(ru, a[: i - length + 1] + a[i + 1:]),
                                     (rv, b[: j + 1] + seg + b[j + 1:])])
                        return True
                    if df[vp] + duv - d_vpv < gain - _EPS:
                        seg = a[i - length + 1: i + 1]
                        self._apply([(ru, a[: i - length + 1] + a[i + 1:]),
                                     (rv, b[:j] + seg + b[j:])])
                        return True
        return False

    def search(self) -> None:
        """Run the queue dry."""
        queue, queued = self.queue, self.queued
        while queue:
            u = queue.popleft()
            queued[u] = False
            if self._improve(u) and not queued[u]:
                queued[u] = True
                queue.append(u)

    def descend(self) -> None:
        """Local search to a local optimum, routes re-ordered exactly, until neither helps
        (bounded: each round must shorten the total)."""
        for r in range(len(self.routes)):
            self._polish(r)
            self._push(r)
        for _ in range(20):
            self.search()
            better = self.exact()
            if not better:
                break
            for r in better:
                self._push(r)

    # -- ruin and recreate ---------------------------------------------------------------------

    def _insert_cost(self, c: int, route: list[int]) -> tuple[float, int]:
        """The cheapest place for customer ``c`` in ``route``: (added length, index)."""
        d, dep = self.d, self.n
        dc = d[c]
        best, at = math.inf, 0
        prev = dep
        for q, x in enumerate(route):
            cost = dc[prev] + dc[x] - d[prev][x]
            if cost < best:
                best, at = cost, q
            prev = x
        cost = dc[prev]
        if cost < best:
            best, at = cost, len(route)
        return best, at

    def perturb(self, rng: random.Random) -> bool:
        """One ruin-and-recreate round around a random customer: strings removed from 2-4
        neighbouring routes, re-inserted cheapest-first in random order, the damage repaired
        by local search.  Kept when not longer, else undone; True when kept and shorter."""
        n, cap = self.n, self.cap
        routes, rid, pos = self.routes, self.rid, self.pos
        seed = rng.randrange(n)
        want = rng.randint(*RUIN_ROUTES)
        anchors: dict[int, int] = {}
        for v in [seed, *self.neigh[seed]]:
            if rid[v] not in anchors:
                anchors[rid[v]] = v
                if len(anchors) == want:
                    break
        self.journal = {}
        # The routes being rebuilt, as plain lists until the end of the round.
        work: dict[int, list[int]] = {}
        removed: list[int] = []
        for r, v in anchors.items():
            route = routes[r]
            m = len(route)
            length = rng.randint(1, min(m, RUIN_STRING))
            start = max(0, min(pos[v] - rng.randrange(length), m - length))
            removed.extend(route[start: start + length])
            work[r] = route[:start] + route[start + length:]
        for x in removed:
            rid[x] = -1
        rng.shuffle(removed)
        ruined = sorted(anchors)
        for c in removed:
            cands = set(ruined)
            cands.update(rid[v] for v in self.neigh[c] if rid[v] >= 0)
            best, best_r, best_at = math.inf, -1, 0
            for r in sorted(cands):
                route = work[r] if r in work else routes[r]
                if len(route) >= cap:
                    continue
                cost, at = self._insert_cost(c, route)
                if cost < best:
                    best, best_r, best_at = cost, r, at
            route = work[best_r] if best_r in work else routes[best_r]
            work[best_r] = route[:best_at] + [c] + route[best_at:]
            rid[c] = best_r
        touched = sorted(work)
        for r in touched:
            self._set(r, work[r])
        for r in touched:
            self._polish(r)
            self._push(r)
        self.search()
        journal, self.journal = self.journal, None
        delta = sum(self.cost[r] - old for r, (_, old) in journal.items())
        if delta < 1e-7:
            return delta < -1e-7
        for r, (route, cost) in journal.items():
            routes[r] = route
            self.cost[r] = cost
            self._index(r)
        return False


def _solve_piece(lat: FloatArray, lon: FloatArray, cap: int) -> list[list[int]]:
    """Routes (index lists in visiting order) of one piece: tour, split, search, shake."""
    n = len(lat)
    if cap == 1:
        return [[i] for i in range(n)]
    if n <= 2:
        return [list(range(n))] if n else []
    dist = _matrix(lat, lon)
    neigh = _neighbours(dist, NEIGHBOURS)
    full = np.zeros((n + 1, n + 1))
    full[:n, :n] = dist
    d = full.tolist()
    tour = _improve_tour(_greedy_tour(dist, neigh), d, neigh)
    search = _Search(dist, cap, _split(tour, dist, cap), neigh, d)
    search.descend()
    if len(search.routes) > 1:
        rng = random.Random(n * 7919 + cap)
        for _ in range(max(int(ILS_ROUNDS_PER_CUSTOMER * n), ILS_MIN_ROUNDS)):
            search.perturb(rng)
        search.descend()  # the rounds polish routes heuristically; finish them exactly
    return search.routes


# ----------------------------------------------------------------------------------------------
# Zones of any size


def _plane(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Equirectangular km about the points' mean latitude: good enough to cut and to order."""
    scale = EARTH_RADIUS_KM * _DEG
    mid = float(np.mean(lat)) if len(lat) else 0.0
    return lon * (scale * math.cos(mid * _DEG)), lat * scale


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
    p, lam = lat * _DEG, lon * _DEG
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
        for r in _solve_piece(la[part], lo[part], cap):
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
