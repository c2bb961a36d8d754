"""The desk in a real browser: Debian's chromium driven by Playwright, the server in a thread.

The flow is an analyst's: stories list → the Raqqa story and its contested figures →
review an incident with the token → export the CSV, which carries the review → the map.
A hostile report (script tags, onerror attributes) is opened on the way: no dialog may
fire and no element may be injected. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsdesk.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
TOKEN = "browser-token"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(db: Path, *, token: str | None) -> Iterator[str]:
    """Serve the desk on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    port = _free_port()
    app = create_app(db, token=token)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the desk did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def db(tmp_path: Path, data_dir: Path) -> Path:
    from test_web_api import build_store, load_fixture

    path = tmp_path / "desk.db"
    build_store(path, load_fixture(data_dir))
    return path


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    context.close()


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


def test_web_browser_analyst_flow(page, db: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running(db, token=TOKEN) as base:
        page.goto(base + "/")
        page.get_by_role("link", name="US-backed forces breach IS defences in Raqqa").click()
        page.wait_for_selector("#story")
        fighters = page.locator(".claim-group", has_text="fighters")
        assert "contested" in fighters.inner_text()
        values = fighters.locator(".claim-value").all_inner_texts()
        assert any("2,500" in v and "US-led coalition" in v for v in values)
        assert any("2,000" in v and "Ryan Dillon" in v for v in values)
        assert_nothing_injected(page)
        page.screenshot(path=str(SHOTS / "story.png"), full_page=True)

        page.goto(base + "/articles/a4-hostile")
        text = page.locator("#article-text").inner_text()
        assert '<script>alert("xss")</script>' in text and 'onerror="alert(1)"' in text
        assert page.locator("#article-text mark.hl-place", has_text="Tabqa").count() == 1
        assert_nothing_injected(page)

        page.goto(base + "/incidents/inc-oldcity-clash")
        page.fill("#who", "analyst-7")
        page.fill("#token", TOKEN)
        page.fill("input[name=fatalities]", "7")
        with page.expect_navigation():
            page.click("button[data-action=edit]")
        assert page.locator("#fatalities").inner_text() == "7"
        assert page.locator("#incident-status").inner_text() == "edited"
        assert "analyst-7" in page.locator("table.reviews").inner_text()

        page.goto(base + "/incidents?event_type=Battles")
        with page.expect_download() as dl:
            page.click("#export-csv")
        rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
        row = next(r for r in rows if r["event_id_cnty"].endswith("inc-oldcity-clash"))
        assert row["fatalities"] == "7" and {r["event_type"] for r in rows} == {"Battles"}

        page.goto(base + "/map")
        page.wait_for_selector("#map[data-markers]")
        page.wait_for_selector("#map path.leaflet-interactive, #map .marker-cluster")
        page.wait_for_function("document.querySelectorAll('#map svg path').length > 100")
        assert page.locator("#map").get_attribute("data-markers") == "3"
        page.screenshot(path=str(SHOTS / "map.png"))
        assert_nothing_injected(page)
    assert (SHOTS / "story.png").stat().st_size > 10_000
    assert (SHOTS / "map.png").stat().st_size > 10_000


def test_web_browser_read_only_after_restart(page, db: Path) -> None:
    with running(db, token=TOKEN) as base:
        status = page.request.post(
            base + "/api/incidents/inc-wall-strike/review",
            data={"action": "edit", "who": "a", "changes": {"fatalities": 2}},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).status
        assert status == 200
    with running(db, token=None) as base:
        page.goto(base + "/incidents/inc-wall-strike")
        assert page.locator("#fatalities").inner_text() == "2"
        assert page.locator("#review-form").count() == 0
        body = page.evaluate(
            """async () => {
                const r = await fetch('/api/incidents/inc-wall-strike/review', {method: 'POST',
                  headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer x'},
                  body: JSON.stringify({action: 'reject', who: 'intruder'})});
                return await r.json();
            }"""
        )
        assert body["ok"] is False and body["status"] == 403
        assert page.locator("text=read-only").count() >= 1
