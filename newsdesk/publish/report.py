"""`report.html`: one self-contained page for a run, openable from disk with no network.

The top stories (most reports first) with their briefs and a claim table of one row per
claimant's figure, a map of their incidents and places, their incidents, a list linking
the other stories, and the GeoNames attribution. The page stays bounded whatever the run's
size: a story of 200 reports reads as its brief plus a table of its claimants, not 200
rows per figure, and a run of thousands of stories shows `TOP_STORIES` in full (fewer when
their briefs pass `BRIEFS_BYTES`). The map is an inline SVG in an equirectangular projection,
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

TOP_STORIES = 20  # stories shown with their briefs; the others are listed and linked
BRIEFS_BYTES = 300_000  # and no more once their briefs and claim tables pass this size
MAX_LISTED = 500  # other stories listed, the rest counted
MAX_INCIDENTS = 500  # rows of the incidents table, the rest counted
_ROW_BYTES = 250  # a claim table row's markup and figures, besides its sentence
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
    # most reports first; among equals the latest, then by id
    ranked = sorted(stories, key=lambda s: (s.last_published or "", s.id), reverse=True)
    ranked.sort(key=lambda s: -len(s.article_ids))
    story_rows: list[dict[str, Any]] = []
    rest: list[Story] = []
    size = 0
    for story in ranked:
        if len(story_rows) >= TOP_STORIES or size > BRIEFS_BYTES:
            rest.append(story)
            continue
        html = story.brief_html
        if html is None:
            ids = set(story.article_ids)
            story_incidents = [Incident.from_dict(row) for row in rows
                               if ids & set(row["article_ids"])]
            _, html = write_brief(story, by_article, incidents=story_incidents)
        claims = claim_rows(story)
        size += len(html) + sum(_ROW_BYTES + len(c["sentence"] or "") for c in claims)
        story_rows.append({"story": story, "brief": Markup(html),  # escaped by its template
                           "claims": claims})
    top_articles = {a for row in story_rows for a in row["story"].article_ids}
    top_incidents = [row for row in rows if set(row["article_ids"]) & top_articles]
    points = _points(top_incidents, [by_article[a] for a in sorted(top_articles)
                                     if a in by_article])
    page = _env().get_template("report.html.j2").render(
        stories=story_rows, rest=rest[:MAX_LISTED], unlisted=len(rest[MAX_LISTED:]),
        incidents=top_incidents[:MAX_INCIDENTS],
        more_incidents=len(rows) - len(top_incidents[:MAX_INCIDENTS]),
        n_stories=len(stories), n_other=len(rest), n_incidents=len(rows), map=_map(points),
        points=points,
        n_articles=len(records),
    )
    write_text(path, page)  # atomically: a reader never sees half a page
    return path


def claim_rows(story: Story) -> list[dict[str, Any]]:
    """The story's claim table: per claim group, one row per claimant (and scope when the
    scopes differ) with its value or range, its reports and outlets, and its latest report's
    sentence; the group's status and grade are the claim groups' own words."""
    out = []
    for group in story.claim_groups:
        by_scope = group.status == "different-scope"
        claimants: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
        for v in group.values:
            key = (v.get("claimant"), v.get("scope") if by_scope else None)
            claimants.setdefault(key, []).append(v)
        for (claimant, scope), values in claimants.items():
            latest = max(values, key=lambda v: (v.get("published") or "", v["article_id"]))
            shown = sorted({_figure(v) for v in values}, key=lambda f: f[0])
            out.append({
                "group": group, "rows": len(claimants), "first": not out or
                out[-1]["group"] is not group,
                "claimant": claimant or "", "scope": scope or latest.get("scope") or "",
                "value": shown[0][1] if len(shown) == 1
                else f"{shown[0][1]} to {shown[-1][1]}",
                "reports": len({v["article_id"] for v in values}),
                "outlets": len({v.get("outlet") for v in values}),
                "published": latest.get("published") or "", "sentence": latest.get("sentence"),
            })
    return out


def _figure(value: dict[str, Any]) -> tuple[float, str]:
    """(size for ordering, as written): "about 2,500", "between 200 and 500", "2.5 km"."""
    lo, hi, v = value.get("low"), value.get("high"), value.get("value")
    if v is None and lo is not None and hi is not None:
        shown, size = f"{_number(lo)}–{_number(hi)}", lo
    else:
        size = next((x for x in (v, lo, hi) if x is not None), 0.0)
        shown = _number(size)
    unit = value.get("unit")
    if unit:
        shown += "%" if unit == "%" else f" {unit}"
    q = value.get("qualifier")
    return size, f"{q} {shown}" if q else shown


def _number(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


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
