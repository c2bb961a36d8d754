"""Orchestration: ingest → analyse each article → link across articles → publish.

The per-article stage (`analyse.article.analyze_article`) runs under an executor: in
this process by default (`executors.local`), or on Dask (`executors.dask_executor`).
Executors only analyse; storing, the run log and everything cross-article (duplicates,
stories, claim groups, exports) run here on the records they yield, which is what makes
the two executors give the same answer.

Nothing is analysed twice: an article whose id is already in the store is taken from
the store, so re-running on the same input changes nothing and a killed run resumes
where it stopped. The exception is a report whose metadata now says more (a sidecar
added or corrected): it is analysed again with it.
"""

from __future__ import annotations

import dataclasses
import errno
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal, TypedDict, Unpack

from newsdesk.errors import DiskFullError, shown
from newsdesk.executors.local import analyze_locally
from newsdesk.ingest.readers import read_inputs
from newsdesk.link import dedup, stories
from newsdesk.models import Article, ArticleRecords, InputError
from newsdesk.publish import export, report
from newsdesk.publish.brief import write_briefs
from newsdesk.store import Store

Executor = Literal["local", "dask"]
PARQUET_AUTO_ARTICLES = 5000  # runs this large also get Parquet tables by default
_FEW = 4  # publish reads by id when the run's articles are under a quarter of the store
ErrorSink = Callable[[InputError], None]


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the summary line and the exit code.

    Every input read (an article, or an input that could not be read) is counted once
    as stored, unchanged, duplicate or failed, so `read` is their sum: nothing read can
    vanish from the count. `copies` is not part of that sum: it counts
    the stored or unchanged articles the linker found to copy another report.
    """

    read: int = 0
    stored: int = 0  # newly analysed and stored
    unchanged: int = 0  # already in the store from an earlier run
    duplicates: int = 0  # the same report read again in this run (another file, a copy)
    failed: int = 0
    copies: int = 0  # stored or unchanged articles that copy another report
    stories: int = 0
    incidents: int = 0
    errors: list[InputError] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    last_stored: str | None = None  # the source of the last article stored, for a stop

    def line(self) -> str:
        copies = f" ({self.copies} copies of other reports)" if self.copies else ""
        return (
            f"read {self.read}: stored {self.stored}, unchanged {self.unchanged}, "
            f"duplicates {self.duplicates}, failed {self.failed}{copies}; "
            f"{self.stories} stories, {self.incidents} incidents"
        )


class RunOptions(TypedDict, total=False):
    """How `run` and `run_articles` execute; each is described on `run_articles`."""

    executor: Executor
    workers: int | None
    scheduler: str | None
    progress: bool
    on_error: ErrorSink | None
    parquet: bool | None
    on_article: Callable[[str], None] | None
    link: Literal["all", "new"]


def run(
    inputs: Sequence[str],
    *,
    out_dir: Path | None,
    db_path: Path,
    stdin: BinaryIO | None = None,
    **options: Unpack[RunOptions],
) -> RunSummary:
    """Run the whole pipeline on `inputs`, storing into `db_path` and writing `out_dir`.

    `out_dir` is written only when something was read: each file is written to a
    temporary file and renamed, so an interrupted or empty run never leaves it half made.
    """
    return run_articles(
        read_inputs(inputs, stdin=stdin), sources=list(inputs), out_dir=out_dir,
        db_path=db_path, **options,
    )


def run_articles(
    items: Iterable[Article | InputError],
    *,
    sources: Sequence[str],
    out_dir: Path | None,
    db_path: Path,
    executor: Executor = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    on_error: ErrorSink | None = None,
    parquet: bool | None = None,
    on_article: Callable[[str], None] | None = None,
    link: Literal["all", "new"] = "all",
) -> RunSummary:
    """Analyse, store, link and publish articles that are already read.

    `link="new"` links only this run's new articles into the stored stories they can
    reach (the watcher's polls, whose cost must follow what they add); "all" relinks the
    whole store, which can regroup old stories with what is known now.

    The one runner: the CLI, the desk's uploads and the watcher all come through here,
    and the executors (`executors.local`, `executors.dask_executor`) only analyse, so
    every way in stores the same records and logs its run. `workers`: processes that
    analyse (local: by default one per core from `executors.local.POOL_FROM` articles;
    Dask: workers of the local cluster). `sources` is what the run log
    names as the run's inputs. `on_article` is called with each article's id once it is
    in the store, analysed now or before (the desk's progress bar); an article whose
    analysis fails is reported to `on_error` instead.
    """
    summary = RunSummary()

    def fail(err: InputError) -> None:
        summary.failed += 1
        summary.errors.append(err)
        store.log_error(run_id, err)
        if on_error is not None:
            on_error(err)

    try:
        with Store.open(db_path) as store:
            run_id = store.start_run(list(sources))
            stored: set[str] = set()  # ids stored by an earlier run, filled as they are read
            again: list[tuple[str, str]] = []  # (id, source) of reports read again
            articles = _ingested(items, store, stored, again, summary, fail, on_article)
            results: Iterable[ArticleRecords | InputError]
            if executor == "dask":
                from newsdesk.executors.dask_executor import analyze_with_dask

                results = analyze_with_dask(
                    articles, stored=stored, store=store, workers=workers, scheduler=scheduler
                )
            else:
                results = analyze_locally(articles, stored=stored, progress=progress,
                                          workers=workers)
            saved: dict[str, ArticleRecords] | None = {} if link == "all" else None
            new = _store_analysed(store, results, summary, fail, on_article, saved)
            summary.article_ids = [a for a in summary.article_ids if a in stored or a in new]
            store.add_sources([(a, src) for a, src in again if a in stored or a in new])
            linked = None  # every stored article's records, when a full link has read them
            if link == "all":
                linked = link_stored(store, saved=saved)
            elif new:
                link_stored(store, new_ids=sorted(new))
            summary.copies = sum(
                1 for a in store.iter_articles(ids=summary.article_ids) if a.duplicate_of
            )
            if out_dir is not None and summary.article_ids:
                # a run that read nothing (a mistyped path) leaves an earlier output as it was
                counts = publish(store, out_dir, article_ids=summary.article_ids,
                                 parquet=parquet, stored=linked)
                summary.stories, summary.incidents = counts["stories"], counts["incidents"]
            store.finish_run(
                run_id,
                {
                    "read": summary.read,
                    "stored": summary.stored,
                    "unchanged": summary.unchanged,
                    "duplicates": summary.duplicates,
                    "failed": summary.failed,
                    "copies": summary.copies,
                },
            )
    except (sqlite3.OperationalError, OSError) as exc:
        if not _disk_full(exc):
            raise
        raise DiskFullError(_disk_full_message(exc, summary, db_path, out_dir)) from exc
    return summary


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _disk_full_message(
    exc: BaseException, summary: RunSummary, db_path: Path, out_dir: Path | None
) -> str:
    """One line that says what was being written and where the store stopped.

    Articles are stored one transaction each, so the store holds everything up to the
    last one stored and a re-run resumes after it (stored articles are not analysed again).
    """
    kept = summary.stored + summary.unchanged
    if not isinstance(exc, sqlite3.Error):  # the store is written through SQLite alone
        where = shown(str(getattr(exc, "filename", None) or out_dir))
        stopped = f"the store holds this run's {kept} articles but not every output was written"
    elif summary.last_stored is None:
        where, stopped = f"the store {shown(str(db_path))}", "no new article was stored"
    else:
        where = f"the store {shown(str(db_path))}"
        stopped = f"nothing after article {kept} ({shown(summary.last_stored)}) was stored"
    return f"disk full writing {where}; {stopped}; free space and re-run"


def _ingested(
    items: Iterable[Article | InputError],
    store: Store,
    stored: set[str],
    again: list[tuple[str, str]],
    summary: RunSummary,
    fail: ErrorSink,
    on_article: Callable[[str], None] | None,
) -> Iterator[Article]:
    """Each distinct article once, in input order; one already stored is noted in `stored`.

    Every item counts in `summary.read`. A report read again in this run (an exact copy
    in a second file) counts as a duplicate and its source goes to `again`, as does the
    source of an unchanged one, so the store names every file a report was found in.
    `summary.article_ids` gets every distinct id here, in input order; the runner drops
    those whose analysis failed once the executor is done.
    """
    seen: set[str] = set()
    for item in items:
        summary.read += 1
        if isinstance(item, InputError):
            fail(item)
            continue
        if item.id in seen:
            summary.duplicates += 1
            again.append((item.id, item.source))
            continue
        seen.add(item.id)
        summary.article_ids.append(item.id)
        if store.has_article(item.id) and not _says_more(store, item):
            stored.add(item.id)
            summary.unchanged += 1
            again.append((item.id, item.source))
            if on_article is not None:
                on_article(item.id)
        yield item


_METADATA = ("url", "outlet", "published", "language")


def _says_more(store: Store, article: Article) -> bool:
    """A stored report read again with metadata that differs from what was stored (a
    sidecar added or corrected since) is analysed again: its date anchors the dates in
    its text. Metadata the new reading lacks never undoes what was stored."""
    old = next(iter(store.iter_articles(ids=[article.id])), None)
    return old is not None and any(
        getattr(article, f) is not None and getattr(article, f) != getattr(old, f)
        for f in _METADATA
    )


def _store_analysed(
    store: Store,
    results: Iterable[ArticleRecords | InputError],
    summary: RunSummary,
    fail: ErrorSink,
    on_article: Callable[[str], None] | None,
    saved: dict[str, ArticleRecords] | None = None,
) -> set[str]:
    """Store what an executor yields, each article in its own transaction; the new ids.

    Executors rely on this storing each result before asking them for the next: the
    Dask executor marks a shard done once its last record has been taken from it.
    `saved`, when given, collects each stored result by id for a full link to take
    instead of reading it back (`Store.iter_records`).
    """
    new: set[str] = set()
    for result in results:
        if isinstance(result, InputError):
            fail(result)
            continue
        store.save_records(result)
        if saved is not None:
            saved[result.article.id] = result
        new.add(result.article.id)
        summary.stored += 1
        summary.last_stored = result.article.source
        if on_article is not None:
            on_article(result.article.id)
    return new


def link_stored(
    store: Store,
    *,
    new_ids: Collection[str] | None = None,
    saved: Mapping[str, ArticleRecords] | None = None,
) -> list[ArticleRecords] | None:
    """Recompute the cross-article results and their briefs: all of them, or for new articles.

    Without `new_ids` everything stored is linked again in one pass, and every stored
    article's records are returned as the store now holds them, so that `publish` need not
    read them again (0.3 of the 1.5 CPU s it took on the 200 GeoWebNews texts). With
    `new_ids` only those articles are linked, into the stored stories they can reach
    (`_link_new`), so the cost follows the new articles, not the size of the store; None
    is returned. Duplicates are found with MinHash signatures kept in the store, and
    stories are linked with blocking. `saved`: the records this run has just stored, by
    id, which a full link takes as they are instead of reading them back.
    """
    if new_ids is not None:
        _link_new(store, new_ids)
        return None
    records = list(store.iter_records(saved=saved))
    duplicates = stored_duplicates(store, records)
    for rec in records:
        rec.article.duplicate_of = duplicates.get(rec.article.id)
    result = stories.link(records)
    write_briefs(result.stories, {r.article.id: r for r in records}, result.incidents_of)
    store.save_link(
        stories=result.stories,
        incidents=result.incidents,
        duplicates=duplicates,
        story_ids=result.story_of,
    )
    # linking wrote only the articles' link columns: their rows, read back (a hundredth of
    # the records' cost), make the records what the store would give
    now = {a.id: a for a in store.iter_articles()}
    return [dataclasses.replace(r, article=now[r.article.id]) for r in records]


def _link_new(store: Store, new_ids: Collection[str]) -> None:
    """Link new articles into the stored stories, rewriting only the stories they join.

    The linker compares an article only with the events and stories indexed under its
    strongest features, and weighs features by their frequency over all stored events;
    the store keeps both per story (`link_terms`), so loading the stories indexed under
    the new articles' features and passing the store-wide frequencies gives the stories
    `stories.link(new, existing=<every stored story>)` gives. A new event looks stories
    up by the features of its summed articles, known only after linking: when those
    reach stories not loaded yet, they are loaded and the batch linked again.
    """
    new = store.records_of(new_ids)
    if not new:
        return
    wanted = {r.article.id for r in new}
    duplicates = _new_duplicates(store, new)
    for rec in new:
        rec.article.duplicate_of = duplicates.get(rec.article.id)
    unindexed = store.unindexed_stories()
    if unindexed:
        store.index_stories(unindexed, stories.story_terms)
    doc_freq = store.link_doc_freq(stories.batch_features(new))
    originals = {d for d in duplicates.values() if d is not None and d not in wanted}
    loaded = {s.id: s for s in store.stories_of_articles(originals)}
    looked: set[str] = set()
    terms = stories.lookup_terms(new, doc_freq)
    while True:
        looked |= terms
        reached = store.stories_with_terms(terms, stories.POSTING_RECENT)
        loaded.update((s.id, s) for s in reached if s.id not in loaded)
        result = stories.link(new, existing=list(loaded.values()), doc_freq=doc_freq)
        terms = stories.event_lookup_terms(result, wanted) - looked
        if not terms:
            break
    touched_ids = {result.story_of[a] for a in wanted if a in result.story_of}
    touched = [s for s in result.stories if s.id in touched_ids]
    members = {r.article.id: r for r in new}
    old_ids = {a for s in touched for a in s.article_ids} - wanted
    members.update((r.article.id, r) for r in store.records_of(old_ids))
    incidents_of = {
        s.id: stories.story_results(s, [members[a] for a in s.article_ids if a in members])
        for s in touched
    }
    write_briefs(touched, members, incidents_of)
    store.replace_stories(
        stories=touched,
        incidents=[i for s in touched for i in incidents_of[s.id]],
        duplicates=duplicates,
        story_ids={a: s.id for s in touched for a in s.article_ids},
        terms_of=stories.story_terms,
    )


def _new_duplicates(store: Store, new: Sequence[ArticleRecords]) -> dict[str, str | None]:
    """Duplicates of stored new articles, among themselves and the stored articles they reach.

    `stored_duplicates` bands every stored signature; here the stored LSH bands of the
    new articles name the stored articles they can match, and those come with their
    stored copy families, so that a new copy still points to the first seen of them all.
    Stored articles keep their `duplicate_of`: a new article dated before a stored copy
    does not become its target until a full link.
    """
    store.index_bands()
    ids = [r.article.id for r in new]
    wanted = set(ids)
    known = {aid: sig for aid, sig, _ in store.signatures_of(ids)}
    reached = store.band_matches(k for sig in known.values() for k in dedup.band_keys(sig))
    prior = store.signatures_of(store.copy_families(reached - wanted) - wanted)
    ranks = store.sort_keys(ids)
    items = [
        (r.article.id, r.article.text,
         ranks.get(r.article.id) or dedup.sort_key(r.article.published, n))
        for n, r in enumerate(new)
    ]
    found = dedup.find_duplicates(items, prior, known=known)
    return {aid: found.get(aid) for aid in ids}


def stored_duplicates(store: Store, records: Iterable[ArticleRecords]) -> dict[str, str | None]:
    """Duplicates over `records` (compared by text) and every other stored article.

    Every article involved is in the answer, mapped to None when it is no one's copy, so
    `Store.save_link` also clears a stale `duplicate_of`. Stored articles keep their
    insertion rank; records not stored yet rank after them, in the order given. This is
    the glue between the store and `dedup`, which stays a pure function of signatures.
    """
    recs = list(records)
    ids = [r.article.id for r in recs]
    stored = store.sort_keys(ids)
    new = [
        (r.article.id, r.article.text,
         stored.get(r.article.id) or dedup.sort_key(r.article.published, n))
        for n, r in enumerate(recs)
    ]
    wanted = set(ids)
    known: dict[str, dedup.Signature] = {}
    prior: list[tuple[str, dedup.Signature, dedup.SortKey]] = []
    for aid, sig, key in store.signatures():
        if aid in wanted:
            known[aid] = sig
        else:
            prior.append((aid, sig, key))
    found = dedup.find_duplicates(new, prior, known=known)
    everyone = dict.fromkeys([*ids, *(p[0] for p in prior)])
    return {aid: found.get(aid) for aid in everyone}


def publish(
    store: Store,
    out_dir: Path,
    *,
    article_ids: Sequence[str] | None = None,
    parquet: bool | None = None,
    stored: Sequence[ArticleRecords] | None = None,
) -> dict[str, int]:
    """Write the contract files for the given articles (all stored ones by default).

    `parquet`: also write the record tables as Parquet; None decides by size, because
    JSON Lines of a million claims are slow to load for analysis. `stored`: every stored
    article's records as the store holds them, when the caller has them at hand (a full
    `link_stored` returns them), read from the store otherwise.
    """
    from newsdesk.analyse.registry import shared_registry

    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = set(article_ids) if article_ids is not None else None
    if wanted is not None and len(wanted) * _FEW < store.article_count():
        # a poll's few new reports among many: read them by id, so the cost follows them
        ids = sorted(wanted)
        records = store.records_of(ids)
        story_list = store.stories_of_articles(ids)
        incidents = store.incidents_of_articles(ids)
    else:
        every = store.iter_records() if stored is None else stored
        records = [r for r in every if wanted is None or r.article.id in wanted]
        story_list = [s for s in store.story_records()
                      if wanted is None or wanted & set(s.article_ids)]
        incidents = [i for i in store.incidents(limit=None)
                     if wanted is None or wanted & set(i["article_ids"])]
    position = {aid: n for n, aid in enumerate(article_ids or ())}  # input order, O(n)
    records.sort(key=lambda r: (position.get(r.article.id, 0), r.article.id))

    tables: dict[str, list[dict]] = {
        "articles": [_article_row(r.article) for r in records],
        "places": [p.to_dict() for r in records for p in r.places],
        "actors": [a.to_dict() for r in records for a in r.actors],
        "claims": [c.to_dict() for r in records for c in r.claims],
        "quotes": [q.to_dict() for r in records for q in r.quotes],
        "incidents": incidents,
    }
    for name, rows in tables.items():
        export.write_jsonl(out_dir / f"{name}.jsonl", rows)
    if parquet or (parquet is None and len(records) >= PARQUET_AUTO_ARTICLES):
        export.write_parquet(out_dir, tables)
    export.write_jsonl(out_dir / "stories.jsonl", (s.to_dict() for s in story_list))
    registry = shared_registry()
    actor_ids = {i.get(k) for i in incidents for k in ("actor1_id", "actor2_id")} - {None}
    inter = {aid: actor.inter for aid in actor_ids if (actor := registry.get(aid)) is not None}
    stamps = store.incident_timestamps([i["id"] for i in incidents])
    export.write_text(out_dir / "incidents.csv", export.acled_csv(incidents, inter, stamps))
    urls = {r.article.id: r.article.url for r in records if r.article.url}
    export.write_text(out_dir / "incidents_full.csv", export.full_csv(incidents, urls, inter))
    export.write_text(out_dir / "tolls.csv", export.tolls_csv(incidents))
    export.write_text(out_dir / "incidents.geojson",
                      _json(export.geojson(incidents, urls, inter)))
    report.write_report(
        out_dir / "report.html", stories=story_list, records=records, incidents=incidents
    )
    return {"stories": len(story_list), "incidents": len(incidents)}


def _article_row(article: Article) -> dict:
    row = article.to_dict()
    row.pop("removed", None)
    return row


def _json(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, indent=1)
