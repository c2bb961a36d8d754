"""The report map's Natural Earth layers, pre-parsed into one NumPy archive.

`report.html` draws its map over about 4 MB of GeoJSON (country outlines, lakes, coasts,
rivers, borders, towns). Parsing it was a third of a CPU second of every `analyze`, as
much as the rest of a one-report run after spaCy. So the GeoJSON stays the one shipped
copy, and `basemap.npz` next to the gazetteer index is derived from it, like the index:
built by `newsdesk gazetteer build`, or on first use when it is missing or was made from
other GeoJSON (it records the SHA-1 of its sources). It holds each layer's points as one
float64 array with offsets, and each feature's bounding box, so a map reads only the
features near its frame; the floats are those `json.loads` gives, so the map is the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from newsdesk import settings

log = logging.getLogger(__name__)

LAYERS = ("lakes", "coast", "rivers", "admin0")
_SOURCES = {  # what each part is derived from, under the package's web/static/
    **{name: f"basemap/{name}.geojson" for name in LAYERS},
    "countries": "vendor/world-atlas/countries-110m.geojson",
    "places": "basemap/places.geojson",
}
_FORMAT = "1"  # bump when the archive's layout changes


@dataclass(slots=True, frozen=True)
class Layer:
    """Features made of lines: `points` (lon, lat) of every line end to end, `lines` the
    offset where each line starts (and one past the last), `features` the index in
    `lines` where each feature starts (and one past the last), `boxes` each feature's
    (west, south, east, north)."""

    points: np.ndarray
    lines: np.ndarray
    features: np.ndarray
    boxes: np.ndarray

    def near(self, west: float, south: float, east: float, north: float) -> list[int]:
        """The features whose bounding box meets the given box."""
        b = self.boxes
        hit = (b[:, 0] <= east) & (west <= b[:, 2]) & (b[:, 1] <= north) & (south <= b[:, 3])
        return np.flatnonzero(hit).tolist()

    def gather(self, ids: list[int]) -> tuple[np.ndarray, list[int], list[int]]:
        """Features `ids`' points end to end, (lon, lat) as the GeoJSON gave them; the
        offset in them where each feature starts, and where each line starts (each list
        ends with the number of points). Arrays, not lists: the map tests, projects and
        formats every point it draws of a layer in one pass."""
        parts: list[np.ndarray] = []
        feature_starts, line_starts, total = [0], [0], 0
        for i in ids:
            edges = self.lines[self.features[i] : self.features[i + 1] + 1].tolist()
            parts.append(self.points[edges[0] : edges[-1]])
            line_starts.extend(total + e - edges[0] for e in edges[1:])
            total += edges[-1] - edges[0]
            feature_starts.append(total)
        points = np.concatenate(parts) if parts else np.empty((0, 2))
        return points, feature_starts, line_starts


@dataclass(slots=True, frozen=True)
class Basemap:
    """The map's layers; `countries` has a name per feature, `places` are towns."""

    layers: dict[str, Layer]
    country_names: list[str]
    place_names: np.ndarray
    place_zoom: np.ndarray  # Natural Earth's min_zoom: the zoom a town is labelled from
    place_points: np.ndarray  # (lon, lat)

    def towns(self, west: float, south: float, east: float, north: float, zoom: float
              ) -> list[tuple[str, float, float]]:
        """(name, lon, lat) of the towns inside the box labelled at `zoom`, those labelled
        from the widest zoom first (in file order among equals)."""
        lon, lat = self.place_points[:, 0], self.place_points[:, 1]
        hit = np.flatnonzero((self.place_zoom <= zoom) & (west <= lon) & (lon <= east)
                             & (south <= lat) & (lat <= north))
        hit = hit[np.argsort(self.place_zoom[hit], kind="stable")]
        return list(zip(self.place_names[hit].tolist(), lon[hit].tolist(), lat[hit].tolist(),
                        strict=True))


def default_path() -> Path:
    """`basemap.npz` in the folder of the gazetteer index (`$NEWSDESK_DATA_DIR` or the
    package data)."""
    root = settings.get("data_dir")
    base = root if root else Path(__file__).resolve().parents[1] / "data"
    return base / "basemap.npz"


@cache
def load(path: Path | None = None) -> Basemap:
    """The basemap, read from its archive, which is (re)built first when missing or
    stale; a folder that cannot be written only costs the parse at each process."""
    target = path or default_path()
    sources = _read_sources()
    stamp = _stamp(sources)
    arrays = _read(target, stamp)
    if arrays is None:
        arrays = _arrays(sources, stamp)
        try:
            _write(target, arrays)
        except OSError as exc:
            log.debug("basemap not saved to %s: %s", target, exc)
    return _basemap(arrays)


def build(path: Path | None = None) -> Path:
    """Derive the archive from the shipped GeoJSON at `path`, atomically."""
    target = path or default_path()
    sources = _read_sources()
    _write(target, _arrays(sources, _stamp(sources)))
    return target


def _read_sources() -> dict[str, bytes]:
    static = resources.files("newsdesk").joinpath("web/static")
    return {name: static.joinpath(rel).read_bytes() for name, rel in _SOURCES.items()}


def _stamp(sources: dict[str, bytes]) -> str:
    digest = hashlib.sha1(_FORMAT.encode())
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + hashlib.sha1(sources[name]).digest())
    return digest.hexdigest()


def _read(target: Path, stamp: str) -> dict[str, np.ndarray] | None:
    """The archive's arrays, or None when it is missing, unreadable or of other sources."""
    try:
        with np.load(target, allow_pickle=False) as npz:
            if str(npz["stamp"]) != stamp:
                return None
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, KeyError):
        return None


def _write(target: Path, arrays: dict[str, np.ndarray]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".basemap-", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def _arrays(sources: dict[str, bytes], stamp: str) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"stamp": np.array(stamp)}
    names: list[str] = []
    for name in (*LAYERS, "countries"):
        features = []
        for f in json.loads(sources[name])["features"]:
            g = f["geometry"]
            features.append(_lines(g["type"], g["coordinates"]))
            if name == "countries":
                names.append(f["properties"]["name"])
        arrays.update(_packed(name, features))
    arrays["countries.names"] = np.array(names, dtype=str)
    towns = json.loads(sources["places"])["features"]
    arrays["places.names"] = np.array([f["properties"]["name"] for f in towns], dtype=str)
    arrays["places.zoom"] = np.array([f["properties"]["min_zoom"] for f in towns], dtype=float)
    arrays["places.points"] = np.array([f["geometry"]["coordinates"] for f in towns],
                                       dtype=float).reshape(-1, 2)
    return arrays


def _lines(kind: str, coords: list) -> list[list[list[float]]]:
    """A geometry as lines: a line string is one, a polygon's rings are its lines."""
    if kind == "LineString":
        return [coords]
    if kind in ("MultiLineString", "Polygon"):
        return coords
    return [ring for polygon in coords for ring in polygon]  # MultiPolygon


def _packed(name: str, features: list[list[list[list[float]]]]) -> dict[str, np.ndarray]:
    lines = [line for feature in features for line in feature]
    points = np.array([p for line in lines for p in line], dtype=float).reshape(-1, 2)
    starts = np.cumsum([0, *(len(line) for line in lines)], dtype=np.int64)
    firsts = np.cumsum([0, *(len(f) for f in features)], dtype=np.int64)
    ends = starts[firsts]
    boxes = [(*points[a:b].min(axis=0), *points[a:b].max(axis=0))
             for a, b in zip(ends[:-1].tolist(), ends[1:].tolist(), strict=True)]
    return {f"{name}.points": points, f"{name}.lines": starts, f"{name}.features": firsts,
            f"{name}.boxes": np.array(boxes, dtype=float).reshape(-1, 4)}


def _basemap(arrays: dict[str, np.ndarray]) -> Basemap:
    layers = {name: Layer(arrays[f"{name}.points"], arrays[f"{name}.lines"],
                          arrays[f"{name}.features"], arrays[f"{name}.boxes"])
              for name in (*LAYERS, "countries")}
    return Basemap(layers=layers, country_names=arrays["countries.names"].tolist(),
                   place_names=arrays["places.names"], place_zoom=arrays["places.zoom"],
                   place_points=arrays["places.points"])
