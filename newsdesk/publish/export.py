"""Writing the output contract: JSON Lines per record type, ACLED-style CSV, GeoJSON,
and Parquet tables beside the JSON Lines of a large run.

The row and feature builders are public so the web app exports exactly what the CLI
writes, with the same columns, after a person's review has been applied.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pycountry

from newsdesk.errors import MissingExtraError

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
_GEO_PRECISION = {"exact": 1, "parent": 2, "admin1": 3, "country": 3}


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write records one JSON object per line, atomically; returns the count."""
    n = 0
    with _atomic_text(path) as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=False))
            fh.write("\n")
            n += 1
    return n


def acled_row(incident: Mapping[str, Any], inter: Mapping[str, int | None] | None = None) -> dict:
    """One incident as a row of ACLED's export, filling what the extraction supports.

    `inter` maps actor ids to ACLED inter codes (from the actor registry).
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
        civilian_targeting="Civilian targeting" if inter2 == 7 else "",
        iso=int(country.numeric) if country else "",
        country=country.name if country else "",
        admin1=incident.get("admin1") or "",
        location=incident.get("location") or "",
        latitude=_num(incident.get("lat")),
        longitude=_num(incident.get("lon")),
        geo_precision=_GEO_PRECISION.get(incident.get("location_precision") or "", ""),
        source="; ".join(incident.get("outlets") or []),
        notes=incident.get("notes") or "",
        # ACLED writes 0 where no death is reported, never an empty cell
        fatalities=0 if fatalities is None else int(fatalities),
        tags=f"grade: {incident['grade']}" if incident.get("grade") else "",
    )
    return row


def acled_csv(
    incidents: Iterable[Mapping[str, Any]], inter: Mapping[str, int | None] | None = None
) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ACLED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for inc in incidents:
        writer.writerow(acled_row(inc, inter))
    return buf.getvalue()


FULL_COLUMNS = (
    "id", "event_date", "date_precision", "event_type", "sub_event_type",
    "actor1", "actor1_id", "actor2", "actor2_id",
    "location", "admin1", "country_code", "lat", "lon", "geonameid", "location_precision",
    "fatalities", "fatalities_low", "fatalities_high", "injured", "injured_low", "injured_high",
    "grade", "grade_reason", "independent_outlets", "outlets", "article_ids", "claim_ids",
    "status", "notes",
)
"""`incidents_full.csv`: every field of the record, the killed and the wounded each with
the range the reports give, and the ids that trace each incident to its reports."""


def full_csv(incidents: Iterable[Mapping[str, Any]]) -> str:
    """The incidents with all their fields, lists joined by "; ", unknown values empty
    (unlike ACLED's `fatalities`, an unreported toll stays empty here, not 0)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FULL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for inc in incidents:
        writer.writerow({
            k: "; ".join(map(str, v)) if isinstance(v := inc.get(k), list)
            else "" if v is None else v
            for k in FULL_COLUMNS
        })
    return buf.getvalue()


def geojson(incidents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection of Points; incidents without coordinates are left out."""
    features = []
    for inc in incidents:
        if inc.get("lat") is None or inc.get("lon") is None:
            continue
        props = {k: v for k, v in inc.items() if k not in ("lat", "lon", "evidence")}
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
        pq.write_table(pa.table(columns), path)
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
