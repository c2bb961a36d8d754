"""The report map's basemap archive: derived from the shipped GeoJSON, rebuilt when stale."""

from __future__ import annotations

import itertools
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from newsdesk.publish import basemap


def _geojson(rel: str) -> list[dict]:
    static = resources.files("newsdesk").joinpath("web/static")
    return json.loads(static.joinpath(rel).read_text("utf-8"))["features"]


@pytest.fixture
def archive(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    basemap.load.cache_clear()
    yield tmp_path / "basemap.npz"
    basemap.load.cache_clear()


def _lines(layer: basemap.Layer, i: int) -> list[list[list[float]]]:
    points, features, lines = layer.gather([i])
    assert features == [0, len(points)] and lines[-1] == len(points)
    return [points[a:b].tolist() for a, b in itertools.pairwise(lines)]


def test_basemap_built_on_first_use_holds_the_geojson_as_parsed(archive: Path) -> None:
    assert not archive.exists()
    base = basemap.load()
    assert archive.exists()
    rivers = _geojson("basemap/rivers.geojson")
    layer = base.layers["rivers"]
    assert len(layer.boxes) == len(rivers)
    for i, f in enumerate(rivers):
        g = f["geometry"]
        lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
        assert _lines(layer, i) == lines  # the same floats json.loads gives
        points = [p for line in lines for p in line]
        assert tuple(layer.boxes[i]) == (min(p[0] for p in points), min(p[1] for p in points),
                                         max(p[0] for p in points), max(p[1] for p in points))
    countries = _geojson("vendor/world-atlas/countries-110m.geojson")
    assert base.country_names == [f["properties"]["name"] for f in countries]
    syria = base.country_names.index("Syria")
    g = countries[syria]["geometry"]
    rings = g["coordinates"] if g["type"] == "Polygon" else [r for p in g["coordinates"] for r in p]
    assert _lines(base.layers["countries"], syria) == rings


def test_basemap_near_and_towns_select_by_box_and_zoom() -> None:
    base = basemap.load()
    shapes = base.layers["countries"]
    near = {base.country_names[i] for i in shapes.near(38.0, 35.0, 40.0, 37.0)}
    assert "Syria" in near and "Brazil" not in near
    towns = base.towns(38.0, 35.0, 40.0, 37.0, zoom=7)
    assert towns and all(38.0 <= lon <= 40.0 and 35.0 <= lat <= 37.0 for _, lon, lat in towns)
    assert "Raqqa" in {name for name, _, _ in towns}
    zooms = {f["properties"]["name"]: f["properties"]["min_zoom"]
             for f in _geojson("basemap/places.geojson")}
    assert [zooms[name] for name, _, _ in towns] == sorted(zooms[name] for name, _, _ in towns)
    assert len(base.towns(38.0, 35.0, 40.0, 37.0, zoom=5)) < len(towns)


def test_basemap_made_from_other_sources_is_rebuilt(archive: Path) -> None:
    basemap.build()
    with np.load(archive) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["stamp"] = np.array("made from other GeoJSON")
    arrays["rivers.boxes"] = arrays["rivers.boxes"][:0]
    np.savez(archive, **arrays)
    base = basemap.load()
    assert len(base.layers["rivers"].boxes) == len(_geojson("basemap/rivers.geojson"))
    with np.load(archive) as npz:
        assert str(npz["stamp"]) != "made from other GeoJSON"


def test_basemap_in_a_folder_that_cannot_be_written_is_parsed_each_time(
        archive: Path, monkeypatch) -> None:
    def refuse(target: Path, arrays: dict) -> None:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(basemap, "_write", refuse)
    base = basemap.load()
    assert not archive.exists()
    assert "Syria" in base.country_names
