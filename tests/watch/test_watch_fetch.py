"""The fetcher's manners against the loopback site: conditional GET, per-host rate and
concurrency, Crawl-delay; and what a source lists (feeds, sitemaps, homepages)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from loopback import Route, Site, rss

from newsdesk.watch.config import FetchSettings, HostLimit
from newsdesk.watch.fetch import Fetcher, FetchError
from newsdesk.watch.sources import discover_feeds, normalize, read_feed, read_sitemap


def _fetch_all(settings, urls, want="html", validators=None):
    async def go():
        async with Fetcher(settings) as f:
            return await asyncio.gather(
                *(f.get(u, want, validators=validators) for u in urls), return_exceptions=True
            )

    return asyncio.run(go())


def _conditional(etag: str, body: bytes):
    def handle(req):
        if req.headers.get("If-None-Match") == etag:
            req.send_response(304)
            req.end_headers()
            return
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("ETag", etag)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    return handle


def test_conditional_get_sends_the_etag_and_reads_a_304():
    with Site() as site:
        site.routes["/f.xml"] = Route(handler=_conditional('"v7"', b"<rss></rss>"))
        (first,) = _fetch_all(FetchSettings(rate=50), [site.url("/f.xml")], "feed")
        assert (first.status, first.validators.etag) == (200, '"v7"')
        (second,) = _fetch_all(FetchSettings(rate=50), [site.url("/f.xml")], "feed",
                               validators=first.validators)
        assert second.not_modified and second.body == b""


def test_one_request_a_second_per_host_by_default_and_hosts_do_not_wait_on_each_other():
    with Site() as a, Site() as b:
        for site in (a, b):
            for n in range(3):
                site.serve(f"/{n}.html", "<p>x</p>", "text/html")
        start = time.monotonic()
        got = _fetch_all(FetchSettings(), [a.url(f"/{n}.html") for n in range(3)]
                         + [b.url(f"/{n}.html") for n in range(3)])
        took = time.monotonic() - start
    assert all(r.status == 200 for r in got)
    # robots.txt + three pages per host at 1/s: at least 3 s; one host after the other
    # would take at least 7 s
    assert 3.0 <= took < 6.5


def test_at_most_two_requests_at_once_per_host():
    active, peak, lock = [0], [0], threading.Lock()

    def slow(req):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        with lock:
            active[0] -= 1
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.send_header("Content-Length", "8")
        req.end_headers()
        req.wfile.write(b"<p>x</p>")

    with Site() as site:
        for n in range(6):
            site.routes[f"/{n}.html"] = Route(handler=slow)
        got = _fetch_all(FetchSettings(rate=100), [site.url(f"/{n}.html") for n in range(6)])
    assert all(r.status == 200 for r in got)
    assert peak[0] == 2


def test_crawl_delay_and_per_host_settings_slow_the_host_down():
    with Site() as site:
        site.serve("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", "text/plain")
        for n in range(3):
            site.serve(f"/{n}.html", "<p>x</p>", "text/html")
        start = time.monotonic()
        _fetch_all(FetchSettings(rate=100), [site.url(f"/{n}.html") for n in range(3)])
        assert time.monotonic() - start >= 0.8  # 3 pages 0.4 s apart (robots.txt set it)
        slow = FetchSettings(rate=100, hosts={"127.0.0.1": HostLimit(rate=2, concurrency=1)})
        start = time.monotonic()
        _fetch_all(slow, [site.url(f"/{n}.html") for n in range(3)])
        assert time.monotonic() - start >= 1.4  # robots.txt + 3 pages at 2 a second


def test_wrong_content_type_is_refused():
    with Site() as site:
        site.serve("/photo.jpg", b"\xff\xd8\xff", "image/jpeg")
        (err,) = _fetch_all(FetchSettings(rate=50), [site.url("/photo.jpg")])
    assert isinstance(err, FetchError)
    assert "content type 'image/jpeg' where html was expected" in str(err)


def test_robots_txt_that_fails_with_a_server_error_skips_the_host():
    with Site() as site:
        site.routes["/robots.txt"] = Route(status=500)
        site.serve("/a.html", "<p>x</p>", "text/html")
        (err,) = _fetch_all(FetchSettings(rate=50, retries=0), [site.url("/a.html")])
        assert isinstance(err, FetchError) and "robots.txt could not be read" in str(err)
        assert site.hits["/a.html"] == 0


@given(st.sampled_from(["utm_source=rss", "utm_medium=x&utm_campaign=y", "fbclid=abc"]),
       st.sampled_from(["", "#comments", "#top"]))
def test_tracking_parameters_and_fragments_do_not_make_a_new_url(tracking, fragment):
    plain = "https://news.example.org/2017/07/raqqa.html?id=7"
    assert normalize(f"https://news.example.org/2017/07/raqqa.html?id=7&{tracking}{fragment}") \
        == normalize(plain)


def test_feed_items_keep_their_dates_and_relative_links_resolve():
    feed = rss([("/a.html?utm_source=rss", "A", "2017-07-04")])
    listing = read_feed(feed.encode(), "https://news.example.org/feed.xml")
    (item,) = listing.items
    assert (item.url, item.published, item.title) == (
        "https://news.example.org/a.html", "2017-07-04", "A")


def test_not_a_feed_is_an_error():
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        read_feed(b"<html><body>hello</body></html>", "https://news.example.org/feed.xml")


def test_sitemaps_and_sitemap_indexes_list_their_pages():
    urlset = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              b"<url><loc>https://news.example.org/2017/raqqa.html</loc></url>"
              b"<url><loc>https://news.example.org/2017/mosul.html</loc></url></urlset>")
    listing = read_sitemap(urlset, "https://news.example.org/sitemap.xml")
    assert [i.url for i in listing.items] == ["https://news.example.org/2017/raqqa.html",
                                              "https://news.example.org/2017/mosul.html"]
    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
             b'sitemap/0.9"><sitemap><loc>https://news.example.org/sitemap-news.xml</loc>'
             b"</sitemap></sitemapindex>")
    nested = read_sitemap(index, "https://news.example.org/sitemap.xml")
    assert nested.items == [] and nested.sitemaps == ["https://news.example.org/sitemap-news.xml"]
    with pytest.raises(ValueError, match="not a sitemap"):
        read_sitemap(b"<html></html>", "https://news.example.org/sitemap.xml")


def test_a_homepage_names_its_feeds():
    page = ('<html><head><link rel="alternate" type="application/rss+xml" href="/wire.xml">'
            "</head><body><p>News</p></body></html>")
    assert discover_feeds(page, "https://news.example.org/") == [
        "https://news.example.org/wire.xml"]
