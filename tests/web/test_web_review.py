"""Review through the desk: unsound edits refused with the field named, sound ones exported,
the review queue, the actor filter by any alias, unknown parameters and the offline /docs.

The store is the one `test_web_api` builds from `tests/data/web/raqqa_records.json`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from newsdesk.web import create_app
from tests.web.test_web_api import AUTH, TOKEN, assert_error_shape, build_store, load_fixture


@pytest.fixture
def client(tmp_path: Path, data_dir: Path):
    from fastapi.testclient import TestClient

    db = tmp_path / "desk.db"
    build_store(db, load_fixture(data_dir))
    with TestClient(create_app(db, token=TOKEN), raise_server_exceptions=False) as c:
        yield c


def edit(client, incident_id: str, changes: dict, **extra):
    return client.post(
        f"/api/incidents/{incident_id}/review",
        headers=AUTH,
        json={"action": "edit", "who": "analyst-2", "changes": changes, **extra},
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_date": "2031-02-30"}, "event_date"),
        ({"lat": 135}, "lat"),
        ({"lon": 200.5}, "lon"),
        ({"fatalities_low": 7, "fatalities_high": 2}, "fatalities_low"),
        ({"injured": 4, "injured_high": 1}, "injured"),
        ({"event_type": "Protests", "sub_event_type": "Armed clash"}, "sub_event_type"),
        ({"event_type": "Protests"}, "sub_event_type"),
        ({"actor2_id": "no-such-group"}, "actor2_id"),
        ({"civilian_targeting": "maybe"}, "civilian_targeting"),
        ({"status": "accepted"}, "status"),
    ],
)
def test_web_review_refuses_unsound_edit_naming_the_field(client, changes, field) -> None:
    before = client.get("/api/incidents/inc-oldcity-clash").json()
    body = assert_error_shape(edit(client, "inc-oldcity-clash", changes), 422)
    assert field in body["error"]
    assert field in [e["field"] for e in body["errors"]]
    assert client.get("/api/incidents/inc-oldcity-clash").json() == before
    assert before["reviews"] == []


def test_web_sound_edit_is_in_every_export(client) -> None:
    resp = edit(client, "inc-oldcity-clash", {
        "event_date": "2017-07-03", "sub_event_type": "Attack", "fatalities_low": 4,
        "fatalities": 5, "fatalities_high": 9, "lat": 35.8376, "lon": 38.5483,
        "civilian_targeting": True, "actor1_id": "sdf", "notes": "Fighters fired on a queue.",
    }, note="checked against the SOHR count")  # fmt: skip
    assert resp.status_code == 200, resp.text
    inc = resp.json()["incident"]
    assert (inc["event_type"], inc["date_precision"]) == ("Violence against civilians", "day")
    # the move to Tabqa brought its town, governorate and GeoNames id, and said so
    assert (inc["location"], inc["admin1"], inc["geonameid"]) == ("Al-Tabqa", "Ar-Raqqah", 172374)
    trail = {r["field"]: r for r in resp.json()["reviews"]}
    assert trail["fatalities"]["note"] == "checked against the SOHR count"
    assert "Al-Tabqa" in trail["geonameid"]["note"] and trail["location"]["old"] == "Raqqa"
    assert trail["event_type"]["new"] == "Violence against civilians"

    rows = list(csv.DictReader(io.StringIO(client.get("/api/export/csv").text)))
    row = next(r for r in rows if r["event_id_cnty"].endswith("-inc-oldcity-clash"))
    assert (row["event_date"], row["time_precision"], row["year"]) == ("2017-07-03", "1", "2017")
    assert (row["event_type"], row["sub_event_type"], row["disorder_type"]) == (
        "Violence against civilians", "Attack", "Political violence")
    assert (row["fatalities"], row["location"], row["admin1"]) == ("5", "Al-Tabqa", "Ar-Raqqah")
    assert (float(row["latitude"]), float(row["longitude"])) == (35.8376, 38.5483)
    assert row["notes"] == "Fighters fired on a queue."

    geo = client.get("/api/export/geojson").json()
    feature = next(f for f in geo["features"] if f["id"] == "inc-oldcity-clash")
    assert feature["geometry"]["coordinates"] == [38.5483, 35.8376]
    assert feature["properties"]["sub_event_type"] == "Attack"
    assert feature["properties"]["fatalities"] == 5

    lines = [json.loads(x) for x in client.get("/api/export/jsonl").text.splitlines()]
    item = next(x for x in lines if x["id"] == "inc-oldcity-clash")
    assert (item["fatalities_low"], item["fatalities_high"]) == (4, 9)
    assert item["civilian_targeting"] is True and item["status"] == "edited"
    assert item["geonameid"] == 172374


def test_web_review_queue_by_status(client) -> None:
    def ids(**params: str) -> set[str]:
        return {i["id"] for i in client.get("/api/incidents", params=params).json()["items"]}

    everything = {"inc-wall-strike", "inc-oldcity-clash", "inc-hostile"}
    assert ids(status="machine") == everything
    for incident_id, action in (("inc-wall-strike", "accept"), ("inc-hostile", "reject")):
        resp = client.post(f"/api/incidents/{incident_id}/review", headers=AUTH,
                           json={"action": action, "who": "analyst-2"})  # fmt: skip
        assert resp.status_code == 200, resp.text
    assert ids(status="machine") == {"inc-oldcity-clash"}
    assert ids(status="accepted") == {"inc-wall-strike"}
    assert ids(status="rejected") == {"inc-hostile"}  # asked for, so listed though hidden
    assert ids() == {"inc-wall-strike", "inc-oldcity-clash"}
    assert_error_shape(client.get("/api/incidents", params={"status": "pending"}), 422)
    page = client.get("/incidents", params={"status": "machine"}).text
    assert "inc-oldcity-clash" in page and "inc-wall-strike" not in page
    assert 'id="review-keys"' in page and "<kbd>a</kbd> accept" in page
    assert "<kbd>x</kbd> reject" in page
    assert 'href="/api/export/csv?status=machine' in page


@pytest.mark.parametrize("name", ["ISIS", "Daesh", "islamic state", "ISLAMIC STATE", "is"])
def test_web_actor_filter_takes_any_alias(client, name: str) -> None:
    body = client.get("/api/incidents", params={"actor": name}).json()
    assert {i["id"] for i in body["items"]} == {"inc-wall-strike", "inc-oldcity-clash"}
    assert "suggestions" not in body


def test_web_actor_filter_suggests_when_nothing_matches(client) -> None:
    assert client.get("/api/incidents", params={"actor": "sdf"}).json()["total"] == 2
    body = client.get("/api/incidents", params={"actor": "Syrain Democratik Forces"}).json()
    assert body["total"] == 0
    assert body["suggestions"][0]["actor"] == "sdf"
    assert client.get("/api/incidents", params={"actor": body["suggestions"][0]["actor"]}
                      ).json()["total"] == 2  # fmt: skip
    page = client.get("/incidents", params={"actor": "Syrain Democratik Forces"}).text
    assert 'id="actor-suggestions"' in page and 'href="/incidents?actor=sdf"' in page


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/incidents", {"contry": "SY"}, "contry"),
        ("/api/stories", {"q": "Raqqa", "sort": "date"}, "sort"),
        ("/api/export/csv", {"evnt_type": "Battles"}, "evnt_type"),
        ("/api/search", {"q": "Raqqa", "page": "2"}, "page"),
        ("/api/alerts", {"unreed": "1"}, "unreed"),
    ],
)
def test_web_unknown_query_parameters_are_named(client, path, params, named) -> None:
    body = assert_error_shape(client.get(path, params=params), 422)
    assert f"unknown query parameter {named}" in body["error"]
    assert [e["field"] for e in body["errors"]] == [named]
    known = {k: v for k, v in params.items() if k != named}
    assert client.get(path, params=known).status_code == 200


def test_web_docs_work_offline(client) -> None:
    page = client.get("/docs").text
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", page)
    assert scripts == ["/static/vendor/redoc/redoc.standalone.js"]
    assert "http" not in page  # no font, script or style from anywhere else
    assert client.get(scripts[0]).status_code == 200
    assert 'spec-url="/openapi.json"' in page
    assert "/api/incidents" in client.get("/openapi.json").json()["paths"]
    listing = client.get("/docs/endpoints").text
    assert 'id="get-/api/incidents"' in listing and "one of machine, accepted, edited" in listing
    assert "<script src=\"http" not in listing
    assert client.get("/redoc").status_code == 404
