"""Polite, defensive HTTP fetching for the watcher (httpx for HTTP, protego for robots).

Polite: robots.txt and its Crawl-delay are obeyed, each host gets at most `rate`
requests a second and `concurrency` at once, the User-Agent names newsdesk and a contact,
and feeds are fetched conditionally (ETag / Last-Modified) so an unchanged feed costs
the outlet one empty 304.

Defensive: a news site is not trusted. Timeouts on every request; at most 5 redirects;
the body is streamed and counted, compressed (the 10 MB limit) and decompressed (a
gzip bomb is cut off), and its content type must be what was asked for. A 429/503 with
Retry-After is waited out when the wait is short and reported when it is long; other
server errors and network failures are retried with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx
from protego import Protego

from newsdesk.watch.config import FetchSettings
from newsdesk.watch.state import Validators

Want = Literal["feed", "html", "text", "robots"]
MAX_REDIRECTS = 5
DECOMPRESSION_FACTOR = 2  # decoded bodies may be this many times the body limit
_TYPES: dict[Want, tuple[str, ...]] = {
    "feed": ("xml", "rss", "atom", "text/plain"),
    "html": ("html",),
    "text": ("text/plain",),
    "robots": ("",),  # served with any type; a page instead of rules fails to parse as none
}
_RETRY_STATUS = frozenset({500, 502, 503, 504, 429})


class FetchError(Exception):
    """One URL could not be fetched. The message names the URL and says why."""

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        retry_after_s: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.retry_after_s = retry_after_s
        self.status = status


@dataclass(slots=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 when the conditional GET says nothing changed
    body: bytes
    validators: Validators

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(slots=True)
class _Host:
    sem: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    next_at: float = 0.0
    robots: Protego | None = None
    robots_error: str | None = None
    crawl_delay: float = 0.0


class Fetcher:
    """One poll's HTTP client. Use `async with Fetcher(settings) as f: await f.get(...)`."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._hosts: dict[str, _Host] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.AsyncClient(
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(s.timeout_s),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def get(self, url: str, want: Want, *, validators: Validators | None = None) -> Response:
        """Fetch `url` (robots permitting), retrying what is worth retrying."""
        host = await self._host(url)
        if host.robots_error is not None:
            raise FetchError(url, host.robots_error)
        if host.robots is not None and not host.robots.can_fetch(url, self.settings.user_agent):
            raise FetchError(url, "disallowed by the site's robots.txt; not fetched")
        return await self._get(host, url, want, validators)

    async def _get(
        self, host: _Host, url: str, want: Want, validators: Validators | None
    ) -> Response:
        s = self.settings
        attempt = 0
        while True:
            try:
                return await self._once(host, url, want, validators)
            except _Retry as retry:
                attempt += 1
                wait = retry.after_s
                if wait is not None and wait > s.max_retry_after_s:
                    raise FetchError(
                        url, f"{retry.reason}; the server asks to wait {wait:.0f}s, "
                        "so the source is polled again after that", retry_after_s=wait,
                    ) from None
                if attempt > s.retries:
                    raise FetchError(
                        url, f"{retry.reason} (tried {attempt} times)", retry_after_s=wait
                    ) from None
                if wait is None:
                    wait = s.backoff_s * 2 ** (attempt - 1) * (0.5 + random.random() / 2)
                await asyncio.sleep(wait)

    async def _once(
        self, host: _Host, url: str, want: Want, validators: Validators | None
    ) -> Response:
        assert self._client is not None, "use Fetcher as an async context manager"
        headers = {}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        async with host.sem:
            await self._wait_turn(host, url)
            try:
                async with self._client.stream("GET", url, headers=headers) as resp:
                    return await self._read(resp, url, want)
            except httpx.TooManyRedirects:
                raise FetchError(url, f"more than {MAX_REDIRECTS} redirects (a loop?)") from None
            except httpx.TimeoutException:
                raise _Retry(f"timed out after {self.settings.timeout_s:g}s", None) from None
            except (httpx.TransportError, httpx.InvalidURL) as exc:
                raise _Retry(f"cannot connect ({type(exc).__name__}: {exc})", None) from None

    async def _wait_turn(self, host: _Host, url: str) -> None:
        loop = asyncio.get_running_loop()
        limit = self.settings.limit(urlsplit(url).hostname or "")
        async with host.lock:
            wait = host.next_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            host.next_at = loop.time() + max(1 / limit.rate, host.crawl_delay)

    async def _read(self, resp: httpx.Response, url: str, want: Want) -> Response:
        found = Validators(resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        final = str(resp.url)
        if resp.status_code == 304:
            return Response(final, 304, b"", found)
        if resp.status_code in _RETRY_STATUS:
            raise _Retry(f"HTTP {resp.status_code}", _retry_after(resp.headers))
        if resp.status_code >= 400:
            raise FetchError(url, f"HTTP {resp.status_code}", status=resp.status_code)
        ctype = resp.headers.get("Content-Type", "").lower()
        if ctype and not any(t in ctype for t in _TYPES[want]):
            raise FetchError(url, f"content type {ctype.split(';')[0]!r} where {want} was "
                             "expected; not read")
        limit = self.settings.max_body_bytes
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(url, _too_big(int(declared), limit))
        body = await _body(resp, url, limit)
        return Response(final, resp.status_code, body, found)

    async def _host(self, url: str) -> _Host:
        """The host's limiter and robots rules, fetching robots.txt on first contact."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        if key in self._hosts:
            host = self._hosts[key]
            await host.ready.wait()
            return host
        limit = self.settings.limit(parts.hostname or "")
        host = self._hosts[key] = _Host(sem=asyncio.Semaphore(limit.concurrency))
        try:
            resp = await self._get(host, f"{key}/robots.txt", "robots", None)
            host.robots = Protego.parse(resp.text())
            delay = host.robots.crawl_delay(self.settings.user_agent)
            if delay:
                host.crawl_delay = float(delay)
        except FetchError as exc:
            if exc.status is None or exc.status >= 500:
                host.robots_error = (f"robots.txt could not be read ({exc}); the host is "
                                     "skipped until it can")
            # a 4xx: the site has no robots.txt, and everything is allowed
        finally:
            host.ready.set()
        return host


class _Retry(Exception):
    def __init__(self, reason: str, after_s: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after_s = after_s


async def _body(resp: httpx.Response, url: str, limit: int) -> bytes:
    """The body, counted as it arrives (raw and decoded), cut off at the limits."""
    encoding = resp.headers.get("Content-Encoding", "").lower().strip()
    inflate = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
    elif encoding not in ("", "identity"):
        raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")
    decoded_limit = limit * DECOMPRESSION_FACTOR
    raw = 0
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in resp.aiter_raw():
            raw += len(chunk)
            if raw > limit:
                raise FetchError(url, _too_big(raw, limit, so_far=True))
            if inflate is None:
                chunks.append(chunk)
                size += len(chunk)
                continue
            data = chunk
            while data:
                out = inflate.decompress(data, decoded_limit + 1 - size)
                chunks.append(out)
                size += len(out)
                if size > decoded_limit:
                    raise FetchError(
                        url, f"decompresses to more than {decoded_limit // 1048576} MB "
                        f"(from {raw:,} bytes so far): a compression bomb or not a news page",
                    )
                data = inflate.unconsumed_tail
    except zlib.error as exc:
        raise FetchError(url, f"corrupt {encoding} body ({exc})") from None
    return b"".join(chunks)


def _too_big(size: int, limit: int, *, so_far: bool = False) -> str:
    more = "more than " if so_far else ""
    return (f"body is {more}{size / 1048576:.1f} MB; the limit is {limit // 1048576} MB "
            "(set [watch] max_body_mb to change it)")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
