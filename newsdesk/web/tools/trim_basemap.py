"""Build-time trimming of the Natural Earth basemap layers the desk and `report.html` draw.

    python newsdesk/web/tools/trim_basemap.py SOURCE_DIR newsdesk/web/static/basemap

SOURCE_DIR holds the GeoJSON layers described in its README (Natural Earth 4.0.0, 10m, public
domain). They weigh 9.4 MB; the package ships about a quarter of that: lines simplified again
(Douglas-Peucker at 0.025 degree, under 3 km, then coordinates to 0.01 degree) because the
desk's map is read at region zoom, slivers and ponds below that size dropped, maritime
indicator lines left out, and only the properties the map reads kept. Run once when the
source changes; the output is committed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

_TOLERANCE = 0.025  # degrees; Douglas-Peucker distance
_DIGITS = 2  # decimals kept in coordinates (0.01 degree, about 1 km)
_MIN_EXTENT = 0.1  # degrees: lines and lakes smaller than this are dropped


def _dp(points: list[list[float]], tol: float) -> list[list[float]]:
    """Douglas-Peucker, iterative (coastlines have tens of thousands of points)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a][:2], points[b][:2]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, index = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i][:2]
            d = (abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm if norm
                 else ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5)
            if d > best:
                best, index = d, i
        if best > tol:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _line(points: list[list[float]], *, ring: bool) -> list[list[float]] | None:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    if max(max(xs) - min(xs), max(ys) - min(ys)) < _MIN_EXTENT:
        return None
    out: list[list[float]] = []
    for x, y in _dp(points, _TOLERANCE):
        p = [round(x, _DIGITS), round(y, _DIGITS)]
        if not out or out[-1] != p:
            out.append(p)
    if len(out) < (4 if ring else 2):
        return None
    return out


def _geometry(g: dict[str, Any]) -> dict[str, Any] | None:
    kind = g["type"]
    if kind in ("LineString", "MultiLineString"):
        lines = [g["coordinates"]] if kind == "LineString" else g["coordinates"]
        kept = [x for x in (_line(line, ring=False) for line in lines) if x]
        if not kept:
            return None
        return ({"type": "LineString", "coordinates": kept[0]} if len(kept) == 1
                else {"type": "MultiLineString", "coordinates": kept})
    polygons = [g["coordinates"]] if kind == "Polygon" else g["coordinates"]
    out = []
    for polygon in polygons:
        rings = [_line(ring, ring=True) for ring in polygon]
        if rings[0]:
            out.append([rings[0], *(r for r in rings[1:] if r)])
    if not out:
        return None
    return ({"type": "Polygon", "coordinates": out[0]} if len(out) == 1
            else {"type": "MultiPolygon", "coordinates": out})


def _lines(src: Path, keep: tuple[str, ...], only: dict[str, str] | None = None) -> dict:
    features = []
    for f in json.loads(src.read_text())["features"]:
        p = f["properties"]
        if only and any(p.get(k) != v for k, v in only.items()):
            continue
        g = _geometry(f["geometry"])
        if g:
            props = {k: p[k] for k in keep if p.get(k) is not None}
            features.append({"type": "Feature", "properties": props, "geometry": g})
    return {"type": "FeatureCollection", "features": features}


def _places(src: Path) -> dict:
    """Populated places as label points: name (English where Natural Earth has one), the
    zoom from which it is labelled, the rank (0 = most important)."""
    features = []
    for f in json.loads(src.read_text())["features"]:
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        props = {"name": p.get("name_en") or p["name"], "min_zoom": p["min_zoom"],
                 "rank": p["scalerank"]}
        if p["featurecla"].startswith("Admin-0 capital"):
            props["capital"] = True
        features.append({"type": "Feature", "properties": props, "geometry": {
            "type": "Point", "coordinates": [round(lon, 2), round(lat, 2)]}})
    return {"type": "FeatureCollection", "features": features}


def _regions(src: Path) -> dict:
    """First-level region names (governorates, provinces), one point per name and country."""
    seen: set[tuple[str, str]] = set()
    features = []
    for f in json.loads(src.read_text())["features"]:
        p = f["properties"]
        key = (p.get("name") or "", p.get("adm0_a3") or "")
        if not key[0] or key in seen:
            continue
        seen.add(key)
        lon, lat = f["geometry"]["coordinates"]
        features.append({"type": "Feature", "properties": {"name": key[0]},
                         "geometry": {"type": "Point",
                                      "coordinates": [round(lon, 2), round(lat, 2)]}})
    return {"type": "FeatureCollection", "features": features}


def main(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    layers = {
        "admin0": _lines(src / "admin0.geojson", ("featurecla",), {"kind": "land"}),
        "admin1": _lines(src / "admin1.geojson", ()),
        "coast": _lines(src / "coast.geojson", ()),
        "rivers": _lines(src / "rivers.geojson", ("name_en", "scalerank")),
        "lakes": _lines(src / "lakes.geojson", ("name", "scalerank")),
        "places": _places(src / "places.geojson"),
        "regions": _regions(src / "admin1_labels.geojson"),
    }
    for name, fc in layers.items():
        path = out / f"{name}.geojson"
        path.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"{path}: {len(fc['features'])} features, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
