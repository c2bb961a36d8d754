"""Fixtures shared by the whole suite (the only conftest, as in spaCy's tests)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "raqqa-2017"
SHARED = REPO.parent / "shared"
BENCHMARKS = SHARED / "benchmarks"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def example_dir() -> Path:
    """The Raqqa reports bundled with the repo (a copy of shared/corpus/raqqa-2017)."""
    return EXAMPLE


@pytest.fixture(scope="session")
def benchmarks_dir() -> Path:
    """The public benchmarks beside the repo; tests that need them skip when absent."""
    if not BENCHMARKS.is_dir():
        pytest.skip("../shared/benchmarks is not present")
    return BENCHMARKS


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def nlp():
    from newsdesk.analyse.nlp import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def raqqa_records() -> dict:
    """Records of each Raqqa report from the real per-article stage, keyed by the file's
    number prefix ("000".."004"); analysed once per session for every test that reads them.
    """
    from newsdesk.analyse.article import analyze_article, load_resources
    from newsdesk.ingest.readers import read_inputs
    from newsdesk.models import InputError

    res = load_resources()
    out = {}
    for art in read_inputs([EXAMPLE]):
        assert not isinstance(art, InputError), str(art)
        out[Path(art.source).name[:3]] = analyze_article(art, res)
    return out


@pytest.fixture(scope="session")
def raqqa_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store the real pipeline wrote from the Raqqa example, built once per session.

    Shared by the desk's end-to-end and browser tests; a test that writes (review, upload)
    copies the file first so the others still see what the pipeline produced.
    """
    from newsdesk.pipeline import run

    db = tmp_path_factory.mktemp("raqqa-store") / "newsdesk.db"
    summary = run([str(EXAMPLE)], out_dir=None, db_path=db)
    assert summary.stored == 5 and not summary.errors, summary.line()
    return db


@pytest.fixture
def raqqa_copy(raqqa_store: Path, tmp_path: Path) -> Path:
    """A private copy of `raqqa_store` for a test that writes to it (SQLite's backup, so a
    WAL-mode file copies whole)."""
    dst = tmp_path / "desk.db"
    with closing(sqlite3.connect(raqqa_store)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst
