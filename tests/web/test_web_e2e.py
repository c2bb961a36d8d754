"""The desk on a store the real pipeline wrote from the Raqqa reports, and a real upload."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsdesk.web import create_app

pytestmark = pytest.mark.slow

TOKEN = "e2e-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_REPORT = (
    "Shelling hits Deir ez-Zor market\n\n"
    "Government artillery shelled a market in the Syrian city of Deir ez-Zor on Monday, "
    "killing at least 12 civilians, the Syrian Observatory for Human Rights said.\n"
)


@pytest.fixture
def desk_db(raqqa_copy: Path) -> Path:
    """The session's pipeline-built Raqqa store, copied: the upload test writes to it."""
    return raqqa_copy


def test_web_e2e_raqqa_story_and_contested_figures(desk_db: Path) -> None:
    with TestClient(create_app(desk_db, token=None)) as c:
        stories = c.get("/api/stories").json()
        assert stories["total"] >= 1
        raqqa = next(s for s in stories["items"] if len(s["article_ids"]) >= 2)
        page = c.get(f"/stories/{raqqa['id']}")
        assert page.status_code == 200
        assert "contested" in page.text.lower()
        assert "2,500" in page.text or "2500" in page.text
        figures = page.text.split("Figures and who gives them", 1)[1]
        # casualty, force and displacement figures before the counts of holes and gaps
        # (by status alone, the agreed wall length and area would come before them)
        # (the breach story: with the example's dates known, the September interview that
        # gave "members trained" is a story of its own)
        assert figures.index("<h3>fighters") < figures.index("<h3>wall length")
        assert figures.index("<h3>civilians trapped") < figures.index("<h3>area")
        articles = c.get("/api/articles", params={"limit": 10}).json()
        assert articles["total"] == 5


def test_web_e2e_different_scopes_read_the_same_on_desk_brief_and_export(
    raqqa_store: Path,
) -> None:
    """The 603-vs-744 civilian deaths: different scope, each figure with its claimant, no
    grade for the pair, wherever it is read."""
    with TestClient(create_app(raqqa_store, token=None)) as c:
        story = next(s for s in c.get("/api/stories").json()["items"] if s["n_articles"] >= 2)
        full = c.get(f"/api/stories/{story['id']}").json()["story"]
        [group] = [g for g in full["claim_groups"]
                   if {v["value"] for v in g["values"]} >= {603, 744}]
        assert group["status"] == "different-scope" and group["grade"] is None
        assert {v["claimant"] for v in group["values"]} >= {"Airwars"}
        page = c.get(f"/stories/{story['id']}").text
        figures = page.split("Figures and who gives them", 1)[1]
        block = figures[: figures.index("</div>", figures.index(">different-scope<"))]
        assert "Airwars" in block and "603" in block and "744" in block
        assert "Grade: confirmed" not in full["brief_md"]
        brief = next(x for x in full["brief_md"].splitlines() if "different periods" in x)
        assert "Airwars" in brief and "603" in brief and "744" in brief


def test_web_e2e_brief_citations_open_the_cited_passage(raqqa_store: Path) -> None:
    """Every [n] of the brief opens its report with exactly the cited characters marked."""
    with TestClient(create_app(raqqa_store, token=None)) as c:
        story = next(s for s in c.get("/api/stories").json()["items"] if s["n_articles"] >= 2)
        page = c.get(f"/stories/{story['id']}").text
        hrefs = set(re.findall(r'<a class="cite" href="([^"]+)"', page))
        assert len(hrefs) >= 3
        for href in sorted(hrefs):
            m = re.fullmatch(r"/articles/(\w+)\?start=(\d+)&amp;end=(\d+)#cited", href)
            assert m, href
            text = c.get(f"/api/articles/{m[1]}").json()["article"]["text"]
            start, end = int(m[2]), int(m[3])
            assert m[1] in story["article_ids"] and 0 <= start < end <= len(text)
            view = c.get(html.unescape(href)).text
            assert view.count('id="cited"') == 1
            marked = re.findall(r"<mark [^>]*hl-cite[^>]*>(.*?)</mark>", view, flags=re.S)
            assert html.unescape("".join(marked)) == text[start:end]


def test_web_e2e_upload_is_analysed_and_stored(desk_db: Path, tmp_path: Path) -> None:
    with TestClient(create_app(desk_db, token=TOKEN)) as c:
        refused = c.post("/api/uploads", data={"text": NEW_REPORT})
        assert refused.status_code in (401, 403)
        resp = c.post("/api/uploads", headers=AUTH, data={"text": NEW_REPORT, "kind": "text"})
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job"]["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = c.get(f"/api/uploads/{job_id}").json()["job"]
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["status"] == "done", job
        assert job["done"] == job["total"] == 1
        new_id = job["article_ids"][0]
        article = c.get(f"/api/articles/{new_id}").json()
        assert "Deir ez-Zor" in str(article)
        assert c.get("/api/articles", params={"limit": 10}).json()["total"] == 6


def test_web_e2e_incident_and_story_pages_list_their_reports(raqqa_store: Path) -> None:
    """Each report with its outlet, date, title and a link to the original, not a bare id."""
    with TestClient(create_app(raqqa_store, token=None)) as c:
        air = "inc-29db668d09a5c608"  # the strikes on the wall: AFP and Middle East Eye
        page = c.get(f"/incidents/{air}").text
        reports = page.split("<h2>Reports</h2>", 1)[1].split("</section>", 1)[0]
        assert re.findall(
            r'<span class="outlet">([^<]+)</span>\s*· <time>([^<]+)</time>', reports) == [
            ("AFP", "2017-07-04"), ("Middle East Eye", "2017-07-04")]
        assert "US-backed forces breach IS defences in heart of Syria&#39;s Raqa" in reports
        assert 'href="https://www.middleeasteye.net/news/us-backed-forces-breach-wall-' in reports
        story = next(s for s in c.get("/api/stories").json()["items"] if s["n_articles"] == 3)
        page = c.get(f"/stories/{story['id']}").text
        reports = page.split("<h2>Reports</h2>", 1)[1]
        assert re.findall(r'<span class="outlet">([^<]+)</span>', reports) == [
            "AFP", "Middle East Eye", "Arab News"]
