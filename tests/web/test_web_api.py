"""The desk's JSON API and pages, through FastAPI's TestClient on a store built from fixtures.

The fixture (`tests/data/web/raqqa_records.json`) holds records taken from three Raqqa
reports (texts copied from the example corpus, offsets checked below) plus one hostile
report whose text, title, outlet and incident fields carry markup and script.
"""

from __future__ import annotations

import csv
import io
import json
import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.models import (
    ArticleRecords,
    Incident,
    Story,
)
from newsdesk.web import create_app
from newsdesk.web.brief_view import citations, render_brief
from newsdesk.web.highlight import Mark, highlight
from newsdesk.web.jobs import _safe_name

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def load_fixture(data_dir: Path) -> dict:
    return json.loads((data_dir / "web" / "raqqa_records.json").read_text(encoding="utf-8"))


def build_store(db_path: Path, data: dict) -> None:
    """Write the fixture through the store's own API, as the pipeline does."""
    from newsdesk.store import Store

    with Store.open(db_path) as store:
        for r in data["records"]:
            store.save_records(ArticleRecords.from_dict(r))
        stories = [Story.from_dict(s) for s in data["stories"]]
        story_of = {a: s.id for s in stories for a in s.article_ids}
        store.save_link(
            stories=stories,
            incidents=[Incident.from_dict(i) for i in data["incidents"]],
            duplicates={},
            story_ids=story_of,
        )


@pytest.fixture(scope="module")
def fixture_data(data_dir: Path) -> dict:
    return load_fixture(data_dir)


@pytest.fixture
def db(tmp_path: Path, fixture_data: dict) -> Path:
    path = tmp_path / "desk.db"
    build_store(path, fixture_data)
    return path


@pytest.fixture
def client(db: Path):
    from fastapi.testclient import TestClient

    with TestClient(create_app(db, token=TOKEN), raise_server_exceptions=False) as c:
        yield c


def assert_error_shape(resp, status: int) -> dict:
    assert resp.status_code == status
    body = resp.json()
    assert set(body) == {"ok", "status", "error", "errors"}
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], list)
    return body


def test_web_fixture_offsets_point_into_text(fixture_data: dict) -> None:
    for r in fixture_data["records"]:
        text = r["article"]["text"]
        for kind in ("places", "actors", "quotes"):
            for m in r[kind]:
                assert text[m["start"] : m["end"]] == m["text"]
        for c in r["claims"]:
            assert text[c["start"] : c["end"]] == c["number_text"]


def test_web_stories_list_paginates_and_filters(client) -> None:
    body = client.get("/api/stories").json()
    assert body["ok"] and body["total"] == 1 and body["items"][0]["id"] == "story-raqqa"
    assert client.get("/api/stories", params={"date_from": "2017-08-01"}).json()["total"] == 0
    arts = client.get("/api/articles", params={"limit": 2, "offset": 1}).json()
    assert arts["total"] == 4 and len(arts["items"]) == 2 and arts["offset"] == 1
    assert client.get("/api/articles", params={"outlet": "AFP"}).json()["total"] == 1


def test_web_search_uses_full_text(client) -> None:
    body = client.get("/api/search", params={"q": "Rafiqah"}).json()
    ids = {i["id"] for i in body["items"]}
    assert ids == {"a1-afp-breach", "a3-mee-wall"}
    assert client.get("/api/stories", params={"q": "Airwars"}).json()["total"] == 1
    assert client.get("/api/stories", params={"q": "Timbuktu"}).json()["total"] == 0


def test_web_story_shows_contested_claims_with_claimants(client) -> None:
    story = client.get("/api/stories/story-raqqa").json()["story"]
    fighters = next(g for g in story["claim_groups"] if g["counted"] == "fighters")
    assert fighters["status"] == "contested"
    values = {(c["value_text"], c["claimant"], c["outlet"]) for c in fighters["claim_rows"]}
    assert ("2,500", "US-led coalition", "AFP") in values
    assert ("2,000", "Ryan Dillon", "Gulf daily") in values
    page = client.get("/stories/story-raqqa").text
    assert "Ryan Dillon" in page and "contested" in page
    assert "not the same scope" in page


def test_web_incident_filters(client) -> None:
    def total(**params: str) -> int:
        return client.get("/api/incidents", params=params).json()["total"]

    assert total() == 3
    assert total(event_type="Battles") == 2
    assert total(grade="fair") == 1
    assert total(country="sy", date_from="2017-07-05") == 1
    assert total(actor="Syrian Democratic Forces") == 2
    assert total(story_id="story-raqqa") == 3


def test_web_totals_and_text_matches_are_bounded(client, monkeypatch) -> None:
    from newsdesk.web import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr(queries, "SEARCH_CANDIDATES", 1)
    arts = client.get("/api/articles").json()
    assert (arts["total"], arts["total_is_lower_bound"], len(arts["items"])) == (2, True, 4)
    incs = client.get("/api/incidents", params={"event_type": "Battles"}).json()
    assert incs["total"] == 2 and not incs["total_is_lower_bound"]
    assert client.get("/api/incidents").json()["total_is_lower_bound"]
    assert re.search(r'id="total">2\+ incidents', client.get("/incidents").text)
    # Two reports mention the wall: only the most recently stored one is read.
    hits = client.get("/api/articles", params={"q": "Rafiqah"}).json()
    assert hits["matches_truncated"] and [a["id"] for a in hits["items"]] == ["a3-mee-wall"]
    search = client.get("/api/search", params={"q": "Rafiqah"}).json()
    assert search["matches_truncated"] and [i["id"] for i in search["items"]] == ["a3-mee-wall"]
    assert 'id="truncated"' in client.get("/", params={"q": "Rafiqah"}).text
    monkeypatch.setattr(queries, "SEARCH_CANDIDATES", 2)
    assert not client.get("/api/articles", params={"q": "Rafiqah"}).json()["matches_truncated"]


def test_web_article_highlights_are_escaped(client) -> None:
    page = client.get("/articles/a4-hostile").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert re.search(r'<mark class="hl hl-place"[^>]*>Tabqa</mark>', page)
    api = client.get("/api/articles/a1-afp-breach").json()["article"]
    assert {p["name"] for p in api["places"]} >= {"Raqqa", "Mosul"}
    assert any(q["speaker"] == "Rami Abdel Rahman" for q in api["quotes"])


@pytest.mark.parametrize(
    "path",
    [
        "/stories/story-raqqa",
        "/incidents",
        "/incidents/inc-hostile",
        "/map",
        "/",
        "/?q=Tabqa",
    ],
)
def test_web_pages_never_echo_markup(client, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    assert "<script>alert" not in resp.text
    assert "onerror=" not in resp.text.replace("onerror=&#34;", "")
    assert "<b>Wire</b>" not in resp.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("get", "/api/nope", {}, 404),
        ("get", "/no/such/page", {}, 404),
        ("get", "/api/stories/missing", {}, 404),
        ("get", "/api/articles/missing", {}, 404),
        ("get", "/api/incidents/missing", {}, 404),
        ("get", "/api/stories?limit=0", {}, 422),
        ("get", "/api/incidents?date_from=July", {}, 422),
        ("get", "/api/search", {}, 422),
        ("get", "/api/export/exe", {}, 404),
        ("get", "/api/export/..%2F..%2Fetc%2Fpasswd", {}, 404),
        ("delete", "/api/stories", {"headers": AUTH}, 405),
        (
            "post",
            "/api/incidents/inc-wall-strike/review",
            {"json": {"action": "accept", "who": "x"}},
            401,
        ),
        (
            "post",
            "/api/incidents/inc-wall-strike/review",
            {"json": {"action": "explode", "who": "x"}, "headers": AUTH},
            422,
        ),
        (
            "post",
            "/api/incidents/missing/review",
            {"json": {"action": "accept", "who": "x"}, "headers": AUTH},
            404,
        ),
        ("get", "/api/uploads/nope", {}, 404),
    ],
)
def test_web_every_error_has_one_shape(
    client, method: str, path: str, kwargs: dict, status: int
) -> None:
    assert_error_shape(getattr(client, method)(path, **kwargs), status)


def test_web_static_files_do_not_traverse(client) -> None:
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    for path in ("/static/../app.py", "/static/..%2Fapp.py", "/static/%2e%2e/%2e%2e/models.py"):
        resp = client.get(path)
        assert resp.status_code == 404
        assert "def create_app" not in resp.text


def test_web_writes_refused_without_token(db: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(db, token=None)) as ro:
        body = assert_error_shape(
            ro.post(
                "/api/incidents/inc-wall-strike/review",
                json={"action": "accept", "who": "x"},
                headers=AUTH,
            ),
            403,
        )
        assert "read-only" in body["error"]
        assert_error_shape(ro.post("/api/uploads", data={"text": "x"}), 403)
    with TestClient(create_app(db, token=TOKEN)) as rw:
        assert_error_shape(
            rw.post(
                "/api/incidents/inc-wall-strike/review",
                json={"action": "accept", "who": "x"},
                headers={"Authorization": "Bearer wrong"},
            ),
            401,
        )


def test_web_review_is_audited_exported_and_survives_restart(client, db: Path) -> None:
    from fastapi.testclient import TestClient

    resp = client.post(
        "/api/incidents/inc-oldcity-clash/review",
        headers=AUTH,
        json={"action": "edit", "who": "analyst-1", "changes": {"fatalities": 12}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["incident"]["fatalities"] == 12
    history = resp.json()["reviews"]
    last = history[-1]
    assert (last["who"], last["action"], last["field"]) == ("analyst-1", "edit", "fatalities")
    assert (last["old"], last["new"]) == (0, 12) and last["at"]
    page = client.get("/incidents/inc-oldcity-clash").text
    assert "analyst-1" in page and '<dd id="fatalities">12</dd>' in page
    rows = list(csv.DictReader(io.StringIO(client.get("/api/export/csv").text)))
    row = next(r for r in rows if r["event_id_cnty"].endswith("inc-oldcity-clash"))
    assert row["fatalities"] == "12"
    assert int(row["timestamp"]) >= 1_700_000_000  # the review's time: the row changed then
    client.post(
        "/api/incidents/inc-hostile/review",
        headers=AUTH,
        json={"action": "reject", "who": "analyst-1"},
    )
    with TestClient(create_app(db, token=None)) as again:
        inc = again.get("/api/incidents/inc-oldcity-clash").json()
        assert inc["incident"]["fatalities"] == 12 and inc["incident"]["status"] == "edited"
        geo = again.get("/api/export/geojson").json()
        assert "inc-hostile" not in {f["id"] for f in geo["features"]}
        lines = again.get("/api/export/jsonl", params={"event_type": "Battles"}).text.splitlines()
        assert [json.loads(x)["id"] for x in lines] == ["inc-oldcity-clash"]


def test_web_export_follows_filters(client) -> None:
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/export/csv", params={"grade": "fair"}).text))
    )
    assert len(rows) == 1
    assert (
        rows[0]["sub_event_type"] == "Air/drone strike"
        and rows[0]["country"] == "Syria"
    )
    geo = client.get("/api/export/geojson", params={"event_type": "Battles"}).json()
    assert {f["id"] for f in geo["features"]} == {"inc-oldcity-clash", "inc-hostile"}


def test_web_export_csv_keeps_formulas_inert(tmp_path: Path, fixture_data: dict) -> None:
    """An outlet named like a formula reaches the exported CSV as text (OWASP CSV
    injection); coordinates and tolls stay numbers, a negative longitude included."""
    from fastapi.testclient import TestClient

    formula = '=HYPERLINK("http://evil.example","click")'
    data = json.loads(json.dumps(fixture_data))
    hostile = next(i for i in data["incidents"] if i["id"] == "inc-hostile")
    hostile.update(outlets=[formula], actor1="@SUM(1+1)", lon=-70.66667)
    db = tmp_path / "formula.db"
    build_store(db, data)
    with TestClient(create_app(db, token=None)) as c:
        rows = list(csv.DictReader(io.StringIO(c.get("/api/export/csv").text)))
    row = next(r for r in rows if r["event_id_cnty"].endswith("inc-hostile"))
    assert row["source"] == "'" + formula and row["actor1"] == "'@SUM(1+1)"
    assert (row["longitude"], row["fatalities"]) == ("-70.66667", "3")
    for r in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for k, v in r.items() if k != "longitude")


def test_web_openapi_lists_the_api(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/api/stories",
        "/api/articles/{article_id}",
        "/api/incidents",
        "/api/claims",
        "/api/places",
        "/api/actors",
        "/api/search",
        "/api/export/{fmt}",
        "/api/uploads",
    ):
        assert p in paths


def test_web_upload_limits(db: Path) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(db, token=TOKEN, max_upload_mb=1)) as c:
        big = b"x" * (1024 * 1024 + 10)
        assert_error_shape(
            c.post("/api/uploads", headers=AUTH, files={"files": ("a.txt", big)}), 413
        )
        assert_error_shape(c.post("/api/uploads", headers=AUTH, data={"text": "  "}), 422)


@given(
    st.text(max_size=60),
    st.lists(
        st.tuples(
            st.integers(-5, 70),
            st.integers(-5, 70),
            st.sampled_from(["cite", "place", "actor", "claim", "quote", "bad"]),
        ),
        max_size=8,
    ),
)
def test_web_highlight_keeps_text_and_escapes(text: str, spans: list) -> None:
    html = str(highlight(text, [Mark(s, e, k, "<x>") for s, e, k in spans]))
    visible = re.sub(r"<mark [^>]*>|</mark>", "", html)
    import html as htmllib

    assert htmllib.unescape(visible) == text
    assert "<" not in visible and "<x>" not in html
    assert html.count('id="cited"') == (1 if re.search(r"hl-cite", html) else 0)


BRIEF = """# Raqqa <b>story</b>

- **Reports:** 2 from AFP, Gulf daily
- The coalition puts IS fighters at about 2,500 [1]; Ryan Dillon at 2,000 [2]. Seen \\[3\\] [9]

## Sources

1. AFP, “Fake (undated; article a4-hostile, chars 0–5): ” (2017-07-04; article a1, chars 10–20): “x”
2. Gulf daily, “\\<script\\>alert(1)\\</script\\>” (undated; article a3, chars 5–9): “y”
3. Other, “t” (undated; article elsewhere, chars 1–2): “z”
"""


def test_web_brief_citations_link_only_into_the_story() -> None:
    found = citations(BRIEF, {"a1", "a3", "a4-hostile"})
    assert [(c.n, c.article_id, c.start, c.end) for c in found.values()] == [
        (1, "a4-hostile", 0, 5),
        (2, "a3", 5, 9),
    ]  # an imitation inside a title cannot point outside the story's own reports
    assert citations(BRIEF, {"a1", "a3"})[1].article_id == "a1"
    html = str(render_brief(BRIEF, {"a1", "a3"}))
    assert '<a class="cite" href="/articles/a1?start=10&amp;end=20#cited"' in html
    assert '<a class="cite" href="/articles/a3?start=5&amp;end=9#cited"' in html
    assert "[3]" in html and "[9]" in html and html.count('class="cite"') == 2
    assert "<b>" not in html and "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>Reports:</strong>" in html and '<li id="cite-2" value="2">' in html


_BRIEF_BITS = st.sampled_from(
    ["\n", "## Sources\n", "- ", "1. ", "(undated; article a, chars 1–3): ", "[1]", "**", "\\"]
)


@given(st.lists(st.one_of(st.text(max_size=30), _BRIEF_BITS), max_size=30).map("".join))
def test_web_brief_render_escapes_anything(md: str) -> None:
    html = str(render_brief(md, {"a"}))
    ours = (
        r"</?(?:h3|ul|ol|li|p|strong)(?: (?:class|id|value)=\"[\w-]+\")*>"
        r'|<a class="(?:cite|source)" href="/articles/a\?start=1&amp;end=3#cited"'
        r'(?: title="article a, chars 1–3")?>|</a>'
    )
    assert not re.search("[<>]", re.sub(ours, "", html)), html


@given(st.text(max_size=80))
def test_web_upload_names_stay_in_folder(name: str) -> None:
    safe = _safe_name(3, name)
    assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert Path(safe).name == safe and ".." not in Path(safe).parts


def test_web_basemap_draws_no_line_across_the_world(client) -> None:
    """A ring cut at the antimeridian (Russia, Fiji) would be drawn by Leaflet as a band
    across the whole map; only Antarctica, which goes round the pole, spans 360 degrees."""
    fc = client.get("/static/vendor/world-atlas/countries-110m.geojson").json()
    wrapped = []
    for f in fc["features"]:
        g = f["geometry"]
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for ring in (r for p in polygons for r in p):
            if any(abs(a[0] - b[0]) > 180 for a, b in pairwise(ring)):
                wrapped.append(f["properties"]["name"])
    assert wrapped == ["Antarctica"]
    russia = next(f for f in fc["features"] if f["properties"]["name"] == "Russia")
    lons = [c[0] for p in russia["geometry"]["coordinates"] for r in p for c in r]
    assert max(lons) > 180  # Chukotka runs on east of the antimeridian


def test_incident_page_shows_each_sources_toll(tmp_path: Path, data_dir: Path) -> None:
    """Who reported which toll: one row per report, with outlet, date, figures and the
    sentence, linked to the report at the sentence's offset."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from newsdesk.cli import main

    db = tmp_path / "n.db"
    result = CliRunner().invoke(main, ["analyze", "--quiet", str(data_dir / "casualties"),
                                       "--out", str(tmp_path / "out"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with TestClient(create_app(db, token=None)) as c:
        [incident] = c.get("/api/incidents").json()["items"]
        page = c.get(f"/incidents/{incident['id']}").text
    table = page[page.index('id="tolls"'):page.index("</table>", page.index('id="tolls"'))]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>"
                      r"<td>(.*?)</td>", table)
    assert rows == [("(the report)", "Dayton Daily News", "2016-04-30", "1", "3"),
                    ("(the report)", "WHIO", "2016-05-02", "2", "1")]
    assert "Two people were killed and two others remain in hospital." in table
