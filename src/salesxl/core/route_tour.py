"""Routing's first steps for one piece of a zone: a giant tour, split into the fewest routes.

Each customer's nearest neighbours, a giant tour by greedy edge matching improved by 2-opt and
Or-opt on neighbour lists, the optimal split of that cycle into ``ceil(n / capacity)`` open
paths (dynamic programming over the rotations that matter), and the exact ordering of short
routes (Held-Karp, batched over routes in NumPy): steps 1-3 of the solver described in
:mod:`salesxl.core.routes`.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from salesxl.core.route_geometry import EPS, FloatArray, IntArray

# ----------------------------------------------------------------------------------------------
# Giant tour


def nearest_neighbours(dist: FloatArray, k: int) -> list[list[int]]:
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


def greedy_tour(dist: FloatArray, neigh: list[list[int]]) -> list[int]:
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


def improve_tour(tour: list[int], d: list[list[float]], neigh: list[list[int]]) -> list[int]:
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
                if delta < -EPS:
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
            if gain <= EPS:
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
                        if delta < -EPS:
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


def open_longest(cycle: list[int], dist: FloatArray) -> list[int]:
    """The cycle as the open path that leaves out its longest edge."""
    if len(cycle) < 3:
        return list(cycle)
    c = np.asarray(cycle, dtype=np.intp)
    at = int(np.argmax(dist[c, np.roll(c, -1)]))  # edge c[at] -> c[at+1]
    return c[at + 1:].tolist() + c[: at + 1].tolist()


def split_tour(tour: list[int], dist: FloatArray, cap: int) -> list[list[int]]:
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
        return [open_longest(tour, dist)]
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


def exact_paths(w: FloatArray) -> tuple[IntArray, FloatArray]:
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
