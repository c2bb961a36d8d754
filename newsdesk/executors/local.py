"""Running the per-article stage in this process, one article after another.

An executor only analyses: it yields each article's records, or the error that cost it,
and `pipeline.run_articles` stores them, so every executor shares one storing loop and
one run log.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Container, Iterable, Iterator
from pathlib import Path

from newsdesk.models import Article, ArticleRecords, InputError

log = logging.getLogger(__name__)


def analyze_locally(
    articles: Iterable[Article], *, stored: Container[str], progress: bool = False
) -> Iterator[ArticleRecords | InputError]:
    """Analyse the articles whose ids are not in `stored`, in input order.

    `stored` may be filled by the caller while `articles` is consumed: an article is
    looked up only once it has been drawn. The resources (NLP model, gazetteer, actor
    registry) load on the first article that needs analysing, so a re-run over a stored
    input loads nothing.
    """
    from newsdesk.analyse.article import analyze_article, load_resources

    bar = _progress(progress)
    try:
        for article in articles:
            bar.update(1)
            if article.id in stored:
                continue
            res = load_resources()  # outside the guard: a missing model is no one article's fault
            try:
                rec = analyze_article(article, res)
            except Exception as exc:  # one poisoned article must not cost the batch
                log.debug("analysis failed for %s", article.source, exc_info=True)
                yield analysis_failed(article.source, exc)
                continue
            yield rec
    finally:
        bar.close()


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
