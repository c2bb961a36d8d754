"""The ACLED exports as an analyst opens them (a CSV reader with type inference, a GIS
reader where one is installed), and the output folder surviving a run that reads nothing."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pycountry
import pytest
from click.testing import CliRunner

from newsdesk.cli import EXIT_NOTHING, main
from newsdesk.publish import export
from newsdesk.publish.export import ACLED_COLUMNS, FULL_COLUMNS

# ACLED's world regions (ACLED codebook, `region`)
_ACLED_REGIONS = {
    "Western Africa", "Middle Africa", "Eastern Africa", "Southern Africa", "Northern Africa",
    "South Asia", "Southeast Asia", "East Asia", "Middle East", "Europe",
    "Caucasus and Central Asia", "Central America", "South America", "Caribbean",
    "North America", "Oceania", "Antarctica",
}


def _analyze(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["analyze", "--quiet", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, example_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("export")
    code, output = _analyze(str(example_dir), "--out", str(out), "--db", str(out / "n.db"))
    assert code == 0, output
    return out


def _strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_export_incidents_csv_read_with_type_inference(run_dir: Path) -> None:
    """pyarrow's CSV reader infers each column's type as pandas would: the numbers must
    come out as numbers, the dates as dates, in ACLED's column order."""
    pacsv = pytest.importorskip("pyarrow.csv")
    import pyarrow as pa

    table = pacsv.read_csv(run_dir / "incidents.csv")
    assert tuple(table.column_names) == ACLED_COLUMNS
    assert table.num_rows == 3
    types = {name: table.schema.field(name).type for name in table.column_names}
    assert pa.types.is_date(types["event_date"]) or pa.types.is_timestamp(types["event_date"])
    for name in ("year", "time_precision", "inter1", "interaction", "iso", "geo_precision",
                 "fatalities"):
        assert pa.types.is_integer(types[name]), (name, types[name])
    for name in ("latitude", "longitude"):
        assert pa.types.is_floating(types[name]), (name, types[name])
    rows = table.to_pylist()
    for row in rows:
        assert -90 <= row["latitude"] <= 90 and -180 <= row["longitude"] <= 180
        assert row["region"] == "Middle East" and row["country"] == "Syria"
        assert row["source_scale"] in ("Regional", "International", "Regional-International")
        assert row["fatalities"] >= 0
    # the AFP and Middle East Eye reports of the breach: a regional and an international
    assert {r["source"]: r["source_scale"] for r in rows}["AFP; Middle East Eye"] == (
        "Regional-International")


def test_export_incidents_csv_with_pandas_and_a_gis_reader(run_dir: Path) -> None:
    """The same files as pandas and GDAL (through pyogrio) open them: ACLED's columns with
    numeric types, and every feature a point whose coordinates are the CSV row's."""
    import struct

    pd = pytest.importorskip("pandas")
    pyogrio = pytest.importorskip("pyogrio")
    frame = pd.read_csv(run_dir / "incidents.csv")
    assert tuple(frame.columns) == ACLED_COLUMNS
    assert str(frame["latitude"].dtype) == "float64" and str(frame["iso"].dtype) == "int64"
    info = pyogrio.read_info(run_dir / "incidents.geojson")
    assert info["geometry_type"] == "Point" and info["features"] == len(frame)
    _, _, wkb, _ = pyogrio.raw.read(run_dir / "incidents.geojson")
    points = []
    for geometry in wkb:  # WKB: byte order, type 1 (point), x, y
        order = "<" if geometry[0] == 1 else ">"
        kind, x, y = struct.unpack(order + "Idd", bytes(geometry[1:21]))
        assert kind == 1 and -180 <= x <= 180 and -90 <= y <= 90
        points.append((round(y, 5), round(x, 5)))
    assert sorted(points) == sorted(zip(frame["latitude"].round(5), frame["longitude"].round(5),
                                        strict=True))


def test_export_geojson_every_point_valid(run_dir: Path) -> None:
    geo = _strict_json((run_dir / "incidents.geojson").read_text("utf-8"))
    assert isinstance(geo, dict) and geo["type"] == "FeatureCollection"
    features = geo["features"]
    with (run_dir / "incidents.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(features) == len(rows) == 3
    assert len({f["id"] for f in features}) == len(features)
    for feature in features:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        assert all(isinstance(v, float) and math.isfinite(v) for v in (lon, lat))
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = feature["properties"]
        assert props["region"] == "Middle East" and props["status"] == "machine"
        assert props["article_ids"] and len(props["urls"]) == len(props["article_ids"])
        assert all(u.startswith("https://") for u in props["urls"])


def test_export_full_csv_traces_each_row_to_its_reports(run_dir: Path) -> None:
    with (run_dir / "incidents_full.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == FULL_COLUMNS
    articles = {a["id"]: a for a in map(json.loads, (run_dir / "articles.jsonl").open())}
    for row in rows:
        ids, urls = row["article_ids"].split("; "), row["urls"].split("; ")
        assert urls == [articles[i]["url"] for i in ids]
        assert row["status"] == "machine" and row["region"] == "Middle East"


def test_export_acled_regions_cover_every_country() -> None:
    regions = {c.alpha_2: export.acled_region(c.alpha_2) for c in pycountry.countries}
    assert all(regions.values()), [k for k, v in regions.items() if not v]
    assert set(regions.values()) <= _ACLED_REGIONS
    assert (regions["SY"], regions["TR"], regions["IR"], regions["UA"], regions["MX"],
            regions["AZ"], regions["SD"]) == (
        "Middle East", "Middle East", "Middle East", "Europe", "Central America",
        "Caucasus and Central Asia", "Northern Africa")
    assert export.acled_region(None) == export.acled_region("ZZ") == ""


def test_export_country_names_are_the_common_ones() -> None:
    """ACLED's `country` says "Syria" and "Iran", not ISO's "Syrian Arab Republic": ISO's
    common name where it has one, its name otherwise (read in order where ISO inverts it),
    the region table's for Kosovo."""
    codes = ("SY", "IR", "KR", "KP", "VN", "FR", "IQ", "XK", "CD", "PS", "FM", "BQ", "SH")
    names = {code: export.country_name(code) for code in codes}
    assert names == {"SY": "Syria", "IR": "Iran", "KR": "South Korea", "KP": "North Korea",
                     "VN": "Vietnam", "FR": "France", "IQ": "Iraq", "XK": "Kosovo",
                     "CD": "Democratic Republic of the Congo", "PS": "State of Palestine",
                     "FM": "Federated States of Micronesia",
                     # a list, not an inversion: kept
                     "BQ": "Bonaire, Sint Eustatius and Saba",
                     "SH": "Saint Helena, Ascension and Tristan da Cunha"}
    assert export.country_name(None) == export.country_name("ZZ") == ""
    # every ISO code gets a name
    assert all(export.country_name(c.alpha_2) for c in pycountry.countries)


@pytest.mark.parametrize(
    ("outlets", "country", "scale"),
    [
        (["SANA"], "SY", "National"),
        (["Arab News"], "SY", "Regional"),
        (["middle east eye"], "IQ", "Regional"),  # London-based, the Middle East its beat
        (["AFP", "Sputnik"], "SY", "International"),
        (["SANA", "Al Jazeera", "Reuters"], "SY", "National-Regional-International"),
        (["a blog nobody listed"], "SY", ""),
        (["AFP"], "FR", "National"),
    ],
)
def test_export_source_scale(outlets, country, scale) -> None:
    assert export.source_scale(outlets, country) == scale


def test_export_civilian_targeting_and_bad_points() -> None:
    base = {"id": "inc-1", "event_type": "Violence against civilians", "country_code": "SY",
            "lat": 135.0, "lon": 39.0, "outlets": ["AFP"], "article_ids": ["a1"]}
    row = export.acled_row(base)
    assert row["civilian_targeting"] == "Civilian targeting"
    assert (row["latitude"], row["longitude"], row["geo_precision"]) == ("", "", "")
    assert export.geojson([base])["features"] == []  # a GIS reader refuses lat 135
    reviewed = {**base, "civilian_targeting": False, "lat": 35.9, "lon": float("nan")}
    assert export.acled_row(reviewed)["civilian_targeting"] == ""
    assert export.geojson([reviewed])["features"] == []
    battle = {**base, "event_type": "Battles", "actor2_id": "civ", "lat": 35.9}
    assert export.acled_row(battle, {"civ": 7})["civilian_targeting"] == "Civilian targeting"
    assert export.acled_row(battle)["civilian_targeting"] == ""


def test_export_run_reading_nothing_leaves_the_output_as_it_was(
    run_dir: Path, example_dir: Path, tmp_path: Path
) -> None:
    """`newsdesk analyze examples/raqa-2017 --out out`: a mistyped path exits 3 and the
    earlier output is still there, byte for byte, not rewritten with empty files."""
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
              for p in run_dir.iterdir() if p.is_file() and not p.name.startswith("n.db")}
    missing = str(example_dir.parent / "raqa-2017")
    code, _ = _analyze(missing, "--out", str(run_dir), "--db", str(tmp_path / "other.db"))
    assert code == EXIT_NOTHING
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
             for p in run_dir.iterdir() if p.is_file() and not p.name.startswith("n.db")}
    assert after == before
    assert not list(run_dir.glob(".*"))  # no temporary file left behind


def test_export_without_db_says_where_the_store_is(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSDESK_DB", raising=False)
    result = CliRunner().invoke(main, ["analyze", "nowhere.txt", "--out", "out"])
    assert result.exit_code == EXIT_NOTHING
    assert f"creating the store {tmp_path / 'newsdesk.db'}" in result.output
    assert "nothing read: out/ left as it was" in result.output
    result = CliRunner().invoke(main, ["analyze", "nowhere.txt", "--out", "out"])
    assert "creating the store" not in result.output  # said once, when it is made


def test_export_a_manifest_added_later_reaches_the_stored_reports(
    example_dir: Path, tmp_path: Path
) -> None:
    """Reports stored undated, then given a manifest: the next run analyses them again
    with their dates (which anchor "on Tuesday"), and the run after changes nothing."""
    folder = tmp_path / "reports"
    folder.mkdir()
    names = ["001_b5309f86b7870f1b.txt", "004_a4db6539298bde31.txt"]
    for name in names:
        (folder / name).write_bytes((example_dir / name).read_bytes())
    db, out = tmp_path / "n.db", tmp_path / "out"

    def run() -> tuple[dict, list[dict]]:
        from newsdesk.pipeline import run as run_pipeline

        summary = run_pipeline([str(folder)], out_dir=out, db_path=db)
        rows = [json.loads(x) for x in (out / "articles.jsonl").read_text("utf-8").splitlines()]
        return {"stored": summary.stored, "unchanged": summary.unchanged}, rows

    counts, rows = run()
    assert counts == {"stored": 2, "unchanged": 0}
    assert [r["published"] for r in rows] == [None, None]
    with (example_dir / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        wanted = [r for r in csv.DictReader(fh) if r["file"] in names]
    with (folder / "manifest.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(wanted[0]))
        writer.writeheader()
        writer.writerows(wanted)
    counts, rows = run()
    assert counts == {"stored": 2, "unchanged": 0}
    assert [(r["outlet"], r["published"]) for r in rows] == [
        ("AFP", "2017-07-04"), ("Sputnik", "2017-04-24")]
    incidents = [json.loads(x) for x in (out / "incidents.jsonl").read_text().splitlines()]
    assert {i["event_date"] for i in incidents} == {"2017-07-04"}
    assert run()[0] == {"stored": 0, "unchanged": 2}


def test_export_timestamp_is_the_newest_report_or_the_last_review(run_dir: Path) -> None:
    """ACLED's `timestamp`, from the record and not the clock: the breach reports of
    4 July 2017 (midnight UTC), and a review's time once a person has edited the row."""
    from newsdesk.store import Store

    with (run_dir / "incidents.csv").open(encoding="utf-8", newline="") as fh:
        stamps = {r["event_id_cnty"]: int(r["timestamp"]) for r in csv.DictReader(fh)}
    assert set(stamps.values()) == {1499126400}  # 2017-07-04T00:00:00Z
    with Store.open(run_dir / "n.db") as store:
        air = "inc-29db668d09a5c608"
        assert store.incident_timestamps([air]) == {air: 1499126400}
        store.review_incident(air, action="accept", who="analyst")
        assert store.incident_timestamps([air])[air] > 1499126400
