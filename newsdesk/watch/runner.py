"""A poll: fetch what the due sources list that was never fetched, then run the pipeline.

Fetching is asynchronous (every due source at once, each host throttled by the
`Fetcher`); the analysis is the pipeline's own `run_articles`, the runner `analyze` uses,
followed by the alert rules over what the poll brought. Nothing is copied from the
pipeline: a watched report and an analysed file go through the same code.

Kill-safety: a page's fetch-log row and its parsed article are written together
(`state.log_page`); the article leaves the pending table only after the pipeline has
stored it and the alerts have seen it. A watcher killed anywhere and restarted fetches no
page twice, finishes the pending articles first, and raises no alert twice (alert ids are
stable, see `alerts`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsdesk.ingest.readers import read_inputs, read_page
from newsdesk.models import Article, InputError
from newsdesk.pipeline import run_articles
from newsdesk.store import Store
from newsdesk.watch import state
from newsdesk.watch.config import Source, WatchConfig
from newsdesk.watch.fetch import Fetcher, FetchError
from newsdesk.watch.schedule import next_poll, utcnow
from newsdesk.watch.sources import (
    Item,
    Listing,
    discover_feeds,
    host,
    normalize,
    read_feed,
    read_sitemap,
    read_url_list,
)

log = logging.getLogger(__name__)
MAX_SITEMAPS = 20  # nested sitemaps followed per poll
MAX_SITE_FEEDS = 5  # feeds followed from one homepage
MAX_HEALTH_ERRORS = 3  # problems kept in a source's last error (all go to the log)
Report = Callable[[str], None]


@dataclass(slots=True)
class PollSummary:
    """What a poll did, for the summary line."""

    polled: int = 0
    failed: int = 0  # sources that could not be read at all
    fetched: int = 0  # new pages fetched and parsed
    stored: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"polled {self.polled} sources ({self.failed} failed), fetched {self.fetched} new "
            f"reports, stored {self.stored}, {self.alerts} alerts, {len(self.errors)} problems"
        )


@dataclass(slots=True)
class _Outcome:
    fetched: int = 0
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    retry_after_s: float | None = None


def poll(
    config: WatchConfig,
    db_path: Path,
    *,
    out_dir: Path | None,
    due_only: bool = False,
    stop: threading.Event | None = None,
    on_error: Report | None = None,
) -> PollSummary:
    """Poll the sources (all, or those due), then analyse, link, publish and alert.

    `stop` is checked between pages and between articles: once set, the page or article
    in hand is finished and the rest waits for the next run.
    """
    stop = stop or threading.Event()
    summary = PollSummary()
    with Store.open(db_path) as store:
        state.register_sources(store, config.sources)
        now = utcnow()
        due = [s for s in config.sources if not due_only or _is_due(store, s, now)]
        outcomes = asyncio.run(_fetch_all(store, config, due, stop))
        for source, outcome in zip(due, outcomes, strict=True):
            summary.polled += 1
            summary.fetched += outcome.fetched
            summary.failed += not outcome.ok
            summary.errors.extend(outcome.errors)
            state.record_poll(
                store, source.name,
                next_poll=next_poll(utcnow(), source.interval_s,
                                    failures=0 if outcome.ok else _failures(store, source) + 1,
                                    retry_after_s=outcome.retry_after_s),
                found=outcome.fetched,
                error=_health_error(outcome.errors),
                ok=outcome.ok,
            )  # fmt: skip
        waiting = state.pending(store)
    if on_error is not None:
        for message in summary.errors:
            on_error(message)
    if waiting and not stop.is_set():
        _process(config, db_path, waiting, out_dir, stop, summary, on_error)
    return summary


def watch(
    config: WatchConfig,
    db_path: Path,
    *,
    out_dir: Path | None,
    stop: threading.Event,
    on_poll: Report,
    on_error: Report | None = None,
) -> None:
    """Poll each source when it is due until `stop` is set (SIGINT/SIGTERM in the CLI)."""
    while not stop.is_set():
        summary = poll(config, db_path, out_dir=out_dir, due_only=True, stop=stop,
                       on_error=on_error)
        if summary.polled:
            on_poll(summary.line())
        stop.wait(_seconds_to_next(config, db_path))


def _seconds_to_next(config: WatchConfig, db_path: Path) -> float:
    with Store.open(db_path) as store:
        now = utcnow()
        waits = []
        for s in config.sources:
            due = state.source_state(store, s.name).get("next_poll")
            waits.append((datetime.fromisoformat(due) - now).total_seconds() if due else 0)
    return min(60.0, max(1.0, min(waits, default=60.0)))


def _health_error(errors: list[str]) -> str | None:
    if not errors:
        return None
    more = len(errors) - MAX_HEALTH_ERRORS
    return "; ".join(errors[:MAX_HEALTH_ERRORS]) + (f" (and {more} more)" if more > 0 else "")


def _is_due(store: Store, source: Source, now: datetime) -> bool:
    due = state.source_state(store, source.name).get("next_poll")
    return due is None or datetime.fromisoformat(due) <= now


def _failures(store: Store, source: Source) -> int:
    return int(state.source_state(store, source.name).get("failures") or 0)


def _process(
    config: WatchConfig,
    db_path: Path,
    waiting: list[tuple[str, Article]],
    out_dir: Path | None,
    stop: threading.Event,
    summary: PollSummary,
    on_error: Report | None,
) -> None:
    """The pipeline over the pending articles, then the alerts, then mark them stored."""
    from newsdesk.watch.alerts import run_alerts

    def articles() -> Iterator[Article]:
        for _source, article in waiting:
            if stop.is_set():
                return
            yield article

    failed: list[InputError] = []
    result = run_articles(articles(), sources=sorted({s for s, _ in waiting}), out_dir=out_dir,
                          db_path=db_path, on_error=failed.append, link="new")
    summary.stored += result.stored
    with Store.open(db_path) as store:
        new = run_alerts(store, config.alerts, smtp=config.smtp, desk_url=config.desk_url,
                         articles=result.article_ids)
        summary.alerts += len(new)
        state.mark_stored(store, result.article_ids)
        for err in failed:
            state.drop_pending(store, err.source, err.message)
            summary.errors.append(f"{err.source}: {err.message}")
            if on_error is not None:
                on_error(f"{err.source}: {err.message}")


async def _fetch_all(
    store: Store,
    config: WatchConfig,
    sources: list[Source],
    stop: threading.Event,
) -> list[_Outcome]:
    claimed: set[str] = set()  # URLs taken by a source in this poll: one fetch each
    async with Fetcher(config.fetch) as fetcher:
        return list(await asyncio.gather(
            *(_poll_source(store, fetcher, s, claimed, stop) for s in sources)
        ))  # fmt: skip


async def _poll_source(
    store: Store, fetcher: Fetcher, source: Source, claimed: set[str], stop: threading.Event
) -> _Outcome:
    outcome = _Outcome()
    if source.kind == "folder":
        _poll_folder(store, source, outcome)
        return outcome
    try:
        listing = await _listing(store, fetcher, source)
    except FetchError as exc:
        outcome.ok, outcome.retry_after_s = False, exc.retry_after_s
        outcome.errors.append(str(exc))
        return outcome
    except ValueError as exc:
        outcome.ok = False
        outcome.errors.append(f"{source.target}: {exc}")
        return outcome
    if listing.problem:
        outcome.errors.append(f"{source.target}: {listing.problem}")
    items = _on_allowed_hosts(source, listing.items, outcome)
    known = state.known_urls(store, (i.url for i in items))
    todo = []
    for item in items:
        if item.url in known or item.url in claimed:
            continue
        claimed.add(item.url)
        todo.append(item)
    results = await asyncio.gather(*(_fetch_page(store, fetcher, source, i, stop) for i in todo))
    for fetched, error in results:
        outcome.fetched += fetched
        if error:
            outcome.errors.append(error)
    return outcome


def _on_allowed_hosts(source: Source, items: list[Item], outcome: _Outcome) -> list[Item]:
    if source.external or not source.is_remote:
        return items
    home = host(source.target)
    kept = [i for i in items if host(i.url) == home]
    others = [i for i in items if host(i.url) != home]
    if others:
        outcome.errors.append(
            f"{source.target}: {len(others)} items on other hosts skipped (first: "
            f"{others[0].url}); set external = true on the source to follow them"
        )
    return kept


async def _listing(store: Store, fetcher: Fetcher, source: Source) -> Listing:
    """What the source lists now (an empty listing when its feed has not changed)."""
    if source.kind == "urls" and not source.is_remote:
        return read_url_list(Path(source.target).read_text(encoding="utf-8", errors="replace"))
    if source.kind == "site":
        page = await fetcher.get(source.target, "html")
        feeds = discover_feeds(page.text(), page.url)
        if not feeds:
            raise ValueError("no RSS/Atom feed linked from this page; give the feed URL as "
                             "`feed` instead")
        items: list[Item] = []
        problems = []
        for feed in feeds[:MAX_SITE_FEEDS]:
            listing = await _index(store, fetcher, source, feed, "feed")
            items += listing.items
            problems += [listing.problem] if listing.problem else []
        return Listing(items, "; ".join(problems) or None)
    kind = "feed" if source.kind == "feed" else "sitemap" if source.kind == "sitemap" else "urls"
    listing = await _index(store, fetcher, source, source.target, kind)
    seen = {source.target}
    queue = list(listing.sitemaps or ())
    while queue and len(seen) <= MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        child = await _index(store, fetcher, source, url, "sitemap")
        listing.items += child.items
        queue += child.sitemaps or ()
    return listing


async def _index(store: Store, fetcher: Fetcher, source: Source, url: str, kind: str) -> Listing:
    """A feed, sitemap or URL list, fetched conditionally."""
    resp = await fetcher.get(url, "text" if kind == "urls" else "feed",
                             validators=state.validators(store, url))
    state.log_feed(store, source.name, url, resp.status, resp.validators)
    if resp.not_modified:
        return Listing([])
    if kind == "feed":
        return read_feed(resp.body, resp.url)
    if kind == "sitemap":
        return read_sitemap(resp.body, resp.url)
    return read_url_list(resp.text(), base=resp.url)


async def _fetch_page(
    store: Store, fetcher: Fetcher, source: Source, item: Item, stop: threading.Event
) -> tuple[int, str | None]:
    """Fetch and parse one page; (1 if it is a new report, the problem if any)."""
    if stop.is_set():
        return 0, None
    try:
        resp = await fetcher.get(item.url, "html")
    except FetchError as exc:
        state.log_page(store, source.name, item.url, status=None, error=str(exc))
        return 0, str(exc)
    article = read_page(resp.text(), url=normalize(resp.url), outlet=source.outlet,
                        published=item.published, language=source.language)
    if isinstance(article, InputError):
        message = f"{item.url}: {article.message}"
        state.log_page(store, source.name, item.url, status=resp.status, error=message)
        return 0, message
    canonical = normalize(article.url) if article.url else None
    new = state.log_page(store, source.name, item.url, status=resp.status,
                         found=resp.validators, article=_sourced(article, item.url),
                         canonical=canonical)
    return int(new), None


def _sourced(article: Article, url: str) -> Article:
    """The article keyed by the URL it was fetched from, which its pending row names."""
    article.source = url
    return article


def _poll_folder(store: Store, source: Source, outcome: _Outcome) -> None:
    """New files in a drop folder (by path: a file is read once)."""
    files = sorted(p for p in Path(source.target).rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in
                                              p.relative_to(source.target).parts))
    known = state.known_urls(store, (str(p) for p in files))
    for path in files:
        if str(path) in known:
            continue
        items = list(read_inputs([str(path)]))
        # a file of several records (JSON Lines, WARC) logs each as "file#N", so none is
        # lost to another's row, and then the file itself, so it is not read again
        several = len(items) > 1
        for item in items:
            key = item.source if several else str(path)
            if isinstance(item, InputError):
                state.log_page(store, source.name, key, status=None, error=item.message)
                outcome.errors.append(f"{item.source}: {item.message}")
                continue
            if source.outlet and not item.outlet:
                item.outlet, item.outlet_source = source.outlet, "input"
            item.source = key
            outcome.fetched += state.log_page(store, source.name, key, status=None,
                                              article=item)
        if several:
            state.log_feed(store, source.name, str(path), 0, state.Validators())
