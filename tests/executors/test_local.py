"""The local executor: worker processes give what one process gives, in input order, and
one process per core is the default only for a large input (issue 15)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from newsdesk.executors import local
from newsdesk.ingest.readers import read_inputs
from newsdesk.models import Article, ArticleRecords, InputError
from newsdesk.pipeline import run

pytestmark = pytest.mark.slow


def _articles(example_dir: Path) -> list[Article]:
    articles = [a for a in read_inputs([str(example_dir)]) if isinstance(a, Article)]
    assert len(articles) == 5
    return articles


def test_two_workers_give_one_process_records_in_input_order(
    example_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = _articles(example_dir)
    monkeypatch.setattr(local, "CHUNK", 2)  # three chunks: out-of-order finishing can show
    alone = list(local.analyze_locally(articles, stored=set(), workers=1))
    pooled = list(local.analyze_locally(articles, stored=set(), workers=2))
    assert all(isinstance(r, ArticleRecords) for r in alone)
    assert [r.article.id for r in pooled] == [a.id for a in articles]  # type: ignore[union-attr]
    assert pooled == alone


def test_stored_articles_are_not_sent_to_workers(example_dir: Path) -> None:
    articles = _articles(example_dir)
    stored = {articles[1].id, articles[3].id}
    pooled = list(local.analyze_locally(articles, stored=stored, workers=2))
    assert [r.article.id for r in pooled] == [  # type: ignore[union-attr]
        a.id for a in articles if a.id not in stored]


def _recording(calls: list[int]):
    def in_pool(articles: Iterable[Article], workers: int) -> Iterator[ArticleRecords | InputError]:
        calls.append(workers)
        return iter([])

    return in_pool


def test_pool_by_default_only_from_pool_from_articles(
    example_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = _articles(example_dir)
    calls: list[int] = []
    monkeypatch.setattr(local, "_in_pool", _recording(calls))
    monkeypatch.setattr(local, "_in_process", lambda items: iter(()))

    monkeypatch.setattr(local, "POOL_FROM", 6)  # five to analyse: this process
    list(local.analyze_locally(articles, stored=set()))
    assert calls == []
    monkeypatch.setattr(local, "POOL_FROM", 5)  # five: one worker per core
    list(local.analyze_locally(articles, stored=set()))
    assert calls == [len(os.sched_getaffinity(0))]
    list(local.analyze_locally(articles, stored={articles[0].id}))  # four left to analyse
    assert calls == [len(os.sched_getaffinity(0))]


def test_workers_give_the_same_outputs_as_one_process(example_dir: Path, tmp_path: Path) -> None:
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        summary = run([str(example_dir)], out_dir=out, db_path=tmp_path / f"{workers}.db",
                      workers=workers)
        assert summary.stored == 5 and not summary.errors
        outs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outs[0] == outs[1]
