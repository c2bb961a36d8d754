"""Every fault a real news site has, in one poll beside a good source: each test checks
the message, the faulty source's recorded health, and that the good sources' reports
were stored anyway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from loopback import Route, Site, endless, feed_items, gzip_bomb, redirect, rss

from newsdesk.store import Store
from newsdesk.watch.config import parse_config
from newsdesk.watch.runner import poll
from newsdesk.watch.state import fetch_log, source_health

pytestmark = pytest.mark.slow
RSS = "application/rss+xml"


def _busy_then_ok(body: str):
    calls = []

    def handle(req):
        calls.append(1)
        if len(calls) == 1:
            req.send_response(429)
            req.send_header("Retry-After", "1")
            req.end_headers()
            return
        data = body.encode()
        req.send_response(200)
        req.send_header("Content-Type", RSS)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    return handle


@pytest.fixture(scope="module")
def polled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    with Site() as site, Site() as guarded:
        urls = site.serve_reports()
        site.serve("/good.xml", rss(feed_items(urls, [0, 1])), RSS)
        site.serve("/slow.xml", rss(feed_items(urls, [3])), RSS, delay_s=3)
        site.routes["/broken.xml"] = Route(status=500)
        site.routes["/busy.xml"] = Route(handler=_busy_then_ok(rss(feed_items(urls, [2]))))
        site.routes["/closed.xml"] = Route(status=503, headers={"Retry-After": "3600"})
        site.routes["/loop-a"] = redirect("/loop-b")
        site.routes["/loop-b"] = redirect("/loop-a")
        site.serve("/huge.xml", rss([(site.url("/huge.html"), "Huge", "2017-07-01")]), RSS)
        site.routes["/huge.html"] = Route(handler=endless(50 * 1024 * 1024))
        site.serve("/bomb.xml", rss([(site.url("/bomb.html"), "Bomb", "2017-07-01")]), RSS)
        site.serve("/bomb.html", gzip_bomb(100 * 1024 * 1024), "text/html",
                   headers={"Content-Encoding": "gzip"})
        site.serve("/malformed.xml", "<rss><channel><item><title>Half & <link", RSS)
        site.serve("/offsite.xml", rss(feed_items([site.url("/news/4.html", "localhost")], [0])),
                   RSS)
        guarded.serve("/robots.txt", "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.2\n",
                      "text/plain")
        guarded.serve("/feed.xml", rss([(guarded.url("/private/1.html"), "P", "2017-07-01")]),
                      RSS)
        guarded.serve("/private/1.html", "<html><body><p>secret</p></body></html>", "text/html")
        sources = {
            "Good": site.url("/good.xml"), "Slow": site.url("/slow.xml"),
            "Broken": site.url("/broken.xml"), "Busy": site.url("/busy.xml"),
            "Closed": site.url("/closed.xml"), "Loop": site.url("/loop-a"),
            "Huge": site.url("/huge.xml"), "Bomb": site.url("/bomb.xml"),
            "Malformed": site.url("/malformed.xml"), "Offsite": site.url("/offsite.xml"),
            "Private": guarded.url("/feed.xml"),
        }  # fmt: skip
        raw = {
            "watch": {"rate": 50, "timeout": 1, "retries": 1, "backoff": 0.05,
                      "max_retry_after": 2, "contact": "desk@example.org"},
            "source": [{"name": n, "feed": u} for n, u in sources.items()],
        }  # fmt: skip
        cfg = parse_config(raw, path=tmp / "watch.toml")
        db = tmp / "desk.db"
        started = datetime.now(UTC)
        summary = poll(cfg, db, out_dir=None)
        with Store.open(db) as store:
            health = {r["name"]: r for r in source_health(store)}
            log = fetch_log(store)
            stored = {a.url for a in store.iter_articles()}
        yield {"summary": summary, "health": health, "log": log, "stored": stored,
               "urls": urls, "started": started, "site": site, "guarded": guarded}


def _check(polled, name, message, *, failed):
    row = polled["health"][name]
    assert message in (row["last_error"] or ""), row
    assert row["failures"] == (1 if failed else 0)
    assert any(message in e for e in polled["summary"].errors)
    # the good sources' reports were stored all the same
    assert {polled["urls"][0], polled["urls"][1], polled["urls"][2]} <= polled["stored"]


def test_the_good_source_is_stored_and_healthy(polled):
    good = polled["health"]["Good"]
    assert good["last_error"] is None and good["failures"] == 0
    assert good["reports_found"] == 2 and good["last_success"]
    assert polled["summary"].stored == 3  # Good's two and Busy's one
    assert polled["summary"].polled == 11


def test_slow_host_times_out(polled):
    _check(polled, "Slow", "timed out after 1s (tried 2 times)", failed=True)


def test_server_errors_are_retried_then_reported(polled):
    _check(polled, "Broken", "HTTP 500 (tried 2 times)", failed=True)
    assert polled["site"].hits["/broken.xml"] == 2


def test_429_with_a_short_retry_after_is_waited_out(polled):
    busy = polled["health"]["Busy"]
    assert busy["failures"] == 0 and busy["last_error"] is None and busy["reports_found"] == 1
    assert polled["site"].hits["/busy.xml"] == 2  # asked again after the Retry-After
    assert polled["urls"][2] in polled["stored"]


def test_503_with_a_long_retry_after_moves_the_next_poll(polled):
    _check(polled, "Closed", "the server asks to wait 3600s", failed=True)
    next_poll = datetime.fromisoformat(polled["health"]["Closed"]["next_poll"])
    assert next_poll >= polled["started"] + timedelta(seconds=3590)
    assert polled["site"].hits["/closed.xml"] == 1  # no pointless retry


def test_redirect_loop_is_cut_off(polled):
    _check(polled, "Loop", "more than 5 redirects", failed=True)


def test_a_50_mb_body_is_cut_off_at_the_limit(polled):
    _check(polled, "Huge", "the limit is 10 MB", failed=False)
    (row,) = [r for r in polled["log"] if r["url"].endswith("/huge.html")]
    assert row["status"] == "failed" and "limit is 10 MB" in row["error"]


def test_a_gzip_bomb_is_cut_off(polled):
    _check(polled, "Bomb", "decompresses to more than 20 MB", failed=False)


def test_malformed_xml_is_reported(polled):
    _check(polled, "Malformed", "malformed feed XML", failed=True)


def test_robots_txt_disallow_is_obeyed(polled):
    _check(polled, "Private", "disallowed by the site's robots.txt", failed=False)
    assert polled["guarded"].hits["/private/1.html"] == 0
    assert polled["guarded"].hits["/robots.txt"] == 1


def test_feed_items_on_other_hosts_are_skipped(polled):
    _check(polled, "Offsite", "1 items on other hosts skipped", failed=False)
    assert polled["site"].hits["/news/4.html"] == 0


def test_user_agent_names_newsdesk_and_the_contact(polled):
    agents = {h.get("User-Agent") for h in polled["site"].headers_seen}
    assert agents == {"newsdesk/0.1.0 (news monitoring; +desk@example.org)"}


def test_refused_pages_are_in_the_fetch_log_with_their_reason(polled):
    reasons = {r["url"].rsplit("/", 1)[-1]: r["error"] for r in polled["log"]
               if r["status"] == "failed"}
    assert set(reasons) == {"huge.html", "bomb.html", "1.html"}
    assert "robots.txt" in reasons["1.html"]
