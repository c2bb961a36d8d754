"""`newsdesk sources`: each source's health as the watcher recorded it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.store import Store
from newsdesk.watch.config import Source
from newsdesk.watch.state import record_poll, register_sources, source_health


def test_sources_shows_last_success_last_error_reports_and_next_poll(tmp_path):
    db = tmp_path / "desk.db"
    wire = Source("Wire", "feed", "https://wire.example.org/rss.xml", 900)
    down = Source("Down", "feed", "https://down.example.org/rss.xml", 900)
    later = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    with Store.open(db) as store:
        register_sources(store, [wire, down])
        record_poll(store, "Wire", next_poll=later, found=4, error=None, ok=True)
        record_poll(store, "Down", next_poll=later + timedelta(hours=1), found=0,
                    error="https://down.example.org/rss.xml: HTTP 500 (tried 4 times)", ok=False)
        record_poll(store, "Wire", next_poll=later, found=1, error=None, ok=True)
        health = {r["name"]: r for r in source_health(store)}
    assert health["Wire"]["reports_found"] == 5 and health["Wire"]["failures"] == 0
    assert health["Down"]["failures"] == 1 and health["Down"]["last_success"] is None

    text = CliRunner().invoke(main, ["sources", "--db", str(db)])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith("Down  [feed]  failing (1 in a row); reports found 0; "
                               "last success never; next poll 2026-12-07T10:00:00+00:00")
    assert "HTTP 500 (tried 4 times)" in lines[1]
    assert lines[2].startswith("Wire  [feed]  ok; reports found 5; last success 20")

    as_json = CliRunner().invoke(main, ["sources", "--db", str(db), "--json"])
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert [r["name"] for r in rows] == ["Down", "Wire"]


def test_sources_without_a_store_says_what_to_run(tmp_path):
    result = CliRunner().invoke(main, ["sources", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "run `newsdesk watch` first" in result.output
