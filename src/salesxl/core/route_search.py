"""Routing's local search and ruin-and-recreate over the routes of one piece (:func:`solve_piece`).

The routes are a capacitated VRP whose dummy depot is at zero distance from everyone (so an
open path is a closed route): relocate, swap, 2-opt* and Or-opt moves between near neighbours,
first improvement, each changed route re-ordered; then seeded rounds of ruin and recreate kept
only when shorter.  Steps 4-5 of the solver described in :mod:`salesxl.core.routes`; Python
loops over neighbour lists, bounded by iteration counts, never the clock.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque

import numpy as np

from salesxl.core.route_geometry import (
    EPS,
    EXACT_MAX,
    ILS_MIN_ROUNDS,
    ILS_ROUNDS_PER_CUSTOMER,
    LONG_ROUTE,
    NEIGHBOURS,
    RUIN_ROUTES,
    RUIN_STRING,
    FloatArray,
    distance_matrix,
)
from salesxl.core.route_tour import (
    exact_paths,
    greedy_tour,
    improve_tour,
    nearest_neighbours,
    open_longest,
    split_tour,
)


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
            done = open_longest(improve_tour(route, d, self.neigh_dep), self.dist)
            cycle = improve_tour([dep, *done], d, self.neigh_dep)
            at = cycle.index(dep)
            done = cycle[at + 1:] + cycle[:at]
            self.polished[key] = self.polished[tuple(done)] = tuple(done)
            if self._length(done) < self.cost[r] - EPS:
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
                    if da[c] + db[e] - dab - d[c][e] < -EPS:
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
                        limit = d[a][s1] + d[sl][b] - d[a][b] - EPS
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
            order, cost = exact_paths(w)
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
                if rem + duv + du[vn] - d_vvn < -EPS:
                    self._apply([(ru, a[:i] + a[i + 1:]), (rv, b[: j + 1] + [u] + b[j + 1:])])
                    return True
                if rem + du[vp] + duv - d_vpv < -EPS:
                    self._apply([(ru, a[:i] + a[i + 1:]), (rv, b[:j] + [u] + b[j:])])
                    return True
            # 2-opt*: cut one edge at u and one at v, join u-v and the two loose ends.
            if (i + 1 + lb - j <= cap and j + la - i - 1 <= cap
                    and duv + d[vp][un] - d_uun - d_vpv < -EPS):
                self._apply([(ru, a[: i + 1] + b[j:]), (rv, b[:j] + a[i + 1:])])
                return True
            if (j + 1 + la - i <= cap and i + lb - j - 1 <= cap
                    and duv + d[up][vn] - d_upu - d_vvn < -EPS):
                self._apply([(ru, b[: j + 1] + a[i:]), (rv, a[:i] + b[j + 1:])])
                return True
            if (i + j + 2 <= cap and la + lb - i - j - 2 <= cap
                    and duv + d[un][vn] - d_uun - d_vvn < -EPS):
                self._apply([(ru, a[: i + 1] + b[: j + 1][::-1]), (rv, a[i + 1:][::-1] + b[j + 1:])])
                return True
            if (la - i + lb - j <= cap and i + j <= cap
                    and duv + d[up][vp] - d_upu - d_vpv < -EPS):
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
                if delta < -EPS:
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
                    if duv + dl[vn] - d_vvn < gain - EPS:
                        seg = a[i: i + length]
                        self._apply([(ru, a[:i] + a[i + length:]), (rv, b[: j + 1] + seg + b[j + 1:])])
                        return True
                    if dl[vp] + duv - d_vpv < gain - EPS:
                        seg = a[i: i + length][::-1]
                        self._apply([(ru, a[:i] + a[i + length:]), (rv, b[:j] + seg + b[j:])])
                        return True
                if i + 1 >= length:  # u last: a[i-L+1:i+1]
                    first = a[i - length + 1]
                    before = a[i - length] if i >= length else dep
                    gain = d[before][first] + d_uun - d[before][un]
                    df = d[first]
                    if duv + df[vn] - d_vvn < gain - EPS:
                        seg = a[i - length + 1: i + 1][::-1]
                        self._apply([(ru, a[: i - length + 1] + a[i + 1:]),
                                     (rv, b[: j + 1] + seg + b[j + 1:])])
                        return True
                    if df[vp] + duv - d_vpv < gain - EPS:
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


def solve_piece(lat: FloatArray, lon: FloatArray, cap: int) -> list[list[int]]:
    """Routes (index lists in visiting order) of one piece: tour, split, search, shake."""
    n = len(lat)
    if cap == 1:
        return [[i] for i in range(n)]
    if n <= 2:
        return [list(range(n))] if n else []
    dist = distance_matrix(lat, lon)
    neigh = nearest_neighbours(dist, NEIGHBOURS)
    full = np.zeros((n + 1, n + 1))
    full[:n, :n] = dist
    d = full.tolist()
    tour = improve_tour(greedy_tour(dist, neigh), d, neigh)
    search = _Search(dist, cap, split_tour(tour, dist, cap), neigh, d)
    search.descend()
    if len(search.routes) > 1:
        rng = random.Random(n * 7919 + cap)
        for _ in range(max(int(ILS_ROUNDS_PER_CUSTOMER * n), ILS_MIN_ROUNDS)):
            search.perturb(rng)
        search.descend()  # the rounds polish routes heuristically; finish them exactly
    return search.routes
