"""Writing the output contract: JSON Lines per record type, ACLED-style CSV, GeoJSON,
and Parquet tables beside the JSON Lines of a large run.

The row and feature builders are public so the web app exports exactly what the CLI
writes, with the same columns, after a person's review has been applied.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pycountry

from newsdesk.errors import MissingExtraError
from newsdesk.ingest.metadata import outlet_home

ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

_DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Demonstrations",
    "Strategic developments": "Strategic developments",
}
# ACLED's time_precision: 1 the day is known, 2 the week or a few days, 3 the month or wider.
_TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3, "range": 3}
# ACLED's geo_precision: 1 the town itself, 2 part of or near a town, 3 a region.
_GEO_PRECISION = {"exact": 1, "parent": 2, "admin1": 3, "country": 3, "region": 3}
# ACLED's source scales, narrowest first; a row reported at several joins them with "-".
_SCALES = ("Local", "Subnational", "National", "Regional", "International")
_REGIONS = Path(__file__).resolve().parent.parent / "data" / "acled_regions.tsv"


@cache
def _acled_regions() -> dict[str, tuple[str, str]]:
    """ISO code -> (country, ACLED region), from `data/acled_regions.tsv` (see README,
    data sources)."""
    with _REGIONS.open(encoding="utf-8", newline="") as fh:
        return {row["iso"]: (row["country"], row["region"])
                for row in csv.DictReader(fh, delimiter="\t")}


def acled_region(country_code: str | None) -> str:
    """ACLED's world region of a country ("SY" -> "Middle East"); "" when unknown."""
    return _acled_regions().get(country_code or "", ("", ""))[1]


def country_name(country_code: str | None) -> str:
    """The country as a row names it: ISO 3166's common name where it has one ("Syria",
    "Iran", "South Korea", as ACLED writes them), else its ISO name, read in order where
    ISO inverts it ("Democratic Republic of the Congo", "State of Palestine"), else the
    region table's (Kosovo); "" when unknown.

    ISO's own names are for lists sorted by their key word ("Syrian Arab Republic",
    "Korea, Republic of"); an analyst filtering ACLED's export by country looks for the
    name ACLED and the news use."""
    country = pycountry.countries.get(alpha_2=country_code) if country_code else None
    if country is None:  # a code ISO has not assigned (Kosovo's XK): the region table's
        return _acled_regions().get(country_code or "", ("", ""))[0]
    name = getattr(country, "common_name", None) or country.name
    head, comma, tail = name.partition(", ")
    if comma and tail.endswith((" of", " of the")):  # "Palestine, State of": un-inverted
        name = f"{tail.removeprefix('The ')} {head}"
    return name


def source_scale(outlets: Iterable[str], country_code: str | None) -> str:
    """ACLED's `source_scale` of a row: each outlet is National in its home country,
    Regional in its region (or the region it covers, for Middle East Eye in London) and
    International elsewhere; outlets the outlet table lacks say nothing."""
    region = acled_region(country_code)
    found = set()
    for outlet in outlets:
        home, reach = outlet_home(outlet)
        if home is None and reach is None:
            continue
        if country_code and home == country_code:
            found.add("National")
        elif region and region in (reach, acled_region(home)):
            found.add("Regional")
        else:
            found.add("International")
    return "-".join(s for s in _SCALES if s in found)


def civilian_targeting(incident: Mapping[str, Any], inter1: int | None, inter2: int | None
                       ) -> str:
    """ACLED's `civilian_targeting`: a reviewer's word first; else an event against
    civilians (the type, or civilians, inter 7, as either actor)."""
    if incident.get("civilian_targeting") is not None:
        return "Civilian targeting" if incident["civilian_targeting"] else ""
    if incident.get("event_type") == "Violence against civilians" or 7 in (inter1, inter2):
        return "Civilian targeting"
    return ""


def valid_point(lat: Any, lon: Any) -> bool:
    """Both coordinates are finite numbers in range: what a GIS reader will accept."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""`json.dumps(..., ensure_ascii=False)` builds an encoder per call: one per line written."""


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write records one JSON object per line, atomically; returns the count."""
    n = 0
    with _atomic_text(path) as fh:
        for rec in records:
            fh.write(_ENCODER.encode(rec))
            fh.write("\n")
            n += 1
    return n


def acled_row(incident: Mapping[str, Any], inter: Mapping[str, int | None] | None = None,
              timestamp: int | None = None) -> dict:
    """One incident as a row of ACLED's export, filling what the extraction supports.

    `inter` maps actor ids to ACLED inter codes (from the actor registry); `timestamp` is
    when the row last changed, as the record tells it (`Store.incident_timestamps`). `admin2` and
    `assoc_actor_1/2` are filled when the incident carries them (a reviewer's edit); the
    extraction does not read them from the text yet. A point out
    of range is left out, not written: a GIS reader refuses the whole file for one.
    """
    inter = inter or {}
    cc = incident.get("country_code")
    country = pycountry.countries.get(alpha_2=cc) if cc else None
    date = incident.get("event_date")
    inter1 = inter.get(incident.get("actor1_id") or "")
    inter2 = inter.get(incident.get("actor2_id") or "")
    interaction = ""
    if inter1:
        interaction = (
            f"{min(inter1, inter2 or 0)}{max(inter1, inter2 or 0)}" if inter2 else f"{inter1}0"
        )
    fatalities = incident.get("fatalities")
    point = valid_point(incident.get("lat"), incident.get("lon"))
    row = dict.fromkeys(ACLED_COLUMNS, "")
    row.update(
        event_id_cnty=f"{country.alpha_3 if country else 'XXX'}-{incident['id']}",
        event_date=date or "",
        year=date[:4] if date else "",
        time_precision=_TIME_PRECISION.get(incident.get("date_precision") or "", ""),
        disorder_type=_DISORDER.get(incident.get("event_type") or "", ""),
        event_type=incident.get("event_type") or "",
        sub_event_type=incident.get("sub_event_type") or "",
        actor1=incident.get("actor1") or "",
        inter1=inter1 or "",
        actor2=incident.get("actor2") or "",
        inter2=inter2 or "",
        interaction=interaction,
        assoc_actor_1=incident.get("assoc_actor_1") or "",
        assoc_actor_2=incident.get("assoc_actor_2") or "",
        civilian_targeting=civilian_targeting(incident, inter1, inter2),
        iso=int(country.numeric) if country else "",
        region=acled_region(cc),
        country=country_name(cc),
        admin1=incident.get("admin1") or "",
        admin2=incident.get("admin2") or "",
        location=incident.get("location") or "",
        latitude=_num(incident.get("lat")) if point else "",
        longitude=_num(incident.get("lon")) if point else "",
        geo_precision=_GEO_PRECISION.get(incident.get("location_precision") or "", "")
        if point else "",
        source="; ".join(incident.get("outlets") or []),
        source_scale=source_scale(incident.get("outlets") or [], cc),
        notes=incident.get("notes") or "",
        # ACLED writes 0 where no death is reported, never an empty cell
        fatalities=0 if fatalities is None else int(fatalities),
        tags=f"grade: {incident['grade']}" if incident.get("grade") else "",
        timestamp=timestamp or "",
    )
    return row


def acled_csv(
    incidents: Iterable[Mapping[str, Any]], inter: Mapping[str, int | None] | None = None,
    timestamps: Mapping[str, int] | None = None,
) -> str:
    """The incidents as ACLED's CSV, text cells made safe for spreadsheets (`_cell`)."""
    return _csv(ACLED_COLUMNS, (acled_row(inc, inter, (timestamps or {}).get(inc["id"]))
                                for inc in incidents))


FULL_COLUMNS = (
    "id", "event_date", "date_precision", "event_type", "sub_event_type",
    "actor1", "actor1_id", "actor2", "actor2_id",
    "location", "admin1", "country_code", "lat", "lon", "geonameid", "location_precision",
    "fatalities", "fatalities_low", "fatalities_high", "injured", "injured_low", "injured_high",
    "civilians_killed", "combatants_killed", "civilians_injured", "combatants_injured",
    "grade", "grade_reason", "independent_outlets", "outlets", "article_ids", "claim_ids",
    "status", "notes", "region", "civilian_targeting", "source_scale", "urls",
)
"""`incidents_full.csv`: every field of the record, the killed and the wounded each with
the range the reports give and the part the reports call civilians or combatants (the rest
is of unknown status), and the ids that trace each incident to its reports."""


def full_csv(incidents: Iterable[Mapping[str, Any]], urls: Mapping[str, str] | None = None,
             inter: Mapping[str, int | None] | None = None) -> str:
    """The incidents with all their fields, lists joined by "; ", unknown values empty
    (unlike ACLED's `fatalities`, an unreported toll stays empty here, not 0). `urls`
    maps article ids to their URLs, so each row leads back to its reports; the review
    `status` says whether a person has checked the row."""
    return _csv(
        FULL_COLUMNS,
        (
            {
                k: "; ".join(map(str, v)) if isinstance(v := row.get(k), list)
                else "" if v is None else v
                for k in FULL_COLUMNS
            }
            for inc in incidents
            for row in ({**inc, **_derived(inc, urls, inter)},)
        ),
    )


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def _csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue()


def _cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted with a leading `'`.

    Outlet names, actors and notes come from the reports, so an outlet called
    `=HYPERLINK("http://evil.example","x")` would otherwise be live in Excel or LibreOffice.
    Numbers are left alone: a negative longitude stays a number. A carriage return becomes
    a newline: the writer quotes only cells holding its line ending (`\\n`), and an
    unquoted CR splits the row in a spreadsheet.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_STARTS):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


TOLL_COLUMNS = ("incident_id", "article_id", "outlet", "published", "claimant", "killed",
                "injured", "field", "start", "end", "sentence")
"""`tolls.csv`: who reported which toll of each incident, one row per claimant per report,
with the offsets of the sentence that states it."""


def tolls_csv(incidents: Iterable[Mapping[str, Any]]) -> str:
    """Each incident's tolls source by source (`claimant` empty: the outlet's own count)."""
    return _csv(TOLL_COLUMNS, (
        {"incident_id": inc["id"],
         **{k: "" if (v := toll.get(k)) is None else v for k in TOLL_COLUMNS[1:]}}
        for inc in incidents for toll in inc.get("tolls") or []))


def _derived(incident: Mapping[str, Any], urls: Mapping[str, str] | None,
             inter: Mapping[str, int | None] | None) -> dict[str, Any]:
    """The ACLED fields worked out from an incident, for the full CSV and the GeoJSON."""
    inter = inter or {}
    cc = incident.get("country_code")
    return {
        "region": acled_region(cc) or None,
        "civilian_targeting": civilian_targeting(
            incident, inter.get(incident.get("actor1_id") or ""),
            inter.get(incident.get("actor2_id") or "")) or None,
        "source_scale": source_scale(incident.get("outlets") or [], cc) or None,
        "urls": [u for a in incident.get("article_ids") or [] if (u := (urls or {}).get(a))],
    }


def geojson(incidents: Iterable[Mapping[str, Any]], urls: Mapping[str, str] | None = None,
            inter: Mapping[str, int | None] | None = None) -> dict[str, Any]:
    """A FeatureCollection of Points with the same derived fields as the full CSV
    (region, civilian targeting, source scale, report URLs); incidents without valid
    coordinates are left out."""
    features = []
    for inc in incidents:
        if not valid_point(inc.get("lat"), inc.get("lon")):
            continue
        # the sentences stay in the JSON Lines: GIS tools read flat properties
        props = {k: v for k, v in inc.items() if k not in ("lat", "lon", "evidence", "tolls")}
        props.update(_derived(inc, urls, inter))
        features.append(
            {
                "type": "Feature",
                "id": inc["id"],
                "geometry": {"type": "Point", "coordinates": [inc["lon"], inc["lat"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_text(path: Path, text: str) -> None:
    with _atomic_text(path) as fh:
        fh.write(text)


def write_parquet(out_dir: Path, tables: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """Write each table as `<name>.parquet` beside the JSON Lines of a large run.

    Columnar files are what analysts load into pandas/DuckDB/Spark for a million claims;
    JSON Lines stay the contract. A column whose values pyarrow cannot type together
    (a value that is a number in one record and text in another) is kept as JSON text.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingExtraError.of("dask", "Parquet output", exc) from exc
    written = []
    for name, rows in tables.items():
        keys = list(dict.fromkeys(k for row in rows for k in row))
        columns = {}
        for key in keys:
            values = [row.get(key) for row in rows]
            try:
                columns[key] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                columns[key] = pa.array(
                    [None if v is None else json.dumps(v, ensure_ascii=False) for v in values],
                    type=pa.string(),
                )
        path = out_dir / f"{name}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")  # renamed once whole, like the text files
        pq.write_table(pa.table(columns), tmp)
        tmp.replace(path)
        written.append(path)
    return written


def _num(value: Any) -> str | float:
    return "" if value is None else round(float(value), 5)


class _atomic_text:
    """Write to a temporary file beside `path` and rename, so readers never see half a file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> io.TextIOWrapper:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        return self.fh

    def __exit__(self, exc_type: object, *_: object) -> None:
        # Closing flushes the last buffer, which is where a full disk usually shows: the
        # temporary file must go whether the writing or the closing failed.
        try:
            self.fh.close()
            if exc_type is None:
                Path(self.tmp).replace(self.path)
        finally:
            Path(self.tmp).unlink(missing_ok=True)
