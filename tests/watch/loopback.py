"""A news site on 127.0.0.1 for the watcher's tests: the five example reports as pages,
feeds that can grow between polls, and the faults a real site has.

`Site` runs `http.server` in a thread. Each route is a `Route` (status, headers, body,
or a callable for the odd ones); tests add and change routes while it runs, and
`site.hits` counts the requests per path, so a test can prove a page was not fetched.
"""

from __future__ import annotations

import html
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "raqqa-2017"

# The five example reports: (file, outlet as og:site_name, published, date in the page?)
REPORTS = [
    ("000_e3fe73acab485a53.txt", "Yahoo News", "2017-07-10", True),
    ("001_b5309f86b7870f1b.txt", "France 24", "2017-07-04", True),
    ("002_e5096ebe9da60f70.txt", "The Daily Star", "2017-07-16", False),  # pubDate only
    ("003_16493793af55492b.txt", "Middle East Eye", "2017-07-04", True),
    ("004_a4db6539298bde31.txt", "Sputnik", "2017-05-29", False),
]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


class Site:
    """`with Site() as site:`; `site.url("/wire.xml")` is the address of a path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path
                site.hits[path] += 1
                site.headers_seen.append(dict(self.headers))
                route = site.routes.get(path)
                if route is None:
                    self.send_error(404)
                    return
                if route.delay_s:
                    time.sleep(route.delay_s)
                try:
                    if route.handler is not None:
                        route.handler(self)
                        return
                    self.send_response(route.status)
                    for key, value in route.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should on a bomb

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes | str, content_type: str, **kw: object) -> None:
        data = body.encode() if isinstance(body, str) else body
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}  # type: ignore[dict-item]
        self.routes[path] = Route(body=data, headers=headers, **kw)  # type: ignore[arg-type]

    def serve_reports(self) -> list[str]:
        """The five example reports as pages at /news/N.html; returns their URLs."""
        urls = []
        for n, (name, outlet, published, dated) in enumerate(REPORTS):
            path = f"/news/{n}.html"
            url = self.url(path)
            self.serve(path, report_page(EXAMPLE / name, outlet, published if dated else None,
                                         canonical=url), "text/html; charset=utf-8")
            urls.append(url)
        return urls


def report_page(path: Path, outlet: str, published: str | None, *, canonical: str) -> str:
    """An article page as a news site serves one: og:site_name, canonical link, maybe a
    published date, the report in <article> paragraphs."""
    text = path.read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    paras = "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in body.split("\n") if p.strip())
    date_meta = (f'<meta property="article:published_time" content="{published}T09:00:00Z">'
                 if published else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta property="og:site_name" content="{html.escape(outlet)}">
<meta property="og:title" content="{html.escape(title)}">
<link rel="canonical" href="{canonical}">
{date_meta}
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{html.escape(title)}</h1>
{paras}</article>
<footer>Copyright the outlet</footer>
</body></html>"""


def rss(items: list[tuple[str, str, str]], title: str = "Wire") -> str:
    """An RSS 2.0 feed of (link, title, YYYY-MM-DD) items, each with a pubDate."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(d).replace(hour=8, tzinfo=UTC))}"
        f"</pubDate></item>\n"
        for link, t, d in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{title}</title><link>http://127.0.0.1/</link>\n{entries}</channel></rss>")


def feed_items(urls: list[str], indexes: list[int], *, tracking: bool = False) -> list[tuple]:
    """Feed items for the reports at `indexes`, optionally with tracking parameters."""
    suffix = "?utm_source=rss&utm_medium=feed" if tracking else ""
    return [(urls[i] + suffix, f"Report {i}", REPORTS[i][2]) for i in indexes]


def gzip_bomb(size: int) -> bytes:
    """`size` bytes of zeros, gzipped (a thousandfold smaller)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    chunk = bytes(1 << 20)
    return b"".join([*(comp.compress(chunk) for _ in range(size >> 20)), comp.flush()])


def endless(size: int) -> Callable[[BaseHTTPRequestHandler], None]:
    """A handler that sends `size` bytes of HTML with no Content-Length."""

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/html")
        req.end_headers()
        block = b"<p>" + b"x" * 65530 + b"</p>"
        sent = 0
        while sent < size:
            req.wfile.write(block)
            sent += len(block)

    return handle


def redirect(to: str) -> Route:
    return Route(status=302, headers={"Location": to})
