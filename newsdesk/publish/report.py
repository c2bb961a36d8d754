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

import bisect
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from newsdesk.models import ArticleRecords, Incident, Story, on_ground
from newsdesk.publish import basemap
from newsdesk.publish.brief import environment, write_brief
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
    page = environment().get_template("report.html.j2").render(
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
        for p in on_ground(r.places):
            if p.geonameid is None or p.lat is None or p.lon is None or p.feature == "country":
                continue
            row = seen.setdefault(p.geonameid, {"kind": "place", "lat": p.lat, "lon": p.lon,
                                                "label": p.name or p.text, "n": 0})
            row["n"] += 1
    return points + sorted(seen.values(), key=lambda p: (-p["n"], p["label"]))


def _digits(v: np.ndarray) -> list[str]:
    """`"{:.0f}".format(round(x, 1))` of each `x`, the digits a path's point is drawn at
    (rounded to a tenth as `xy` does, then to a whole pixel), with the first rounding
    skipped where it cannot change the second: it moves `x` by at most 0.05, so only a
    fraction within that of a half can end on the other side of it. Elsewhere NumPy's
    `rint` gives the nearest whole number (no tie to break), and Python formats the few
    others, minus zero included. The paths print ~90,000 points on the 200 GeoWebNews
    texts' worldwide frame; formatting them one float at a time was most of the map's
    0.6 CPU s."""
    whole = np.rint(v)
    frac = v - np.floor(v)
    out = [str(n) for n in whole.astype(np.int64).tolist()]
    odd = ((frac >= 0.44) & (frac <= 0.56)) | ((whole == 0) & np.signbit(whole))
    for i in np.flatnonzero(odd).tolist():
        out[i] = f"{round(float(v[i]), 1):.0f}"
    return out


def _paths(layer: basemap.Layer, ids: list[int], close: bool,
           frame: tuple[float, float, float, float], scale: float) -> list[str]:
    """The SVG path of each feature `ids` of `layer` ("" where nothing of it is drawn):
    whole rings near the frame (a cut polygon would fill wrongly); lines cut to the runs
    of points inside it, or next to one inside on the same line, so a river or coast far
    outside adds nothing. The features' points are tested, projected and formatted as
    one array."""
    west, south, east, north = frame
    points, feature_starts, line_starts = layer.gather(ids)
    pad = 1 if close else 0.2
    lon, lat = points[:, 0], points[:, 1]
    near = (west - pad <= lon) & (lon <= east + pad) & (south - pad <= lat) & (
        lat <= north + pad)
    if close:  # a ring with a point near the frame: one more near point counted over it
        counted = np.concatenate(([0], np.cumsum(near))).tolist()
        runs = [(a, b) for a, b in itertools.pairwise(line_starts) if counted[b] > counted[a]]
    else:
        runs = _runs(near, line_starts)
    xs, ys = _digits((lon - west) * scale), _digits((north - lat) * scale)
    end = "Z" if close else ""
    paths = []
    k = 0
    for last in feature_starts[1:]:
        drawn: list[str] = []
        while k < len(runs) and runs[k][0] < last:
            a, b = runs[k]
            if b - a > 1:
                drawn.append("M" + "L".join(map(",".join, zip(xs[a:b], ys[a:b], strict=True)))
                             + end)
            k += 1
        paths.append("".join(drawn))
    return paths


def _runs(near: np.ndarray, line_starts: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each stretch of points that are `near` the frame or next to one
    that is on the same line: the points from one of `line_starts` to the next. Each
    stretch stays within its line."""
    keep = near.copy()
    last = np.asarray(line_starts[1:-1], dtype=np.int64) - 1  # a line's last point
    carry = near[:-1].copy()
    carry[last] = False  # a line's last point does not keep the next line's first
    keep[1:] |= carry
    carry = near[1:].copy()
    carry[last] = False  # nor does a line's first point keep the previous line's last
    keep[:-1] |= carry
    step = np.diff(keep.view(np.int8), prepend=0, append=0)
    runs: list[tuple[int, int]] = []
    for a, b in zip(np.flatnonzero(step == 1).tolist(), np.flatnonzero(step == -1).tolist(),
                    strict=True):
        k = bisect.bisect_right(line_starts, a)
        while line_starts[k] < b:
            runs.append((a, line_starts[k]))
            a, k = line_starts[k], k + 1
        runs.append((a, b))
    return runs


def _map(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Project the points, the Natural Earth layers and place names into an SVG viewport
    framed on the incidents (on the places only when no incident is located): a place
    a report names far away (Washington, London) is left off rather than shrinking the
    area of the events to a corner. Labels that would overlap an earlier one are skipped."""
    framed = [p for p in points if p["kind"] == "incident"] or points
    if framed:
        lons = [p["lon"] for p in framed]
        lats = [p["lat"] for p in framed]
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

    def inside(lon: float, lat: float, pad: float = 0.0) -> bool:
        return west - pad <= lon <= east + pad and south - pad <= lat <= north + pad

    base = basemap.load()

    frame = (west, south, east, north)
    shapes = base.layers["countries"]
    near = shapes.near(west - 1, south - 1, east + 1, north + 1)
    countries = [{"name": base.country_names[i], "d": d}
                 for i, d in zip(near, _paths(shapes, near, True, frame, scale), strict=True)
                 if d]
    layers = {}
    for name in basemap.LAYERS:
        # a layer's features whose bounding box meets the padded frame: `_paths` keeps
        # nothing of the others, and this spares it a look at each of their points
        pad = 1 if name == "lakes" else 0.2
        layer = base.layers[name]
        near = layer.near(west - pad, south - pad, east + pad, north + pad)
        layers[name] = [d for d in _paths(layer, near, name == "lakes", frame, scale) if d]
    shown = [dict(p, x=xy(p["lon"], p["lat"])[0], y=xy(p["lon"], p["lat"])[1])
             for p in points if inside(p["lon"], p["lat"])]
    # the story's places first, then Natural Earth's towns, most important first
    zoom = 7 if east - west <= 12 else 5
    towns = base.towns(west, south, east, north, zoom)
    taken: list[tuple[float, float, float, float]] = [(p["x"] - 6, p["y"] - 6, p["x"] + 6,
                                                       p["y"] + 6) for p in shown]
    labels = []
    for kind, label, x, y in [*(("place", p["label"], p["x"], p["y"]) for p in shown
                                if p["kind"] == "place"),
                              *(("town", name, *xy(lon, lat)) for name, lon, lat in towns)]:
        box = (x + 7, y - 14, x + 9 + 6.2 * len(label), y)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in taken) or len(labels) >= 60:
            continue
        taken.append(box)
        labels.append({"kind": kind, "text": label, "x": x, "y": y})
    return {"width": _MAP_WIDTH, "height": height, "countries": countries, "layers": layers,
            "points": shown, "labels": labels}


