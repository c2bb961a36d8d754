"""The desk's uploads go through the runner: same records as `analyze`, and a run logged."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from newsdesk import pipeline
from newsdesk.models import Article, ArticleRecords
from newsdesk.store import Store
from newsdesk.web.jobs import Jobs

pytestmark = pytest.mark.slow


def _finished(jobs: Jobs, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"upload job still {jobs.get(job_id)['status']} after 180 s")


def _records(db: Path) -> dict[str, dict[str, Any]]:
    """Stored records by article id, without the source path (uploads are renamed)."""
    with Store.open(db) as store:
        out = {}
        for rec in store.iter_records():
            row = rec.to_dict()
            row["article"].pop("source")
            out[rec.article.id] = row
        return out


def test_web_upload_records_a_run_and_stores_what_analyze_stores(
    example_dir: Path, tmp_path: Path
) -> None:
    reports = sorted(example_dir.iterdir())[:2]
    uploads = [(p.name, p.read_bytes()) for p in reports]
    uploads += [("again.txt", reports[0].read_bytes()), ("empty.txt", b"")]
    db = tmp_path / "desk.db"
    jobs = Jobs(db)
    job = _finished(jobs, jobs.submit(uploads)["id"])

    assert job["status"] == "done", job
    assert job["total"] == job["done"] == 2
    assert len(job["errors"]) == 1 and job["errors"][0].startswith("003-empty.txt: ")
    with Store.open(db) as store:
        (run,) = store.runs()
    assert run["inputs"] == [
        "upload:000-000_e3fe73acab485a53.txt",
        "upload:001-001_b5309f86b7870f1b.txt",
        "upload:002-again.txt",
        "upload:003-empty.txt",
    ]
    assert run["counts"] == {"read": 4, "stored": 2, "unchanged": 0, "duplicates": 1, "failed": 1,
                             "copies": 0}  # again.txt: the first report read again
    assert [Path(e["source"]).name for e in run["errors"]] == ["003-empty.txt"]
    assert run["finished"] is not None

    # the same files without the example's manifest, which an upload does not carry
    plain = tmp_path / "plain"
    plain.mkdir()
    for p in reports:
        shutil.copy(p, plain / p.name)
    cli = pipeline.run([str(plain / p.name) for p in reports], out_dir=None,
                       db_path=tmp_path / "cli.db")
    assert job["article_ids"] == cli.article_ids
    assert _records(db) == _records(tmp_path / "cli.db")

    again = _finished(jobs, jobs.submit(uploads[:1])["id"])
    assert again["status"] == "done" and again["article_ids"] == cli.article_ids[:1]
    with Store.open(db) as store:
        runs = store.runs()
    assert len(runs) == 2 and runs[1]["counts"]["unchanged"] == 1


def test_web_upload_failed_analysis_is_progress_and_logged(
    example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.analyse import article as analyse

    real = analyse.analyze_article

    def fails_on_second(
        article: Article, res: analyse.Resources, parsed: analyse.Parsed | None = None
    ) -> ArticleRecords:
        assert parsed is not None and parsed.text.text == article.text  # parsed in a batch
        if "001_" in article.source:
            raise RuntimeError("injected failure")
        return real(article, res, parsed)

    monkeypatch.setattr(analyse, "analyze_article", fails_on_second)
    reports = sorted(example_dir.iterdir())[:2]
    db = tmp_path / "desk.db"
    jobs = Jobs(db)
    job = _finished(jobs, jobs.submit([(p.name, p.read_bytes()) for p in reports])["id"])

    assert job["status"] == "done", job
    assert job["total"] == job["done"] == 2
    assert len(job["article_ids"]) == 1
    (error,) = job["errors"]
    assert error.startswith("001-001_b5309f86b7870f1b.txt: analysis failed: RuntimeError: injected")
    with Store.open(db) as store:
        (run,) = store.runs()
        assert [a.id for a in store.iter_articles()] == job["article_ids"]
    assert run["counts"]["stored"] == 1 and run["counts"]["failed"] == 1
    assert "injected failure" in run["errors"][0]["reason"]
