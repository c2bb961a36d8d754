"""What a source lists: the page URLs in a feed, a sitemap, a URL list or a homepage.

Feeds are read with feedparser (already the ingest stage's feed reader) because the
watcher needs each item's date, which trafilatura's link extractor drops; trafilatura's
own helpers recognise a feed (`is_potential_feed`), find a homepage's feeds
(`determine_feed`) and read sitemaps (`SitemapObject`, fed with what our polite fetcher
fetched instead of fetching by itself). courlan normalises every URL, so the same report
linked as `...?utm_source=rss` from one feed and plainly from another is one URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urldefrag, urljoin, urlsplit

import courlan
import feedparser
from trafilatura.feeds import FeedParameters, determine_feed, is_potential_feed
from trafilatura.sitemaps import SitemapObject

MAX_ITEMS = 1000  # per feed, sitemap or list: an outlet's index, not a crawl


@dataclass(frozen=True, slots=True)
class Item:
    """A page a source lists, with what the listing says about it."""

    url: str
    published: str | None = None  # YYYY-MM-DD from the feed item, if it gave one
    title: str | None = None


@dataclass(slots=True)
class Listing:
    items: list[Item]
    problem: str | None = None  # read, but not cleanly (malformed XML recovered from)
    sitemaps: list[str] | None = None  # a sitemap index: the sitemaps it points to


def normalize(url: str) -> str:
    """The one spelling of a URL: courlan's normalisation with tracking parameters
    (utm_*, fbclid, ...) dropped, and no #fragment."""
    cleaned = courlan.clean_url(url) or url
    try:
        cleaned = courlan.normalize_url(cleaned, strict=True)
    except (ValueError, AttributeError):
        return urldefrag(cleaned).url
    return urldefrag(cleaned).url


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def read_feed(body: bytes, url: str) -> Listing:
    """Items of an RSS/Atom feed. Raises ValueError when it is not a feed at all."""
    head = body[:2048].decode("utf-8", errors="replace").lstrip()
    parsed = feedparser.parse(body)
    if not is_potential_feed(head) and not parsed.entries:
        raise ValueError("not an RSS or Atom feed (no <rss> or <feed> element)")
    items = []
    for entry in parsed.entries[:MAX_ITEMS]:
        link = entry.get("link")
        if not link:
            continue
        published = None
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            published = date(*stamp[:3]).isoformat()
        items.append(Item(normalize(urljoin(url, link)), published, entry.get("title")))
    problem = None
    if parsed.get("bozo"):
        problem = f"malformed feed XML ({parsed.get('bozo_exception')})"
        if not items:
            raise ValueError(f"{problem}; no item with a link could be read")
        problem += f"; read the {len(items)} items that could be recovered"
    return Listing(items, problem)


def read_sitemap(body: bytes, url: str) -> Listing:
    """Page URLs of a sitemap (XML, news sitemap or text), and the sitemaps an index
    lists. Raises ValueError when it does not look like a sitemap."""
    text = body.decode("utf-8", errors="replace")
    parts = urlsplit(url)
    sitemap = SitemapObject(f"{parts.scheme}://{parts.netloc}", parts.hostname or "", [],
                            external=True)
    sitemap.current_url = url
    sitemap.content = text
    sitemap.process()
    if not sitemap.urls and not sitemap.sitemap_urls:
        raise ValueError("not a sitemap, or a sitemap with no page URL in it")
    items = [Item(normalize(u)) for u in sitemap.urls[:MAX_ITEMS]]
    return Listing(items, sitemaps=[normalize(u) for u in sitemap.sitemap_urls])


def read_url_list(text: str, base: str | None = None) -> Listing:
    """One URL a line; blank lines and `#` comments skipped."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url = urljoin(base, line) if base else line
        if url.startswith(("http://", "https://")):
            items.append(Item(normalize(url)))
    return Listing(items[:MAX_ITEMS])


def discover_feeds(html: str, url: str) -> list[str]:
    """The feeds a homepage links to (`<link rel="alternate">`, else feed-looking links)."""
    params = FeedParameters(url, host(url), url)
    return [normalize(u) for u in determine_feed(html, params)]
