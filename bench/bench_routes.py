"""Routes benchmark: :func:`salesxl.core.routes.solve_zone` against OR-Tools and PyVRP.

    python bench/bench_routes.py [--seconds 30] [--seeds 1 2] [--n 2000] [--skip-scale]
                                 [--baselines ortools pyvrp]

Datasets: (1) the demo workbook's customers with coordinates, per zone (zones as
:func:`assign_zones` makes them), and (2) seeded synthetic sets of ``--n`` customers in one
zone, clustered like the demo's (towns 30–100 km apart, 5–10 km Gaussian spread), capacity 8.
OR-Tools gets the same problem: open paths modelled as a dummy depot with zero-cost arcs to and
from every customer, ``ceil(n / capacity)`` vehicles, unit demand, integer great-circle metres
as arc costs, PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH for ``--seconds`` per dataset (over
the demo's zones, split in proportion to their size, at least 1 s each; a zone of one customer
needs no solver).  PyVRP (iterated local search, the state of the art for the capacitated VRP)
gets the identical instance -- the same dummy depot, zero-cost depot arcs, integer metres,
``ceil(n / capacity)`` vehicles of capacity 8, unit demand -- and the same time budget per zone,
seed 0.  One difference is PyVRP's own: it searches with capacity as a penalty, not a hard
constraint; the penalty is set high from the start (see :func:`pyvrp_solve`), else with
exactly ``n / capacity`` routes (no slack: 2,000 customers in 250 routes of 8) it never gets
back to a good feasible plan.  All totals are measured with
the same haversine; a baseline's time includes building its model, ours everything from
coordinates to numbered routes.  Last,
:func:`plan_routes` is timed on 50,000 synthetic customers in 6 zones (5 % without
coordinates), and on the scale demo book's customers when that book exists.

Targets: distance ours / OR-Tools ≤ 1.03 and time ours / OR-Tools ≤ 0.10 on every dataset;
50,000 customers well under 30 s (the targets are set against OR-Tools; PyVRP's ratios are
reported beside them).  Results go to bench/results/routes.json.  OR-Tools and PyVRP are
dev-only dependencies (the ``bench`` extra); nothing under src/ imports them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesxl.core.routes import (
    assign_zones,
    great_circle_km,
    plan_routes,
    route_length_km,
    solve_zone,
)

ROOT = Path(__file__).resolve().parent.parent
CAPACITY = 8
#: The scale demo book, timed as well when one of these exists (``salesxl demo --scale``).
SCALE_BOOKS = (ROOT / "workbooks" / "demo-scale.xlsx", Path("/tmp/scale/demo-scale.xlsx"))
DISTANCE_TARGET = 1.03
TIME_TARGET = 0.10


def clustered(n: int, seed: int, towns: tuple[int, int] = (6, 11)) -> tuple[np.ndarray, np.ndarray]:
    """``n`` customers around a few towns: each town 30–100 km from an earlier one, Gaussian
    spread of 5–10 km, town sizes Dirichlet-distributed (like the demo's customers)."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(*towns))
    cx, cy = [0.0], [0.0]
    for _ in range(m - 1):
        j = int(rng.integers(len(cx)))
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(30, 100)
        cx.append(cx[j] + dist * np.cos(angle))
        cy.append(cy[j] + dist * np.sin(angle))
    town = rng.choice(m, n, p=rng.dirichlet(np.full(m, 2.0)))
    spread = rng.uniform(5, 10, m)
    x = np.array(cx)[town] + rng.normal(0, 1, n) * spread[town]
    y = np.array(cy)[town] + rng.normal(0, 1, n) * spread[town]
    lat = 30 + y / 111.2
    lon = 120 + x / (111.2 * np.cos(np.radians(lat)))
    return lat, lon


def ortools_solve(lat: np.ndarray, lon: np.ndarray, cap: int, seconds: float) -> tuple[float, float, int]:
    """(total km by haversine, wall seconds, routes) of OR-Tools on one zone."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(lat)
    vehicles = -(-n // cap)
    t0 = time.perf_counter()
    metres = _metres(lat, lon)
    manager = pywrapcp.RoutingIndexManager(n + 1, vehicles, 0)
    model = pywrapcp.RoutingModel(manager)
    arc = model.RegisterTransitMatrix(metres.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(arc)
    demand = model.RegisterUnaryTransitVector([0] + [1] * n)
    model.AddDimensionWithVehicleCapacity(demand, 0, [cap] * vehicles, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = model.SolveWithParameters(params)
    if solution is None:
        raise SystemExit("OR-Tools found no solution")
    routes = []
    for k in range(vehicles):
        i = solution.Value(model.NextVar(model.Start(k)))
        route = []
        while not model.IsEnd(i):
            route.append(manager.IndexToNode(i) - 1)
            i = solution.Value(model.NextVar(i))
        if route:
            routes.append(route)
    wall = time.perf_counter() - t0
    return sum(route_length_km(lat, lon, r) for r in routes), wall, len(routes)


def _metres(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Integer great-circle metres between customers, with node 0 a dummy depot at zero cost
    to and from everyone: a tour through it is an open path, as salesxl's routes are."""
    n = len(lat)
    dist = great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    metres = np.zeros((n + 1, n + 1), dtype=np.int64)
    metres[1:, 1:] = np.rint(dist * 1000)
    return metres


def pyvrp_solve(lat: np.ndarray, lon: np.ndarray, cap: int, seconds: float) -> tuple[float, float, int]:
    """(total km by haversine, wall seconds, routes) of PyVRP on one zone, modelled as
    :func:`ortools_solve` models it (dummy depot, open paths, unit demand)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    n = len(lat)
    t0 = time.perf_counter()
    metres = _metres(lat, lon)
    # Coordinates only feed PyVRP's neighbourhood heuristics (costs come from the matrix);
    # the depot sits at the centroid so its geometry does not skew them.
    x, y = lon * 1000.0, lat * 1000.0
    locations = [pyvrp.Location(float(x.mean()), float(y.mean()))]
    locations += [pyvrp.Location(float(a), float(b)) for a, b in zip(x, y, strict=True)]
    data = pyvrp.ProblemData(
        locations=locations,
        clients=[pyvrp.Client(location=i + 1, delivery=[1]) for i in range(n)],
        depots=[pyvrp.Depot(location=0)],
        vehicle_types=[pyvrp.VehicleType(num_available=-(-n // cap), capacity=[cap])],
        distance_matrices=[metres],
        duration_matrices=[np.zeros_like(metres)],
    )
    # PyVRP searches with capacity as a penalised (soft) constraint, its weight adapted between
    # 0.1 and 1e5 per unit of overload by default.  That cap is less than one leg of a zone
    # spanning provinces (the demo's 北方片区 crosses 1,700 km: no feasible plan at all), and
    # with no slack (2,000 customers in exactly 250 routes of 8) the search stayed infeasible
    # after its first plan (6,754 km after 30 s and after 120 s).  A weight of at least two
    # of the longest legs from the start makes a unit of overload never pay: capacity is
    # hard in effect, as it is for OR-Tools and salesxl (3,537 km in the same 30 s).
    heavy = max(1e5, 2.0 * float(metres.max()))
    params = pyvrp.SolveParams(penalty=pyvrp.PenaltyParams(min_penalty=heavy, max_penalty=10 * heavy))
    result = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=0, display=False,
                         collect_stats=False, params=params)
    if not result.is_feasible():
        raise SystemExit("PyVRP found no feasible solution")
    routes = [[a.idx for a in r if a.is_client()] for r in result.best.routes()]
    routes = [r for r in routes if r]
    wall = time.perf_counter() - t0
    if sorted(i for r in routes for i in r) != list(range(n)) or max(map(len, routes)) > cap:
        raise SystemExit("PyVRP returned an invalid plan")
    return sum(route_length_km(lat, lon, r) for r in routes), wall, len(routes)


def ours(lat: np.ndarray, lon: np.ndarray, cap: int) -> tuple[float, float, int]:
    """(total km, wall seconds, routes) of :func:`solve_zone`, checked for validity."""
    t0 = time.perf_counter()
    routes = solve_zone(lat, lon, cap)
    wall = time.perf_counter() - t0
    seen = np.sort(np.concatenate(routes)) if routes else np.zeros(0, dtype=np.intp)
    if (len(routes) != -(-len(lat) // cap) or not np.array_equal(seen, np.arange(len(lat)))
            or max(map(len, routes), default=0) > cap):
        raise SystemExit("solve_zone returned an invalid plan")
    return sum(route_length_km(lat, lon, r) for r in routes), wall, len(routes)


def demo_zones() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The demo workbook's customers with coordinates, grouped by zone (largest first)."""
    from salesxl.demo import build_demo
    from salesxl.io.reading import read_book

    with tempfile.TemporaryDirectory() as tmp:
        book = read_book(build_demo(Path(tmp)))
    cust = book.tables["客户档案"].frame
    reps = book.tables["业务员"].frame
    rep_zones = {r: z for r, z in zip(reps["业务员"], reps["片区"], strict=True)
                 if isinstance(r, str) and isinstance(z, str)}
    zone = assign_zones(cust["片区"], cust["业务员"], cust["省份"], cust["城市"], rep_zones)
    lat = cust["纬度"].to_numpy(dtype=np.float64, na_value=np.nan)
    lon = cust["经度"].to_numpy(dtype=np.float64, na_value=np.nan)
    ok = np.isfinite(lat) & np.isfinite(lon)
    out = []
    for name in sorted(set(zone[ok].tolist())):
        at = ok & (zone == name).to_numpy(dtype=bool, na_value=False)
        out.append((name, lat[at], lon[at]))
    return sorted(out, key=lambda z: (-len(z[1]), z[0]))


BASELINES = {"ortools": ("OR-Tools", ortools_solve), "pyvrp": ("PyVRP", pyvrp_solve)}


def compare(label: str, zones: list[tuple[str, np.ndarray, np.ndarray]], seconds: float,
            baselines: list[str]) -> dict[str, Any]:
    """Ours and each baseline over ``zones``, a baseline's time split in proportion to zone
    size (the same budget for every baseline)."""
    n = sum(len(z[1]) for z in zones)
    row: dict[str, Any] = {"dataset": label, "n": n, "zones": len(zones), "routes": 0,
                           "ours_km": 0.0, "ours_s": 0.0}
    for b in baselines:
        row[f"{b}_km"] = row[f"{b}_s"] = 0.0
    for name, lat, lon in zones:
        if len(lat) < 2:  # one stop, nothing to solve, 0 km either way
            row["routes"] += len(lat)
            continue
        km, wall, count = ours(lat, lon, CAPACITY)
        row["routes"] += count
        row["ours_km"] += km
        row["ours_s"] += wall
        share = max(1.0, seconds * len(lat) / n)
        line = f"  {label} {name}: n={len(lat)} ours {km:.1f} km {wall:.2f} s"
        for b in baselines:
            title, solve = BASELINES[b]
            bkm, bwall, bcount = solve(lat, lon, CAPACITY, share)
            if bcount != count:
                print(f"  note: {name}: {title} used {bcount} routes, we {count}", file=sys.stderr)
            row[f"{b}_km"] += bkm
            row[f"{b}_s"] += bwall
            line += f", {title} {bkm:.1f} km {bwall:.1f} s"
        print(line, file=sys.stderr)
    for b in baselines:
        row[f"{b}_distance_ratio"] = row["ours_km"] / row[f"{b}_km"] if row[f"{b}_km"] else 1.0
        row[f"{b}_time_ratio"] = row["ours_s"] / row[f"{b}_s"] if row[f"{b}_s"] else 0.0
    if "ortools" in baselines:  # the targets, and the keys earlier results used
        row["distance_ratio"] = row["ortools_distance_ratio"]
        row["time_ratio"] = row["ortools_time_ratio"]
        row["pass"] = row["distance_ratio"] <= DISTANCE_TARGET and row["time_ratio"] <= TIME_TARGET
    return row


def scale_frame(n: int = 50_000, zones: int = 6, seed: int = 7) -> pd.DataFrame:
    """``n`` synthetic customers in ``zones`` clustered zones, 5 % without coordinates."""
    rng = np.random.default_rng(seed)
    parts = []
    sizes = np.full(zones, n // zones)
    sizes[: n - sizes.sum()] += 1
    for z, size in enumerate(sizes):
        lat, lon = clustered(int(size), seed * 100 + z, towns=(10, 21))
        parts.append(pd.DataFrame({"zone": f"Z{z}", "lat": lat, "lon": lon + 3 * z}))
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "customer_id", [f"KH{i:06d}" for i in rng.permutation(len(frame))])
    missing = rng.random(len(frame)) < 0.05
    frame.loc[missing, ["lat", "lon"]] = np.nan
    frame["district"] = [f"区{d}" for d in rng.integers(0, 12, len(frame))]
    frame["address"] = [f"路{a}号" for a in rng.integers(1, 999, len(frame))]
    return frame


def book_frame(path: Path) -> pd.DataFrame:
    """The customers of a (scale) demo book as :func:`plan_routes` takes them."""
    from salesxl.io.reading import read_book

    book = read_book(path, sheets=("客户档案", "业务员"))
    cust, reps = book.tables["客户档案"].frame, book.tables["业务员"].frame
    rep_zones = {r: z for r, z in zip(reps["业务员"], reps["片区"], strict=True)
                 if isinstance(r, str) and isinstance(z, str)}
    return pd.DataFrame({
        "customer_id": cust["客户编号"],
        "zone": assign_zones(cust["片区"], cust["业务员"], cust["省份"], cust["城市"], rep_zones),
        "lat": cust["纬度"].to_numpy(dtype=np.float64, na_value=np.nan),
        "lon": cust["经度"].to_numpy(dtype=np.float64, na_value=np.nan),
        "district": cust["区县"], "address": cust["地址"],
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="each baseline's time per dataset")
    parser.add_argument("--baselines", nargs="*", choices=sorted(BASELINES),
                        default=["ortools", "pyvrp"])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2], help="synthetic set seeds")
    parser.add_argument("--n", type=int, default=2000, help="synthetic set size")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "routes.json")
    args = parser.parse_args()

    rows = []
    if not args.skip_demo:
        rows.append(compare("demo", demo_zones(), args.seconds, args.baselines))
    for seed in args.seeds:
        lat, lon = clustered(args.n, seed)
        rows.append(compare(f"synthetic {args.n} seed {seed}", [("S", lat, lon)], args.seconds,
                            args.baselines))
    scale: dict[str, dict[str, float]] = {}
    if not args.skip_scale:
        frames = {"synthetic, 5 % without coordinates": scale_frame()}
        book = next((b for b in SCALE_BOOKS if b.exists()), None)
        if book is not None:
            frames[f"{book.name}'s customers"] = book_frame(book)
        for label, frame in frames.items():
            t0 = time.perf_counter()
            plan = plan_routes(frame, CAPACITY)
            scale[label] = {"customers": float(len(frame)), "zones": float(frame["zone"].nunique()),
                            "routes": float(plan["route"].nunique()),
                            "seconds": time.perf_counter() - t0,
                            "km": float(plan.drop_duplicates("route")["route_km"].sum())}

    titles = [BASELINES[b][0] for b in args.baselines]
    print(f"\ncapacity {CAPACITY}; {' and '.join(titles)} {args.seconds:g} s per dataset each\n")
    head = "| dataset | n | routes | ours km | ours s |"
    rule = "|---|---:|---:|---:|---:|"
    for t in titles:
        head += f" {t} km | {t} s | km ratio | time ratio |"
        rule += "---:|---:|---:|---:|"
    print(head + " result |\n" + rule + "---|")
    for r in rows:
        line = f"| {r['dataset']} | {r['n']} | {r['routes']} | {r['ours_km']:.1f} | {r['ours_s']:.2f} |"
        for b in args.baselines:
            line += (f" {r[f'{b}_km']:.1f} | {r[f'{b}_s']:.1f} | {r[f'{b}_distance_ratio']:.3f} |"
                     f" {r[f'{b}_time_ratio']:.3f} |")
        verdict = "" if "pass" not in r else "PASS" if r["pass"] else "FAIL"
        print(f"{line} {verdict} |")
    print(f"\ntargets: km ratio ≤ {DISTANCE_TARGET}, time ratio ≤ {TIME_TARGET}")
    for label, r in scale.items():
        print(f"plan_routes on {r['customers']:.0f} customers ({label}; {r['zones']:.0f} zones): "
              f"{r['seconds']:.1f} s, {r['routes']:.0f} routes")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"capacity": CAPACITY, "baseline_seconds": args.seconds,
                                    "baselines": args.baselines, "datasets": rows, "scale": scale},
                                   indent=2, ensure_ascii=False))
    if not all(r.get("pass", True) for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
