"""The map's data: `/api/map` (bounded, cut to what a marker and its popup show, the desk's
filters applied) and the Natural Earth layers the desk serves from static/basemap/."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from newsdesk.web import create_app, queries
from tests.web.test_web_api import build_store, load_fixture

POPUP_FIELDS = {"id", "lat", "lon", "date", "type", "sub_type", "location", "actor1", "actor2",
                "fatalities", "low", "high", "grade", "outlets", "reports", "precision"}


@pytest.fixture
def client(tmp_path: Path, data_dir: Path):
    from fastapi.testclient import TestClient

    db = tmp_path / "desk.db"
    build_store(db, load_fixture(data_dir))
    with TestClient(create_app(db, token=None)) as c:
        yield c


def test_web_map_api_answers_located_incidents_with_popup_fields(client) -> None:
    listed = client.get("/api/incidents?limit=500").json()
    located = [i for i in listed["items"] if i.get("lat") is not None]
    data = client.get("/api/map").json()
    assert data["total"] == listed["total"]
    assert data["unlocated"] == listed["total"] - len(located)
    assert [i["id"] for i in data["items"]] == [i["id"] for i in located]
    assert all(set(i) == POPUP_FIELDS for i in data["items"])
    first = located[0]
    item = data["items"][0]
    assert (item["type"], item["fatalities"], item["outlets"]) == (
        first["event_type"], first.get("fatalities"), first["outlets"])


def test_web_map_api_applies_the_desk_filters(client) -> None:
    items = client.get("/api/map").json()["items"]
    kind = items[0]["type"]
    only = client.get("/api/map", params={"event_type": kind}).json()["items"]
    assert only and all(i["type"] == kind for i in only)
    assert len(only) == sum(i["type"] == kind for i in items)
    # the page passes its query on to the endpoint
    page = client.get("/map", params={"event_type": kind}).text
    assert re.search(r'data-incidents="/api/map\?event_type=[^"]+"', page)


def test_web_map_api_is_bounded(client, monkeypatch) -> None:
    total = client.get("/api/map").json()["total"]
    assert total >= 3
    monkeypatch.setattr(queries, "MAP_CAP", 2)
    data = client.get("/api/map").json()
    assert data["cap"] == 2 and len(data["items"]) + data["unlocated"] <= 2
    assert data["total"] == total


def test_web_map_page_has_no_inline_code(client) -> None:
    page = client.get("/map").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page and "<style" not in page


@pytest.mark.parametrize("layer", ["admin0", "admin1", "coast", "rivers", "lakes"])
def test_web_basemap_layer_has_no_line_across_the_world(client, layer: str) -> None:
    fc = client.get(f"/static/basemap/{layer}.geojson").json()
    assert len(fc["features"]) > 150
    for f in fc["features"]:
        g = f["geometry"]
        lines = {"LineString": lambda c: [c], "MultiLineString": lambda c: c,
                 "Polygon": lambda c: c, "MultiPolygon": lambda c: [r for p in c for r in p]}
        for line in lines[g["type"]](g["coordinates"]):
            assert len(line) >= 2
            assert not any(abs(a[0] - b[0]) > 180 for a, b in pairwise(line)), f


def test_web_basemap_places_carry_the_zoom_they_are_named_from(client) -> None:
    places = {f["properties"]["name"]: f for f in
              client.get("/static/basemap/places.geojson").json()["features"]}
    raqqa = places["Raqqa"]["properties"]
    assert 5 <= raqqa["min_zoom"] <= 7 and raqqa["rank"] == 7
    assert places["Damascus"]["properties"].get("capital") is True
    lon, lat = places["Raqqa"]["geometry"]["coordinates"]
    assert abs(lon - 39.0) < 0.2 and abs(lat - 35.95) < 0.2
    regions = {f["properties"]["name"] for f in
               client.get("/static/basemap/regions.geojson").json()["features"]}
    assert "Ar Raqqah" in regions  # the governorate
