"""The issue's done-when: the example watch file, pointed at a loopback site serving the
five example reports through two RSS feeds, stores the five reports with their URLs,
outlets and dates and writes a Raqqa alert; a second `--once` adds no report and no alert
and fetches no page again."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from loopback import REPORTS, Site, feed_items, rss

from newsdesk.cli import main
from newsdesk.store import Store
from newsdesk.watch.config import load_config
from newsdesk.watch.runner import poll
from newsdesk.watch.state import source_health

pytestmark = pytest.mark.slow

EXAMPLE_CONFIG = """
[[source]]
name = "Wire"
feed = "http://127.0.0.1:8000/wire.xml"

[[alert]]
name = "Raqqa"
place = "Raqqa"
radius_km = 50
deliver = ["jsonl:alerts.jsonl"]
"""
SECOND_FEED = """
[[source]]
name = "Agency"
feed = "http://127.0.0.1:8000/agency.xml"
"""


def _article_rows(db):
    with sqlite3.connect(db) as conn:
        return {r[0]: r[1:] for r in conn.execute("SELECT url, outlet, published FROM articles")}


def test_example_config_once_stores_five_reports_and_a_second_once_adds_nothing(tmp_path):
    with Site() as site:
        urls = site.serve_reports()
        # The wire lists every report, with tracking parameters; the agency two of them.
        site.serve("/wire.xml", rss(feed_items(urls, [0, 1, 2, 3, 4], tracking=True)),
                   "application/rss+xml")
        site.serve("/agency.xml", rss(feed_items(urls, [3, 1]), "Agency"),
                   "application/rss+xml", headers={"ETag": '"agency-1"'})
        config = tmp_path / "watch.toml"
        config.write_text((EXAMPLE_CONFIG + SECOND_FEED).replace("8000", str(site.port)))
        db, out = tmp_path / "desk.db", tmp_path / "out"
        args = ["watch", str(config), "--db", str(db), "--out", str(out), "--once"]

        first = CliRunner().invoke(main, args)
        assert first.exit_code == 0, first.output
        assert "fetched 5 new reports, stored 5" in first.output
        rows = _article_rows(db)
        assert rows == {
            url: (outlet, published)
            for url, (_name, outlet, published, _dated) in zip(urls, REPORTS, strict=True)
        }
        assert all(site.hits[f"/news/{n}.html"] == 1 for n in range(5))
        assert len((out / "articles.jsonl").read_text().splitlines()) == 5
        alerts = tmp_path / "alerts.jsonl"  # relative to the watch file
        alerts_before = alerts.read_text()
        raised = [json.loads(line) for line in alerts_before.splitlines()]
        assert raised and {a["rule"] for a in raised} == {"Raqqa"}

        second = CliRunner().invoke(main, args)
        assert second.exit_code == 0, second.output
        assert "fetched 0 new reports, stored 0" in second.output
        assert len(_article_rows(db)) == 5
        assert all(site.hits[f"/news/{n}.html"] == 1 for n in range(5))
        # The agency's feed sent an ETag, so the second poll asked conditionally.
        assert site.headers_seen[-1].get("If-None-Match") == '"agency-1"' or any(
            h.get("If-None-Match") == '"agency-1"' for h in site.headers_seen
        )
        assert alerts.read_text() == alerts_before  # no alert twice

        health = CliRunner().invoke(main, ["sources", "--db", str(db), "--json"])
        found = {r["name"]: r for r in map(json.loads, health.output.splitlines())}
        assert found["Wire"]["reports_found"] == 5 and found["Wire"]["last_error"] is None
        assert found["Agency"]["reports_found"] == 0 and found["Agency"]["failures"] == 0


def test_items_that_appear_between_polls_are_fetched_on_the_next(tmp_path):
    with Site() as site:
        urls = site.serve_reports()
        site.serve("/wire.xml", rss(feed_items(urls, [0, 1])), "application/rss+xml")
        config = tmp_path / "watch.toml"
        config.write_text(f'[watch]\nrate = 50\n[[source]]\nname = "Wire"\n'
                          f'feed = "{site.url("/wire.xml")}"\n')
        cfg = load_config(config)
        db = tmp_path / "desk.db"

        out = tmp_path / "out"
        assert poll(cfg, db, out_dir=out).stored == 2
        site.serve("/wire.xml", rss(feed_items(urls, [0, 1, 2, 3, 4])), "application/rss+xml")
        later = poll(cfg, db, out_dir=out)
        assert (later.fetched, later.stored) == (3, 3)
        # as `analyze` writes the files for what it read, a poll writes them for what it
        # stored: its cost grows with the new reports, not with the store
        assert len((out / "articles.jsonl").read_text().splitlines()) == 3
        assert [site.hits[f"/news/{n}.html"] for n in range(5)] == [1] * 5
        with Store.open(db) as store:
            (wire,) = source_health(store)
            assert wire["reports_found"] == 5
            assert len(list(store.iter_articles())) == 5
