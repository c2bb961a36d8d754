"""Incremental linking: new articles linked into the stored stories they can reach."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from raqqa import AFP_BREACH, SPUTNIK, load_records

from newsdesk.link import stories
from newsdesk.link.common import unit_order
from newsdesk.models import Article, ArticleRecords, Story
from newsdesk.pipeline import link_stored, stored_duplicates
from newsdesk.store import Store


def _in_batches(store: Store, records: list[ArticleRecords], size: int) -> None:
    for start in range(0, len(records), size):
        batch = records[start : start + size]
        for rec in batch:
            store.save_records(rec)
        link_stored(store, new_ids=[r.article.id for r in batch])


def _shape(story: Story) -> dict:
    """What linking decides about a story (the `why` lines depend on the order of batches)."""
    d = story.to_dict()
    d["events"] = [e["article_ids"] for e in d["events"]]
    for key in ("why", "signature", "brief_md", "brief_html"):
        d.pop(key, None)
    return d


def test_incremental_raqqa_batches_match_full_link(data_dir: Path, tmp_path: Path) -> None:
    records = sorted(load_records(data_dir), key=unit_order)
    with Store.open(tmp_path / "incremental.db") as inc, Store.open(tmp_path / "full.db") as full:
        _in_batches(inc, records, 2)
        for rec in records:
            full.save_records(rec)
        link_stored(full)
        assert [_shape(s) for s in inc.story_records()] == [_shape(s) for s in full.story_records()]
        assert inc.incidents(limit=None) == full.incidents(limit=None)
        assert all(s.brief_md for s in inc.story_records())


def _basil(benchmarks: Path) -> list[ArticleRecords]:
    out = []
    with (benchmarks / "basil_event_triplets" / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.append(ArticleRecords(article=Article(
                id=d["id"], source=d["id"], text=d["text"], title=d.get("title"),
                outlet=d.get("source"), published=(d.get("date") or "")[:10] or None,
            )))
    return sorted(out, key=unit_order)


def test_incremental_basil_matches_linking_into_every_stored_story(
    benchmarks_dir: Path, tmp_path: Path,
) -> None:
    """Loading only reachable stories gives what linking against all of them gives."""
    records = _basil(benchmarks_dir)
    expected: dict[str, Story] = {}
    for start in range(0, len(records), 20):
        batch = records[start : start + 20]
        result = stories.link(batch, existing=list(expected.values()))
        touched = {result.story_of[r.article.id] for r in batch}
        expected.update((s.id, s) for s in result.stories if s.id in touched)
    with Store.open(tmp_path / "basil.db") as store:
        _in_batches(store, records, 20)
        got = {s.id: sorted(s.article_ids) for s in store.story_records()}
    assert got == {sid: sorted(s.article_ids) for sid, s in expected.items()}
    assert sum(len(ids) > 1 for ids in got.values()) >= 10  # real grouping, not singletons


def _rowids(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT id, rowid FROM stories").fetchall())


def test_new_article_joins_its_story_and_others_are_not_rewritten(
    data_dir: Path, tmp_path: Path,
) -> None:
    records = load_records(data_dir)
    late = next(r for r in records if r.article.id == SPUTNIK)
    weather = ArticleRecords(article=Article(
        id="zz-weather", source="x", title="Heavy snow closes Alpine passes",
        text="Heavy snow closed three Alpine passes in Switzerland on Monday, stranding "
             "skiers and delaying freight trains near Zermatt.",
        published="2017-07-05", outlet="Swissinfo",
    ))
    path = tmp_path / "join.db"
    with Store.open(path) as store:
        for rec in [*(r for r in records if r is not late), weather]:
            store.save_records(rec)
        link_stored(store)  # a full link; the incremental run indexes its stories
        before = {s.id: s for s in store.story_records()}
        rowids = _rowids(path)
        store.save_records(late)
        link_stored(store, new_ids=[SPUTNIK])
        after = {s.id: s for s in store.story_records()}
        raqqa = next(s for s in after.values() if AFP_BREACH in s.article_ids)
        assert SPUTNIK in raqqa.article_ids
        assert set(raqqa.article_ids) == set(before[raqqa.id].article_ids) | {SPUTNIK}
        assert after.keys() == before.keys()
        assert next(store.iter_articles(ids=[SPUTNIK])).story_id == raqqa.id
        incidents = store.incidents(limit=None)
    with Store.open(tmp_path / "full.db") as full:
        for rec in [*records, weather]:
            full.save_records(rec)
        link_stored(full)
        assert incidents == full.incidents(limit=None)  # the joined story's, merged again
        assert _shape(raqqa) == _shape(next(s for s in full.story_records() if s.id == raqqa.id))
    moved = _rowids(path)
    other = next(sid for sid in before if sid != raqqa.id)
    assert moved[other] == rowids[other]  # the weather story was not written again
    assert moved[raqqa.id] != rowids[raqqa.id]


def test_incremental_with_nothing_new_writes_nothing(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "same.db"
    with Store.open(path) as store:
        for rec in load_records(data_dir):
            store.save_records(rec)
        link_stored(store)
        rowids = _rowids(path)
        link_stored(store, new_ids=[])
    assert _rowids(path) == rowids


def test_new_copy_found_through_stored_bands(data_dir: Path, tmp_path: Path) -> None:
    """A new near copy points where a scan of every stored signature would point it."""
    records = load_records(data_dir)
    afp = next(r for r in records if r.article.id == AFP_BREACH)
    words = afp.article.text.split(" ")
    words[40] = "reportedly"
    copy = ArticleRecords(article=Article(
        id="copy-of-afp", source="y", text=" ".join(words[:300] + words[330:]),
        title=afp.article.title, published="2017-07-06", outlet="Yahoo News",
    ))
    first_copy = ArticleRecords(article=Article(
        id="first-copy", source="z", text=afp.article.text + " Read more latest news",
        published="2017-07-05", outlet="Gulf Today",
    ))
    with Store.open(tmp_path / "copies.db") as store:
        _in_batches(store, [*records, first_copy], 10)
        assert next(store.iter_articles(ids=["first-copy"])).duplicate_of == AFP_BREACH
        store.save_records(copy)
        scanned = stored_duplicates(store, [copy])["copy-of-afp"]
        link_stored(store, new_ids=["copy-of-afp"])
        stored = next(store.iter_articles(ids=["copy-of-afp"]))
        story = next(s for s in store.story_records() if AFP_BREACH in s.article_ids)
    assert stored.duplicate_of == scanned == AFP_BREACH
    assert stored.story_id == story.id  # a copy follows its original into its story


def test_lone_first_article_is_signed_when_its_copy_arrives(data_dir: Path, tmp_path: Path) -> None:
    """The first article of a store is stored unsigned (nothing to compare it with); a
    near copy in a later run still finds it, through the bands stored when it came."""
    afp = next(r for r in load_records(data_dir) if r.article.id == AFP_BREACH)
    words = afp.article.text.split(" ")
    words[40] = "reportedly"
    copy = ArticleRecords(article=Article(
        id="copy-of-afp", source="y", text=" ".join(words), title=afp.article.title,
        published="2017-07-06", outlet="Yahoo News",
    ))
    with Store.open(tmp_path / "lone.db") as store:
        _in_batches(store, [afp], 1)
        assert list(store.signatures()) == []
        _in_batches(store, [copy], 1)
        assert {aid for aid, _, _ in store.signatures()} == {AFP_BREACH, "copy-of-afp"}
        assert next(store.iter_articles(ids=["copy-of-afp"])).duplicate_of == AFP_BREACH
