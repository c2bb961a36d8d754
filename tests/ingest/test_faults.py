"""Inputs that used to lose reports without a word (issue 16): broken WARC records, legacy
code pages, unreadable folders, HTML nested beyond the parser's depth."""

from __future__ import annotations

import gzip
import html
import logging
import os
import re
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsdesk.ingest.readers import read_inputs
from newsdesk.models import Article, InputError


def _read(*inputs: Path | str) -> tuple[list[Article], list[InputError]]:
    items = list(read_inputs([str(i) for i in inputs]))
    return [i for i in items if isinstance(i, Article)], [
        i for i in items if isinstance(i, InputError)
    ]


def _page(report: Path) -> bytes:
    """A Raqqa report as the HTML page a crawler would have saved."""
    title, _, body = report.read_text("utf-8").partition("\n\n")
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n") if p.strip())
    return (f"<html><head><title>{html.escape(title)}</title></head><body><article>"
            f"<h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>").encode()


def _records(example_dir: Path) -> list[bytes]:
    """Four uncompressed WARC response records, one per Raqqa report."""
    out = []
    for n, report in enumerate(sorted(example_dir.glob("*.txt"))[:4]):
        buf = BytesIO()
        writer = WARCWriter(buf, gzip=False)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"https://example.org/raqqa/{n}", "response", payload=BytesIO(_page(report)),
            http_headers=headers))
        out.append(buf.getvalue())
    return out


def _length(record: bytes, delta: int) -> bytes:
    return re.sub(rb"Content-Length: (\d+)",
                  lambda m: b"Content-Length: %d" % (int(m.group(1)) + delta), record, count=1)


@pytest.fixture
def records(example_dir: Path) -> list[bytes]:
    return _records(example_dir)


def test_warc_of_four_good_records_gives_four_articles(records, tmp_path):
    path = tmp_path / "crawl.warc"
    path.write_bytes(b"".join(records))
    articles, errors = _read(path)
    assert not errors
    assert [a.url for a in articles] == [f"https://example.org/raqqa/{n}" for n in range(4)]


@pytest.mark.parametrize("delta", [700, -40], ids=["too long", "too short"])
@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_warc_wrong_content_length_costs_only_its_record(records, tmp_path, delta, gz):
    """A wrong length used to swallow the records after it: 4 records, 2 stored, no word."""
    parts = [records[0], _length(records[1], delta), records[2], records[3]]
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    path.write_bytes(b"".join(gzip.compress(p) for p in parts) if gz else b"".join(parts))
    articles, errors = _read(path)
    assert [a.url.rsplit("/", 1)[1] for a in articles] == ["0", "2", "3"]
    [error] = errors
    assert error.source == f"{path}#record-2"
    assert "Content-Length" in error.reason and "skipped" in error.reason


def test_warc_garbage_record_header_is_reported_and_reading_goes_on(records, tmp_path):
    path = tmp_path / "crawl.warc"
    path.write_bytes(records[0] + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"".join(records[1:]))
    articles, errors = _read(path)
    assert len(articles) == 4
    [error] = errors
    assert error.source == f"{path}#record-2"
    assert "not a WARC record header" in error.reason


def test_warc_header_without_length_is_reported(records, tmp_path):
    path = tmp_path / "crawl.warc"
    path.write_bytes(records[0] + b"WARC/1.0\r\nWARC-Type: response\r\n\r\nxx\r\n\r\n"
                     + records[1])
    articles, errors = _read(path)
    assert len(articles) == 2
    [error] = errors
    assert error.source.endswith("#record-2") and "Content-Length" in error.reason


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_warc_truncated_last_record_is_reported_not_stored(records, tmp_path, gz):
    data = b"".join(gzip.compress(r) for r in records) if gz else b"".join(records)
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(data[:-400])
    articles, errors = _read(path)
    assert [a.url.rsplit("/", 1)[1] for a in articles] == ["0", "1", "2"]
    assert errors[0].source == f"{path}#record-4"
    assert "cut short" in errors[0].reason and "not stored" in errors[0].reason
    if gz:  # the gzip stream itself breaks off too, and says so
        assert len(errors) == 2 and errors[1].source == str(path)
    else:
        assert len(errors) == 1


def test_warc_sample_still_reads_its_two_pages(data_dir):
    articles, errors = _read(data_dir / "ingest" / "sample.warc.gz")
    assert not errors
    assert [a.source.rsplit("#", 1)[1] for a in articles] == ["record-2", "record-3"]


_ARABIC = ("غارة جوية على سوق الرقة\n\n"
           "قال المرصد السوري لحقوق الإنسان إن غارة جوية أصابت سوقا في مدينة الرقة "
           "وقتلت عشرة مدنيين على الأقل، بينهم أطفال.\n")


def test_cp1256_arabic_is_decoded_as_arabic(tmp_path, caplog):
    path = tmp_path / "arabic.txt"
    path.write_bytes(_ARABIC.encode("cp1256"))
    with caplog.at_level(logging.WARNING):
        [art], errors = _read(path)
    assert not errors
    assert art.title == "غارة جوية على سوق الرقة"
    assert "عشرة مدنيين" in art.text
    assert "decoded 2 lines as cp1256" in caplog.text


def test_cp1251_russian_is_decoded_as_russian(tmp_path):
    path = tmp_path / "russian.txt"
    path.write_bytes("Авиаудар по рынку в Ракке\n\nПо словам наблюдателей, погибли "
                     "десять человек.\n".encode("cp1251"))
    [art], _ = _read(path)
    assert art.title == "Авиаудар по рынку в Ракке" and "десять человек" in art.text


def test_mixed_file_keeps_every_line_and_says_how_each_was_decoded(tmp_path, caplog):
    """UTF-8 Arabic and English lines, with cp1256 Arabic lines pasted among them."""
    english = "Airstrike on Raqqa market\n\nThe monitors said the strike killed ten people.\n"
    utf8_arabic = "وقال ناشطون إن الضربة أصابت السوق صباحا.\n"
    data = (english.encode() + _ARABIC.encode("cp1256") + utf8_arabic.encode()
            + "The café owner fled.\n".encode("cp1252"))
    path = tmp_path / "mixed.txt"
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING):
        [art], errors = _read(path)
    assert not errors
    for line in ["The monitors said the strike killed ten people.", "عشرة مدنيين",
                 utf8_arabic.strip(), "غارة جوية على سوق الرقة"]:
        assert line in art.text, line
    assert "decoded 3 lines as cp1256 and 1 line with other non-ASCII text as UTF-8" in caplog.text


def test_latin_text_is_still_read_as_cp1252(tmp_path):
    path = tmp_path / "fr.txt"
    path.write_bytes("Frappe à Raqqa\n\nUne frappe aérienne a touché le marché, selon "
                     "l’Observatoire.\n".encode("cp1252"))
    [art], _ = _read(path)
    assert "frappe aérienne a touché le marché" in art.text and "l’Observatoire" in art.text


@pytest.fixture
def lock(monkeypatch):
    """Make a folder unlistable: by its mode, or for root (who lists any folder) by
    failing `os.scandir` on it the way the kernel fails it for others."""

    def locking(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0)
            return
        real = os.scandir

        def scandir(path=".", *args, **kwargs):
            if Path(path) == folder:
                raise PermissionError(13, "Permission denied", str(folder))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, "scandir", scandir)

    yield locking


def test_unreadable_subfolder_is_named_and_the_rest_read(example_dir, tmp_path, lock):
    root = tmp_path / "reports"
    locked = root / "locked"
    locked.mkdir(parents=True)
    reports = sorted(example_dir.glob("*.txt"))
    (root / "a.txt").write_bytes(reports[0].read_bytes())
    (locked / "b.txt").write_bytes(reports[1].read_bytes())
    lock(locked)
    try:
        articles, errors = _read(root)
    finally:
        locked.chmod(0o755)
    assert [Path(a.source).name for a in articles] == ["a.txt"]
    [error] = errors
    assert error.source == str(locked)
    assert "cannot read this folder" in error.reason and "permission" in error.reason.lower()


def test_unreadable_folder_given_directly_says_why(tmp_path, lock):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text("Some report.")
    lock(locked)
    try:
        [error] = _read(locked)[1]
    finally:
        locked.chmod(0o755)
    assert error.source == str(locked)
    assert "permission denied" in error.reason.lower()
    assert "no files" not in error.reason


def _nested(depth: int, example_dir: Path) -> str:
    body = sorted(example_dir.glob("*.txt"))[0].read_text("utf-8").split("\n\n")[1:]
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    return (f"<html><head><title>Deep</title></head><body>{'<div>' * depth}"
            f"{paragraphs}{'</div>' * depth}</body></html>")


def test_html_deeper_than_libxml2_default_keeps_its_text(example_dir, tmp_path, caplog):
    path = tmp_path / "deep.html"
    path.write_text(_nested(400, example_dir), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        [art], errors = _read(path)
    assert not errors
    first = sorted(example_dir.glob("*.txt"))[0].read_text("utf-8").split("\n\n")[1]
    assert first.strip()[:60] in art.text
    assert "trafilatura" not in caplog.text


def test_html_beyond_any_parser_depth_says_so(example_dir, tmp_path, caplog):
    path = tmp_path / "deeper.html"
    path.write_text(_nested(2100, example_dir), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        articles, [error] = _read(path)
    assert not articles
    assert error.source == str(path)
    assert "nested over 2,047 elements deep" in error.reason
    assert "discarding" not in caplog.text


def test_file_under_an_unsearchable_folder_says_why(tmp_path, monkeypatch):
    """stat() of a file in a folder without search permission raises EACCES, which
    `Path.is_dir` passes on: it escaped as a traceback."""
    path = tmp_path / "locked" / "report.txt"
    path.parent.mkdir()
    path.write_text("Some report.")
    real = Path.stat

    def stat(self: Path, **kwargs: object) -> os.stat_result:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    [error] = _read(path)[1]
    assert error.source == str(path)
    assert error.reason.startswith("cannot read: Permission denied; check the permissions")
