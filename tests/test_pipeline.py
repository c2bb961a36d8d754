"""The whole `newsdesk analyze` on real reports: contract files, idempotence, bad input."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.cli import EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL, main

pytestmark = pytest.mark.slow

CONTRACT = {
    "articles.jsonl": {
        "id",
        "source",
        "url",
        "outlet",
        "title",
        "published",
        "dateline",
        "language",
        "text",
        "duplicate_of",
        "story_id",
    },
    "places.jsonl": {
        "article_id",
        "text",
        "start",
        "end",
        "name",
        "country_code",
        "lat",
        "lon",
        "geonameid",
    },
    "actors.jsonl": {"article_id", "text", "start", "end", "actor_id", "name", "kind"},
    "claims.jsonl": {
        "id",
        "article_id",
        "sentence",
        "value",
        "low",
        "high",
        "counted",
        "subject",
        "scope",
        "claimant",
        "claimant_text",
    },
    "quotes.jsonl": {"article_id", "speaker", "speaker_text", "role", "text", "direct"},
    "incidents.jsonl": {
        "id",
        "event_date",
        "date_precision",
        "event_type",
        "sub_event_type",
        "actor1",
        "actor2",
        "location",
        "country_code",
        "lat",
        "lon",
        "fatalities",
        "article_ids",
        "outlets",
        "notes",
    },
    "stories.jsonl": {
        "id",
        "title",
        "article_ids",
        "outlets",
        "first_published",
        "last_published",
        "claim_groups",
    },
}


def _analyze(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["analyze", "--quiet", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def raqqa_run(tmp_path_factory: pytest.TempPathFactory, example_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("raqqa")
    code, output = _analyze(str(example_dir), "--out", str(out), "--db", str(out / "n.db"))
    assert code == EXIT_OK, output
    return out


def test_pipeline_writes_every_contract_file(raqqa_run: Path) -> None:
    for name, fields in CONTRACT.items():
        rows = _rows(raqqa_run / name)
        assert rows, f"{name} is empty"
        for row in rows:
            assert fields <= row.keys(), f"{name} lacks {fields - row.keys()}"
    header = (raqqa_run / "incidents.csv").read_text("utf-8").splitlines()[0]
    assert header.startswith("event_id_cnty,event_date,year,time_precision,disorder_type")
    geo = json.loads((raqqa_run / "incidents.geojson").read_text("utf-8"))
    assert geo["type"] == "FeatureCollection"
    assert all(f["geometry"]["type"] == "Point" for f in geo["features"])
    assert "<html" in (raqqa_run / "report.html").read_text("utf-8").lower()


def test_pipeline_raqqa_articles_are_clean(raqqa_run: Path, example_dir: Path) -> None:
    articles = _rows(raqqa_run / "articles.jsonl")
    assert len(articles) == 5
    by_file = {Path(a["source"]).name[:3]: a for a in articles}
    assert by_file["001"]["title"] == "US-backed forces breach IS defences in heart of Syria's Raqa"
    assert by_file["001"]["outlet"] == "AFP"
    assert by_file["004"]["outlet"] == "Sputnik"
    for art in articles:
        for chrome in (
            "Skip to main content",
            "Listen Live",
            "Get short URL",
            "temporarily suspending article commenting",
            "Comment via Facebook",
            "23:45 GMT24 May 2020",
        ):
            assert chrome not in art["text"], (art["source"], chrome)
        assert art["published"] != "2020-05-24"
    # every offset points into the article's text
    texts = {a["id"]: a["text"] for a in articles}
    for name in ("places.jsonl", "actors.jsonl"):
        for row in _rows(raqqa_run / name):
            assert texts[row["article_id"]][row["start"] : row["end"]] == row["text"]


def test_pipeline_rerun_changes_nothing(raqqa_run: Path, example_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    shutil.copy(raqqa_run / "n.db", db)
    before = _dump(db)
    out = tmp_path / "again"
    code, _ = _analyze(str(example_dir), "--out", str(out), "--db", str(db))
    assert code == EXIT_OK
    assert _dump(db) == before
    for name in CONTRACT:
        assert (out / name).read_bytes() == (raqqa_run / name).read_bytes(), name


def _dump(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%fts%' "
            "AND name NOT IN ('runs', 'input_errors', 'sqlite_sequence') ORDER BY name"
        )
    ]
    rows = [(t, *r) for t in tables for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
    conn.close()
    return rows


REPORT = (
    "Clashes in the north\n\nFighters of the Syrian Democratic Forces clashed with "
    "Islamic State militants near Raqqa on Monday, a monitor said.\n"
)


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input and a word its error line must contain."""
    binary = tmp / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    empty = tmp / "empty.txt"
    empty.write_text("")
    huge = tmp / "huge.txt"
    huge.write_text("x" * (10 * 1024 * 1024))
    broken_gz = tmp / "broken.html.gz"
    broken_gz.write_bytes(gzip.compress(b"<html><body><p>cut")[:20])
    broken_html = tmp / "broken.html"
    broken_html.write_bytes(b"<html><head><title>x</title></head><body><div><<<>>></")
    latin1 = tmp / "latin1.txt"
    latin1.write_bytes(
        "Frappe a\u00e9rienne\n\nUne frappe a\u00e9rienne a touch\u00e9 "
        "le march\u00e9 de Raqqa, selon l'Observatoire.\n".encode("latin-1")
    )
    long_report = tmp / "long-report.txt"
    paragraph = REPORT.partition("\n\n")[2]
    long_report.write_text("A long report\n\n" + "\n".join([paragraph] * 10_000))  # 1.3 MB
    return {
        "long report": (long_report, "too long to analyse"),
        "binary": (binary, "binary"),
        "empty": (empty, "empty"),
        "huge": (huge, "limit"),
        "broken gzip": (broken_gz, "gzip"),
        "broken html": (broken_html, "no words"),
        "missing": (tmp / "nowhere.html", "no such file"),
        "latin-1": (latin1, ""),
    }


@pytest.mark.parametrize(
    "case",
    ["binary", "empty", "huge", "long report", "broken gzip", "broken html", "missing", "latin-1"],
)
def test_pipeline_bad_input_is_reported_and_batch_goes_on(case: str, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(REPORT, encoding="utf-8")
    bad, word = _bad_inputs(tmp_path)[case]
    out = tmp_path / "out"
    db = tmp_path / "n.db"
    result = CliRunner().invoke(
        main, ["analyze", "--quiet", str(bad), str(good), "--out", str(out), "--db", str(db)]
    )
    stored = _rows(out / "articles.jsonl")
    assert any(a["title"] == "Clashes in the north" for a in stored)
    error_lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    if case == "latin-1":  # readable once decoded: stored, not an error
        assert result.exit_code == EXIT_OK, result.output
        assert any("frappe a\u00e9rienne" in a["text"] for a in stored)
        return
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert len(error_lines) == 1, result.output
    assert bad.name in error_lines[0]
    assert word.lower() in error_lines[0].lower()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM input_errors").fetchone()[0] == 1
    conn.close()


def test_pipeline_nothing_readable_exits_3(tmp_path: Path) -> None:
    code, output = _analyze(
        str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o"), "--db", str(tmp_path / "n.db")
    )
    assert code == EXIT_NOTHING
    assert "missing.txt" in output


def test_cli_articles_lists_the_store(raqqa_run: Path) -> None:
    result = CliRunner().invoke(main, ["articles", "--db", str(raqqa_run / "n.db")])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 5
    assert "US-backed forces breach IS defences" in result.output


@pytest.mark.parametrize("command", ["analyze", "articles", "serve"])
def test_cli_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"newsdesk {command}" in result.output


def test_pipeline_raqqa_story_agreement_and_contest(raqqa_run: Path) -> None:
    articles = {Path(a["source"]).name[:3]: a for a in _rows(raqqa_run / "articles.jsonl")}
    assert articles["001"]["story_id"] == articles["003"]["story_id"]
    story = next(s for s in _rows(raqqa_run / "stories.jsonl")
                 if s["id"] == articles["001"]["story_id"])
    groups = story["claim_groups"]
    fighters = [g for g in groups if g["counted"] == "fighters"
                and {v["value"] for v in g["values"]} >= {2500, 2000}]
    assert len(fighters) == 1
    assert fighters[0]["status"] == "contested"
    assert all("Mosul" not in (v.get("scope") or "") for v in fighters[0]["values"])
    killed = next(g for g in groups if g["counted"] == "civilians killed")
    by_value = {v["value"]: v for v in killed["values"]}
    assert {603, 744} <= by_value.keys()
    assert killed["status"] != "contested"  # different scopes are not a contradiction
    assert by_value[603]["claimant"] != by_value[744]["claimant"]
    assert "2014" in by_value[603]["scope"] and "June" in by_value[744]["scope"]
    brief = story["brief_md"]
    assert "2,500" in brief and "2,000" in brief and "744" in brief
    assert "[1]" in brief


def test_cli_parquet_flag_writes_tables(tmp_path: Path, example_dir: Path) -> None:
    pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    code, output = _analyze(str(example_dir / "001_b5309f86b7870f1b.txt"), "--parquet",
                            "--out", str(out), "--db", str(tmp_path / "n.db"))
    assert code == EXIT_OK, output
    import pyarrow.parquet as pq

    table = pq.read_table(out / "articles.parquet")
    assert table.num_rows == 1
    assert pq.read_table(out / "claims.parquet").num_rows == len(_rows(out / "claims.jsonl"))


def test_publish_by_id_writes_what_the_full_scan_writes(
    raqqa_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll's few reports are read by id; the files must not depend on how they were read."""
    from newsdesk import pipeline
    from newsdesk.store import Store

    with Store.open(raqqa_run / "n.db") as store:
        ids = store.incidents(limit=None)[0]["article_ids"][:1]
        assert len(ids) * pipeline._FEW < store.article_count()  # the by-id path
        pipeline.publish(store, tmp_path / "by_id", article_ids=ids)
        monkeypatch.setattr(pipeline, "_FEW", 0)  # the full scan
        pipeline.publish(store, tmp_path / "scan", article_ids=ids)
    names = sorted(p.name for p in (tmp_path / "scan").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "by_id").iterdir())
    assert _rows(tmp_path / "scan" / "incidents.jsonl")  # the example's report has incidents
    for name in names:
        assert (tmp_path / "by_id" / name).read_bytes() == (tmp_path / "scan" / name).read_bytes()


def test_full_link_hands_publish_the_records_it_read(
    raqqa_run: Path, example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that links everything reads the stored records once: the link's records, with
    the link columns it wrote, are what publishing writes from, and the files are those
    of a publish that reads the store again."""
    from newsdesk import pipeline
    from newsdesk.store import Store

    db = tmp_path / "n.db"
    shutil.copy(raqqa_run / "n.db", db)
    reads = []
    real = Store.iter_records
    monkeypatch.setattr(Store, "iter_records",
                        lambda self, **kw: reads.append(1) or real(self, **kw))
    pipeline.run([str(example_dir)], out_dir=tmp_path / "handed", db_path=db)
    assert len(reads) == 1
    with Store.open(db) as store:
        ids = [a.id for a in store.iter_articles()]
        assert len(ids) * pipeline._FEW >= store.article_count()  # the full read
        pipeline.publish(store, tmp_path / "read", article_ids=ids)
    assert len(reads) == 2
    _assert_same_files(tmp_path / "handed", tmp_path / "read")


def _assert_same_files(one: Path, other: Path) -> None:
    """The two folders hold the same files, byte for byte."""
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in other.iterdir())
    for name in names:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name


def test_full_link_takes_the_records_the_run_just_stored(
    example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's new articles are linked and published from the records it stored, not from
    their JSON read back; the files are those of a publish that reads the store."""
    from newsdesk import pipeline
    from newsdesk.store import Store

    reports = tmp_path / "reports"
    reports.mkdir()
    for name in ("000_e3fe73acab485a53.txt", "003_16493793af55492b.txt"):
        shutil.copy(example_dir / name, reports / name)
    rebuilt = []
    real = Store._records
    monkeypatch.setattr(Store, "_records", lambda self, a: rebuilt.append(a.id) or real(self, a))
    db = tmp_path / "n.db"
    pipeline.run([str(reports)], out_dir=tmp_path / "handed", db_path=db)
    assert rebuilt == []
    with Store.open(db) as store:
        ids = [a.id for a in store.iter_articles()]
        pipeline.publish(store, tmp_path / "read", article_ids=ids)
    assert len(rebuilt) == 2
    _assert_same_files(tmp_path / "handed", tmp_path / "read")


def test_pipeline_raqqa_every_casualty_claim_is_linked(raqqa_run: Path) -> None:
    """Each casualty figure reaches the record through its incident or its story's groups."""
    casualties = [c for c in _rows(raqqa_run / "claims.jsonl") if c["category"] == "casualties"]
    assert len(casualties) >= 2  # 603 and 744 civilians killed
    grouped = {cid for s in _rows(raqqa_run / "stories.jsonl") for g in s["claim_groups"]
               for cid in g["claims"]}
    counted = {cid for i in _rows(raqqa_run / "incidents.jsonl") for cid in i["claim_ids"]}
    assert {c["id"] for c in casualties} <= grouped | counted


def test_pipeline_incidents_full_csv_has_every_incident_and_its_ranges(raqqa_run: Path) -> None:
    import csv

    rows = list(csv.DictReader((raqqa_run / "incidents_full.csv").open(encoding="utf-8")))
    incidents = _rows(raqqa_run / "incidents.jsonl")
    assert [r["id"] for r in rows] == [i["id"] for i in incidents]
    for row, inc in zip(rows, incidents, strict=True):
        for key in ("fatalities_low", "fatalities_high", "injured", "injured_low", "injured_high"):
            assert row[key] == ("" if inc[key] is None else str(inc[key])), key
        assert row["article_ids"].split("; ") == inc["article_ids"]


def test_pipeline_tolls_name_each_source_and_the_latest_is_final(tmp_path: Path,
                                                                 data_dir: Path) -> None:
    """Two local reports of one shooting, two days apart, with their sidecars: one incident,
    whose best toll is the later report's, whose range keeps both, and `tolls.csv` says
    which outlet reported which figure and in which sentence."""
    import csv

    out = tmp_path / "out"
    code, output = _analyze(str(data_dir / "casualties"), "--out", str(out),
                            "--db", str(tmp_path / "n.db"))
    assert code == EXIT_OK, output
    [incident] = _rows(out / "incidents.jsonl")
    assert (incident["fatalities"], incident["fatalities_low"], incident["fatalities_high"]) == (
        2, 1, 2)
    articles = {a["id"]: a for a in _rows(out / "articles.jsonl")}
    rows = list(csv.DictReader((out / "tolls.csv").open(encoding="utf-8")))
    assert [(r["outlet"], r["published"], r["killed"]) for r in rows] == [
        ("Dayton Daily News", "2016-04-30", "1"), ("WHIO", "2016-05-02", "2")]
    for row in rows:
        assert row["incident_id"] == incident["id"]
        text = articles[row["article_id"]]["text"]
        assert text[int(row["start"]):int(row["end"])] == row["sentence"]
    assert rows[0]["injured"] == "3"


# -- issue 16: nothing read is lost without a word -------------------------------------


def _counts(output: str) -> dict[str, int]:
    line = next(ln for ln in output.splitlines() if ln.startswith("read "))
    return {k: int(v) for k, v in re.findall(r"(read|stored|unchanged|duplicates|failed) (\d+)",
                                              line)}


def _accounted(counts: dict[str, int]) -> bool:
    return counts["read"] == sum(counts[k] for k in ("stored", "unchanged", "duplicates",
                                                     "failed"))


def test_pipeline_every_input_is_counted_once(example_dir: Path, tmp_path: Path) -> None:
    """A copy in a second file was dropped with 'duplicates 0'; one run did not add up."""
    reports = sorted(example_dir.glob("*.txt"))
    folder = tmp_path / "in"
    folder.mkdir()
    for report in reports[:3]:
        shutil.copy(report, folder / report.name)
    shutil.copy(reports[0], folder / "copy-of-000.txt")  # the same report, another file
    (folder / "empty.txt").write_text("")
    lines = [json.dumps({"text": reports[3].read_text("utf-8")}), "{not json", ""]
    (folder / "dump.jsonl").write_text("\n".join(lines), encoding="utf-8")
    db, out = tmp_path / "n.db", tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", str(folder), "--out", str(out), "--db", str(db)])
    assert result.exit_code == EXIT_PARTIAL, result.output
    counts = _counts(result.stderr)
    assert counts == {"read": 7, "stored": 4, "unchanged": 0, "duplicates": 1, "failed": 2}
    assert _accounted(counts)
    with sqlite3.connect(db) as conn:
        sources = [r[0] for r in conn.execute(
            "SELECT s.source FROM article_sources s JOIN articles a ON a.id = s.article_id "
            "WHERE a.source = ? ORDER BY s.source", (str(folder / reports[0].name),))]
        (logged,) = conn.execute("SELECT counts FROM runs").fetchone()
    assert sources == sorted([str(folder / reports[0].name), str(folder / "copy-of-000.txt")])
    assert json.loads(logged) == {**counts, "copies": 0}

    again = CliRunner().invoke(main, ["analyze", str(folder), "--out", str(out), "--db", str(db)])
    counts = _counts(again.stderr)
    assert counts == {"read": 7, "stored": 0, "unchanged": 4, "duplicates": 1, "failed": 2}


def _fill_disk_after(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """After `n` articles, cap the store at its current size: SQLite's own SQLITE_FULL,
    "database or disk is full", as on a full disk. The cap holds for this connection
    only, so a re-run has room again."""
    from newsdesk.store import Store

    save = Store.save_records
    calls = []

    def capped(self: Store, rec: object) -> bool:
        if len(calls) == n:
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            self._conn.execute(f"PRAGMA max_page_count = {pages}")
        calls.append(rec)
        return save(self, rec)

    monkeypatch.setattr(Store, "save_records", capped)


def test_pipeline_disk_full_in_the_store_is_one_line_and_a_rerun_completes(
    example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.cli import EXIT_DISK_FULL

    db, out = tmp_path / "n.db", tmp_path / "out"
    _fill_disk_after(monkeypatch, 2)
    first = sorted(example_dir.glob("*.txt"))[1]
    result = CliRunner().invoke(main, ["analyze", "--quiet", str(example_dir),
                                       "--out", str(out), "--db", str(db)])
    assert result.exit_code == EXIT_DISK_FULL, (result.output, result.exception)
    assert result.stderr.splitlines() == [
        f"error: disk full writing the store {db}; nothing after article 2 ({first}) was "
        "stored; free space and re-run"
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM places WHERE article_id NOT IN "
                            "(SELECT id FROM articles)").fetchone()[0] == 0
    monkeypatch.undo()
    again = CliRunner().invoke(main, ["analyze", str(example_dir), "--out", str(out),
                                      "--db", str(db)])
    assert again.exit_code == EXIT_OK, again.output
    assert _counts(again.stderr) == {"read": 5, "stored": 3, "unchanged": 2, "duplicates": 0,
                                     "failed": 0}


def test_pipeline_disk_full_writing_outputs_leaves_no_temporary_file(
    example_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC shows when the output's last buffer is flushed, at close: the temporary file
    was left behind because `_atomic_text` closed before its clean-up."""
    import errno
    import io
    import os

    from newsdesk.cli import EXIT_DISK_FULL
    from newsdesk.publish import export

    class FullDisk(io.RawIOBase):
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def writable(self) -> bool:
            return True

        def write(self, _data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            if not self.closed:
                os.close(self.fd)
            super().close()

    def fdopen(fd: int, mode: str, encoding: str, newline: str) -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BufferedWriter(FullDisk(fd)), encoding=encoding,
                                newline=newline)

    db, out = tmp_path / "n.db", tmp_path / "out"
    monkeypatch.setattr(export.os, "fdopen", fdopen)
    result = CliRunner().invoke(main, ["analyze", "--quiet", str(example_dir),
                                       "--out", str(out), "--db", str(db)])
    assert result.exit_code == EXIT_DISK_FULL, (result.output, result.exception)
    assert result.stderr.splitlines() == [
        f"error: disk full writing {out}; the store holds this run's 5 articles but not every "
        "output was written; free space and re-run"
    ]
    assert list(out.iterdir()) == []  # no temporary file, no half file
    monkeypatch.undo()
    again = CliRunner().invoke(main, ["analyze", "--quiet", str(example_dir),
                                      "--out", str(out), "--db", str(db)])
    assert again.exit_code == EXIT_OK
    assert set(CONTRACT) <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def _paragraphs() -> list[str]:
    """Paragraphs of the Raqqa reports: short, so each generated file analyses fast."""
    example = Path(__file__).resolve().parents[1] / "examples" / "raqqa-2017"
    return [p for f in sorted(example.glob("*.txt"))
            for p in f.read_text("utf-8").split("\n\n")[1:] if len(p) > 80][:12]


_PARAS = _paragraphs()
_para = st.sampled_from(_PARAS)
_cut = st.none() | st.floats(min_value=0.05, max_value=0.95)


def _cut_at(data: bytes, at: float | None) -> bytes:
    return data if at is None else data[: int(len(data) * at)]


def _warc_record(text: str, fault: str, n: int) -> bytes:
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = f"<html><body><article><p>{text}</p></article></body></html>".encode()
    buf = BytesIO()
    writer = WARCWriter(buf, gzip=False)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(
        f"https://example.org/{n}", "response", payload=BytesIO(page), http_headers=headers))
    record = buf.getvalue()
    if fault in ("long", "short"):
        delta = 500 if fault == "long" else -30
        record = re.sub(rb"Content-Length: (\d+)",
                        lambda m: b"Content-Length: %d" % (int(m.group(1)) + delta), record,
                        count=1)
    elif fault == "garbage":
        record = b"GET /x HTTP/1.1\r\n\r\n" + record[40:]
    elif fault == "nolength":
        record = re.sub(rb"Content-Length: \d+\r\n", b"", record, count=1)
    return record


@st.composite
def _warc(draw: st.DrawFn) -> tuple[str, bytes]:
    faults = st.sampled_from(["ok", "ok", "long", "short", "garbage", "nolength"])
    records = draw(st.lists(st.tuples(_para, faults), min_size=1, max_size=4))
    data = b"".join(_warc_record(t, f, n) for n, (t, f) in enumerate(records))
    data = _cut_at(data, draw(_cut))
    if draw(st.booleans()):
        return "crawl.warc.gz", gzip.compress(data)
    return "crawl.warc", data


@st.composite
def _jsonl(draw: st.DrawFn) -> tuple[str, bytes]:
    line = st.one_of(
        _para.map(lambda t: json.dumps({"text": t, "url": f"https://example.org/{len(t)}"})),
        st.just("{not json"), st.just("[1, 2]"), st.just('{"title": "no text"}'),
        st.text(max_size=30),
    )
    return "dump.jsonl", "\n".join(draw(st.lists(line, min_size=1, max_size=5))).encode()


@st.composite
def _rss(draw: st.DrawFn) -> tuple[str, bytes]:
    entries = draw(st.lists(_para | st.just(""), min_size=0, max_size=3))
    items = "".join(f"<item><title>t{n}</title><link>https://example.org/rss/{n}</link>"
                    f"<description>{t}</description></item>" for n, t in enumerate(entries))
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}'
            "</channel></rss>")
    return "feed.rss", _cut_at(feed.encode(), draw(_cut))


@st.composite
def _html(draw: st.DrawFn) -> tuple[str, bytes]:
    depth = draw(st.sampled_from([1, 300, 2100]))
    page = (f"<html><head><title>x</title></head><body>{'<div>' * depth}<p>{draw(_para)}</p>"
            f"{'</div>' * depth}</body></html>")
    data = _cut_at(page.encode(), draw(_cut))
    return "page.html", draw(st.sampled_from([data, b"<html><body><<<>>></", b""]))


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=st.lists(st.one_of(_warc(), _jsonl(), _rss(), _html()), min_size=1, max_size=4))
def test_pipeline_malformed_inputs_are_all_accounted_for(
    files: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    """Whatever the files hold, no exception escapes the CLI, the summary adds up, and each
    file is either a source of a stored article or named by an error."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    paths = []
    for n, (name, data) in enumerate(files):
        paths.append(folder / f"{n}-{name}")
        paths[-1].write_bytes(data)
    db = tmp_path / "n.db"  # shared by the examples: what one stored is unchanged in the next
    result = CliRunner().invoke(main, ["analyze", str(folder), "--out", str(folder / "out"),
                                       "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING), result.output
    counts = _counts(result.stderr)
    assert _accounted(counts), result.stderr
    assert counts["read"] >= len(paths)
    with sqlite3.connect(db) as conn:
        named = [r[0] for r in conn.execute("SELECT source FROM article_sources")]
        named += [r[0] for r in conn.execute(
            "SELECT source FROM input_errors WHERE run_id = (SELECT max(id) FROM runs)")]
    for path in paths:
        assert any(s == str(path) or s.startswith((f"{path}#", f"{path}:")) for s in named), path


def test_pipeline_demonym_is_a_place_record_but_never_a_location(tmp_path: Path) -> None:
    # "Russian", "Syrians", "European" name countries and a continent as peoples: each is in
    # places.jsonl, resolved and traceable, but none locates the strike, the map or exports.
    src = tmp_path / "report.txt"
    src.write_text("Russian air strikes killed 12 civilians and wounded 30 in a village on "
                   "Tuesday, rescuers said. Syrians fled as the bombing went on, European "
                   "monitors said.\n", "utf-8")
    out = tmp_path / "out"
    code, output = _analyze(str(src), "--out", str(out), "--db", str(out / "n.db"))
    assert code == EXIT_OK, output
    text = src.read_text("utf-8")
    places = _rows(out / "places.jsonl")
    assert {(p["text"], p["name"], p["kind"]) for p in places} == {
        ("Russian", "Russia", "demonym"), ("Syrians", "Syria", "demonym"),
        ("European", "Europe", "demonym")}
    assert all(text[p["start"]:p["end"]] == p["text"] for p in places)
    assert next(p for p in places if p["text"] == "Russian")["precision"] == "country"
    incidents = _rows(out / "incidents.jsonl")
    assert incidents and all(i["location"] is None and i["lat"] is None for i in incidents)
    assert json.loads((out / "incidents.geojson").read_text("utf-8"))["features"] == []
    assert '<circle class="place"' not in (out / "report.html").read_text("utf-8")


_ONE_REPORT = """
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[2])
from newsdesk.models import Article, ArticleRecords
from newsdesk.pipeline import link_stored, publish
from newsdesk.store import Store

tmp = Path(sys.argv[1])
text = "Clashes between the SDF and IS fighters were reported in Raqqa on Monday."
with Store.open(tmp / "one.db") as store:
    store.save_records(ArticleRecords(article=Article(id="a1", source="a.txt", text=text)))
    link_stored(store)
    publish(store, tmp / "out")
print(sorted(m for m in ("datasketch", "scipy", "dask", "distributed", "fastapi", "pandas",
                         "concurrent.futures.process") if m in sys.modules))
"""


def test_one_report_run_imports_no_signing_dask_or_web(tmp_path: Path) -> None:
    """Start-up (issue 15): storing, linking and publishing one report in an empty store
    imports neither datasketch (a lone article is not signed, and with it scipy) nor the
    Dask, web or table libraries, nor the process pool, which a local one-report run does
    not use."""
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", _ONE_REPORT, str(tmp_path), str(repo)],
                          capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / "report.html").exists()


def test_analysis_and_publishing_read_the_actor_files_once(monkeypatch, tmp_path, data_dir):
    """Start-up (issue 15): the per-article stage and the exports' inter codes share one
    read of the actor registry per value of NEWSDESK_ACTORS; another value is read anew."""
    from newsdesk import pipeline
    from newsdesk.analyse import registry
    from newsdesk.analyse.article import load_resources
    from newsdesk.store import Store

    reads = []
    real = registry.ActorRegistry.load.__func__
    monkeypatch.setattr(registry.ActorRegistry, "load",
                        classmethod(lambda cls, *a: reads.append(a) or real(cls, *a)))
    load_resources.cache_clear()
    registry._registry_for.cache_clear()
    try:
        shared = load_resources().registry
        with Store.open(tmp_path / "n.db") as store:
            pipeline.publish(store, tmp_path / "out")
        assert len(reads) == 1 and registry.shared_registry() is shared
        monkeypatch.setenv("NEWSDESK_ACTORS", str(data_dir / "actors" / "user_extra.json"))
        assert registry.shared_registry() is not shared and len(reads) == 2
    finally:
        load_resources.cache_clear()
        registry._registry_for.cache_clear()
