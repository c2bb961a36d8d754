"""The Dask executor: same answer as the local one, resumable, and failures kept small.

Poison is injected from the test through a worker plugin that wraps `analyze_article`
in the worker processes (and in the processes a nanny starts to replace dead ones), so
production code carries no test hook.
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from distributed import Worker
from distributed.diagnostics.plugin import WorkerPlugin

from newsdesk import pipeline
from newsdesk.models import Article, ArticleRecords, InputError

if TYPE_CHECKING:
    from distributed import LocalCluster
    from spacy.language import Language

    from newsdesk.analyse.article import Parsed, Resources

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[1] / "data" / "dask" / "corpus.jsonl.gz"
RAISE, HANG, EXIT, EXIT_ONCE = "POISON-RAISE", "POISON-HANG", "POISON-EXIT", "POISON-EXIT-ONCE"
PARSE_EXIT = "POISON-PARSE-EXIT"  # kills a worker parsing it with other articles


def _cluster(workers: int = 2) -> LocalCluster:
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        )  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    cl = _cluster()
    yield cl
    cl.close()


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def _stored(db: Path) -> tuple[dict[str, dict], list[dict]]:
    """Every stored record by article id (shards finish in any order), and the run log."""
    from newsdesk.store import Store

    with Store.open(db) as store:
        records = {rec.article.id: rec.to_dict() for rec in store.iter_records()}
        runs = [{k: r[k] for k in ("inputs", "counts", "errors")} for r in store.runs()]
    return records, runs


def test_same_answer_as_local(cluster: LocalCluster, example_dir: Path, tmp_path: Path) -> None:
    inputs = [str(example_dir), str(CORPUS)]
    local = pipeline.run(
        inputs, out_dir=tmp_path / "local", db_path=tmp_path / "local.db", parquet=True
    )
    dask = pipeline.run(
        inputs, out_dir=tmp_path / "dask", db_path=tmp_path / "dask.db",
        executor="dask", scheduler=cluster.scheduler_address, parquet=True,
    )  # fmt: skip
    assert dask.article_ids == local.article_ids
    assert (dask.stored, dask.duplicates, dask.copies, dask.failed) == (
        local.stored,
        local.duplicates,
        local.copies,
        local.failed,
    )
    assert local.stored >= 40 and local.copies >= 1  # the corpus repeats some windows
    ours, theirs = _outputs(tmp_path / "dask"), _outputs(tmp_path / "local")
    assert sorted(ours) == sorted(theirs)
    for name, data in theirs.items():
        assert ours[name] == data, name
    assert b"Raqqa" in ours["articles.jsonl"] and ours["claims.jsonl"]
    dask_records, dask_runs = _stored(tmp_path / "dask.db")
    local_records, local_runs = _stored(tmp_path / "local.db")
    assert len(local_records) == local.stored and len(local_runs) == 1
    assert dask_records == local_records
    assert dask_runs == local_runs
    for table in ("articles", "places", "actors", "claims", "quotes", "incidents"):
        rows = [json.loads(line) for line in ours[f"{table}.jsonl"].splitlines()]
        parquet = pq.read_table(tmp_path / "dask" / f"{table}.parquet")
        assert parquet.num_rows == len(rows), table
        if rows:
            key = "id" if "id" in rows[0] else "article_id"
            assert parquet.column(key).to_pylist() == [r[key] for r in rows], table


def test_parquet_keeps_mixed_columns_as_json(tmp_path: Path) -> None:
    from newsdesk.publish.export import write_parquet

    rows = [{"id": "a", "value": 3, "scope": None}, {"id": "b", "value": "three", "tags": [1]}]
    (path,) = write_parquet(tmp_path, {"claims": rows})
    table = pq.read_table(path)
    assert table.column_names == ["id", "value", "scope", "tags"]
    assert table.column("value").to_pylist() == ["3", '"three"']
    assert table.column("tags").to_pylist() == [None, [1]]


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # the run has not created the table yet
            return 0


def test_killed_run_resumes_without_redoing_shards(
    cluster: LocalCluster,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "desk.db"
    script = (
        "import sys; from pathlib import Path; from newsdesk import pipeline; "
        "pipeline.run([sys.argv[1]], out_dir=None, db_path=Path(sys.argv[2]), "
        "executor='dask', workers=1)"
    )
    env = {**os.environ, "NEWSDESK_SHARD_ARTICLES": "6"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(CORPUS), str(db)], env=env,
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _count(db, "SELECT count(*) FROM shards") < 1:
            assert proc.poll() is None, "the run ended before committing a shard"
            assert time.monotonic() < deadline, "no shard committed in 60 s"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its cluster's processes
        proc.wait()
    done = _count(db, "SELECT count(*) FROM shards")
    kept = _count(db, "SELECT count(*) FROM articles")
    assert done >= 1 and kept >= 1

    monkeypatch.setenv("NEWSDESK_SHARD_ARTICLES", "6")
    with caplog.at_level(logging.INFO, logger="newsdesk.executors.dask_executor"):
        summary = pipeline.run(
            [str(CORPUS)], out_dir=None, db_path=db, executor="dask",
            scheduler=cluster.scheduler_address,
        )  # fmt: skip
    planned = math.ceil(len(set(summary.article_ids)) / 6)
    assert f"{planned} shards planned, {done} already done, {planned - done} to run" in caplog.text
    assert summary.unchanged == kept  # what the killed run stored is not analysed again
    assert summary.stored + summary.unchanged == len(set(summary.article_ids))
    assert _count(db, "SELECT count(*) FROM articles") == len(set(summary.article_ids))
    assert _count(db, "SELECT count(*) FROM shards") == planned
    assert _count(db, "SELECT count(*) - count(DISTINCT id) FROM claims") == 0


class _Poison(WorkerPlugin):
    """Worker plugin: analyse as usual, except articles carrying a poison marker."""

    name = "newsdesk-poison"

    def __init__(self, flag_dir: str) -> None:
        self.flag_dir = flag_dir

    def setup(self, worker: Worker) -> None:
        from newsdesk.analyse import article as analyze

        real, real_parse = analyze.analyze_article, analyze.parse_batch
        flag = Path(self.flag_dir) / "exited-once"

        def parse_poisoned(articles: list[Article], nlp: Language) -> list[Parsed]:
            if any(PARSE_EXIT in a.text for a in articles):
                os._exit(1)
            return real_parse(articles, nlp)

        def poisoned(
            article: Article, res: Resources, parsed: Parsed | None = None
        ) -> ArticleRecords:
            if EXIT_ONCE in article.text:
                if not flag.exists():
                    flag.touch()
                    os._exit(1)
            elif EXIT in article.text:
                os._exit(1)
            if HANG in article.text:
                time.sleep(120)
            if RAISE in article.text:
                raise RuntimeError("injected failure")
            return real(article, res, parsed)

        self.real, self.real_parse = real, real_parse
        analyze.analyze_article = poisoned
        analyze.parse_batch = parse_poisoned

    def teardown(self, worker: Worker) -> None:
        from newsdesk.analyse import article as analyze

        analyze.analyze_article = self.real
        analyze.parse_batch = self.real_parse


def _poisoned_corpus(path: Path) -> list[str]:
    """Eight real articles, five of them carrying one marker each; returns the markers."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        texts = list(dict.fromkeys(json.loads(line)["text"] for line in fh))
    rows = [{"text": t} for t in texts[:8]]
    markers = {1: RAISE, 3: HANG, 5: EXIT, 6: EXIT_ONCE, 7: PARSE_EXIT}
    for index, marker in markers.items():
        rows[index]["text"] += f"\n\nThe record ends here ({marker})."
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return [markers.get(i, "") for i in range(len(rows))]


def test_poisoned_articles_cost_only_themselves(
    cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cloudpickle
    import distributed
    from distributed import Client

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    corpus = tmp_path / "poisoned.jsonl"
    markers = _poisoned_corpus(corpus)
    monkeypatch.setenv("NEWSDESK_ARTICLE_TIMEOUT", "5")
    errors: list[InputError] = []
    loops = []  # the loop each results queue of the run waits on

    class _Queue(distributed.as_completed):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            loops.append(self.loop)

    monkeypatch.setattr(distributed, "as_completed", _Queue)
    # this test's own Client is the current one while the run makes its own: the run's
    # results must be awaited on its client's loop, not on this one's (a results queue on
    # the default client's loop failed now and then: "bound to a different event loop")
    with Client(cluster) as client:
        client.register_plugin(_Poison(str(tmp_path)))
        try:
            summary = pipeline.run(
                [str(corpus)], out_dir=tmp_path / "out", db_path=tmp_path / "desk.db",
                executor="dask", scheduler=cluster.scheduler_address, on_error=errors.append,
            )  # fmt: skip
        finally:
            client.unregister_worker_plugin(_Poison.name)
        assert loops and all(loop is not client.loop for loop in loops)
    by_line = {int(e.source.rsplit("#", 1)[1]) - 1: e.reason for e in errors}
    assert by_line.keys() == {1, 3, 5}, errors
    assert "RuntimeError: injected failure" in by_line[1]
    assert "time limit of 5 s" in by_line[3]
    assert "worker died" in by_line[5]
    # the worker that died once was replaced and its shard retried: that article is in
    assert summary.stored == len(markers) - 3 and summary.failed == 3
    assert (tmp_path / "exited-once").exists()
    stored = [json.loads(line)["text"] for line in (tmp_path / "out" / "articles.jsonl").open()]
    assert sum(EXIT_ONCE in t for t in stored) == 1
    # the worker died parsing a batch: the shard ran again one article at a time
    assert sum(PARSE_EXIT in t for t in stored) == 1
    # the shard lost articles: no completion marker, so the next run tries them again
    assert _count(tmp_path / "desk.db", "SELECT count(*) FROM shards") == 0


def test_plan_shards_caps_passes_over_a_big_file() -> None:
    from newsdesk.executors.dask_executor import MAX_SHARDS_PER_FILE, plan_shards

    small = plan_shards({"a.jsonl": 10}, size=4)
    assert [(s.first, s.last) for s in small] == [(0, 4), (4, 8), (8, None)]
    big = plan_shards({"b.jsonl": 1000}, size=4)
    assert len(big) == MAX_SHARDS_PER_FILE and big[-1].last is None
    assert all(b.first == a.last for a, b in itertools.pairwise(big))
    assert len({s.key for s in small + big}) == len(small) + len(big)
