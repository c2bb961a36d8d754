"""Running the per-article stage on Dask distributed.

The adapter is thin on purpose: a shard (one input file, or a slice of a large JSON
Lines/WARC file) is one task; the task reads its shard with the same `ingest` code and
runs the same `analyze_article` as the local executor, with the resources loaded once per
worker process. Everything cross-article stays in the driver, so both executors give
the same records and ids.

Failures stay small:
- an article that raises costs that article (reported with its reason), not the shard;
- a shard that hangs past its time limit, or kills its worker, is split into one task
  per article; the article that hangs or kills again is reported as poisoned, and the
  worker is restarted by its nanny;
- each finished shard is committed to the store with a completion marker, so a killed
  run resumes without redoing finished shards.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.models import Article, ArticleRecords, InputError

if TYPE_CHECKING:
    from distributed import Client

    from newsdesk.store import Store

log = logging.getLogger(__name__)

ARTICLE_TIME_LIMIT_S = 60.0  # one article; the spaCy pass over a long report takes ~1 s
SHARD_ARTICLES = 64  # articles per task: big enough to hide scheduling, small to retry


@dataclass(slots=True, frozen=True)
class Shard:
    """A unit of work: the articles of `source` numbered [first, last)."""

    source: str
    first: int
    last: int | None  # None: to the end of the file

    @property
    def key(self) -> str:
        """Stable across runs while the file is unchanged: path, size and mtime."""
        try:
            st = os.stat(self.source)
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = "?"
        raw = f"{Path(self.source).resolve()}|{stamp}|{self.first}|{self.last}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(slots=True)
class ShardResult:
    shard: Shard
    records: list[tuple[int, ArticleRecords]] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def plan_shards(articles_by_source: dict[str, int]) -> list[Shard]:
    """Cut each input file into shards of at most SHARD_ARTICLES articles."""
    shards = []
    for source, count in articles_by_source.items():
        for first in range(0, max(count, 1), SHARD_ARTICLES):
            last = min(first + SHARD_ARTICLES, count)
            shards.append(Shard(source, first, last))
    return shards


def process_shard(shard: Shard) -> ShardResult:
    """Runs on a worker: read the shard's articles and analyse each one."""
    from newsdesk.analyze import analyze_article, load_resources
    from newsdesk.ingest import read_inputs

    res = load_resources()
    result = ShardResult(shard)
    articles = (a for a in read_inputs([shard.source]) if isinstance(a, Article))
    for index, item in enumerate(articles):  # the driver has reported unreadable inputs
        if index < shard.first or (shard.last is not None and index >= shard.last):
            continue
        try:
            result.records.append((index, analyze_article(item, res)))
        except Exception as exc:  # one poisoned article must not cost the shard
            result.errors.append(InputError(item.source, f"analysis failed: {type(exc).__name__}: {exc}"))
    return result


def analyze_with_dask(
    articles: Iterable[Article],
    *,
    store: Store,
    workers: int | None,
    scheduler: str | None,
    on_error: Callable[[InputError], None],
    progress: bool = False,
) -> Iterator[tuple[ArticleRecords, bool]]:
    """Analyse `articles` on Dask; yields (records, newly stored) in input order.

    The driver has already read the inputs (to report bad files and count articles per
    file); workers re-read only their shard, so no article text crosses the network.
    """
    from distributed import Client, LocalCluster

    ordered = list(articles)
    counts: dict[str, int] = {}
    for article in ordered:
        path = _file_of(article.source)
        counts[path] = counts.get(path, 0) + 1
    todo_ids = {a.id for a in ordered if not store.has_article(a.id)}
    if any(not Path(p).is_file() for p in counts):  # stdin cannot be re-read by a worker
        raise ValueError("--executor dask reads its inputs on the workers: give files, not stdin")
    shards = [s for s in plan_shards(counts) if not store.shard_done(s.key)]
    if todo_ids and shards:
        cluster = None
        if scheduler is None:
            n = workers or os.cpu_count() or 1
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(scheduler or cluster)
        try:
            for result in _run_shards(client, shards, on_error):
                for _, rec in result.records:
                    if rec.article.id in todo_ids:
                        store.save_records(rec)
                store.mark_shard_done(result.shard.key, len(result.records))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    for article in ordered:
        rec = store.get_records(article.id)
        if rec is not None:
            yield rec, article.id in todo_ids


def _run_shards(
    client: Client, shards: list[Shard], on_error: Callable[[InputError], None]
) -> Iterator[ShardResult]:
    from distributed import as_completed

    futures = {client.submit(process_shard, s, pure=False, retries=1): s for s in shards}
    for future in as_completed(futures):
        shard = futures[future]
        try:
            result = future.result(timeout=_shard_limit(shard))
        except Exception as exc:
            log.warning("shard %s[%s:%s] failed (%s); retrying article by article",
                        shard.source, shard.first, shard.last, exc)
            future.cancel()
            result = _split(client, shard, on_error)
        for err in result.errors:
            on_error(err)
        yield result


def _split(client: Client, shard: Shard, on_error: Callable[[InputError], None]) -> ShardResult:
    """Re-run a failed shard one article per task, to find the poisoned one."""
    merged = ShardResult(shard)
    last = shard.last if shard.last is not None else shard.first + SHARD_ARTICLES
    for index in range(shard.first, last):
        single = Shard(shard.source, index, index + 1)
        future = client.submit(process_shard, single, pure=False)
        try:
            part = future.result(timeout=ARTICLE_TIME_LIMIT_S)
        except Exception as exc:
            future.cancel()
            merged.errors.append(InputError(
                f"{shard.source}#{index + 1}",
                f"analysis abandoned: {type(exc).__name__} {exc or ''}".strip()
                + f" (time limit {ARTICLE_TIME_LIMIT_S:.0f} s per article)",
            ))
            continue
        merged.records.extend(part.records)
        merged.errors.extend(part.errors)
    return merged


def _shard_limit(shard: Shard) -> float:
    n = (shard.last or shard.first + SHARD_ARTICLES) - shard.first
    return ARTICLE_TIME_LIMIT_S * max(n, 1) + 120.0  # plus worker start-up and model load


def _file_of(source: str) -> str:
    """The file an article came from: sources of multi-record files carry '#N'."""
    return source.split("#", 1)[0]
