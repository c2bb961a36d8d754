"""Regenerate `features.tsv`: the places beyond towns that the gazetteer indexes.

Seas, gulfs, straits, rivers, lakes, islands, ranges, deserts, world regions, disputed
areas, airports, air bases, ports and dams, from three open sources as prepared in
`shared/data/gazetteer-extra/` (see the README's data section for credits):

- Natural Earth 10m vectors v4.0 (public domain, "Made with Natural Earth"): physical
  features, disputed areas, ports and dams. Its airports are left out: OurAirports has
  the same ones with their towns.
- GeoNames' no-country features (CC BY 4.0, "GeoNames (geonames.org)"): seas, oceans and
  world regions (Sahel, Balkans, Horn of Africa). Reefs and oil fields are left out.
- OurAirports (public domain): airports and air bases; closed ones, heliports and
  seaplane bases are left out.

Only what the index uses is kept: names (Latin script; ICAO/IATA codes and the sovereign
country that Natural Earth lists as a disputed area's alternate name dropped), kind, point,
country, and a `weight` that stands in for population when ranking same-named places
(Natural Earth's scalerank, a river's extent, GeoNames' population for world regions).
A world region named like a country or state is left out (Alaska is the state). A name
already in `regions.tsv` (but for disputed areas, which are kept as such),
or repeated by a later source within 1,000 km for the same kind of place, is kept once.
A river's point is its mouth, where GeoNames puts a stream, read off Natural Earth's 10m
river lines in `shared/data/basemap/rivers.geojson` (public domain), and its `course` points
along those lines every 10 km or so, and along the lines that run into its source under
another name (the Euphrates is "Al Furat" in Syria); a river those lines lack keeps the
midpoint of its longest line and no course. Also written: `region_points.tsv`, GeoNames'
own id and point for the world regions and seas of `regions.tsv` that its no-country file
holds. No row comes from evaluation data.

Usage: python make_features.py PATH/TO/gazetteer-extra  (basemap/ beside it)
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
_SKIP_KINDS = {"reef", "oil_field", "airport_closed", "heliport", "seaplane_base"}
_WATER = {"sea", "gulf", "bay", "strait", "channel", "ocean", "sound", "fjord", "lagoon"}
_CODE = re.compile(r"^[A-Z0-9]{3,4}$")
_STEP_KM = 10.0  # between the points kept along a river's course


def _norm(name: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFKD", name)
                     if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", folded.casefold()).split())


def _family(kind: str) -> str:
    return "water" if kind in _WATER else kind


def _extent_km(bbox: str) -> float:
    if not bbox:
        return 0.0
    la1, lo1, la2, lo2 = (float(v) for v in bbox.split(","))
    dy = (la2 - la1) * 111.0
    dx = (lo2 - lo1) * 111.0 * math.cos(math.radians((la1 + la2) / 2))
    return math.hypot(dx, dy)


def _extra(value: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in value.split(";") if "=" in kv)


def _weight(row: dict[str, str]) -> int:
    """A population-like prominence: seas and great rivers outrank villages of their name,
    small lakes and peaks do not."""
    extra = _extra(row["extra"])
    if extra.get("population", "0").isdigit() and int(extra.get("population", "0")) > 0:
        return min(10_000_000, int(extra["population"]))
    if row["kind"] == "disputed_area":
        return 1_000_000  # Gaza Strip, Golan Heights, Crimea: named as often as states
    if row["kind"] == "river":
        return int(10 * _extent_km(row["bbox"]))
    if extra.get("scalerank", "").isdigit():
        return int(10 ** max(2, 8 - int(extra["scalerank"])))
    if row["source"].startswith("GeoNames") and _family(row["kind"]) == "water":
        return 1_000_000
    if row["kind"] == "airbase" or "large" in extra.get("type", ""):
        return 1000
    return 100


def main(src: Path) -> None:
    countries = set()
    with (HERE / "countries.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            countries.add(_norm(r["name"]))
    with (HERE / "admin1.tsv").open(encoding="utf-8") as fh:
        states = {_norm(r["name"]) for r in csv.DictReader(fh, delimiter="\t")}
    with (HERE / "regions.tsv").open(encoding="utf-8") as fh:
        known = {_norm(n) for r in csv.DictReader(fh, delimiter="\t")
                 for n in [r["name"], *filter(None, (r["alternatenames"] or "").split("|"))]}
    lines = _river_lines(src.parent / "basemap" / "rivers.geojson")
    every = [ln for named in lines.values() for ln in named]
    kept: list[dict[str, str]] = []
    seen: dict[tuple[str, str], list[tuple[float, float]]] = {}
    files = [("natural_earth.tsv", "NE"), ("geonames_nocountry.tsv", "GN"),
             ("ourairports.tsv", "OA")]
    for name, tag in files:
        with (src / name).open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if r["kind"] in _SKIP_KINDS or (tag == "NE" and r["kind"] == "airport"):
                    continue
                lat, lon = float(r["lat"]), float(r["lon"])
                course = ""
                if r["kind"] == "river":
                    mine = _inside(lines.get(r["name"], []), r["bbox"])
                    lat, lon = _mouth(mine) or (lat, lon)
                    course = _course(mine + _upstream(mine, every))
                norm = _norm(r["name"])
                if norm in known and r["kind"] != "disputed_area":
                    continue
                if r["kind"] == "region" and norm in countries | states:
                    continue  # Natural Earth's "Alaska" region is the state
                spot = (norm, _family(r["kind"]))
                if any(abs(lat - a) < 9 and _close(lat, lon, a, b) for a, b in seen.get(spot, [])):
                    continue
                seen.setdefault(spot, []).append((lat, lon))
                alts = [a for a in r["alt_names"].split("|") if a and not _CODE.match(a)
                        and _norm(a) not in countries and _norm(a) != norm]
                kept.append({"name": r["name"], "alt_names": "|".join(dict.fromkeys(alts)),
                             "kind": r["kind"], "lat": f"{lat:.4f}", "lon": f"{lon:.4f}",
                             "country": r["country"], "weight": str(_weight(r)),
                             "source": tag, "course": course})
    with (HERE / "features.tsv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(kept[0]), delimiter="\t",
                             quoting=csv.QUOTE_NONE, lineterminator="\n")
        out.writeheader()
        out.writerows({k: v.replace('"', "") for k, v in row.items()} for row in kept)
    print(f"{len(kept)} rows")
    _region_points(src)


def _region_points(src: Path) -> None:
    """Write `region_points.tsv`: GeoNames' own id and point for each world region and sea
    of `regions.tsv` that GeoNames' no-country file holds under its name or an alternate
    one (not a "the ..." phrase: "the Channel" is also a strait of the Caribbean), of the
    same family (water or land), the record nearest the derived point where several are.

    GeoNames' points are conventions (the Atlantic at 10, -25; the Middle East at the
    Levant), and GeoNames is what the desk's and others' place ids refer to: a point
    derived from member countries or an approximate centre is another convention, up to
    3,000 km off an ocean's.
    """
    records: dict[str, list[dict[str, str]]] = {}
    with (src / "geonames_nocountry.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            records.setdefault(_norm(r["name"]), []).append(r)
    rows = []
    with (HERE / "regions.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            water = r["feature"] == "sea"
            names = [r["name"], *(a for a in (r["alternatenames"] or "").split("|")
                                  if a and not a.lower().startswith("the "))]
            found = [g for n in names for g in records.get(_norm(n), [])
                     if (_family(g["kind"]) == "water") == water]
            if not found:
                continue
            derived = next((m[1:] for m in r["members"].split(";") if m.startswith("@")), None)
            if derived:
                la, lo = (float(v) for v in derived.split(","))
                found.sort(key=lambda g: abs(float(g["lat"]) - la) + abs(float(g["lon"]) - lo))
            g = found[0]
            rows.append({"name": r["name"], "geonameid": g["source_id"], "lat": g["lat"],
                         "lon": g["lon"]})
    with (HERE / "region_points.tsv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=["name", "geonameid", "lat", "lon"],
                             delimiter="\t", lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    print(f"{len(rows)} region points")


def _river_lines(path: Path) -> dict[str, list[list[tuple[float, float]]]]:
    """Each river's lines, (lat, lon) points in the direction of flow, by name, from the
    basemap's Natural Earth rivers (its lines run downstream); empty without the file."""
    if not path.exists():
        return {}
    out: dict[str, list[list[tuple[float, float]]]] = {}
    for f in json.loads(path.read_text("utf-8"))["features"]:
        g = f["geometry"]
        parts = g["coordinates"] if g["type"] == "MultiLineString" else [g["coordinates"]]
        out.setdefault(f["properties"].get("name") or "", []).extend(
            [(la, lo) for lo, la in part] for part in parts if len(part) > 1)
    return out


def _inside(lines: list[list[tuple[float, float]]], bbox: str
            ) -> list[list[tuple[float, float]]]:
    """The lines of a name that lie in a row's extent: same-named rivers far apart are
    other rows."""
    if not bbox:
        return []
    la1, lo1, la2, lo2 = (float(v) for v in bbox.split(","))
    return [ln for ln in lines if all(la1 - 0.5 <= la <= la2 + 0.5 and lo1 - 0.5 <= lo <= lo2
                                      + 0.5 for la, lo in (ln[0], ln[-1]))]


def _joins(p: tuple[float, float], others: list[tuple[float, float]]) -> bool:
    return any(abs(p[0] - q[0]) < 0.01 and abs(p[1] - q[1]) < 0.01 for q in others)


def _upstream(mine: list[list[tuple[float, float]]], every: list[list[tuple[float, float]]]
              ) -> list[list[tuple[float, float]]]:
    """The one line under another name that runs into a river's source, and the one into
    its start in turn: the same river upstream, named otherwise (the Euphrates is "Al
    Furat" in Syria). Where two run in, the river begins at their confluence (the Ohio):
    neither is it."""
    found: list[list[tuple[float, float]]] = []
    sources = [b for b in (ln[0] for ln in mine) if not _joins(b, [ln[-1] for ln in mine])]
    for _ in range(5):  # a river renamed more often than this is not one river
        more = []
        for b in sources:
            into = [ln for ln in every if ln not in mine and ln not in found
                    and _joins(ln[-1], [b])]
            if len(into) == 1:
                more += into
        if not more:
            break
        found += more
        sources = [ln[0] for ln in more]
    return found


def _course(mine: list[list[tuple[float, float]]]) -> str:
    """Points along a river's lines, one every `_STEP_KM` or so ("lat,lon;lat,lon"): the
    stretch a report is about is the one nearest its own places (`geocode`)."""
    out: list[tuple[float, float]] = []
    for ln in mine:
        last = None
        for p in ln:
            if last is None or _km(last, p) >= _STEP_KM or p is ln[-1]:
                out.append(p)
                last = p
    return ";".join(f"{la:.3f},{lo:.3f}" for la, lo in out)


def _mouth(mine: list[list[tuple[float, float]]]) -> tuple[float, float] | None:
    """Where a river ends, GeoNames' point for a stream: of the line ends that no other
    line of the river goes on from, the one farthest from a line start that none runs
    into (its source). None when the basemap lacks the river."""
    starts, ends = [ln[0] for ln in mine], [ln[-1] for ln in mine]
    mouths = [e for e in ends if not _joins(e, starts)]
    sources = [b for b in starts if not _joins(b, ends)]
    pairs = [(_km(a, b), b) for a in sources for b in mouths]
    return max(pairs)[1] if pairs else None


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * math.cos(math.radians(a[0]))) * 111.0


def _close(la1: float, lo1: float, la2: float, lo2: float) -> bool:
    p1, p2 = math.radians(la1), math.radians(la2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * \
        math.sin(math.radians(lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h))) < 1000


if __name__ == "__main__":
    main(Path(sys.argv[1]))
