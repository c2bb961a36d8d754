"""Stopping and restarting: a watcher stopped (or killed) after fetching finishes the
fetched reports on restart without fetching them again; SIGTERM stops `newsdesk watch`
cleanly; a drop folder's files are read once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from loopback import EXAMPLE, REPORTS, Route, Site, feed_items, report_page, rss

from newsdesk.store import Store
from newsdesk.watch.config import load_config
from newsdesk.watch.runner import poll
from newsdesk.watch.state import fetch_log, pending

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "watch.toml"
    config.write_text("[watch]\nrate = 50\n" + body)
    return config


def test_a_watcher_stopped_after_fetching_stores_on_restart_without_fetching_again(tmp_path):
    stop = threading.Event()
    with Site() as site:
        urls = site.serve_reports()
        page = report_page(EXAMPLE / REPORTS[0][0], REPORTS[0][1], REPORTS[0][2],
                           canonical=urls[0])

        def serve_then_stop(req):  # the signal arrives while the first page is in hand
            data = page.encode()
            req.send_response(200)
            req.send_header("Content-Type", "text/html")
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)
            stop.set()

        site.routes["/news/0.html"] = Route(handler=serve_then_stop)
        site.serve("/wire.xml", rss(feed_items(urls, [0, 1, 2])), "application/rss+xml")
        cfg = load_config(_config(tmp_path, f'[[source]]\nfeed = "{site.url("/wire.xml")}"\n'))
        db = tmp_path / "desk.db"
        first = poll(cfg, db, out_dir=None, stop=stop)
        assert first.stored == 0
        with Store.open(db) as store:
            waiting = [a.url for _, a in pending(store)]
            assert urls[0] in waiting
            assert list(store.iter_articles()) == []

        second = poll(cfg, db, out_dir=None)
        with Store.open(db) as store:
            assert {a.url for a in store.iter_articles()} == set(urls[:3])
            assert pending(store) == []
            assert {r["status"] for r in fetch_log(store) if "/news/" in r["url"]} == {"stored"}
        assert second.stored == 3 - first.stored
        assert [site.hits[f"/news/{n}.html"] for n in range(3)] == [1, 1, 1]


def test_a_drop_folder_is_read_once_per_file(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(EXAMPLE / REPORTS[1][0], drop)
    cfg = load_config(_config(tmp_path, '[[source]]\nfolder = "drop"\noutlet = "Stringer"\n'))
    db = tmp_path / "desk.db"
    assert poll(cfg, db, out_dir=None).stored == 1
    shutil.copy(EXAMPLE / REPORTS[3][0], drop)
    later = poll(cfg, db, out_dir=None)
    assert (later.fetched, later.stored) == (1, 1)
    assert poll(cfg, db, out_dir=None).fetched == 0
    with Store.open(db) as store:
        assert len(list(store.iter_articles())) == 2


def test_a_drop_folder_file_of_several_reports_stores_each_once(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    lines = [json.dumps({"title": f"Report {n}", "text": (EXAMPLE / name).read_text("utf-8")})
             for n, (name, *_rest) in enumerate(REPORTS[:3])]
    (drop / "batch.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    cfg = load_config(_config(tmp_path, '[[source]]\nfolder = "drop"\n'))
    db = tmp_path / "desk.db"
    first = poll(cfg, db, out_dir=None)
    assert (first.fetched, first.stored) == (3, 3)
    assert poll(cfg, db, out_dir=None).fetched == 0
    with Store.open(db) as store:
        assert len(list(store.iter_articles())) == 3
        assert pending(store) == []


def test_sigterm_stops_the_watcher_cleanly(tmp_path):
    with Site() as site:
        urls = site.serve_reports()
        site.serve("/wire.xml", rss(feed_items(urls, [4])), "application/rss+xml")
        config = _config(tmp_path, f'[[source]]\nfeed = "{site.url("/wire.xml")}"\n'
                                   'interval = "1h"\n')
        db = tmp_path / "desk.db"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsdesk.cli", "watch", str(config), "--db", str(db)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        )
        try:
            line = proc.stdout.readline()  # the first poll's summary
            assert "stored 1" in line, line + proc.stderr.read()
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        assert "SIGTERM: stopping" in err
        with Store.open(db) as store:
            assert [a.url for a in store.iter_articles()] == [urls[4]]
