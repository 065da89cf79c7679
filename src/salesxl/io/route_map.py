"""路线图: the visiting routes drawn as an SVG map, one panel per zone.

A route list says "stop 3 after stop 2"; a map shows at a glance whether a route zigzags across
town.  :func:`route_map_svg` draws every zone with coordinates in its own panel (scaled to the
zone, north up, an equirectangular projection at the zone's latitude — plenty for a city),
each route as a coloured line from its first stop (a ring) to its last, with the zone's route
count and total kilometres in the panel's title.  SVG is plain text: any browser opens it, it
needs no plotting library, and it prints sharp at any size.

Only customers with coordinates can be drawn.  So that the map and the console (and the 路线
sheet) never seem to disagree, every panel title gives the zone's full counts — all its routes
and routed customers, as the console shows them — and how many of them the map draws, and the
map's subtitle says the same for the whole book and names the zones left out
(:func:`map_counts`; the CLI prints it beside the map's path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from salesxl.io import files

#: Colours that stay apart on white (route i of a zone takes colour i mod len).
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#393b79", "#637939",
)
PANEL_W, PANEL_H, TITLE_H, PAD = 420, 340, 34, 18
HEAD_H = 70
FONT = "'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif"


@dataclass(frozen=True)
class MapCounts:
    """What the console counts (routes and customers with a route) and what the map draws."""

    zones: int
    routes: int
    customers: int
    drawn_zones: int
    drawn_routes: int
    drawn_customers: int

    def text(self, lang: str = "zh") -> str:
        """One line for the map's subtitle and the console."""
        if lang == "en":
            return (f"Drawn: {self.drawn_customers} customers with coordinates on {self.drawn_routes} routes in "
                    f"{self.drawn_zones} zones; in all {self.customers} customers, {self.routes} routes, "
                    f"{self.zones} zones")
        return (f"地图上 {self.drawn_customers} 位（有坐标）、{self.drawn_routes} 条路线、{self.drawn_zones} 个片区；"
                f"共 {self.customers} 位、{self.routes} 条路线、{self.zones} 个片区")


def _routed(customers: pd.DataFrame) -> pd.DataFrame:
    return customers.dropna(subset=["route"])


def _drawn(customers: pd.DataFrame, min_customers: int) -> tuple[pd.DataFrame, list[str]]:
    """The customers the map draws, and its zones (largest first)."""
    c = _routed(customers).dropna(subset=["lat", "lon"])
    sizes = c.groupby("zone").size()
    zones = [z for z in sizes.sort_values(ascending=False, kind="stable").index if sizes[z] >= min_customers]
    return c[c["zone"].isin(zones)], zones


def map_counts(customers: pd.DataFrame, *, min_customers: int = 3) -> MapCounts:
    """Counts of the routes (all, and drawn) over ``customers`` as :func:`route_map_svg` gets them."""
    routed = _routed(customers)
    drawn, zones = _drawn(customers, min_customers)
    return MapCounts(
        zones=int(routed["zone"].nunique()), routes=int(routed["route"].nunique()), customers=len(routed),
        drawn_zones=len(zones), drawn_routes=int(drawn["route"].nunique()), drawn_customers=len(drawn),
    )


def route_map_svg(customers: pd.DataFrame, *, min_customers: int = 3, columns: int = 3,
                  title: str = "拜访路线图") -> str:
    """The SVG document for ``customers`` (columns zone, route, stop, lat, lon, route_km).

    Zones with fewer than ``min_customers`` customers with coordinates are left out (a panel
    with one dot says nothing); zones are ordered by size, largest first.  Titles give the full
    counts beside the drawn ones (:class:`MapCounts`).
    """
    routed = _routed(customers)
    c, zones = _drawn(customers, min_customers)
    counts = map_counts(customers, min_customers=min_customers)
    left_out = counts.zones - counts.drawn_zones
    note = counts.text() + (f"；另有 {left_out} 个片区有坐标的客户不足 {min_customers} 位，未画出" if left_out else "")
    rows = max(math.ceil(len(zones) / columns), 1)
    width = columns * PANEL_W
    height = HEAD_H + rows * (PANEL_H + TITLE_H)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{PAD}" y="32" font-size="20" font-weight="bold" fill="#1f4e79">{escape(title)}</text>',
        f'<text x="{PAD}" y="56" font-size="13" fill="#555" class="counts">{escape(note)}</text>',
    ]
    for k, zone in enumerate(zones):
        x0 = (k % columns) * PANEL_W
        y0 = HEAD_H + (k // columns) * (PANEL_H + TITLE_H)
        whole = routed[routed["zone"] == zone]
        parts.append(_panel(c[c["zone"] == zone], str(zone), x0, y0, whole))
    if not zones:
        parts.append(f'<text x="{PAD}" y="80" font-size="14" fill="#555">没有带经纬度的客户</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _panel(z: pd.DataFrame, zone: str, x0: float, y0: float, whole: pd.DataFrame) -> str:
    """One zone: ``z`` its customers with coordinates; the title gives the counts and kilometres
    of ``whole`` (all its routed customers, as the console counts them) and the drawn ones when
    fewer."""
    lat, lon = z["lat"].to_numpy(float), z["lon"].to_numpy(float)
    k = math.cos(math.radians(float(np.mean(lat))))
    px, py = lon * k, -lat
    span = max(float(np.ptp(px)), float(np.ptp(py)), 1e-6)
    inner_w, inner_h = PANEL_W - 2 * PAD, PANEL_H - 2 * PAD
    scale = min(inner_w, inner_h) / span
    ox = x0 + PAD + (inner_w - float(np.ptp(px)) * scale) / 2
    oy = y0 + TITLE_H + PAD + (inner_h - float(np.ptp(py)) * scale) / 2
    sx = ox + (px - px.min()) * scale
    sy = oy + (py - py.min()) * scale
    z = z.assign(_x=sx, _y=sy)
    routes = list(dict.fromkeys(z.sort_values(["route", "stop"])["route"]))
    total = whole.drop_duplicates("route")["route_km"].sum(min_count=1)
    all_routes, all_customers = whole["route"].nunique(), len(whole)
    km = "" if pd.isna(total) else f" · {total:,.1f} 公里"
    counts = f"{all_routes} 条路线 · {all_customers} 个客户"
    if (len(routes), len(z)) != (all_routes, all_customers):
        counts += f"（图上 {len(routes)} 条、{len(z)} 个有坐标）"
    out = [
        f'<rect x="{x0 + 4}" y="{y0 + 4}" width="{PANEL_W - 8}" height="{PANEL_H + TITLE_H - 8}" '
        f'fill="#fafbfd" stroke="#d0d7e2"/>',
        f'<text x="{x0 + PAD}" y="{y0 + 28}" font-size="15" fill="#1f2d3d">'
        f'{escape(zone)} · {escape(counts)}{km}</text>',
    ]
    for i, route in enumerate(routes):
        stops = z[z["route"] == route].sort_values("stop")
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(stops["_x"], stops["_y"], strict=True))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" '
                   f'stroke-linejoin="round" opacity="0.9"><title>{escape(str(route))}</title></polyline>')
        for j, (x, y) in enumerate(zip(stops["_x"], stops["_y"], strict=True)):
            if j == 0:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#ffffff" stroke="{colour}" stroke-width="2"/>')
            else:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
    return "\n".join(out)


def write_route_map(customers: pd.DataFrame, path: Path, *, min_customers: int = 3) -> Path:
    """Write :func:`route_map_svg` to ``path`` (UTF-8, atomically: a temp file beside it, then
    a rename, so an existing map is never left half-written) and return it."""
    data = route_map_svg(customers, min_customers=min_customers).encode("utf-8")
    files.write_bytes(path, data)
    return path
