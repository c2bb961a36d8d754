"""The CLI's error boundary: a domain error is one line on stderr and exit 4, not a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsdesk.cli import EXIT_ERROR, EXIT_PARTIAL, EXIT_USAGE, main


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def _one_error_line(result: Result) -> str:
    """The run failed the way the boundary promises; returns its one line."""
    assert result.exit_code == EXIT_ERROR, (result.exit_code, result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def fresh_resources() -> Iterator[None]:
    """The resources are cached per process: drop them so a test's environment is read."""
    from newsdesk.analyse.article import load_resources

    load_resources.cache_clear()
    yield
    load_resources.cache_clear()


def test_cli_missing_actors_file_is_one_line(monkeypatch, tmp_path, example_dir):
    missing = tmp_path / "no-actors.json"
    monkeypatch.setenv("NEWSDESK_ACTORS", str(missing))
    result = _run("analyze", str(example_dir), "--out", str(tmp_path / "o"),
                  "--db", str(tmp_path / "n.db"))
    line = _one_error_line(result)
    assert "NEWSDESK_ACTORS" in line and str(missing) in line


@pytest.mark.slow
@pytest.mark.parametrize(("name", "needle"), [("broken_json.json", "not valid JSON"),
                                              ("broken_inter.json", "actors[1]")])
def test_cli_broken_actors_file_is_one_line(
    monkeypatch, tmp_path, example_dir, data_dir, fresh_resources, name, needle
):
    monkeypatch.setenv("NEWSDESK_ACTORS", str(data_dir / "actors" / name))
    result = _run("analyze", str(example_dir / "001_b5309f86b7870f1b.txt"), "--quiet",
                  "--out", str(tmp_path / "o"), "--db", str(tmp_path / "n.db"))
    line = _one_error_line(result)
    assert name in line and needle in line


@pytest.mark.slow
def test_cli_missing_model_is_one_line(monkeypatch, tmp_path, example_dir, fresh_resources):
    from newsdesk.analyse import nlp

    monkeypatch.setattr(nlp, "MODEL_PACKAGE", "newsdesk_test_absent_model")
    monkeypatch.setattr(nlp, "load_nlp", nlp.load_nlp.__wrapped__)  # past the process cache
    result = _run("analyze", str(example_dir / "001_b5309f86b7870f1b.txt"), "--quiet",
                  "--out", str(tmp_path / "o"), "--db", str(tmp_path / "n.db"))
    line = _one_error_line(result)
    assert "newsdesk_test_absent_model is not installed" in line
    assert "requirements-model.txt" in line


def test_cli_dask_given_stdin_is_one_line(tmp_path, example_dir):
    pytest.importorskip("distributed")
    text = (example_dir / "001_b5309f86b7870f1b.txt").read_text("utf-8")
    result = _run("analyze", "-", "--executor", "dask", "--quiet",
                  "--out", str(tmp_path / "o"), "--db", str(tmp_path / "n.db"), stdin=text)
    line = _one_error_line(result)
    assert "--executor dask" in line and "stdin" in line


def test_cli_dask_without_its_extra_is_one_line(monkeypatch, tmp_path, example_dir):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what an uninstalled package does
    result = _run("analyze", str(example_dir / "001_b5309f86b7870f1b.txt"), "--executor",
                  "dask", "--quiet", "--out", str(tmp_path / "o"), "--db", str(tmp_path / "n.db"))
    line = _one_error_line(result)
    assert "pip install 'newsdesk[dask]'" in line


def test_cli_desk_without_its_extra_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    for name in [m for m in sys.modules if m == "newsdesk.web" or m.startswith("newsdesk.web.")]:
        monkeypatch.delitem(sys.modules, name)
    result = _run("serve", "--db", str(tmp_path / "n.db"), "--port", "1")
    line = _one_error_line(result)
    assert "the desk needs the web extra: pip install 'newsdesk[web]'" in line


def test_cli_store_from_a_newer_newsdesk_is_one_line(tmp_path):
    from newsdesk.store import MIGRATIONS

    db = tmp_path / "newer.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    line = _one_error_line(_run("articles", "--db", str(db)))
    assert str(db) in line and "newer newsdesk" in line


def test_cli_bugs_keep_their_traceback(monkeypatch, tmp_path):
    """Only domain errors are turned into a line: anything else is a bug to be seen."""
    from newsdesk import store

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(store.Store, "open", broken)
    db = tmp_path / "n.db"
    db.touch()
    result = _run("articles", "--db", str(db))
    assert result.exit_code == 1
    assert isinstance(result.exception, KeyError)


def test_cli_gazetteer_build_is_a_subcommand():
    result = _run("gazetteer", "build", "--help")
    assert result.exit_code == 0
    assert "newsdesk gazetteer build" in result.output
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text("utf-8")
    assert "newsdesk gazetteer build" in makefile
    assert "-m newsdesk.analyse.gazetteer" not in makefile


def test_cli_gazetteer_build_derives_the_basemap_next_to_the_index(tmp_path, monkeypatch):
    from newsdesk.analyse import gazetteer

    def index(path: Path) -> Path:  # the index itself takes a minute to build
        path.write_bytes(b"index")
        return path

    monkeypatch.setattr(gazetteer, "build", index)
    result = _run("gazetteer", "build", str(tmp_path / "gazetteer.sqlite"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "basemap.npz").stat().st_size > 1_000_000
    assert "basemap.npz" in result.output


def test_cli_articles_without_a_store_is_one_line(tmp_path):
    db = tmp_path / "none.db"
    line = _one_error_line(_run("articles", "--db", str(db)))
    assert line == f"error: no store at {db}; run `newsdesk analyze` first"
    assert not db.exists()


def test_cli_verbose_error_adds_the_traceback(tmp_path):
    """In a process of its own: -vv sets up logging, which pytest's handlers would swallow."""
    env = {**os.environ, "NEWSDESK_SHARD_ARTICLES": "x"}
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "-vv", "articles", "--db", str(tmp_path / "n.db")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == EXIT_ERROR
    assert "Traceback" in proc.stderr and "ConfigError" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("error: NEWSDESK_SHARD_ARTICLES=")


@pytest.mark.parametrize("command", ["articles", "analyze"])
def test_cli_db_that_is_not_sqlite_is_a_usage_error(tmp_path, example_dir, command):
    notadb = tmp_path / "notadb.txt"
    notadb.write_text("Notes from the desk, not a database.\n" * 20)
    before = notadb.read_bytes()
    args = ["--db", str(notadb)]
    if command == "analyze":
        args = [str(example_dir), "--out", str(tmp_path / "out"), "--quiet", *args]
    result = _run(command, *args)
    assert result.exit_code == EXIT_USAGE, (result.output, result.exception)
    assert result.stderr.splitlines() == [
        f"error: {notadb} is not a newsdesk store (not an SQLite database); "
        "give --db a store or the name of a new file"
    ]
    assert notadb.read_bytes() == before  # nothing written into the user's file
    assert not (tmp_path / "out").exists()


def test_cli_file_name_with_a_newline_stays_on_one_line(tmp_path, example_dir):
    """A name holding a newline split its error over two lines (and could forge one)."""
    bad = tmp_path / "empty\nerror: forged.txt"
    bad.write_text("")
    good = tmp_path / "report.txt"
    good.write_bytes(sorted(example_dir.glob("*.txt"))[0].read_bytes())
    result = _run("analyze", "--quiet", str(bad), str(good),
                  "--out", str(tmp_path / "out"), "--db", str(tmp_path / "n.db"))
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert result.stderr.splitlines() == [f"error: {str(bad)!r}: empty file"]
    with sqlite3.connect(tmp_path / "n.db") as conn:
        (source,) = conn.execute("SELECT source FROM input_errors").fetchone()
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert source == str(bad) and stored == 1  # the store keeps the real name


def test_python_dash_m_newsdesk_is_the_command(tmp_path):
    """`python -m newsdesk` runs the same command as the `newsdesk` script, named so."""
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "newsdesk", "--version"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("newsdesk, version ")
