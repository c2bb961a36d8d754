"""The SQLite store: migrations, idempotent saves, crash safety, queries, reviews, search."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.errors import NewsdeskError, SchemaError
from newsdesk.link import dedup
from newsdesk.models import (
    ActorMention,
    Article,
    ArticleRecords,
    Claim,
    ClaimGroup,
    DateRef,
    Incident,
    InputError,
    PlaceMention,
    Quote,
    Span,
    Story,
)
from newsdesk.pipeline import stored_duplicates
from newsdesk.publish import export
from newsdesk.store import MIGRATIONS, NotFound, ReviewError, Store, migrations

REPO = Path(__file__).resolve().parents[2]


def _span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def _records(path: Path, published: str) -> ArticleRecords:
    """Records over a real report, with offsets found in its text."""
    text = path.read_text(encoding="utf-8")
    aid = hashlib.sha1(text.encode()).hexdigest()[:16]
    title = text.split("\n", 1)[0]
    article = Article(id=aid, source=str(path), text=text, title=title, outlet="AFP",
                      published=published, language="en")  # fmt: skip
    s, e = _span(text, "Syria")
    place = PlaceMention(aid, "Syria", s, e, "Syria", "SY", 35.0, 38.0, 163843, feature="country")
    s, e = _span(text, "coalition")
    actor = ActorMention(aid, "coalition", s, e, "us-coalition", "US-led coalition", "External")
    s, e = _span(text, "2017") if "2017" in text else (0, 0)
    date = DateRef(aid, text[s:e], s, e, "2017-01-01", "2017-12-31", "year")
    sentence = text.split("\n")[2]
    claim = Claim(f"{aid}-c0", aid, sentence, 2500.0, None, None, "fighters", "IS in Raqqa",
                  None, "US-led coalition", "the coalition", start=0, end=4)  # fmt: skip
    quote = Quote(aid, "Brett McGurk", "McGurk", "envoy", sentence[:40], True, 0, 40,
                  id=f"{aid}-q0")  # fmt: skip
    incident = Incident(
        f"{aid}-i0", published, "day", "Battles", "Armed clash", "SDF", "IS", "Raqqa", "SY",
        35.95, 39.01, 3, [aid], ["AFP"], "clashes", evidence=[Span(0, 10, text[:10])],
    )  # fmt: skip
    return ArticleRecords(article, [place], [actor], [date], [claim], [quote], [incident])


@pytest.fixture
def raqqa(example_dir) -> list[ArticleRecords]:
    days = ["2017-10-10", "2017-10-11", "2017-10-12", "2017-10-13", "2017-10-14"]
    return [_records(p, d) for p, d in zip(sorted(example_dir.glob("*.txt")), days, strict=True)]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "newsdesk.db") as s:
        yield s


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every user table's rows, without clock columns, for comparing two states."""
    conn = sqlite3.connect(path)
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            " AND name NOT LIKE '%fts%' ORDER BY name"
        )
    ]
    out = {}
    for t in tables:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
        keep = [c for c in cols if c not in ("created_at", "at", "started", "finished")]
        out[t] = sorted(conn.execute(f"SELECT {', '.join(map(repr, keep))} FROM {t}").fetchall())
    conn.close()
    return out


def _link(store: Store, recs: list[ArticleRecords]) -> None:
    ids = [r.article.id for r in recs]
    group = ClaimGroup("fighters", "IS in Raqqa", [r.claims[0].id for r in recs], [], "agreed", 1)
    story = Story("s-raqqa", "Battle for Raqqa", ids, ["AFP"], "2017-10-10", "2017-10-14",
                  claim_groups=[group])  # fmt: skip
    store.save_link(
        stories=[story],
        incidents=[i for r in recs for i in r.incidents],
        duplicates=stored_duplicates(store, recs),
        story_ids=dict.fromkeys(ids, "s-raqqa"),
    )


def test_store_fresh_file_is_at_latest_schema(tmp_path):
    with Store.open(tmp_path / "x.db") as s:
        assert s.schema_version == len(MIGRATIONS)
        conn = sqlite3.connect(tmp_path / "x.db")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_migrates_an_old_file_keeping_its_data(tmp_path, raqqa):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO runs (started, inputs) VALUES ('2024-01-01T00:00:00+00:00', '[\"a.txt\"]')"
    )
    conn.close()
    with Store.open(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.runs()[0]["inputs"] == ["a.txt"]
        s.mark_shard_done("shard-0", 3)  # a table the second migration added
        assert s.shard_done("shard-0")


def test_store_keeps_an_articles_text_once_and_migrates_older_rows(tmp_path, raqqa, caplog):
    """The text is in the `text` column alone; a file from before migration 7 holds it in
    `data` too, loses that copy when opened, and reads back the same articles."""
    with Store.open(tmp_path / "new.db") as s:
        for rec in raqqa:
            s.save_records(rec)
        assert [a.text for a in s.iter_articles()] == [r.article.text for r in raqqa]
    conn = sqlite3.connect(tmp_path / "new.db")
    assert conn.execute("SELECT count(*) FROM articles WHERE json_type(data, '$.text')"
                        " IS NOT NULL").fetchone()[0] == 0
    conn.close()

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:6]:
        migration(conn)
    conn.execute("PRAGMA user_version = 6")
    for rec in raqqa:  # as newsdesk wrote rows before migration 7: the text in both places
        a = rec.article
        conn.execute(
            "INSERT INTO articles (id, source, url, outlet, title, published, dateline,"
            " language, text, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (a.id, a.source, a.url, a.outlet, a.title, a.published, a.dateline, a.language,
             a.text, json.dumps(a.to_dict()), "2024-01-01T00:00:00+00:00"))
    before = conn.execute("SELECT sum(length(data)) FROM articles").fetchone()[0]
    conn.close()
    with caplog.at_level("WARNING", logger="newsdesk.store.migrations"), Store.open(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert [a.to_dict() for a in s.iter_articles()] == [r.article.to_dict() for r in raqqa]
        assert s.search("Raqqa")  # the search index still reads the column
    # said once, before the pause; a fresh file (above) says nothing
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: upgrading the store from schema 6 to {len(MIGRATIONS)}, once (a large store "
        "takes a while)"]
    conn = sqlite3.connect(path)
    after = conn.execute("SELECT sum(length(data)) FROM articles").fetchone()[0]
    assert after + sum(len(r.article.text) for r in raqqa) <= before
    conn.close()


def test_store_refuses_a_newer_file_naming_it_and_the_fix(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(NewsdeskError) as caught:
        Store.open(path)
    assert str(caught.value) == (
        f"{path} was written by a newer newsdesk (schema {len(MIGRATIONS) + 1} > "
        f"{len(MIGRATIONS)}): upgrade newsdesk to open it"
    )


def test_store_failed_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    Store.open(path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE watch (id TEXT PRIMARY KEY)")
        conn.execute("CREATE TABLE articles (id TEXT)")  # exists: the migration fails here

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    failed = rf"{re.escape(str(path))}: migration {len(MIGRATIONS) + 1} .* left unchanged"
    with pytest.raises(SchemaError, match=failed):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'watch'").fetchall()
    conn.close()


SCHEMA = REPO / "tests" / "data" / "schema.sql"


def _schema(path: Path) -> str:
    """A store file's schema as `sqlite_master` holds it, sorted by kind and name: the
    user version, then every table, index, trigger and virtual table the migrations
    created (FTS5's shadow tables are SQLite's, not the migrations', and are left out)."""
    conn = sqlite3.connect(path)
    shadow = {r[1] for r in conn.execute("PRAGMA table_list") if r[2] == "shadow"}
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    conn.close()
    parts = [f"-- {kind} {name}\n{sql};\n" for kind, name, sql in rows if name not in shadow]
    return f"PRAGMA user_version = {version};\n\n" + "\n".join(parts)


def test_store_schema_is_the_golden_one_however_the_file_was_made(tmp_path):
    """Every file ends at the same schema, fresh or migrated from any older version, and
    that schema is tests/data/schema.sql, so a schema change shows up as a reviewed diff.

    After appending a migration, regenerate the golden file and read its diff:
        PYTHONPATH=$PWD .venv/bin/python tests/store/test_store.py
    """
    Store.open(tmp_path / "fresh.db").close()
    fresh = _schema(tmp_path / "fresh.db")
    for version in range(1, len(MIGRATIONS)):
        path = tmp_path / f"v{version}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        for migration in MIGRATIONS[:version]:
            migration(conn)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.close()
        Store.open(path).close()
        assert _schema(path) == fresh, f"a file migrated from schema {version} differs"
    assert f"PRAGMA user_version = {len(MIGRATIONS)};" in fresh
    assert fresh == SCHEMA.read_text("utf-8"), (
        "the schema differs from tests/data/schema.sql: if a migration was appended, "
        "regenerate it with `PYTHONPATH=$PWD .venv/bin/python tests/store/test_store.py`"
    )


def test_store_the_desk_has_no_sql_of_its_own():
    """One query layer: what the desk lists is the store's queries, not copies of them."""
    for path in sorted((REPO / "newsdesk" / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found = re.search(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s", node.value)
                assert found is None, f"{path}: SQL outside newsdesk/store: {node.value!r}"


def test_store_saving_twice_changes_nothing(tmp_path, raqqa):
    path = tmp_path / "n.db"
    with Store.open(path) as s:
        assert all(s.save_records(r) for r in raqqa)
        _link(s, raqqa)
    first = _dump(path)
    with Store.open(path) as s:
        assert not any(s.save_records(r) for r in raqqa)
        _link(s, raqqa)
    assert _dump(path) == first
    assert len(first["articles"]) == 5 and len(first["signatures"]) == 5


def test_store_round_trips_real_records(store, raqqa):
    for r in raqqa:
        store.save_records(r)
    assert list(store.iter_records()) == raqqa
    assert store.get_records(raqqa[2].article.id) == raqqa[2]
    assert store.get_records("missing") is None


def test_store_same_text_from_two_sources_is_one_article(store, raqqa):
    rec = raqqa[0]
    assert store.save_records(rec)
    rec.article.source = "https://example.org/mirror"
    assert not store.save_records(rec)
    assert store.counts()["articles"] == 1
    assert len(store.get_article(rec.article.id)["sources"]) == 2


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
_num = st.none() | st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def _arbitrary_records(draw) -> ArticleRecords:
    text = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200))
    aid = draw(st.text("0123456789abcdef", min_size=1, max_size=16))
    s = draw(st.integers(0, len(text)))
    e = draw(st.integers(s, len(text)))
    article = Article(aid, draw(_text), text, title=draw(st.none() | _text),
                      published=draw(st.none() | st.dates().map(str)),
                      removed=draw(st.lists(_text)))  # fmt: skip
    place = PlaceMention(aid, text[s:e], s, e, draw(st.none() | _text), "SY", draw(_num),
                         draw(_num), draw(st.none() | st.integers(-2**63, 2**63 - 1)))  # fmt: skip
    claim = Claim(draw(_text), aid, draw(_text), draw(_num), draw(_num), draw(_num), draw(_text),
                  None, None, draw(st.none() | _text), None, start=s, end=e)  # fmt: skip
    quote = Quote(aid, None, None, None, text[s:e], draw(st.booleans()), s, e, id=draw(_text))
    incident = Incident(draw(_text), None, "unknown", "Battles", "Armed clash", None, None, None,
                        None, draw(_num), None, draw(st.none() | st.integers(0, 10**6)), [aid], [],
                        draw(_text), evidence=[Span(s, e, text[s:e])])  # fmt: skip
    return ArticleRecords(article, [place], [], [], [claim], [quote], [incident])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=st.lists(_arbitrary_records(), max_size=4, unique_by=lambda r: r.article.id))
def test_store_hypothesis_round_trip(tmp_path_factory, recs):
    path = tmp_path_factory.mktemp("rt") / "rt.db"
    with Store.open(path) as s:
        for r in recs:
            s.save_records(r)
        assert list(s.iter_records()) == recs


def test_store_queries_filter_and_page(store, raqqa):
    for r in raqqa:
        store.save_records(r)
    _link(store, raqqa)
    rows = store.articles(limit=2)
    assert [r["published"] for r in rows] == ["2017-10-14", "2017-10-13"]
    page2 = store.articles(limit=2, offset=2)
    assert [r["published"] for r in page2] == ["2017-10-12", "2017-10-11"]
    assert len(store.articles(date_from="2017-10-11", date_to="2017-10-12")) == 2
    assert store.articles(outlet="Reuters") == []
    hits = store.articles(q="Rafiqah wall")
    assert hits and all("rafiqah" in store.get_article(h["id"])["text"].lower() for h in hits)
    assert store.articles(q='"unbalanced (quote AND') == []  # user syntax never raises
    assert store.get_story("s-raqqa")["claim_groups"][0]["status"] == "agreed"
    assert store.story_records()[0].claim_groups[0].counted == "fighters"
    assert len(store.incidents(story_id="s-raqqa")) == 5
    assert len(store.incidents(date_from="2017-10-13")) == 2
    assert len(store.incidents(country="SY", event_type="Battles", actor="SDF", limit=3)) == 3
    assert store.claims(counted="fighters", limit=None)[0]["claimant"] == "US-led coalition"
    assert len(store.places(country="SY", limit=None)) == 5
    art = store.get_article(raqqa[0].article.id)
    assert art["story_id"] == "s-raqqa" and len(art["incidents"]) == 1
    for p in art["places"]:
        assert art["text"][p["start"] : p["end"]] == p["text"]
    assert store.search("Raqqa")[0]["kind"] == "story"
    assert store.counts()["incidents"] == 5


def test_store_reviews_survive_relinking(store, raqqa):
    for r in raqqa:
        store.save_records(r)
    _link(store, raqqa)
    a, b, c = (r.incidents[0].id for r in raqqa[:3])
    edited = store.review_incident(a, action="edit", changes={"fatalities": 7}, who="ana")
    assert edited["fatalities"] == 7 and edited["status"] == "edited"
    store.review_incident(b, action="reject", who="ana", note="not an event")
    store.review_incident(c, action="merge", merge_into=a, who="ben")
    with pytest.raises(ReviewError, match="cannot edit"):
        store.review_incident(a, action="edit", changes={"id": "x"}, who="ana")
    with pytest.raises(NotFound):
        store.review_incident("nope", action="accept", who="ana")
    _link(store, raqqa)  # the machine's incidents are replaced; the reviews are replayed
    ids = {i["id"] for i in store.incidents(limit=None)}
    assert b not in ids and c not in ids and len(ids) == 3
    merged = store.get_incident(a)
    assert merged["fatalities"] == 7
    assert set(merged["article_ids"]) == {raqqa[0].article.id, raqqa[2].article.id}
    assert len(store.incidents(include_rejected=True, limit=None)) == 5
    trail = store.reviews(a)
    assert (trail[0]["field"], trail[0]["old"], trail[0]["new"], trail[0]["who"]) == (
        "fatalities", 3, 7, "ana",
    )
    assert store.incidents(actor="SDF", limit=None)[0]["status"] in ("edited", "machine")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_date": "2031-02-30"}, "event_date"),
        ({"event_date": "10/07/2017"}, "event_date"),
        ({"lat": 135}, "lat"),
        ({"lon": -180.5}, "lon"),
        ({"lat": "35.9"}, "lat"),
        ({"fatalities_low": 7, "fatalities_high": 2}, "fatalities_low"),
        ({"fatalities": 9, "fatalities_high": 4}, "fatalities"),
        ({"injured_low": 5, "injured": 1}, "injured_low"),
        ({"fatalities": -1}, "fatalities"),
        ({"fatalities": 2.5}, "fatalities"),
        ({"event_type": "Protests"}, "sub_event_type"),
        ({"event_type": "Protests", "sub_event_type": "Armed clash"}, "sub_event_type"),
        ({"event_type": "Skirmish"}, "event_type"),
        ({"sub_event_type": "Skirmish"}, "sub_event_type"),
        ({"actor1_id": "no-such-actor"}, "actor1_id"),
        ({"country_code": "XX"}, "country_code"),
        ({"date_precision": "unknown"}, "date_precision"),
        ({"civilian_targeting": "yes"}, "civilian_targeting"),
        ({"location_precision": "street"}, "location_precision"),
        ({"disorder_type": "Demonstrations"}, "disorder_type"),
    ],
)
def test_store_refuses_an_unsound_edit_and_stores_nothing(store, raqqa, changes, field):
    store.save_records(raqqa[0])
    _link(store, raqqa[:1])
    iid = raqqa[0].incidents[0].id
    before = store.get_incident(iid)
    with pytest.raises(ReviewError) as refused:
        store.review_incident(iid, action="edit", changes=changes, who="ana")
    assert field in [e["field"] for e in refused.value.errors]
    assert field in str(refused.value)
    assert store.get_incident(iid) == before and store.reviews(iid) == []


def test_store_accepts_every_precision_a_place_can_have(store, raqqa):
    # a sea, river or world region resolves with precision "region" (ACLED geo_precision 3)
    store.save_records(raqqa[0])
    _link(store, raqqa[:1])
    iid = raqqa[0].incidents[0].id
    for precision in ("region", "country", "admin1", "parent", "exact"):
        done = store.review_incident(iid, action="edit", who="ana",
                                     changes={"location_precision": precision})
        assert done["location_precision"] == precision


def test_store_a_sound_edit_brings_what_follows_from_it(store, raqqa):
    store.save_records(raqqa[0])
    _link(store, raqqa[:1])
    iid = raqqa[0].incidents[0].id
    store.review_incident(iid, action="edit", who="ana", changes={"event_date": None})
    assert store.get_incident(iid)["date_precision"] == "unknown"
    done = store.review_incident(iid, action="edit", who="ana", note="per OCHA", changes={
        "event_date": "2017-06-06", "sub_event_type": "Air/drone strike",
        "actor1_id": "us-led-coalition", "fatalities_low": 2, "fatalities": 3.0,
        "fatalities_high": 5, "civilian_targeting": True, "notes": "Strike on a bakery."})
    assert (done["event_type"], done["date_precision"], done["actor1"]) == (
        "Explosions/Remote violence", "day", "Global Coalition Against Daesh")
    assert done["fatalities"] == 3 and isinstance(done["fatalities"], int)
    assert done["civilian_targeting"] is True and done["notes"] == "Strike on a bakery."
    notes = {t["field"]: t["note"] for t in store.reviews(iid)}
    assert notes["fatalities"] == "per OCHA"
    assert notes["event_type"] == "the event type of 'Air/drone strike'"
    # an id the registry lacks is still known when the store holds it
    stored = store.review_incident(iid, action="edit", who="ana", changes={
        "actor2_id": "us-coalition"})  # fmt: skip
    assert stored["actor2_id"] == "us-coalition"


def test_store_duplicates_across_runs(tmp_path, raqqa):
    path = tmp_path / "d.db"
    with Store.open(path) as s:
        for r in raqqa:
            s.save_records(r)
        _link(s, raqqa)
    original = raqqa[1]
    paragraphs = original.article.text.split("\n\n")
    copy_text = "\n\n".join(paragraphs[:3] + paragraphs[4:]).replace("said", "told AFP", 1)
    copy = _records(Path(original.article.source), "2017-10-20")
    copy.article.id, copy.article.text, copy.article.source = "copy", copy_text, "mirror.html"
    with Store.open(path) as s:
        s.save_records(copy)
        dups = stored_duplicates(s, [copy])
        assert dups["copy"] == original.article.id
        assert all(v is None for k, v in dups.items() if k != "copy")
        s.save_link(stories=[], incidents=[], duplicates=dups, story_ids={})
        assert s.counts()["duplicates"] == 1
        assert s.get_article(original.article.id)["story_id"] is None  # its story is gone


def test_store_relinking_reuses_stored_signatures(tmp_path, raqqa, monkeypatch):
    """A re-run compares every stored article again but hashes none of them again: the
    signature saved with each article stands in, and the answer is the same."""
    path = tmp_path / "r.db"
    copy = _records(Path(raqqa[1].article.source), "2017-10-20")
    copy.article.id, copy.article.source = "copy", "mirror.html"
    records = [*raqqa, copy]
    with Store.open(path) as s:
        for r in records:
            s.save_records(r)
        first = stored_duplicates(s, records)
    assert first["copy"] == raqqa[1].article.id
    hashed: list[str] = []
    real = dedup.signature
    monkeypatch.setattr(dedup, "signature", lambda text: hashed.append(text) or real(text))
    with Store.open(path) as s:
        assert stored_duplicates(s, records) == first
    assert hashed == []


def test_store_signs_an_article_once_another_is_stored(store, raqqa, monkeypatch):
    """Signing imports datasketch (half a CPU second): a lone article is not signed, and
    is signed with the second, so linking a one-article store signs nothing."""
    hashed: list[str] = []
    real = dedup.signature
    monkeypatch.setattr(dedup, "signature", lambda text: hashed.append(text) or real(text))
    first, second, third = raqqa[:3]
    store.save_records(first)
    store.save_records(first)
    assert stored_duplicates(store, [first]) == {first.article.id: None}
    assert hashed == [] and list(store.signatures()) == []
    store.save_records(second)
    assert sorted(hashed) == sorted([first.article.text, second.article.text])
    store.save_records(third)
    assert {aid for aid, _, _ in store.signatures()} == {r.article.id for r in raqqa[:3]}
    assert len(hashed) == 3


def test_store_moving_an_incident_rederives_its_place(store, raqqa):
    for r in raqqa:
        r.incidents[0].admin1 = "Ar-Raqqah"
        store.save_records(r)
    _link(store, raqqa)
    a, b, c = (r.incidents[0].id for r in raqqa[:3])
    # to Aleppo: the town, its governorate and its GeoNames id come from the gazetteer
    moved = store.review_incident(a, action="edit", who="ana", changes={
        "lat": 36.2021, "lon": 37.1343})  # fmt: skip
    assert (moved["location"], moved["admin1"], moved["geonameid"], moved["country_code"]) == (
        "Aleppo", "Aleppo", 170063, "SY")
    assert moved["location_precision"] == "exact"
    trail = {t["field"]: t for t in store.reviews(a)}
    assert (trail["admin1"]["old"], trail["admin1"]["new"]) == ("Ar-Raqqah", "Aleppo")
    assert "2.4 km from Aleppo (GeoNames 170063)" in trail["geonameid"]["note"]
    # a spelling of the nearest town keeps its id; what the reviewer gives wins
    tabqa = store.review_incident(b, action="edit", who="ana", changes={
        "location": "Tabqa", "lat": 35.84, "lon": 38.55})  # fmt: skip
    assert (tabqa["location"], tabqa["geonameid"], tabqa["admin1"]) == (
        "Tabqa", 172374, "Ar-Raqqah")
    kept = store.review_incident(b, action="edit", who="ana", changes={
        "location": "Tabqa dam", "admin1": "Raqqa province"})
    assert kept["admin1"] == "Raqqa province"
    row = export.acled_row(kept)
    assert (row["location"], row["admin1"]) == ("Tabqa dam", "Raqqa province")
    # out at sea: nothing near, so the old place's fields are cleared, and the trail says so
    sea = store.review_incident(c, action="edit", who="ana", changes={"lat": 33.5, "lon": 30.0})
    assert [sea[k] for k in ("location", "country_code", "admin1", "geonameid")] == [None] * 4
    notes = {t["field"]: t["note"] for t in store.reviews(c)}
    assert "no town within 25 km: cleared" in notes["admin1"]


def test_store_runs_and_errors(store):
    run = store.start_run(["a.html", "b.warc"])
    store.log_error(run, InputError("b.warc", "not a WARC file"))
    store.finish_run(run, {"read": 1, "failed": 1})
    (row,) = store.runs()
    assert row["counts"] == {"read": 1, "failed": 1}
    assert row["errors"] == [{"source": "b.warc", "reason": "not a WARC file"}]


_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from tests.store.test_store import _records
    from newsdesk.store import Store
    from pathlib import Path
    paths = sorted(Path(sys.argv[2]).glob("*.txt"))
    with Store.open(sys.argv[1]) as s:
        for n in range(40):
            rec = _records(paths[n % len(paths)], "2017-10-10")
            rec.article.id = f"art{n:03d}"
            for x in (*rec.places, *rec.actors, *rec.dates, *rec.claims, *rec.quotes):
                x.article_id = rec.article.id
            if not s.has_article(rec.article.id):
                s.save_records(rec)
                print(n, flush=True)
                time.sleep(0.05)
    """
)


def test_store_survives_sigkill_and_rerun_completes(tmp_path, example_dir):
    path = tmp_path / "k.db"
    cmd = [sys.executable, "-c", _WRITER, str(path), str(example_dir), str(REPO)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    for _ in range(10):  # let it commit a few articles, then kill it mid-batch
        assert proc.stdout is not None and proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store.open(path) as s:
        assert s._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = s.counts()["articles"]
        assert 10 <= done < 40
        assert s.counts()["places"] == done  # no article without its records
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO, timeout=120)
    with Store.open(path) as s:
        assert s.counts()["articles"] == 40 and s.counts()["places"] == 40
        rows = s._conn.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone()
        assert tuple(rows) == (40, 40)


@pytest.mark.parametrize("page", [{"limit": None}, {"limit": 20, "offset": 40}])
@pytest.mark.parametrize(
    "call",
    [
        lambda s, page: s.articles(**page),
        lambda s, page: s.articles(outlet="AFP", **page),
        lambda s, page: s.stories(**page),
        lambda s, page: s.incidents(**page),
        lambda s, page: s.incidents(event_type="Battles", **page),
        lambda s, page: s.incidents(country="SY", **page),
        lambda s, page: s.incidents(grade="fair", **page),
    ],
)
def test_store_list_pages_read_an_index_without_sorting(store, call, page):
    """Lists must stay fast on 100,000 articles: rows are chosen off an index, never by
    sorting the table. Two sorts are bounded and allowed: of ties on one date (the
    incidents_browse index ends with its filter columns, not the rowid), and of one
    page's own rows once the index has chosen them."""
    issued: list[str] = []
    store._conn.set_trace_callback(issued.append)
    call(store, page)
    store._conn.set_trace_callback(None)
    (sql,) = [q for q in issued if q.lstrip().upper().startswith("SELECT")]
    plan = [(r[1], r[3]) for r in store._conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    assert any(re.search(r"USING (COVERING )?INDEX", step) for _, step in plan), plan
    paged = page["limit"] is not None
    whole_sorts = [
        step for parent, step in plan
        if step == "USE TEMP B-TREE FOR ORDER BY" and not (paged and parent == 0)
    ]  # fmt: skip
    assert not whole_sorts, plan
    assert paged == any(step.startswith("LIST SUBQUERY") for _, step in plan), plan


if __name__ == "__main__":  # regenerate tests/data/schema.sql (see the golden schema test)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Store.open(Path(tmp) / "schema.db").close()
        SCHEMA.write_text(_schema(Path(tmp) / "schema.db"), "utf-8")
    print(f"wrote {SCHEMA}")


def test_store_save_link_sets_changes_and_clears_link_columns(tmp_path, raqqa):
    """Only rows whose link columns change are updated: a NULL must still be set, changed
    and cleared (`IS NOT`, not `!=`, which is never true against NULL)."""
    a, b = raqqa[0].article.id, raqqa[1].article.id

    def story(sid: str) -> Story:
        return Story(sid, "Battle for Raqqa", [a, b], ["AFP"], "2017-10-10", "2017-10-14")

    def links(s: Store) -> list[tuple[str | None, str | None]]:
        return [(s.get_article(x)["duplicate_of"], s.get_article(x)["story_id"]) for x in (a, b)]

    with Store.open(tmp_path / "l.db") as s:
        for r in raqqa:
            s.save_records(r)
        s.save_link(stories=[story("s-1")], incidents=[], duplicates={a: None, b: a},
                    story_ids={a: "s-1", b: "s-1"})
        assert links(s) == [(None, "s-1"), (a, "s-1")]
        s.save_link(stories=[story("s-2")], incidents=[], duplicates={a: None, b: None},
                    story_ids={a: "s-2", b: "s-2"})
        assert links(s) == [(None, "s-2"), (None, "s-2")]
