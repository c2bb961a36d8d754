"""Running the per-article stage on Dask distributed.

The adapter is thin on purpose: a shard (one input file, or a slice of a large JSON
Lines/WARC file) is one task; the task reads its shard with the same `ingest` code and
runs the same `analyze_article` as the local executor, with the resources loaded once per
worker process and the texts parsed a batch at a time. The tasks' records come back to
the driver, where the runner (`pipeline.run_articles`) stores them with the same code as
the local executor's, and everything cross-article stays there, so both executors give
the same records and ids.

Failures stay small:
- an article that raises costs that article (reported with its reason), not the shard;
- an article that runs past the time limit (env NEWSDESK_ARTICLE_TIMEOUT, seconds) is
  abandoned and reported; its worker is restarted, because a Python thread cannot be
  stopped, and the rest of the shard goes on in a new task;
- a worker that dies is replaced by its nanny and the scheduler retries its shard; when
  the same shard kills workers repeatedly, the article it was analysing (published to
  the scheduler before each article) is reported as poisoned and the rest of the shard
  runs again without it (a death while parsing a batch names no article: that shard
  runs again one article at a time);
- each article is stored as its shard comes back, and a shard whose records are all
  stored gets a completion marker, so a killed run resumes without redoing finished
  shards, and articles already stored are skipped;
  a shard that lost an article gets no marker, so the next run tries that one again.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
import threading
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk import settings
from newsdesk.analyse.nlp import BATCH
from newsdesk.errors import MissingExtraError, UnsupportedInputError
from newsdesk.executors.local import analysis_failed
from newsdesk.models import Article, ArticleRecords, InputError

if TYPE_CHECKING:
    from distributed import Client, Future

    from newsdesk.analyse.article import Parsed
    from newsdesk.store import Store

log = logging.getLogger(__name__)

MAX_SHARDS_PER_FILE = 16  # split big inputs into several files to use more workers
# A shard may be in one worker death and be retried; the second death marks its article.
ALLOWED_FAILURES = 1
# The first article a worker process analyses also pays for what the extractors load on
# first use; without this grace a cold worker on a busy machine looks like a hang.
FIRST_ARTICLE_GRACE_S = 30.0
_PROGRESS = "newsdesk-progress"
_warm = threading.Event()  # set once this process has analysed an article


@dataclass(slots=True, frozen=True)
class Shard:
    """A unit of work: the articles of `source` numbered [first, last)."""

    source: str
    first: int
    last: int | None  # None: to the end of the file
    batched: bool = True  # False once a worker died parsing one of its batches

    @property
    def key(self) -> str:
        """Stable across runs while the file is unchanged: path, size and mtime."""
        try:
            st = Path(self.source).stat()
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = "?"
        raw = f"{Path(self.source).resolve()}|{stamp}|{self.first}|{self.last}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def label(self) -> str:
        return f"{self.source}[{self.first}:{'' if self.last is None else self.last}]"


@dataclass(slots=True)
class ShardResult:
    """What a task sends back; `stopped_at` is the article that ran out of time, if any."""

    shard: Shard
    records: list[ArticleRecords] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    stopped_at: int | None = None
    worker: str | None = None


def plan_shards(articles_by_source: dict[str, int], size: int | None = None) -> list[Shard]:
    """Cut each input file into shards of `size` articles; the last one is open-ended.

    Open-ended because the driver counts distinct articles, and a file that repeats
    one has more records than that count. A worker reads its file from the start to
    reach its shard (ingest has no random access), so a file gets at most
    MAX_SHARDS_PER_FILE shards: reading then costs at most that many passes over it.
    """
    size = size or settings.get("shard_articles")
    shards = []
    for source, count in articles_by_source.items():
        step = max(size, math.ceil(count / MAX_SHARDS_PER_FILE))
        for first in range(0, max(count, 1), step):
            last = first + step
            shards.append(Shard(source, first, last if last < count else None))
    return shards


def process_shard(shard: Shard, skip: frozenset[str], time_limit: float) -> ShardResult:
    """Runs on a worker: read the shard's articles and analyse those not in `skip`."""
    from distributed import get_client, get_worker

    from newsdesk.analyse import article as analyze
    from newsdesk.ingest.readers import read_inputs

    res = analyze.load_resources()
    result = ShardResult(shard, worker=get_worker().address)
    client = get_client()
    articles = (a for a in read_inputs([shard.source]) if isinstance(a, Article))
    numbered: Iterator[tuple[int, Article]] = enumerate(articles)  # unreadable: reported
    if shard.last is not None:
        numbered = itertools.islice(numbered, shard.last)
    todo = ((index, item) for index, item in numbered
            if index >= shard.first and item.id not in skip)
    size = BATCH if shard.batched else 1
    for batch in iter(lambda: list(itertools.islice(todo, size)), []):
        grace = 0.0 if _warm.is_set() else FIRST_ARTICLE_GRACE_S
        parsed: list[Parsed | None] = [None] * len(batch)
        if len(batch) > 1:
            # a death while parsing names the batch, not an article: see _after_failure
            client.set_metadata([_PROGRESS, shard.key], [batch[0][0], batch[-1][0]])
            try:
                parsed = _bounded(analyze.parse_batch, [item for _, item in batch], res.nlp,
                                  limit=time_limit * len(batch) + grace)
            except Exception:  # a timeout too: each article is parsed alone, under its limit
                log.debug("batch parse failed in %s; one at a time", shard.label(), exc_info=True)
        for (index, item), one in zip(batch, parsed, strict=True):
            client.set_metadata([_PROGRESS, shard.key], index)
            try:
                grace = 0.0 if _warm.is_set() else FIRST_ARTICLE_GRACE_S
                rec = _bounded(analyze.analyze_article, item, res, one, limit=time_limit + grace)
            except TimeoutError:
                result.errors.append(
                    InputError(
                        item.source, f"analysis abandoned: over the time limit of {time_limit:g} s"
                    )
                )
                result.stopped_at = index
                return result
            except Exception as exc:  # one poisoned article must not cost the shard
                result.errors.append(analysis_failed(item.source, exc))
                continue
            finally:
                _warm.set()
            result.records.append(rec)
    return result


def _bounded(fn: Callable[..., Any], *args: Any, limit: float) -> Any:
    """Call `fn` in a daemon thread and give up after `limit` seconds."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append((True, fn(*args)))
        except BaseException as exc:  # handed to the caller's thread
            box.append((False, exc))

    thread = threading.Thread(target=target, daemon=True, name="newsdesk-article")
    thread.start()
    thread.join(limit)
    if not box:
        raise TimeoutError
    ok, value = box[0]
    if not ok:
        raise value
    return value


def analyze_with_dask(
    articles: Iterable[Article],
    *,
    stored: Container[str],
    store: Store,
    workers: int | None,
    scheduler: str | None,
) -> Iterator[ArticleRecords | InputError]:
    """Analyse on Dask the articles whose ids are not in `stored`; yields as shards finish.

    The driver has already read the inputs (to report bad files and count articles per
    file); workers re-read only their shard, so no article text crosses the network.
    `stored` is complete once `articles` is consumed, which happens before any shard
    runs. The caller stores each record before asking for the next one: a shard is
    marked done in `store` only after its last record has been taken.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingExtraError.of("dask", "--executor dask", exc) from exc

    ordered = list(articles)
    sources: dict[str, list[str]] = {}  # file -> its articles' sources, in file order
    for article in ordered:
        sources.setdefault(_file_of(article.source), []).append(article.source)
    counts = {path: len(found) for path, found in sources.items()}
    if any(not Path(p).is_file() for p in counts):  # stdin cannot be re-read by a worker
        raise UnsupportedInputError(
            "--executor dask reads its inputs on the workers: give files, not stdin"
        )
    skip = frozenset(a.id for a in ordered if a.id in stored)
    # Where each article to analyse was read first: a copy of it in a later file is
    # analysed by its shard too, but, as in the local executor, the first one is kept.
    todo = {a.id: a.source for a in ordered if a.id not in skip}
    planned = plan_shards(counts)
    shards = [s for s in planned if not store.shard_done(s.key)]
    log.info(
        "dask: %d shards planned, %d already done, %d to run",
        len(planned),
        len(planned) - len(shards),
        len(shards),
    )
    if not (todo and shards):
        return
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        cluster = None
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
        client = Client(scheduler or cluster)
        try:
            yield from _run_shards(client, shards, skip, store, todo, sources)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _run_shards(
    client: Client,
    shards: list[Shard],
    skip: frozenset[str],
    store: Store,
    todo: dict[str, str],
    sources: dict[str, list[str]],
) -> Iterator[ArticleRecords | InputError]:
    """Run the shards, splitting around bad articles; mark each shard done when all is in.

    A shard that lost an article (failed, abandoned) gets no completion marker: the next
    run tries that article again and skips the ones stored.
    """
    from distributed import as_completed

    limit = settings.get("article_timeout")
    parent: dict[Future, tuple[Shard, Shard]] = {}  # future -> (piece, original shard)
    open_pieces: dict[Shard, int] = {}
    done_records: dict[Shard, int] = {}
    lost: set[Shard] = set()
    # on this client's loop: without one, as_completed takes the default client's, and a
    # caller's own Client (a notebook's, a test's) has another; the futures' results,
    # awaited on both loops, then fail with "bound to a different event loop"
    queue = as_completed(loop=client.loop)

    def submit(piece: Shard, origin: Shard) -> None:
        client.set_metadata([_PROGRESS, piece.key], None)
        future = client.submit(process_shard, piece, skip, limit, pure=False)
        parent[future] = (piece, origin)
        open_pieces[origin] = open_pieces.get(origin, 0) + 1
        queue.add(future)

    for shard in shards:
        submit(shard, shard)
    for future in queue:
        piece, origin = parent.pop(future)
        if future.status == "finished":
            result: ShardResult = future.result()
            for rec in result.records:
                if todo.get(rec.article.id) == rec.article.source:
                    yield rec
            done_records[origin] = done_records.get(origin, 0) + len(result.records)
            for err in result.errors:
                lost.add(origin)
                yield err
            if result.stopped_at is not None:
                _restart(client, result.worker)
                rest = replace(piece, first=result.stopped_at + 1)
                if rest.last is None or rest.first < rest.last:
                    submit(rest, origin)
        else:
            err, pieces = _after_failure(client, piece, future.exception(), sources)
            for rest in pieces:
                submit(rest, origin)
            if err is not None:
                lost.add(origin)
                yield err
        future.release()
        open_pieces[origin] -= 1
        if open_pieces[origin] == 0 and origin not in lost:
            store.mark_shard_done(origin.key, done_records.get(origin, 0))


def _after_failure(
    client: Client, piece: Shard, exc: BaseException | None, sources: dict[str, list[str]]
) -> tuple[InputError | None, list[Shard]]:
    """What a failed task cost, and the pieces still to run.

    A worker that died while parsing a batch of articles (`at` is the batch's first and
    last article) names no article yet: the piece runs again one article at a time, so a
    second death names the article that caused it and no other."""
    at = client.get_metadata([_PROGRESS, piece.key], default=None)
    why = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown"
    if at is None:  # failed before its first article: the shard itself is unreadable
        return InputError(piece.label(), f"shard failed: {why}"), []
    if isinstance(at, (list, tuple)):  # msgpack may give the list back as a tuple
        log.warning("shard %s failed parsing articles %d-%d (%s); again one at a time",
                    piece.label(), at[0], at[1], why)
        return None, [replace(piece, batched=False)]
    log.warning("shard %s failed at article %d (%s)", piece.label(), at, why)
    known = sources.get(piece.source, [])
    source = known[at] if at < len(known) else f"{piece.source}#{at + 1}"
    err = InputError(source, f"analysis abandoned: the worker died on it ({why})")
    pieces = [replace(piece, last=at), replace(piece, first=at + 1)]
    return err, [p for p in pieces if p.last is None or p.first < p.last]


def _restart(client: Client, worker: str | None) -> None:
    """Replace a worker whose thread is stuck on an abandoned article."""
    if worker is None:
        return
    try:
        client.restart_workers([worker], raise_for_error=False)
    except Exception:  # no nanny (e.g. a worker started by hand): it keeps the thread
        log.warning("could not restart worker %s after a timed-out article", worker, exc_info=True)


def _file_of(source: str) -> str:
    """The file an article came from: sources of multi-record files carry '#N'."""
    return source.split("#", 1)[0]
