"""The desk's side of the watcher: notifications (list, mark read, live stream, unread count
in every page's header) and the sources page, on the pipeline-built Raqqa store.

Alerts are raised by `watch.alerts.run_alerts` as the watcher raises them; source health is
written by `watch.state` as the watcher writes it. The live stream is read from a real
server on 127.0.0.1, since Server-Sent Events never end by themselves.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from desk_server import serving
from fastapi.testclient import TestClient

from newsdesk.store import Store
from newsdesk.watch import state
from newsdesk.watch.alerts import Alert, parse_alerts, run_alerts
from newsdesk.watch.config import load_config
from newsdesk.web import create_app

pytestmark = pytest.mark.slow
TOKEN = "alerts-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def db(raqqa_copy: Path) -> Path:
    return raqqa_copy


def raise_alerts(db: Path, tmp_path: Path, *tables: dict) -> list[Alert]:
    rules = parse_alerts(list(tables), path=tmp_path / "watch.toml", smtp=None)
    with Store.open(db) as store:
        return run_alerts(store, rules, smtp=None, desk_url="http://desk.example")


RAQQA = {"name": "Raqqa", "place": "Raqqa", "radius_km": 50, "deliver": ["desk"]}
CONTESTED = {"name": "Contested", "contested": True, "deliver": ["desk", "stdout"]}
NOT_ON_DESK = {"name": "Elsewhere", "country": "SY", "deliver": ["jsonl:a.jsonl"]}


def unread_in_header(html: str) -> int:
    found = re.search(r'<span id="unread-count" class="badge[^"]*"[^>]*>(\d+)</span>', html)
    assert found, "no unread count in the header"
    return int(found.group(1))


def test_alerts_api_lists_desk_alerts_newest_first(db: Path, tmp_path: Path) -> None:
    raised = raise_alerts(db, tmp_path, RAQQA, CONTESTED, NOT_ON_DESK)
    client = TestClient(create_app(db, token=TOKEN))
    body = client.get("/api/alerts").json()
    on_desk = [a for a in raised if a.rule != "Elsewhere"]
    assert body["ok"] and body["total"] == body["unread"] == len(on_desk) == 4
    seqs = [a["seq"] for a in body["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert {a["id"] for a in body["items"]} == {a.id for a in on_desk}
    story = next(a for a in body["items"] if a["kind"] == "story")
    assert story["link"] == f"/stories/{story['subject_id']}" and story["rule"] == "Contested"
    assert "contested figure" in story["summary"] and story["read_at"] is None
    page = client.get("/api/alerts", params={"limit": 1, "offset": 1}).json()
    assert [a["seq"] for a in page["items"]] == seqs[1:2]
    bad = client.get("/api/alerts", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["ok"] is False and bad.json()["errors"]


def test_unread_count_in_every_header_and_mark_read(db: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(db, token=TOKEN))
    assert unread_in_header(client.get("/").text) == 0
    raised = raise_alerts(db, tmp_path, RAQQA, CONTESTED)
    for path in ("/", "/incidents", "/map", "/alerts", "/sources",
                 f"/incidents/{raised[0].subject_id}"):
        assert unread_in_header(client.get(path).text) == 4, path
    refused = client.post("/api/alerts/read", json={"ids": [raised[0].id]})
    assert refused.status_code == 401 and refused.json()["ok"] is False
    assert client.post("/api/alerts/read", json={"ids": "all"}, headers=AUTH).status_code == 422
    one = client.post("/api/alerts/read", json={"ids": [raised[0].id, "al-nosuch"]}, headers=AUTH)
    assert one.json() == {"ok": True, "marked": 1, "unread": 3}
    assert unread_in_header(client.get("/").text) == 3
    assert [a["id"] for a in client.get("/api/alerts?unread=true").json()["items"]] == [
        a.id for a in reversed(raised[1:])
    ]
    page = client.get("/alerts").text
    assert page.count('class="alert-item unread"') == 3 and page.count('class="alert-item"') == 1
    everything = client.post("/api/alerts/read", json={"ids": None}, headers=AUTH).json()
    assert everything == {"ok": True, "marked": 3, "unread": 0}
    assert unread_in_header(client.get("/").text) == 0


def test_notifications_page_escapes_and_links(db: Path, tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>\nOld City'
    with Store.open(db) as store:
        store.review_incident("inc-f8143b367c9af3ef", action="edit", who="analyst",
                              changes={"location": hostile})
    raised = raise_alerts(db, tmp_path, RAQQA)
    html = TestClient(create_app(db, token=None)).get("/alerts").text
    assert 'href="/incidents/inc-29db668d09a5c608"' in html
    assert "Raqqa: Air/drone strike in Ar Raqqah" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)" in html
    (ied,) = [a for a in raised if a.subject_id == "inc-f8143b367c9af3ef"]
    # a renamed place keeps its region: only a move (lat, lon) re-derives it
    assert "\n" not in ied.summary
    assert '</script> Old City, Ar-Raqqah, SY on 2017-07-04 (Islamic State)' in ied.summary
    assert "mark-all-read" not in html  # a read-only desk cannot mark anything


@contextmanager
def running(db: Path) -> Iterator[str]:
    """The desk with a fast alert poll, served for real (the stream needs a socket)."""
    app = create_app(db, token=TOKEN, alert_poll_s=0.1)
    with serving(app, timeout_graceful_shutdown=1) as port:
        yield f"http://127.0.0.1:{port}"


def read_events(url: str, headers: dict[str, str], events: queue.Queue, stop: threading.Event
                ) -> None:
    """Parse the stream into (event, id, data) tuples until `stop` is set (the server's
    shutdown then cuts the stream)."""
    try:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            current: dict[str, str] = {}
            for line in response.iter_lines():
                if not line:
                    if "data" in current:
                        events.put((current.get("event"), current.get("id"),
                                    json.loads(current["data"])))
                    current = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(":")
                    current[key] = value.removeprefix(" ")
    except httpx.HTTPError:
        if not stop.is_set():
            raise


def next_event(events: queue.Queue, kind: str) -> tuple[str | None, dict]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        event, event_id, data = events.get(timeout=max(0.1, deadline - time.monotonic()))
        if event == kind:
            return event_id, data
    raise AssertionError(f"no {kind} event")


def test_stream_delivers_a_new_alert_and_unread_changes(db: Path, tmp_path: Path) -> None:
    with running(db) as base:
        events: queue.Queue = queue.Queue()
        stop = threading.Event()
        reader = threading.Thread(
            target=read_events, args=(f"{base}/api/alerts/stream", {}, events, stop), daemon=True
        )
        reader.start()
        assert next_event(events, "unread")[1] == {"unread": 0}
        (alert,) = raise_alerts(db, tmp_path, {"name": "Clash", "event_type": "Battles",
                                               "deliver": ["desk"]})
        event_id, data = next_event(events, "alert")
        assert data["alert"]["id"] == alert.id and data["unread"] == 1
        assert data["alert"]["link"] == f"/incidents/{alert.subject_id}"
        assert event_id == str(data["alert"]["seq"])
        assert next_event(events, "unread")[1] == {"unread": 1}
        httpx.post(f"{base}/api/alerts/read", json={"ids": None}, headers=AUTH).raise_for_status()
        assert next_event(events, "unread")[1] == {"unread": 0}
        stop.set()


def test_stream_resumes_after_last_event_id(db: Path, tmp_path: Path) -> None:
    first, *rest = raise_alerts(db, tmp_path, RAQQA)
    with Store.open(db) as store:
        seq = store._conn.execute("SELECT seq FROM alerts WHERE id = ?", (first.id,)).fetchone()[0]
    with running(db) as base:
        events: queue.Queue = queue.Queue()
        stop = threading.Event()
        threading.Thread(target=read_events, daemon=True, args=(
            f"{base}/api/alerts/stream", {"Last-Event-ID": str(seq)}, events, stop)).start()
        got = [next_event(events, "alert")[1]["alert"]["id"] for _ in rest]
        stop.set()
    assert got == [a.id for a in rest]


def test_sources_page_and_api_show_each_sources_health(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "watch.toml"
    config.write_text(
        '[[source]]\nname = "Wire"\nfeed = "http://127.0.0.1:9/wire.xml"\n\n'
        '[[source]]\nname = "Drop"\nfolder = "drop"\n',
        encoding="utf-8",
    )
    (tmp_path / "drop").mkdir()
    sources = load_config(config).sources
    later = datetime.now(UTC) + timedelta(minutes=15)
    with Store.open(db) as store:
        state.register_sources(store, sources)
        state.record_poll(store, "Wire", next_poll=later, found=0, ok=False,
                          error="http://127.0.0.1:9/wire.xml: connection refused")
        state.record_poll(store, "Drop", next_poll=later, found=3, ok=True, error=None)
    client = TestClient(create_app(db, token=None))
    items = {s["name"]: s for s in client.get("/api/sources").json()["items"]}
    assert items["Wire"]["failures"] == 1 and "connection refused" in items["Wire"]["last_error"]
    assert items["Drop"]["reports_found"] == 3 and items["Drop"]["last_success"]
    html = client.get("/sources").text
    assert html.count('<tr class="failing">') == 1 and html.count('<tr class="healthy">') == 1
    assert "connection refused" in html and 'href="http://127.0.0.1:9/wire.xml"' in html
    assert later.isoformat(timespec="seconds") in html


CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_notifications_page_live_in_chromium(db: Path, tmp_path: Path) -> None:
    """An analyst has the notifications page open; the watcher raises alerts; they appear
    without a reload, the header counts them, and marking one read counts it down."""
    from playwright.sync_api import expect, sync_playwright

    with running(db) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        console: list[str] = []  # the desk's CSP must not block its own stream or scripts
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(base + "/alerts")
        expect(page.locator("#unread-count")).to_have_text("0")
        expect(page.locator("#no-alerts")).to_be_visible()
        page.wait_for_timeout(500)  # the stream is open
        raised = raise_alerts(db, tmp_path, RAQQA, CONTESTED)
        items = page.locator("#alerts .alert-item")
        expect(items).to_have_count(4)
        expect(page.locator("#unread-count")).to_have_text("4")
        expect(page.locator("#alerts-total")).to_have_text("4")
        expect(page.locator("#no-alerts")).to_have_count(0)
        # newest first, as the page itself lists them
        assert items.first.get_attribute("data-id") == raised[-1].id
        page.fill("#who", "analyst-7")
        page.fill("#token", TOKEN)
        items.nth(1).locator(".mark-read").click()
        expect(page.locator("#unread-count")).to_have_text("3")
        expect(page.locator("#alerts .alert-item.unread")).to_have_count(3)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)
        items.first.locator(".alert-summary").click()
        page.wait_for_url(f"{base}/stories/*")
        expect(page.locator("#unread-count")).to_have_text("3")
        assert dialogs == []
        assert not [m for m in console if "Content Security Policy" in m], console
        browser.close()
