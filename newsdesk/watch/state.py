"""The watcher's tables in the store: source health, the fetch log, pending articles.

Plain functions over a `Store` (its connection and transactions), so the watcher's SQL
lives beside the watcher. Times are ISO 8601 in UTC.

Why pending articles: a fetched page is parsed into an `Article` and written here, in
the same transaction as its fetch-log row; the pipeline then stores it and the row is
dropped. A watcher killed in between finds the article here on restart and hands it to
the pipeline without fetching the page again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newsdesk.models import Article
from newsdesk.store import Store
from newsdesk.watch.config import Source

MAX_ATTEMPTS = 3
"""A page that failed this many polls in a row is not tried again (it is logged)."""
# Fetch-log statuses. "feed" rows only carry the validators of a feed or sitemap.
PENDING, STORED, DUPLICATE, FAILED, FEED = "pending", "stored", "duplicate", "failed", "feed"


@dataclass(slots=True)
class Validators:
    """What a conditional GET sends back: the last ETag and Last-Modified seen."""

    etag: str | None = None
    last_modified: str | None = None


def _conn(store: Store) -> sqlite3.Connection:
    return store._conn  # the store's one connection, so its transactions are ours too


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def known_urls(store: Store, urls: Iterable[str]) -> set[str]:
    """The URLs among `urls` that need no fetch: fetched before (as themselves or as the
    canonical URL of another page), or failed too often."""
    wanted = list(dict.fromkeys(urls))
    found: set[str] = set()
    conn = _conn(store)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT url, canonical_url, status, attempts FROM fetch_log "
            f"WHERE url IN ({marks}) OR canonical_url IN ({marks})",
            (*chunk, *chunk),
        )
        for url, canonical, status, attempts in rows:
            if status == FAILED and attempts < MAX_ATTEMPTS:
                continue
            found.update(u for u in (url, canonical) if u in chunk)
    return found


def validators(store: Store, url: str) -> Validators:
    row = _conn(store).execute(
        "SELECT etag, last_modified FROM fetch_log WHERE url = ?", (url,)
    ).fetchone()
    return Validators(row[0], row[1]) if row else Validators()


def log_feed(store: Store, source: str, url: str, status: int, found: Validators) -> None:
    """Remember a feed's or sitemap's validators for the next conditional GET."""
    with store._tx():
        _conn(store).execute(
            """
            INSERT INTO fetch_log (url, source, status, http_status, etag, last_modified,
                fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (url) DO UPDATE SET http_status = excluded.http_status,
                etag = coalesce(excluded.etag, fetch_log.etag),
                last_modified = coalesce(excluded.last_modified, fetch_log.last_modified),
                fetched_at = excluded.fetched_at, error = NULL
            """,
            (url, source, FEED, status, found.etag, found.last_modified, _now()),
        )


def log_page(
    store: Store,
    source: str,
    url: str,
    *,
    status: int | None,
    found: Validators | None = None,
    article: Article | None = None,
    canonical: str | None = None,
    error: str | None = None,
) -> bool:
    """Record a page fetch, and its article as pending, in one transaction.

    Returns False (and records the URL as a duplicate) when the article's canonical URL
    was already fetched through another URL or another feed.
    """
    found = found or Validators()
    conn = _conn(store)
    with store._tx():
        dup = False
        if canonical and canonical != url:
            row = conn.execute(
                "SELECT 1 FROM fetch_log WHERE (url = ? OR canonical_url = ?) AND status IN "
                "(?, ?) AND url != ?",
                (canonical, canonical, PENDING, STORED, url),
            ).fetchone()
            dup = row is not None
        kind = FAILED if article is None else DUPLICATE if dup else PENDING
        conn.execute(
            """
            INSERT INTO fetch_log (url, source, status, http_status, etag, last_modified,
                canonical_url, article_id, fetched_at, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (url) DO UPDATE SET status = excluded.status,
                http_status = excluded.http_status, etag = excluded.etag,
                last_modified = excluded.last_modified,
                canonical_url = excluded.canonical_url, article_id = excluded.article_id,
                fetched_at = excluded.fetched_at, error = excluded.error,
                attempts = fetch_log.attempts + 1
            """,
            (url, source, kind, status, found.etag, found.last_modified, canonical,
             article.id if article else None, _now(), error),
        )  # fmt: skip
        if kind == PENDING and article is not None:
            conn.execute(
                "INSERT OR REPLACE INTO watch_pending VALUES (?, ?, ?)",
                (url, source, json.dumps(article.to_dict(), ensure_ascii=False)),
            )
    return not dup and article is not None


def pending(store: Store) -> list[tuple[str, Article]]:
    """Articles fetched but not yet through the pipeline, oldest first: (source, article)."""
    rows = _conn(store).execute("SELECT source, article FROM watch_pending ORDER BY rowid")
    out = []
    for source, data in rows:
        fields = json.loads(data)
        out.append((source, Article(**fields)))
    return out


def mark_stored(store: Store, article_ids: Iterable[str]) -> None:
    """The pipeline has these articles: drop them from pending, mark their URLs stored."""
    ids = list(article_ids)
    conn = _conn(store)
    with store._tx():
        for aid in ids:
            conn.execute("UPDATE fetch_log SET status = ? WHERE article_id = ? AND status = ?",
                         (STORED, aid, PENDING))
            conn.execute(
                "DELETE FROM watch_pending WHERE url IN "
                "(SELECT url FROM fetch_log WHERE article_id = ?)",
                (aid,),
            )


def drop_pending(store: Store, url: str, error: str) -> None:
    """A pending article the pipeline could not use: log why, never try it again."""
    conn = _conn(store)
    with store._tx():
        conn.execute("DELETE FROM watch_pending WHERE url = ?", (url,))
        conn.execute("UPDATE fetch_log SET status = ?, error = ?, attempts = ? WHERE url = ?",
                     (FAILED, error, MAX_ATTEMPTS, url))


def register_sources(store: Store, sources: Iterable[Source]) -> None:
    """Make sure every configured source has a health row (kept across restarts)."""
    conn = _conn(store)
    with store._tx():
        for s in sources:
            conn.execute(
                """
                INSERT INTO watch_sources (name, kind, target) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, target = excluded.target
                """,
                (s.name, s.kind, s.target),
            )


def source_state(store: Store, name: str) -> dict[str, Any]:
    row = _conn(store).execute("SELECT * FROM watch_sources WHERE name = ?", (name,)).fetchone()
    return dict(row) if row else {}


def record_poll(
    store: Store,
    name: str,
    *,
    next_poll: datetime,
    found: int,
    error: str | None,
    ok: bool,
) -> None:
    """After a poll: its outcome and when to poll again.

    `ok` is whether the source itself answered (a feed that was read); a poll can be ok
    and still carry an `error` about some of its pages.
    """
    now = _now()
    with store._tx():
        _conn(store).execute(
            """
            UPDATE watch_sources SET last_poll = ?, next_poll = ?,
                reports_found = reports_found + ?,
                last_success = CASE WHEN ? THEN ? ELSE last_success END,
                failures = CASE WHEN ? THEN 0 ELSE failures + 1 END,
                last_error = coalesce(?, last_error),
                last_error_at = CASE WHEN ? IS NULL THEN last_error_at ELSE ? END
            WHERE name = ?
            """,
            (now, next_poll.isoformat(timespec="seconds"), found, ok, now, ok, error, error,
             now, name),
        )


def source_health(store: Store) -> list[dict[str, Any]]:
    """Each source's health for `newsdesk sources` and the desk: last success, last
    error (and when), failures in a row, reports found, next poll."""
    rows = _conn(store).execute(
        "SELECT name, kind, target, last_poll, last_success, last_error, last_error_at, "
        "failures, reports_found, next_poll FROM watch_sources ORDER BY name"
    )
    return [dict(r) for r in rows]


def fetch_log(store: Store, *, source: str | None = None) -> list[dict[str, Any]]:
    """The fetch log (newest first), for tests and troubleshooting."""
    sql = "SELECT * FROM fetch_log"
    args: tuple[str, ...] = ()
    if source is not None:
        sql, args = sql + " WHERE source = ?", (source,)
    return [dict(r) for r in _conn(store).execute(sql + " ORDER BY fetched_at DESC", args)]
