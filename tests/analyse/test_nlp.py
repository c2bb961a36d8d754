"""Long reports: spaCy refuses a text over its `max_length` (E088); newsdesk parses it in
pieces and keeps every offset pointing into the article (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.analyse import nlp as nlp_module
from newsdesk.analyse.article import analyze_article, load_resources
from newsdesk.ingest.readers import read_inputs
from newsdesk.models import Article

pytestmark = pytest.mark.slow


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch, nlp):
    """spaCy's limit and the piece size scaled down 50 times, so a 30 kB report stands for
    a 1.5 MB one without a minute of parsing."""
    monkeypatch.setattr(nlp, "max_length", 20_000)
    monkeypatch.setattr(nlp_module, "PIECE_CHARS", 2_000)
    return nlp


def _long_report(example_dir: Path, tmp_path: Path) -> Article:
    parts = [p.read_text("utf-8").partition("\n\n")[2] for p in sorted(example_dir.glob("*.txt"))]
    body = "\n\n".join(parts)
    path = tmp_path / "long.txt"
    path.write_text("Raqqa: the long report\n\n" + "\n\n".join([body] * (30_000 // len(body) + 1)),
                    encoding="utf-8")
    [article] = read_inputs([str(path)])
    assert isinstance(article, Article)
    return article


def test_long_report_is_analysed_in_pieces_with_offsets_kept(small_limits, example_dir, tmp_path):
    article = _long_report(example_dir, tmp_path)
    assert len(article.text) > small_limits.max_length
    with pytest.raises(ValueError, match="E088"):  # the failure: spaCy alone refuses it
        small_limits(article.text)
    rec = analyze_article(article, load_resources())
    assert rec.places and rec.actors and rec.claims
    for mention in [*rec.places, *rec.actors]:
        assert article.text[mention.start:mention.end] == mention.text
    last = max(p.start for p in rec.places)
    assert last > len(article.text) - nlp_module.PIECE_CHARS  # the last piece was analysed


def test_pieces_join_into_the_text_and_cut_between_paragraphs(small_limits, example_dir, tmp_path):
    text = _long_report(example_dir, tmp_path).text
    pieces = nlp_module._pieces(text)
    assert "".join(pieces) == text
    assert all(len(p) <= nlp_module.PIECE_CHARS for p in pieces)
    assert all(p.endswith("\n\n") for p in pieces[:-1])
    doc = nlp_module.parse(small_limits, text)
    assert doc.text == text and len(list(doc.sents)) > 10


def test_model_runs_on_one_blas_thread(nlp):
    """OpenBLAS's own threads spin on the model's small matrices: on a busy machine they
    doubled a parse's CPU time (issue 15); the model loads with BLAS on one thread."""
    import ctypes

    import numpy

    [lib] = (Path(numpy.__file__).parent.parent / "numpy.libs").glob("*openblas*.so*")
    blas = ctypes.CDLL(str(lib))
    getter = next(getattr(blas, n.replace("set", "get"))
                  for n in nlp_module._OPENBLAS_SETTERS if hasattr(blas, n))
    assert getter() == 1
