"""Running the per-article stage on this machine: in this process, or in one worker
process per core for a large input.

An executor only analyses: it yields each article's records, or the error that cost it,
and `pipeline.run_articles` stores them, so every executor shares one storing loop and
one run log. Records come back in input order whichever way they were made, so one
process and several give the same store and the same outputs.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import traceback
from collections import deque
from collections.abc import Container, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.analyse.nlp import BATCH
from newsdesk.models import Article, ArticleRecords, InputError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from newsdesk.analyse.article import Parsed

log = logging.getLogger(__name__)


POOL_FROM = 200
"""Articles to analyse from which the default is one worker process per core. Each
worker loads the model, gazetteer and actors (a few CPU seconds) and holds its own
copy (about 400 MB), which a smaller input does not pay back."""
CHUNK = BATCH
"""Articles sent to a worker at a time: enough to hide the cost of sending them, few
enough that every worker stays busy to the end; one batch for the worker's parser."""


def analyze_locally(
    articles: Iterable[Article], *, stored: Container[str], progress: bool = False,
    workers: int | None = None,
) -> Iterator[ArticleRecords | InputError]:
    """Analyse the articles whose ids are not in `stored`, in input order.

    `stored` may be filled by the caller while `articles` is consumed: an article is
    looked up only once it has been drawn. The resources (NLP model, gazetteer, actor
    registry) load on the first article that needs analysing, so a re-run over a stored
    input loads nothing. `workers` is how many processes analyse; by default one per
    core once POOL_FROM articles need analysing (up to that many are drawn before it
    decides), else this process alone.
    """
    bar = _progress(progress)
    try:
        todo = _unstored(articles, stored, bar)
        if workers is None:
            head = list(itertools.islice(todo, POOL_FROM))
            workers = len(os.sched_getaffinity(0)) if len(head) == POOL_FROM else 1
            todo = itertools.chain(head, todo)
        if workers > 1:
            yield from _in_pool(todo, workers)
        else:
            yield from _in_process(todo)
    finally:
        bar.close()


def _unstored(
    articles: Iterable[Article], stored: Container[str], bar: _NoBar
) -> Iterator[Article]:
    for article in articles:
        bar.update(1)
        if article.id not in stored:
            yield article


def _in_process(articles: Iterable[Article]) -> Iterator[ArticleRecords | InputError]:
    """The articles analysed in this process, their texts parsed a batch at a time."""
    from newsdesk.analyse import article as analyse

    todo = iter(articles)
    for batch in iter(lambda: list(itertools.islice(todo, BATCH)), []):
        # outside the guard: a missing model is no one article's fault
        res = analyse.load_resources()
        try:
            parsed: list[Parsed | None] = list(analyse.parse_batch(batch, res.nlp))
        except Exception:  # one text spaCy fails on: each parsed alone, under its own guard
            log.debug("batch parse failed; parsing one at a time", exc_info=True)
            parsed = [None] * len(batch)
        for article, one in zip(batch, parsed, strict=True):
            try:
                rec = analyse.analyze_article(article, res, one)
            except Exception as exc:  # one poisoned article must not cost the batch
                log.debug("analysis failed for %s", article.source, exc_info=True)
                yield analysis_failed(article.source, exc)
                continue
            yield rec


def _in_pool(articles: Iterable[Article], workers: int) -> Iterator[ArticleRecords | InputError]:
    """Chunks of articles analysed by `workers` processes, at most two chunks per worker
    in flight so memory stays bounded whatever the input's size.

    Workers are spawned, not forked: the parent holds an open store and maybe threads
    (the desk's), which a fork would copy half-way through whatever they were doing.
    """
    # imported here: the pool's modules (0.02 CPU s) are not needed by a smaller input
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = iter(lambda: list(itertools.islice(articles, CHUNK)), [])
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future[list[ArticleRecords | InputError]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_analyze_chunk, chunk))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _analyze_chunk(articles: list[Article]) -> list[ArticleRecords | InputError]:
    """One worker's task: the same per-article code as in this process."""
    return list(_in_process(articles))


def analysis_failed(source: str, exc: BaseException) -> InputError:
    """The error that reports an article whose analysis raised, with where it raised."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return InputError(source, f"analysis failed: {type(exc).__name__}: {exc}{where}")


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool) -> _NoBar:
    if not enabled or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(unit=" articles", desc="analysing", file=sys.stderr)  # type: ignore[return-value]
