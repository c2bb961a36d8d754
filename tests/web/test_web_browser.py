"""The desk in a real browser: Debian's chromium driven by Playwright, the server in a thread.

Everything runs on what the real pipeline wrote from the bundled Raqqa example (the
session's `raqqa_store`, copied per test since the tests write to it). The flow is an
analyst's: stories list → the story carrying reports 001 and 003 and its contested IS
fighter figures → a brief citation, which opens the cited passage → review two incidents
with the token (edit fatalities, reject another) → export the CSV from the page, which
carries the review → the map. A hostile report (script tags, onerror attributes) is added
through the desk's own upload page and opened: no dialog may fire and no element may be
injected. Screenshots of the story page and the map go to artifacts/screenshots/.
Every page runs under the desk's Content-Security-Policy: a page that logs a violation (a
blocked script, style, image or connection) fails its test.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from desk_server import serving

from newsdesk.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TOKEN = "browser-token"
HOSTILE_REPORT = (
    'Clashes near Tabqa <script>alert("title")</script>\n\n'
    "Fighters of the Syrian Democratic Forces clashed with Islamic State militants near "
    'the Syrian town of Tabqa on Sunday. <script>alert("xss")</script> A witness said '
    '<img src=x onerror="alert(1)"> that at least 4 fighters were killed, and '
    '<b onmouseover="alert(2)">bold</b> claims followed.\n'
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@contextmanager
def running(db: Path, *, token: str | None, **options: Any) -> Iterator[str]:
    """Serve the desk on a free loopback port in a thread; yields its base URL."""
    with serving(create_app(db, token=token, **options)) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def db(raqqa_copy: Path) -> Path:
    return raqqa_copy


def csp_violations(page) -> list[str]:
    """What the page's policy blocked so far, from the page's own violation events and its
    console (a violation in a page since navigated away from is only in the console)."""
    events = page.evaluate("window.__csp")
    logged = [m for m in page.console_errors if "Content Security Policy" in m]
    return events + logged


def story_of_reports(db: Path, *prefixes: str) -> str:
    """The story the pipeline put the given example reports in (by file name prefix)."""
    with closing(sqlite3.connect(db)) as conn:
        ids = {
            conn.execute(
                "SELECT story_id FROM articles WHERE instr(source, ?)", (f"/{p}_",)
            ).fetchone()[0]
            for p in prefixes
        }
    assert len(ids) == 1 and None not in ids, f"reports {prefixes} are in stories {ids}"
    return ids.pop()


def assert_nothing_injected(page) -> None:
    """Only the desk's own scripts, no element carrying an inline event handler."""
    srcs = page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))")
    assert all(s and s.startswith("/static/") for s in srcs), srcs
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('*')].filter(e => [...e.attributes]"
        ".some(a => a.name.startsWith('on'))).length"
    )
    assert handlers == 0
    assert page.locator("img[src='x'], b").count() == 0
    assert page.dialogs == []
    assert csp_violations(page) == []


def cited_text(page, base: str, href: str) -> str:
    """The characters a citation link points at, read from the API."""
    url = urlparse(href)
    query = parse_qs(url.query)
    text = page.request.get(base + "/api" + url.path).json()["article"]["text"]
    return text[int(query["start"][0]) : int(query["end"][0])]


def login(page) -> None:
    page.fill("#who", "analyst-7")
    page.fill("#token", TOKEN)


def review(page, base: str, incident_id: str, action: str, fatalities: str = "") -> None:
    page.goto(f"{base}/incidents/{incident_id}")
    if action == "edit":
        page.fill("input[name=fatalities]", fatalities)
    with page.expect_navigation():
        page.click(f"button[data-action={action}]")
    assert page.locator("#incident-status").inner_text() == {"edit": "edited"}.get(
        action, action + "ed"
    )
    assert "analyst-7" in page.locator("table.reviews").inner_text()


def test_web_browser_analyst_flow(page, db: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    story_id = story_of_reports(db, "001", "003")
    with running(db, token=TOKEN) as base:
        page.goto(base + "/")
        page.click(f"a.story-title[href='/stories/{story_id}']")
        page.wait_for_selector("#story")
        fighters = page.locator(".claim-group.status-contested", has_text="2,500").filter(
            has_text="2,000"
        )
        assert fighters.count() >= 1
        group = fighters.first
        assert "fighters" in group.locator("h3").inner_text()
        values = group.locator(".claim-value strong").all_inner_texts()
        assert any("2,500" in v for v in values) and any("2,000" in v for v in values)
        assert_nothing_injected(page)
        page.screenshot(path=str(SHOTS / "story.png"), full_page=True)

        # The brief's citation for the 2,000 figure opens that report at the cited passage.
        line = page.locator(".brief-body li", has_text="2,000").filter(has=page.locator("a.cite"))
        cite = line.first.locator("a.cite", has_text=re.compile(r"^\[\d+\]$"))
        hrefs = cite.evaluate_all("els => els.map(e => e.getAttribute('href'))")
        target = next(h for h in hrefs if "2,000" in cited_text(page, base, h))
        page.click(f".brief-body a.cite[href='{target}']")
        page.wait_for_selector("#article-text")
        assert urlparse(page.url).path == urlparse(target).path
        cited = page.locator("#article-text mark.hl-cite")
        assert "2,000" in "".join(cited.all_inner_texts())
        assert page.locator("#cited").is_visible()
        assert page.evaluate("document.getElementById('cited').getBoundingClientRect().top") < 900
        assert_nothing_injected(page)

        incidents = page.request.get(f"{base}/api/incidents?story_id={story_id}").json()
        assert incidents["total"] >= 2
        edited, rejected = (i["id"] for i in incidents["items"][:2])
        page.goto(base + "/")
        login(page)
        review(page, base, edited, "edit", "7")
        assert page.locator("#fatalities").inner_text() == "7"
        review(page, base, rejected, "reject")

        page.goto(f"{base}/incidents?story_id={story_id}")
        assert page.locator(f"tr.incident-row[data-id='{rejected}']").count() == 0
        row = page.locator(f"tr.incident-row[data-id='{edited}']")
        assert row.locator("td.fatalities").inner_text() == "7"
        with page.expect_download() as dl:
            page.click("#export-csv")
        body = Path(dl.value.path()).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(body)))
        assert len(rows) == incidents["total"] - 1
        assert next(r for r in rows if r["event_id_cnty"].endswith(edited))["fatalities"] == "7"
        assert not any(r["event_id_cnty"].endswith(rejected) for r in rows)

        located = [
            i
            for i in page.request.get(f"{base}/api/incidents?story_id={story_id}").json()["items"]
            if i.get("lat") is not None
        ]
        page.goto(f"{base}/map?story_id={story_id}")
        page.wait_for_selector("#map[data-markers]")
        page.wait_for_selector("#map path.leaflet-interactive, #map .marker-cluster")
        page.wait_for_selector("#map[data-basemap-layers]")
        assert int(page.locator("#map").get_attribute("data-markers")) == len(located) > 0
        page.screenshot(path=str(SHOTS / "map.png"))
        assert_nothing_injected(page)
    assert (SHOTS / "story.png").stat().st_size > 10_000
    assert (SHOTS / "map.png").stat().st_size > 10_000


def test_web_browser_hostile_report_uploaded_and_shown_inert(page, db: Path) -> None:
    with running(db, token=TOKEN) as base:
        page.goto(base + "/add")
        login(page)
        page.fill("textarea[name=text]", HOSTILE_REPORT)
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#upload-errors a", timeout=60_000)
        assert page.locator("#upload-status").inner_text().startswith("done")
        page.click("#upload-errors a")
        page.wait_for_selector("#article-text")
        text = page.locator("#article-text").inner_text()
        assert '<script>alert("xss")</script>' in text and 'onerror="alert(1)"' in text
        assert page.locator("#article-text mark.hl-place", has_text="Tabqa").count() >= 1
        assert_nothing_injected(page)
        page.goto(base + "/?q=Tabqa")
        assert_nothing_injected(page)


def test_web_browser_read_only_after_restart(page, db: Path) -> None:
    with running(db, token=TOKEN) as base:
        incident = page.request.get(base + "/api/incidents?limit=1").json()["items"][0]["id"]
        status = page.request.post(
            f"{base}/api/incidents/{incident}/review",
            data={"action": "edit", "who": "a", "changes": {"fatalities": 2}},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).status
        assert status == 200
    with running(db, token=None) as base:
        page.goto(f"{base}/incidents/{incident}")
        assert page.locator("#fatalities").inner_text() == "2"
        assert page.locator("#review-form").count() == 0
        body = page.evaluate(
            """async (id) => {
                const r = await fetch('/api/incidents/' + id + '/review', {method: 'POST',
                  headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer x'},
                  body: JSON.stringify({action: 'reject', who: 'intruder'})});
                return await r.json();
            }""",
            incident,
        )
        assert body["ok"] is False and body["status"] == 403
        assert page.locator("text=read-only").count() >= 1


def test_web_browser_review_queue_by_keyboard(page, db: Path) -> None:
    with running(db, token=TOKEN) as base:
        queue = page.request.get(base + "/api/incidents?status=machine&limit=500").json()
        first, second = (i["id"] for i in queue["items"][:2])
        page.goto(base + "/incidents?status=machine&limit=500")
        login(page)
        page.locator("h1").click()  # out of the reviewer fields: keys act outside them
        page.keyboard.press("j")
        assert page.locator("tr.incident-row.selected").get_attribute("data-id") == first
        page.keyboard.press("a")
        page.wait_for_selector(f"tr.incident-row[data-id='{first}'] .tag.status-accepted")
        assert page.locator("tr.incident-row.selected").get_attribute("data-id") == second
        page.keyboard.press("x")
        page.wait_for_selector(f"tr.incident-row[data-id='{second}'] .tag.status-rejected")
        left = page.request.get(base + "/api/incidents?status=machine&limit=500").json()
        assert left["total"] == queue["total"] - 2
        trail = page.request.get(f"{base}/api/incidents/{first}").json()["reviews"]
        assert (trail[-1]["who"], trail[-1]["action"]) == ("analyst-7", "accept")

        # an impossible edit is refused on the page, its field marked, nothing stored
        third = queue["items"][2]["id"]
        page.goto(f"{base}/incidents/{third}")
        page.fill("input[name=lat]", "135")
        page.click("button[data-action=edit]")
        page.wait_for_selector("#review-result.error")
        assert "lat" in page.locator("#review-result").inner_text()
        assert page.locator("input[name=lat].invalid").count() == 1
        assert page.request.get(f"{base}/api/incidents/{third}").json()["reviews"] == []
        assert_nothing_injected(page)


def test_web_browser_docs_render_offline(page, db: Path) -> None:
    with running(db, token=None) as base:
        elsewhere: list[str] = []

        def only_the_desk(route) -> None:
            if route.request.url.startswith(base) or route.request.url.startswith("blob:"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_desk)
        page.goto(base + "/docs")
        page.wait_for_selector("h2:has-text('Api Incidents')", timeout=30_000)
        assert page.locator("h1", has_text="newsdesk").count() >= 1
        assert elsewhere == []
        assert page.dialogs == []


def test_web_browser_every_page_runs_under_the_policy(page, db: Path) -> None:
    story_id = story_of_reports(db, "001", "003")
    with running(db, token=TOKEN) as base:
        incident = page.request.get(base + "/api/incidents?limit=1").json()["items"][0]["id"]
        article = page.request.get(base + "/api/articles?limit=1").json()["items"][0]["id"]
        paths = [
            "/", "/incidents", f"/incidents/{incident}", f"/stories/{story_id}",
            f"/articles/{article}", "/map", "/alerts", "/sources", "/add", "/no/such/page",
        ]  # fmt: skip
        for path in paths:
            resp = page.goto(base + path)
            policy = resp.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
            if path == "/map":
                page.wait_for_selector("#map[data-basemap-layers]")
            page.wait_for_load_state("networkidle")
            assert csp_violations(page) == [], path
        # The check can fail: what an injection would add is blocked and recorded.
        page.goto(base + "/")
        page.evaluate(
            """() => {
                const s = document.createElement("script");
                s.textContent = "window.ran = true";
                document.body.appendChild(s);
                document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
            }"""
        )
        page.wait_for_function("window.__csp.length >= 2")
        assert page.evaluate("window.ran") is None
        blocked = csp_violations(page)
        assert any(v.startswith("script-src") for v in blocked), blocked
        assert any(v.startswith("style-src") for v in blocked), blocked
        page.console_errors.clear()


def test_web_browser_upload_over_the_limit_is_refused_before_sending(page, db: Path) -> None:
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    with running(db, token=TOKEN, max_upload_mb=1) as base:
        page.goto(base + "/add")
        assert "up to 1 MB" in page.locator("main").inner_text()
        login(page)
        page.fill("textarea[name=text]", "Report title\n\n" + "é" * 530_000)  # 1,060,016 bytes sent
        page.click("#upload-form button[type=submit]")
        status = page.locator("#upload-status")
        assert status.inner_text() == (
            "upload too large: the limit is 1 MB for files and pasted text together"
        )
        assert status.get_attribute("class") == "error"
        assert posts == []
        assert_nothing_injected(page)
