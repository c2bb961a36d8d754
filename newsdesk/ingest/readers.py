"""Read reports from files, folders, globs and stdin into cleaned `Article`s.

A user points newsdesk at whatever they collected: saved pages, text pasted from a
database, a JSON Lines dump, a crawler's WARC, a feed. Each input is sniffed (extension
first, then content), gunzipped when needed, decoded, and turned into one article per
document or record. Anything that cannot be read becomes one `InputError` that names the
file (or `file:line`, `file#record-N`) and says what to do, and the batch goes on: a
monitor ingesting a thousand files must not lose the run to one bad page.
"""

from __future__ import annotations

import email.utils
import glob
import gzip
import hashlib
import io
import json
import logging
import os
import re
import stat
import sys
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from newsdesk.errors import shown
from newsdesk.ingest.clean import clean_text
from newsdesk.ingest.metadata import (
    Sidecar,
    Sidecars,
    apply_sidecar,
    enrich,
    is_sidecar,
    site_name,
)
from newsdesk.models import Article, InputError

__all__ = [
    "MAX_ARTICLE_CHARS", "MAX_DOCUMENT_BYTES", "MAX_LINE_CHARS", "article_id", "read_inputs",
    "read_page",
]

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""Largest file (after gunzip) read as one document; a news page is well under 5 MB."""
MAX_LINE_CHARS = 1_000_000
"""Longest line accepted in plain text: a longer one is a dump or minified data, not prose."""
MAX_ARTICLE_CHARS = 200_000
"""Longest report text analysed, about 30,000 words or 60 pages. The 20 MB above is for a
file, which may hold many reports (a WARC, a JSON Lines dump); one report's analysis
grows faster than its length (every place mention is weighed against the others): 13 CPU s
at 100,000 characters, 34 at 200,000, and a 1.26 MB report had not finished after 13
minutes. A longer one is refused with a word rather than stalling the batch."""

_STDIN = "<stdin>"
_HTML_EXT = {".html", ".htm", ".xhtml", ".shtml"}
_JSONL_EXT = {".jsonl", ".ndjson", ".jsonlines", ".json"}
_FEED_EXT = {".rss", ".atom", ".xml", ".rdf"}
_WARC_EXT = {".warc", ".arc"}
_TITLE_MAX_WORDS = 30


@dataclass(slots=True)
class _Doc:
    """Fields read from one record before cleaning; `None` means the input did not say."""

    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    published_source: str | None = None
    author: str | None = None
    language: str | None = None
    title_in_text: bool = False  # plain text: the headline is the first line
    site_name: str | None = None  # og:site_name and the like; only a fetched page trusts it


def article_id(text: str, url: str | None = None) -> str:
    """Content-derived id: the same report read anywhere, from any path, gets the same id.

    The URL is part of it so two sites carrying the same wire copy stay two articles
    (deduplication links them later, it does not merge them away at ingest).
    """
    digest = hashlib.sha256(f"{url or ''}\n{text}".encode())
    return digest.hexdigest()[:16]


def read_inputs(
    inputs: Iterable[str], *, stdin: BinaryIO | None = None
) -> Iterator[Article | InputError]:
    """Yield an `Article` per readable document and an `InputError` per unreadable input.

    Inputs are file paths, folders (read recursively, in sorted order so runs are
    reproducible), glob patterns, or "-" for stdin. Nothing raises for bad input. A file's
    URL, outlet and date may come from a sidecar beside it (`metadata.Sidecars`).
    """
    sidecars = Sidecars()
    for given in inputs:
        if given == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            try:
                data = stream.read(MAX_DOCUMENT_BYTES + 1)
            except OSError as exc:
                yield InputError(_STDIN, f"cannot read standard input: {exc}")
                continue
            yield from _read_bytes(_STDIN, "", data)
            continue
        yield from _read_path(given, sidecars)


def _read_path(given: str, sidecars: Sidecars) -> Iterator[Article | InputError]:
    path = Path(given)
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists() or path.is_symlink()
    except OSError as exc:  # a folder above it cannot be searched
        yield InputError(given, f"cannot read: {exc.strerror or exc}; check the permissions "
                                "of the folders above it")
        return
    if is_dir:
        files, unreadable = _walk(path)
        files = [p for p in files if not is_sidecar(p)]
        yield from unreadable
        if not files and not unreadable:
            yield InputError(given, "folder has no files to read")
            return
        found = bool(unreadable)  # an unreadable folder was named already
        for file in files:
            for item in _read_file(file, str(file), sidecars):
                found = found or isinstance(item, Article)
                yield item
        if not found:
            yield InputError(given, "no readable article in this folder (see the errors above)")
        return
    if exists:
        yield from _read_file(path, given, sidecars)
        return
    if glob.has_magic(given):
        # Path.glob cannot take an absolute pattern, and users type absolute ones.
        matches = sorted(glob.glob(given, recursive=True))  # noqa: PTH207
        if not matches:
            yield InputError(given, "no file matches this pattern")
        for match in matches:
            yield from _read_path(match, sidecars)
        return
    yield InputError(given, "no such file or folder; check the path")


def _walk(root: Path) -> tuple[list[Path], list[InputError]]:
    """The files under `root` in sorted order, and one error per folder that cannot be
    listed: `Path.rglob` skips those without a word, losing every report inside."""
    unreadable: list[InputError] = []

    def failed(exc: OSError) -> None:
        folder = exc.filename or str(root)
        unreadable.append(InputError(
            folder, f"cannot read this folder ({exc.strerror or exc}); the files in it were "
            "not read: check its permissions"))

    files = []
    for top, dirs, names in os.walk(root, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(top, n) for n in names if not n.startswith("."))
    return sorted(files), unreadable


def _read_file(path: Path, source: str, sidecars: Sidecars) -> Iterator[Article | InputError]:
    try:
        info = path.stat()
    except OSError as exc:
        yield InputError(source, f"cannot read: {exc.strerror or exc}")
        return
    if stat.S_ISDIR(info.st_mode):
        yield InputError(source, "is a folder where a file was expected")
        return
    if not stat.S_ISREG(info.st_mode):
        yield InputError(source, "not a regular file (a pipe, socket or device); save it to a file")
        return
    if info.st_size > MAX_DOCUMENT_BYTES:
        yield InputError(source, _too_big(info.st_size))
        return
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        yield InputError(source, f"cannot read: {exc.strerror or exc}; check its permissions")
        return
    sidecar, problems = sidecars.of(path)
    yield from problems
    items = _read_bytes(source, path.name, data)
    yield from items if sidecar is None else _with_sidecar(source, list(items), sidecar)


def _with_sidecar(source: str, items: list[Article | InputError], sidecar: Sidecar
                  ) -> Iterator[Article | InputError]:
    """A sidecar describes one report: a file that holds several keeps its own metadata."""
    articles = [i for i in items if isinstance(i, Article)]
    if len(articles) > 1:
        yield InputError(source, f"its sidecar describes one report but the file holds "
                         f"{len(articles)}; the sidecar is ignored (give each record its own "
                         "url/outlet/published fields instead)")
    for item in items:
        yield apply_sidecar(item, sidecar) if len(articles) == 1 and item is articles[0] else item


def _too_big(size: int) -> str:
    return (
        f"too large ({size / 1_048_576:.1f} MB); the limit is "
        f"{MAX_DOCUMENT_BYTES // 1_048_576} MB per document: split it into one file per article"
    )


def _read_bytes(source: str, name: str, data: bytes) -> Iterator[Article | InputError]:
    """Dispatch on (gunzipped) content and file name."""
    lower = name.lower()
    if not data.strip():
        yield InputError(source, "empty file")
        return
    if len(data) > MAX_DOCUMENT_BYTES:
        yield InputError(source, _too_big(len(data)))
        return
    kind = _kind(lower.removesuffix(".gz"), data[:4096])
    if kind == "warc":  # warcio reads gzipped WARC members itself
        yield from _read_warc(source, data)
        return
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data)
        except (OSError, EOFError, zlib.error) as exc:
            yield InputError(source, f"corrupt gzip file ({exc}); re-download or re-compress it")
            return
        if len(data) > MAX_DOCUMENT_BYTES:
            yield InputError(source, _too_big(len(data)) + " (uncompressed)")
            return
        if not data.strip():
            yield InputError(source, "empty file (after gunzip)")
            return
        yield from _read_bytes(source, lower.removesuffix(".gz"), data)
        return
    if _binary(data):
        yield InputError(
            source,
            "binary file, not text: newsdesk reads HTML, plain text, JSON Lines, WARC and "
            "RSS/Atom (optionally gzipped)",
        )
        return
    text = _decode(source, data)
    if kind == "jsonl":
        yield from _read_jsonl(source, text)
    elif kind == "feed":
        yield from _read_feed(source, data)
    elif kind == "html":
        yield _to_article(source, _html_doc(text, source))
    else:
        yield _to_article(source, _text_doc(source, text))


def _gunzip(data: bytes) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
        return gz.read(MAX_DOCUMENT_BYTES + 1)


def _kind(name: str, head: bytes) -> str:
    suffix = Path(name).suffix
    if suffix in _WARC_EXT or head.startswith(b"WARC/"):
        return "warc"
    if head[:2] == b"\x1f\x8b":
        if name.endswith(".warc") or _gunzip_head(head).startswith(b"WARC/"):
            return "warc"
        return "gzip"
    sniff = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if suffix in _JSONL_EXT or (not suffix and sniff.startswith(b"{")):
        return "jsonl"
    if suffix in _FEED_EXT or (
        suffix not in _HTML_EXT
        and any(tag in sniff[:1024] for tag in (b"<rss", b"<feed", b"<rdf:rdf"))
    ):
        return "feed"
    if suffix in _HTML_EXT or sniff.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    return "text"


def _gunzip_head(head: bytes) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
    except zlib.error:
        return b""


def _binary(data: bytes) -> bool:
    """NUL bytes or many control characters: an image, a PDF, an archive, not a report."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.05


def _decode(source: str, data: bytes) -> str:
    """UTF-8 when it is; otherwise decode line by line so a file that mixes UTF-8 with a
    legacy encoding (pasted from several places) keeps its UTF-8 lines intact, and say
    how many lines were decoded how: a wrong guess must be visible to the user."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    bad = [line for line in lines if not _utf8(line)]
    guess = _guess_encoding(b"\n".join(bad))
    utf8 = sum(1 for line in lines if any(b > 127 for b in line)) - len(bad)
    log.warning(
        "%s: not valid UTF-8; decoded %s as %s%s. Save the file as UTF-8 if words look wrong.",
        shown(source), _lines(len(bad)), guess,
        f" and {_lines(utf8)} with other non-ASCII text as UTF-8" if utf8 else "",
    )
    return "\n".join(
        line.decode("utf-8") if _utf8(line) else line.decode(guess, errors="replace")
        for line in lines
    ).removeprefix("\ufeff")


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _guess_encoding(data: bytes) -> str:
    """charset-normalizer's guess when it reads the bytes as another script (Arabic,
    Cyrillic, Greek, Hebrew...); cp1252 when the text is Latin and cp1252 decodes it.

    On a few short lines of western text the detector often names a rare Latin code
    page (cp1250, iso8859_2...), and western news text that is not UTF-8 is
    overwhelmingly cp1252, a superset of latin-1's printables. Its guess of a non-Latin
    code page is a different matter: overriding it stored Arabic as mojibake.
    """
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding in {"utf_8", "ascii"}:
        return "cp1252"
    if _cp1252_ok(data) and not _other_script(str(best)):
        return "cp1252"
    return best.encoding


def _other_script(text: str) -> bool:
    """Whether most non-ASCII letters of `text` are of a script other than Latin."""
    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    other = sum(1 for c in letters if not unicodedata.name(c, "").startswith("LATIN"))
    return other * 2 > len(letters)


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _no_text(source: str) -> InputError:
    return InputError(
        source,
        "no article text found in this HTML (empty, broken, or not an article page); "
        "open it in a browser to check",
    )


def _to_article(source: str, doc: _Doc | InputError) -> Article | InputError:
    """Clean the text, take the headline off a plain-text file, derive the id, and fill the
    metadata (`metadata.enrich`), so every caller of `read_inputs` gets complete articles."""
    if isinstance(doc, InputError):
        return doc
    cleaned = clean_text(doc.text)
    text, title = cleaned.text, doc.title
    first, _, rest = text.partition("\n\n")
    if rest and (
        (doc.title_in_text and _headline(first))
        or (title and " ".join(first.split()).casefold() == " ".join(title.split()).casefold())
    ):
        # The headline opens a plain-text file, and extractors often repeat the page's
        # <h1> as the first paragraph: either way it is the title, not body text.
        title, text = first, rest
    if not text.strip():
        return InputError(source, "no article text left after removing page chrome")
    if not _WORD.search(text):
        return InputError(source, "no words in the extracted text (markup or symbols only); "
                          "is it a broken or non-article page?")
    if len(text) > MAX_ARTICLE_CHARS:
        return InputError(source, (
            f"report too long to analyse ({len(text):,} characters; the limit is "
            f"{MAX_ARTICLE_CHARS:,}, about 30,000 words): split it into parts of one file each"))
    return enrich(Article(
        id=article_id(text, doc.url),
        source=source,
        text=text,
        title=_one_line(title),
        url=doc.url,
        # the page's own name for itself (og:site_name, the publisher in its JSON-LD)
        outlet=doc.outlet or doc.site_name,
        outlet_source="input" if doc.outlet else "page" if doc.site_name else None,
        published=doc.published,
        published_source=doc.published_source if doc.published else None,
        language=doc.language,
        author=_one_line(doc.author),
        removed=cleaned.removed,
    ))


_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, in any script


def _headline(line: str) -> bool:
    if not 0 < len(line.split()) <= _TITLE_MAX_WORDS:
        return False
    return not line.rstrip("\"'”’)").endswith((".", ":", ";"))


def _one_line(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _text_doc(source: str, text: str) -> _Doc | InputError:
    longest = max(len(line) for line in text.split("\n"))
    if longest > MAX_LINE_CHARS:
        return InputError(
            source,
            f"a single line of {longest:,} characters does not look like an article "
            f"(the limit is {MAX_LINE_CHARS:,} per line); is it a data dump?",
        )
    if not text.strip():
        return InputError(source, "file has no text (only whitespace)")
    return _Doc(text=text, title_in_text=True)


def _html_doc(html: str, where: str, *, url: str | None = None) -> _Doc | InputError:
    """Main text and metadata by trafilatura; the date only from the page's own markup.

    `extensive_search` is off: it would fall back to any date in the page text, such as
    a render stamp ("23:45 GMT24 May 2020"), and a wrong date is worse than none.
    `favor_precision` without comments scored best on the extraction benchmark
    (bench/extraction.py): reader comments are not the report.

    libxml2 stops building the tree 256 elements deep, so a page nested deeper lost its
    text as if it had none; such a page is parsed again without that limit (up to
    libxml2's hard 2,048), and said to be too deep when even that cannot reach it.
    """
    doc = _extract(html, url)
    if doc is None:
        deep = _deep_tree(html)
        if deep is None:
            return _no_text(where)
        tree, depth = deep
        doc = _extract(tree, url)
        if doc is None and depth >= _HUGE_DEPTH:
            return InputError(where, (
                f"HTML nested over {_HUGE_DEPTH:,} elements deep, beyond what the HTML parser "
                "reads; no article text could be recovered: save the page again from a browser"))
        if doc is None:
            return _no_text(where)
    published = _iso_date(doc.date) if doc.date else None
    return _Doc(
        text=doc.text,
        title=doc.title,
        url=url or doc.url,
        published=published,
        published_source="html-meta",
        author=doc.author,
        site_name=site_name(html, doc.sitename),
    )


_LIBXML_DEPTH = 255  # the deepest element libxml2 builds by default, counted from <html>
_HUGE_DEPTH = 2047  # and with its huge-tree option


def _extract(html: Any, url: str | None) -> Any:
    """trafilatura's document for `html` (markup or a parsed tree), None if it has no text."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        log.debug("trafilatura failed: %s", exc)
        return None
    if doc is None or not getattr(doc, "text", None):
        return None
    return doc


def _deep_tree(html: str) -> tuple[Any, int] | None:
    """The page parsed without libxml2's depth limit, and its depth, when it needs that."""
    import lxml.html
    from lxml.etree import ParserError

    parser = lxml.html.HTMLParser(huge_tree=True, collect_ids=False, default_doctype=False,
                                  remove_comments=True, remove_pis=True)
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
    except (ParserError, ValueError):
        return None
    depth = max(sum(1 for _ in el.iterancestors()) for el in tree.iter())
    return (tree, depth) if depth >= _LIBXML_DEPTH else None


class _NoDiscardWarning(logging.Filter):
    """trafilatura warns "discarding data: None" for every page it finds no text in; the
    reader says that itself, once, naming the file, so the warning is only noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("discarding data")


logging.getLogger("trafilatura.core").addFilter(_NoDiscardWarning())


def read_page(
    html: str,
    *,
    url: str,
    outlet: str | None = None,
    published: str | None = None,
    language: str | None = None,
) -> Article | InputError:
    """A page fetched from `url` (the watcher's way in), as one article.

    The page's own metadata wins over what the feed said about it: its canonical URL
    (`rel=canonical`, so the same report reached through two feeds gets one id), its
    date and its site name; `outlet`, `published` and `language` fill only what the page
    leaves empty. A saved page's site name is used too (`outlet_source` "page"), but a
    sidecar beside the file says more and wins over it.
    """
    doc = _html_doc(html, url)
    if isinstance(doc, InputError):
        return doc
    doc.url = doc.url or url
    doc.outlet = doc.site_name or outlet
    if not doc.published and published:
        doc.published, doc.published_source = _iso_date(published), "input"
    doc.language = doc.language or language
    return _to_article(url, doc)


def _read_jsonl(source: str, text: str) -> Iterator[Article | InputError]:
    stripped = text.lstrip()
    if stripped.startswith("["):  # a JSON array of records, as some exporters write
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield InputError(source, f"invalid JSON ({exc.msg} at line {exc.lineno})")
            return
        if not isinstance(records, list):
            yield InputError(source, "JSON is not a list of article objects")
            return
        for n, record in enumerate(records, 1):
            yield _to_article(f"{source}#record-{n}", _record_doc(f"{source}#record-{n}", record))
        return
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            yield InputError(where, f"invalid JSON on this line ({msg}); one object per line")
            continue
        yield _to_article(f"{source}#{lineno}", _record_doc(where, record))


def _record_doc(where: str, record: Any) -> _Doc | InputError:
    if not isinstance(record, dict):
        return InputError(where, "expected a JSON object with a \"text\" or \"html\" field")
    url = _str_field(record, "url")
    body, html = record.get("text"), record.get("html")
    if isinstance(body, str) and body.strip():
        doc: _Doc | InputError = _Doc(text=body, title_in_text=not _str_field(record, "title"))
    elif isinstance(html, str) and html.strip():
        doc = _html_doc(html, where, url=url)
    else:
        return InputError(where, "no \"text\" or \"html\" field with content")
    if isinstance(doc, InputError):
        return doc
    published = _iso_date(record.get("published"))
    if record.get("published") and published is None:
        log.warning("%s: cannot read published date %r; left empty",
                    shown(where), record["published"])
    doc.url = url or doc.url
    doc.title = _str_field(record, "title") or doc.title
    doc.outlet = _str_field(record, "outlet")
    doc.author = _str_field(record, "author") or doc.author
    doc.language = _str_field(record, "language")
    if published:
        doc.published, doc.published_source = published, "input"
    return doc


def _str_field(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _iso_date(value: Any) -> str | None:
    """YYYY-MM-DD from an ISO 8601 or RFC 822 date the input gave; None if unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


_WARC_HEADER = re.compile(rb"(?:\A|\n)(WARC/1\.[01]\r?\n)")
_MAX_WARC_BYTES = 10 * MAX_DOCUMENT_BYTES
"""Largest WARC read once ungzipped: a crawl is a container of documents, not one."""


def _read_warc(source: str, data: bytes) -> Iterator[Article | InputError]:
    """HTML responses of a crawl. WARC-Date is when the crawler fetched the page, not
    when it was published, so it is never used as the publication date.

    The records are framed here rather than by warcio's iterator, which trusts each
    `Content-Length`: one wrong length swallowed every record after it, without a word.
    A record is taken only when its declared length ends exactly at the `\r\n\r\n` that
    closes a record; otherwise it is reported by its number and reading resumes at the
    next `WARC/1.x` line. warcio still parses each framed record (HTTP headers, chunked
    and compressed payloads).
    """
    if not data.startswith(b"WARC/") and data[:2] != b"\x1f\x8b":
        yield from _read_arc(source, data)  # the older ARC format, which warcio reads
        return
    raw, gzip_error = _ungzip_members(data) if data[:2] == b"\x1f\x8b" else (data, None)
    if gzip_error and not raw.startswith(b"WARC/"):
        yield InputError(source, f"not a readable WARC file ({gzip_error}); re-download it")
        return
    found = 0
    for n, record in enumerate(_warc_records(raw), 1):
        where = f"{source}#record-{n}"
        if isinstance(record, str):
            yield InputError(where, record)
            continue
        item = _warc_article(where, record)
        if item is not None:
            found += 1
            yield item
    if gzip_error:
        yield InputError(source, f"the gzip stream breaks off ({gzip_error}); the records "
                                 "after the last one read are lost: re-download the file")
    elif not found:
        yield InputError(source, "WARC file has no HTML response records")


def _ungzip_members(data: bytes) -> tuple[bytes, str | None]:
    """Every gzip member of a WARC.gz, concatenated (one member per record is the norm),
    and why decompression stopped early, if it did."""
    out: list[bytes] = []
    size = 0
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = inflater.decompress(data, _MAX_WARC_BYTES + 1 - size)
        except zlib.error as exc:
            return b"".join(out), f"corrupt gzip data: {exc}"
        out.append(chunk)
        size += len(chunk)
        if size > _MAX_WARC_BYTES:
            return b"".join(out)[:_MAX_WARC_BYTES], (
                f"over {_MAX_WARC_BYTES // 1_048_576} MB uncompressed; split the crawl")
        if not inflater.eof:
            return b"".join(out), "the file ends inside a compressed record"
        data = inflater.unused_data.lstrip(b"\x00")
    return b"".join(out), None


def _warc_records(raw: bytes) -> Iterator[bytes | str]:
    """Each record's bytes (header to the blank lines after it), or why one is unreadable."""
    pos = 0
    end_of_data = len(raw.rstrip(b"\r\n\x00"))
    while pos < end_of_data:
        nxt = _next_header(raw, pos + 1)
        if not raw.startswith(b"WARC/1.", pos):
            got = raw[pos:pos + 20].decode("latin-1")
            yield f"not a WARC record header ({got!r}); skipped to the next record"
            pos = nxt
            continue
        head_end = raw.find(b"\r\n\r\n", pos)
        if head_end < 0 or (nxt < len(raw) and head_end > nxt):
            yield "WARC record header without its blank line; skipped to the next record"
            pos = nxt
            continue
        length = _content_length(raw[pos:head_end])
        if length is None:
            yield "WARC record without a valid Content-Length; skipped to the next record"
            pos = nxt
            continue
        body = head_end + 4
        end = body + length
        if raw.startswith(b"\r\n\r\n", end):
            yield raw[pos:end + 4]
            pos = end + 4
            while raw.startswith(b"\r\n", pos) and not raw.startswith(b"WARC/", pos):
                pos += 2
            continue
        if nxt >= len(raw) and end > len(raw):
            yield (f"record cut short: Content-Length says {length:,} bytes but the file ends "
                   f"after {len(raw) - body:,}; not stored (re-download or re-crawl it)")
            return
        yield (f"Content-Length {length:,} does not match the record (its content runs "
               f"{max(nxt, body) - body:,} bytes to the next record); skipped")
        pos = nxt


def _next_header(raw: bytes, start: int) -> int:
    """Where the next line `WARC/1.x` starts after `start`, or the end of the data."""
    found = _WARC_HEADER.search(raw, start)
    return found.start(1) if found else len(raw)


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            value = value.strip()
            return int(value) if value.isdigit() else None
    return None


def _warc_article(where: str, record: bytes) -> Article | InputError | None:
    """The article of one framed record; None for what is not an HTML response."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        for rec in ArchiveIterator(io.BytesIO(record)):
            if rec.rec_type != "response" or rec.http_headers is None:
                return None
            ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
            if "html" not in ctype:
                return None
            url = rec.rec_headers.get_header("WARC-Target-URI")
            payload = rec.content_stream().read(MAX_DOCUMENT_BYTES + 1)
            break
        else:
            return None
    except (ArchiveLoadFailed, ValueError, OSError, EOFError, zlib.error) as exc:
        return InputError(where, f"unreadable WARC record ({exc}); skipped")
    if len(payload) > MAX_DOCUMENT_BYTES:
        return InputError(where, _too_big(len(payload)))
    return _to_article(where, _html_doc(_decode(where, payload), where, url=url))


def _read_arc(source: str, data: bytes) -> Iterator[Article | InputError]:
    """An ARC file (the WARC's predecessor), through warcio's iterator."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    found = 0
    try:
        for n, record in enumerate(ArchiveIterator(io.BytesIO(data), arc2warc=True), 1):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if "html" not in (record.http_headers.get_header("Content-Type") or "").lower():
                continue
            found += 1
            where = f"{source}#record-{n}"
            url = record.rec_headers.get_header("WARC-Target-URI")
            payload = record.content_stream().read(MAX_DOCUMENT_BYTES + 1)
            if len(payload) > MAX_DOCUMENT_BYTES:
                yield InputError(where, _too_big(len(payload)))
                continue
            html = _decode(where, payload)
            yield _to_article(where, _html_doc(html, where, url=url))
    except (ArchiveLoadFailed, ValueError, OSError, EOFError, zlib.error) as exc:
        yield InputError(source, f"not a readable WARC file ({exc}); check it with `warcio check`")
        return
    if not found:
        yield InputError(source, "WARC file has no HTML response records")


def _read_feed(source: str, data: bytes) -> Iterator[Article | InputError]:
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        why = f" ({feed.bozo_exception})" if feed.get("bozo") else ""
        yield InputError(source, f"RSS/Atom feed has no entries{why}")
        return
    for n, entry in enumerate(feed.entries, 1):
        where = f"{source}#record-{n}"
        body = ""
        if entry.get("content"):
            body = max((c.get("value", "") for c in entry.content), key=len)
        body = body or entry.get("summary", "")
        text = _fragment_text(body)
        if not text.strip():
            yield InputError(where, "feed entry has no content or summary")
            continue
        published = None
        if entry.get("published_parsed"):
            published = date(*entry.published_parsed[:3]).isoformat()
        yield _to_article(
            where,
            _Doc(
                text=text,
                title=entry.get("title"),
                url=entry.get("link"),
                published=published,
                published_source="input",
                author=entry.get("author"),
            ),
        )


_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


def _fragment_text(fragment: str) -> str:
    """Text of a feed entry's HTML fragment, one paragraph per block element.

    trafilatura is not used here: it is built for whole pages and discards the short
    fragments that feeds carry.
    """
    if "<" not in fragment:
        return fragment
    import lxml.html
    from lxml.etree import ParserError

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return fragment
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n\n" + (el.tail or "")
    return root.text_content()

