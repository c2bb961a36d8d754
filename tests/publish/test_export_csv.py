"""The CSV writers against spreadsheet formula injection (OWASP's CSV injection advice).

Outlet names, actors, places and notes come from the reports, so a hostile outlet called
`=HYPERLINK(...)` must reach `incidents.csv` and `incidents_full.csv` as text, not as a
live formula; numbers, a negative longitude among them, must stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from newsdesk.publish.export import acled_csv, full_csv

FORMULA = '=HYPERLINK("http://evil.example","click")'


def _incident(data_dir: Path) -> dict:
    """The web fixture's hostile incident (a real record shape), made a formula carrier."""
    data = json.loads((data_dir / "web" / "raqqa_records.json").read_text(encoding="utf-8"))
    inc = next(i for i in data["incidents"] if i["id"] == "inc-hostile")
    return {
        **inc,
        "outlets": [FORMULA, "Example Wire"],
        "actor1": "+cmd|' /C calc'!A0",
        "actor2": "-2+3",
        "location": "@SUM(1+1)*cmd|' /C calc'!A0",
        "notes": "\t=1+1",
        "grade_reason": "\r=1+1",
        "lat": -33.45,
        "lon": -70.66667,
        "fatalities": 3,
    }


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_acled_csv_quotes_formula_cells_and_keeps_numbers(data_dir: Path) -> None:
    (row,) = _rows(acled_csv([_incident(data_dir)]))
    assert row["source"] == "'" + FORMULA + "; Example Wire"
    assert row["actor1"] == "'+cmd|' /C calc'!A0"
    assert row["actor2"] == "'-2+3"
    assert row["location"].startswith("'@SUM")
    assert row["notes"] == "'\t=1+1"
    assert (row["latitude"], row["longitude"]) == ("-33.45", "-70.66667")
    assert row["fatalities"] == "3"


def test_full_csv_quotes_formula_cells_and_keeps_numbers(data_dir: Path) -> None:
    (row,) = _rows(full_csv([_incident(data_dir)]))
    assert row["outlets"] == "'" + FORMULA + "; Example Wire"
    assert row["actor2"] == "'-2+3"
    assert row["grade_reason"] == "'\n=1+1"  # a bare CR would split the row
    assert (row["lat"], row["lon"], row["fatalities"]) == ("-33.45", "-70.66667", "3")
    assert row["id"] == "inc-hostile" and row["geonameid"] == "169389"


def test_csv_plain_text_is_unchanged(data_dir: Path) -> None:
    inc = {**_incident(data_dir), "outlets": ["AFP"], "actor1": "SDF", "notes": "A 'quoted' note"}
    (row,) = _rows(full_csv([inc]))
    assert (row["outlets"], row["actor1"], row["notes"]) == ("AFP", "SDF", "A 'quoted' note")


@given(st.text(max_size=40))
def test_csv_no_text_cell_starts_a_formula(text: str) -> None:
    inc = {"id": "i1", "actor1": text, "outlets": [text], "notes": text, "lon": -1.5, "lat": 2}
    acled = _rows(acled_csv([inc]))[0]
    full = _rows(full_csv([inc]))[0]
    cells = [acled["actor1"], acled["source"], acled["notes"]]
    cells += [full["actor1"], full["outlets"], full["notes"]]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        quoted = ("'" + text) if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
        assert cell == quoted.replace("\r\n", "\n").replace("\r", "\n")
    assert (acled["longitude"], full["lon"]) == ("-1.5", "-1.5")
