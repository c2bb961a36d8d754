"""Reading every supported format, and one clear error per bad input."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.ingest.readers import article_id, read_inputs
from newsdesk.models import Article, InputError


def _read(*inputs, stdin=None):
    items = list(read_inputs([str(i) for i in inputs], stdin=stdin))
    return [i for i in items if isinstance(i, Article)], [
        i for i in items if isinstance(i, InputError)
    ]


@pytest.fixture(scope="module")
def ingest_dir(data_dir):
    return data_dir / "ingest"


def test_ingest_text_takes_title_from_first_line(example_dir):
    [art], errors = _read(example_dir / "001_b5309f86b7870f1b.txt")
    assert not errors
    assert art.title == "US-backed forces breach IS defences in heart of Syria's Raqa"
    assert art.text.startswith("Beirut (AFP) - US-backed forces have penetrated")
    assert "Our goal is to create" not in art.text and art.removed


def test_ingest_text_without_headline_keeps_first_paragraph(example_dir):
    [art], _ = _read(example_dir / "002_e5096ebe9da60f70.txt")
    assert art.title is None
    assert art.text.startswith("AIN ISSA, Syria: The U.S.-led coalition")


def test_ingest_ids_depend_on_content_not_path_or_compression(example_dir, ingest_dir, tmp_path):
    original = example_dir / "001_b5309f86b7870f1b.txt"
    copy = tmp_path / "elsewhere" / "renamed.txt"
    copy.parent.mkdir()
    shutil.copy(original, copy)
    ids = {_read(p)[0][0].id for p in (original, copy, ingest_dir / "raqqa_001.txt.gz")}
    assert len(ids) == 1
    [art] = _read(original)[0]
    assert art.id == article_id(art.text, None) and len(art.id) == 16
    assert article_id(art.text, "https://example.org/a") != art.id


def test_ingest_folder_is_recursive_and_sorted(example_dir, tmp_path):
    shutil.copytree(example_dir, tmp_path / "corpus" / "nested")
    (tmp_path / "corpus" / ".hidden.txt").write_text("Not a report at all, just a dotfile.")
    articles, errors = _read(tmp_path / "corpus")
    assert not errors
    assert [a.source.rsplit("/", 1)[1] for a in articles] == sorted(
        p.name for p in example_dir.iterdir() if p.suffix == ".txt"  # manifest.csv is not one
    )


def test_ingest_glob_and_stdin(example_dir):
    articles, _ = _read(example_dir / "00[12]_*.txt")
    assert len(articles) == 2
    raw = (example_dir / "003_16493793af55492b.txt").read_bytes()
    [art], _ = _read("-", stdin=io.BytesIO(raw))
    assert art.source == "<stdin>"
    assert art.id == _read(example_dir / "003_16493793af55492b.txt")[0][0].id


def test_ingest_html_and_gzipped_html(ingest_dir):
    articles, errors = _read(ingest_dir / "nbc_hitler.html", ingest_dir / "reuters_titan.html.gz")
    assert not errors
    nbc, titan = articles
    assert nbc.title == "House Hitler was born in to become police station"
    assert nbc.text.startswith("VIENNA — The house where Adolf Hitler was born")
    assert nbc.url.startswith("https://www.nbcnews.com/")
    assert (nbc.published, nbc.published_source) == ("2019-11-20", "html-meta")
    assert titan.text.startswith("WASHINGTON (Reuters) - Scientists on Monday unveiled")


def test_ingest_warc_reads_html_responses_not_crawl_date(ingest_dir):
    articles, errors = _read(ingest_dir / "sample.warc.gz")
    assert not errors
    assert [a.source.rsplit("#", 1)[1] for a in articles] == ["record-2", "record-3"]
    assert articles[0].url.startswith("https://www.nbcnews.com/news/world/house-hitler")
    assert articles[1].url.startswith("https://www.sciencealert.com/")
    assert all(a.published != "2023-03-01" for a in articles)
    [html_nbc], _ = _read(ingest_dir / "nbc_hitler.html")
    assert articles[0].text == html_nbc.text


def test_ingest_rss_and_atom(ingest_dir):
    articles, errors = _read(ingest_dir / "raqqa_feed.rss", ingest_dir / "raqqa_feed.atom")
    rss, atom, only_updated = articles
    assert rss.url == "https://example.org/2017/07/04/raqa-old-city"
    assert rss.published == "2017-07-04" and rss.published_source == "input"
    assert rss.text.split("\n\n")[1].startswith("Air strikes by the US-led coalition")
    assert atom.title == "Cornered in Raqa, IS breathing 'last gasps': coalition commander"
    assert atom.published == "2017-09-14"
    assert only_updated.published is None  # <updated> is not a publication date
    [error] = errors
    assert error.source.endswith("raqqa_feed.rss#record-2")
    assert "no content" in error.reason


@pytest.mark.parametrize("name", ["raqqa.jsonl", "raqqa.jsonl.gz"])
def test_ingest_jsonl_good_and_bad_lines(ingest_dir, name):
    articles, errors = _read(ingest_dir / name)
    mee, arab = articles
    assert mee.source.endswith(f"{name}#1")
    assert mee.url.startswith("https://www.middleeasteye.net/")
    assert mee.published == "2017-07-04" and mee.published_source == "input"
    assert "Skip to main content" not in mee.text
    assert arab.outlet == "Arab News" and arab.outlet_source == "input"
    assert arab.published == "2017-07-17"
    assert arab.text.startswith("AIN ISSA, Syria:")
    assert [e.source.rsplit(":", 1)[1] for e in errors] == ["3", "4", "5"]
    assert "invalid JSON" in errors[0].reason
    assert '"text" or "html"' in errors[1].reason


def test_ingest_decodes_latin1_and_mixed_encodings(ingest_dir, caplog):
    articles, errors = _read(
        ingest_dir / "encodings" / "latin1.txt", ingest_dir / "encodings" / "mixed.txt"
    )
    assert not errors
    latin1, mixed = articles
    assert latin1.title == "Café owners flee Raqa"
    assert "from his café in Coventry." in latin1.text
    assert mixed.title == "Raqqa’s défenders"  # the UTF-8 line is kept as UTF-8
    assert "from his café in Coventry." in mixed.text
    assert "not valid UTF-8" in caplog.text


def _fifo(tmp_path):
    path = tmp_path / "pipe.txt"
    os.mkfifo(path)
    return path


def _big_line(tmp_path):
    path = tmp_path / "one_line.txt"
    path.write_text("word " * 2_000_000)  # 10 MB on one line
    return path


def _oversized(tmp_path):
    path = tmp_path / "huge.html"
    with path.open("wb") as fh:
        fh.truncate(25 * 1024 * 1024)
    return path


def _empty_dir(tmp_path):
    path = tmp_path / "nothing_here"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d, t: d / "bad" / "image.png", "binary file"),
        (lambda d, t: d / "bad" / "empty.txt", "empty file"),
        (lambda d, t: d / "bad" / "broken.html", "no article text found"),
        (lambda d, t: d / "bad" / "corrupt.txt.gz", "corrupt gzip"),
        (lambda d, t: t / "does-not-exist.txt", "no such file"),
        (lambda d, t: t / "nomatch-*.txt", "no file matches"),
        (lambda d, t: _empty_dir(t), "folder has no files"),
        (lambda d, t: _big_line(t), "single line of 10,000,000 characters"),
        (lambda d, t: _oversized(t), "limit is 20 MB"),
        (lambda d, t: _fifo(t), "not a regular file"),
    ],
    ids=[
        "binary",
        "empty",
        "broken-html",
        "corrupt-gzip",
        "missing",
        "glob",
        "empty-dir",
        "10mb-line",
        "oversized",
        "fifo",
    ],
)
def test_ingest_bad_input_gives_one_error_and_batch_goes_on(
    make, reason, ingest_dir, example_dir, tmp_path
):
    bad = make(ingest_dir, tmp_path)
    good = example_dir / "000_e3fe73acab485a53.txt"
    articles, errors = _read(good, bad, good)
    assert len(articles) == 2
    [error] = errors
    assert error.source == str(bad)
    assert reason in error.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_ingest_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("Some report.")
    path.chmod(0)
    [error] = _read(path)[1]
    assert "permission" in error.reason.lower()


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.fixed_dictionaries(
                {"text": st.text(max_size=200)},
                optional={"url": _JSON_VALUES, "published": _JSON_VALUES, "title": _JSON_VALUES},
            ).map(json.dumps),
            _JSON_VALUES.map(json.dumps),
        ),
        max_size=6,
    )
)
def test_ingest_jsonl_lines_never_raise(lines):
    data = "\n".join(lines).encode()
    for item in read_inputs(["-"], stdin=io.BytesIO(b"{}\n" + data)):
        assert isinstance(item, Article | InputError)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=600),
    st.sampled_from([b"", b"\x1f\x8b", b"WARC/1.0\r\n", b"<rss>", b"<html>"]),
)
def test_ingest_arbitrary_bytes_never_raise(data, prefix):
    for item in read_inputs(["-"], stdin=io.BytesIO(prefix + data)):
        assert isinstance(item, Article | InputError)
        if isinstance(item, Article):
            assert item.text.strip()


def test_ingest_gzip_of_gzip_is_read(example_dir, tmp_path):
    path = tmp_path / "double.txt.gz"
    path.write_bytes(
        gzip.compress(gzip.compress((example_dir / "002_e5096ebe9da60f70.txt").read_bytes()))
    )
    [art], errors = _read(path)
    assert not errors and art.text.startswith("AIN ISSA")
