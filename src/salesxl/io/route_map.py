"""路线图: the visiting routes drawn as an SVG map, one panel per zone.

A route list says "stop 3 after stop 2"; a map shows at a glance whether a route zigzags across
town.  :func:`route_map_svg` draws every zone with coordinates in its own panel (scaled to the
zone, north up, an equirectangular projection at the zone's latitude — plenty for a city),
each route as a coloured line from its first stop (a ring) to its last, with the zone's route
count and total kilometres in the panel's title.  SVG is plain text: any browser opens it, it
needs no plotting library, and it prints sharp at any size.
"""

from __future__ import annotations

import math
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
FONT = "'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif"


def route_map_svg(customers: pd.DataFrame, *, min_customers: int = 3, columns: int = 3,
                  title: str = "拜访路线图") -> str:
    """The SVG document for ``customers`` (columns zone, route, stop, lat, lon, route_km).

    Zones with fewer than ``min_customers`` customers with coordinates are left out (a panel
    with one dot says nothing); zones are ordered by size, largest first.
    """
    c = customers.dropna(subset=["lat", "lon", "route"])
    sizes = c.groupby("zone").size()
    zones = [z for z in sizes.sort_values(ascending=False, kind="stable").index if sizes[z] >= min_customers]
    rows = max(math.ceil(len(zones) / columns), 1)
    width = columns * PANEL_W
    height = 48 + rows * (PANEL_H + TITLE_H)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{PAD}" y="32" font-size="20" font-weight="bold" fill="#1f4e79">{escape(title)}</text>',
    ]
    for k, zone in enumerate(zones):
        x0 = (k % columns) * PANEL_W
        y0 = 48 + (k // columns) * (PANEL_H + TITLE_H)
        parts.append(_panel(c[c["zone"] == zone], str(zone), x0, y0))
    if not zones:
        parts.append(f'<text x="{PAD}" y="80" font-size="14" fill="#555">没有带经纬度的客户</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _panel(z: pd.DataFrame, zone: str, x0: float, y0: float) -> str:
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
    total = z.drop_duplicates("route")["route_km"].sum(min_count=1)
    km = "" if pd.isna(total) else f" · {total:,.1f} 公里"
    out = [
        f'<rect x="{x0 + 4}" y="{y0 + 4}" width="{PANEL_W - 8}" height="{PANEL_H + TITLE_H - 8}" '
        f'fill="#fafbfd" stroke="#d0d7e2"/>',
        f'<text x="{x0 + PAD}" y="{y0 + 28}" font-size="15" fill="#1f2d3d">'
        f'{escape(zone)} · {len(routes)} 条路线 · {len(z)} 个客户{km}</text>',
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
