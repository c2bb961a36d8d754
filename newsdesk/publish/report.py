"""`report.html`: one self-contained page for a run, openable from disk with no network.

Stories with their briefs, a map of incidents and places, claim tables with their sources,
and the GeoNames attribution. The map is an inline SVG in an equirectangular projection,
drawn over Natural Earth country outlines bundled in `newsdesk/data/` and cropped to the
points shown: no tiles, no CDN, no script. Article text is untrusted, so everything goes
through Jinja2 with autoescape; briefs are rendered by `brief.write_brief`, escaped too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from newsdesk.models import ArticleRecords, Incident, Story
from newsdesk.publish.brief import write_brief
from newsdesk.publish.export import write_text

_MAP_WIDTH = 900
_MARGIN_DEG = 2.0
_MIN_SPAN_DEG = 6.0


def write_report(
    path: Path | str, stories: Sequence[Story], records: Sequence[ArticleRecords],
    incidents: Sequence[Incident | dict[str, Any]],
) -> Path:
    """Write the run's report page and return its path."""
    path = Path(path)
    by_article = {r.article.id: r for r in records}
    rows = [i if isinstance(i, dict) else i.to_dict() for i in incidents]
    story_rows = []
    for story in stories:
        html = story.brief_html
        if html is None:
            story_incidents = [Incident.from_dict(row) for row in rows
                               if set(row["article_ids"]) & set(story.article_ids)]
            _, html = write_brief(story, by_article, incidents=story_incidents)
        story_rows.append({"story": story, "brief": Markup(html)})  # escaped by the brief template
    points = _points(rows, records)
    page = _env().get_template("report.html.j2").render(
        stories=story_rows, incidents=rows, map=_map(points), points=points,
        n_articles=len(records),
    )
    write_text(path, page)  # atomically: a reader never sees half a page
    return path


def _points(incidents: Sequence[dict[str, Any]], records: Sequence[ArticleRecords],
            ) -> list[dict[str, Any]]:
    """Incidents, then each resolved place once (countries left out: they are areas)."""
    points = [{"kind": "incident", "lat": i["lat"], "lon": i["lon"],
               "label": f"{i.get('sub_event_type') or i.get('event_type')} — "
                        f"{i.get('location') or ''} {i.get('event_date') or ''}".strip()}
              for i in incidents if i.get("lat") is not None and i.get("lon") is not None]
    seen: dict[int, dict[str, Any]] = {}
    for r in records:
        for p in r.places:
            if p.geonameid is None or p.lat is None or p.lon is None or p.feature == "country":
                continue
            row = seen.setdefault(p.geonameid, {"kind": "place", "lat": p.lat, "lon": p.lon,
                                                "label": p.name or p.text, "n": 0})
            row["n"] += 1
    return points + sorted(seen.values(), key=lambda p: (-p["n"], p["label"]))


def _map(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Project the points and the country outlines into an SVG viewport around them."""
    if points:
        lons = [p["lon"] for p in points]
        lats = [p["lat"] for p in points]
        west, east = min(lons) - _MARGIN_DEG, max(lons) + _MARGIN_DEG
        south, north = min(lats) - _MARGIN_DEG, max(lats) + _MARGIN_DEG
        for lo, hi in ((west, east), (south, north)):
            if hi - lo < _MIN_SPAN_DEG:
                pad = (_MIN_SPAN_DEG - (hi - lo)) / 2
                if lo is west:
                    west, east = west - pad, east + pad
                else:
                    south, north = south - pad, north + pad
    else:
        west, east, south, north = -180.0, 180.0, -60.0, 85.0
    scale = _MAP_WIDTH / (east - west)
    height = max(200, round((north - south) * scale))

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - west) * scale, 1), round((north - lat) * scale, 1)

    paths = []
    for country in _outlines():
        d = []
        for ring in country["rings"]:
            if not any(west - 5 <= lon <= east + 5 and south - 5 <= lat <= north + 5
                       for lon, lat in ring):
                continue
            d.append("M" + "L".join(f"{x},{y}" for x, y in (xy(lon, lat) for lon, lat in ring))
                     + "Z")
        if d:
            paths.append({"name": country["name"], "d": "".join(d)})
    projected = [dict(p, x=xy(p["lon"], p["lat"])[0], y=xy(p["lon"], p["lat"])[1])
                 for p in points]
    return {"width": _MAP_WIDTH, "height": height, "countries": paths, "points": projected}


@cache
def _outlines() -> list[dict[str, Any]]:
    """The desk's basemap (Natural Earth via world-atlas) as plain rings per country."""
    data = resources.files("newsdesk").joinpath(
        "web/static/vendor/world-atlas/countries-110m.geojson").read_text()
    out = []
    for f in json.loads(data)["features"]:
        g = f["geometry"]
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        out.append({"name": f["properties"]["name"],
                    "rings": [ring for polygon in polygons for ring in polygon]})
    return out


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsdesk.publish", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )
