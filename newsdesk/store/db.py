"""`Store`: one SQLite file, opened and migrated, and what the pipeline saves into it.

The guarantees and the tables are stated in the package docstring (`newsdesk.store`).
Saving per-article records and cross-article link results is here; the schema's history
is `migrations.py`, the analysts' trail `reviews.py`, and every list `queries.py`, which
the `Store` methods below and the desk both read through.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import newsdesk.store.queries as queries
import newsdesk.store.reviews as review_trail
from newsdesk.errors import NotAStoreError, shown
from newsdesk.link import dedup
from newsdesk.models import (
    ActorMention,
    Article,
    ArticleRecords,
    Claim,
    DateRef,
    Incident,
    InputError,
    PlaceMention,
    Quote,
    Story,
)
from newsdesk.store.connection import Transaction, connect, dumps, now
from newsdesk.store.migrations import migrate, schema_version
from newsdesk.store.queries import Filters


class Store:
    """A newsdesk SQLite file. Open with `Store.open(path)`, use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, timeout: float = 30.0) -> Store:
        """Open (creating and migrating as needed) the store at `path`.

        Raises `SchemaError` for a file from a newer newsdesk or a migration that failed.
        """
        path = Path(path)
        try:
            conn = connect(path, timeout=timeout)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_NOTADB:
                raise
            raise NotAStoreError(
                f"{shown(str(path))} is not a newsdesk store (not an SQLite database); "
                "give --db a store or the name of a new file"
            ) from exc
        try:
            migrate(conn, path)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return schema_version(self._conn)

    def _tx(self) -> Transaction:
        return Transaction(self._conn)

    # -- per-article records -------------------------------------------------------

    def has_article(self, article_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,))
        return row.fetchone() is not None

    def add_sources(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record more files a stored article was read from: (article id, source)."""
        with self._tx():
            self._conn.executemany("INSERT OR IGNORE INTO article_sources VALUES (?, ?)", pairs)

    def save_records(self, rec: ArticleRecords) -> bool:
        """Write one article and everything extracted from it atomically; True if new.

        Saving an article again replaces its extracted records but keeps the link
        results (story, duplicate) unless the record carries its own.
        """
        a = rec.article
        signed = self._has_signature(a.id)
        sig = None if signed or self._alone(a.id) else dedup.signature(a.text)
        conn = self._conn
        with self._tx():
            is_new = not self.has_article(a.id)
            conn.execute(
                """
                INSERT INTO articles (id, source, url, outlet, title, published, dateline,
                    language, text, duplicate_of, story_id, data, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET
                    source = excluded.source, url = excluded.url, outlet = excluded.outlet,
                    title = excluded.title, published = excluded.published,
                    dateline = excluded.dateline, language = excluded.language,
                    text = excluded.text,
                    duplicate_of = coalesce(excluded.duplicate_of, articles.duplicate_of),
                    story_id = coalesce(excluded.story_id, articles.story_id),
                    data = excluded.data
                """,
                (
                    a.id, a.source, a.url, a.outlet, a.title, a.published, a.dateline,
                    a.language, a.text, a.duplicate_of, a.story_id, _article_data(a), now(),
                ),
            )  # fmt: skip
            conn.execute("INSERT OR IGNORE INTO article_sources VALUES (?, ?)", (a.id, a.source))
            if not signed:
                self._sign_unless_alone(a.id, a.text, sig)
            for table in ("places", "actors", "dates", "claims", "quotes", "article_incidents"):
                conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (a.id,))
            conn.executemany(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, p.start, p.end, p.text, p.name, p.country_code, p.lat, p.lon,
                     p.geonameid, dumps(p.to_dict()))
                    for n, p in enumerate(rec.places)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO actors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, m.start, m.end, m.text, m.actor_id, m.name, m.kind,
                     dumps(m.to_dict()))
                    for n, m in enumerate(rec.actors)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO dates VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, d.start, d.end, d.text, d.date, dumps(d.to_dict()))
                    for n, d in enumerate(rec.dates)
                ],
            )
            conn.executemany(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, c.id, c.start, c.end, c.sentence, c.value, c.low, c.high,
                     c.counted, c.subject, c.scope, c.claimant, c.claimant_text, c.category,
                     dumps(c.to_dict()))
                    for n, c in enumerate(rec.claims)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO quotes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, q.id, q.start, q.end, q.speaker, q.speaker_text, q.role, q.text,
                     int(q.direct), dumps(q.to_dict()))
                    for n, q in enumerate(rec.quotes)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO article_incidents VALUES (?, ?, ?, ?)",
                [(a.id, n, i.id, dumps(i.to_dict())) for n, i in enumerate(rec.incidents)],
            )
        return is_new

    def _alone(self, article_id: str) -> bool:
        """Whether the store holds no article but this one."""
        row = self._conn.execute("SELECT 1 FROM articles WHERE id != ? LIMIT 1", (article_id,))
        return row.fetchone() is None

    def _sign_unless_alone(self, article_id: str, text: str, sig: dedup.Signature | None
                           ) -> None:
        """Inside a save: store the article's signature, and the first article's, unless the
        store holds no other article yet.

        A signature only serves to compare an article with others, and making one imports
        datasketch (and scipy with it: half a CPU second, a quarter of a one-report
        `analyze`). So the first article of an empty store is stored unsigned, and signed
        when a second one joins it: a store of two articles or more has every signature.
        `sig` is the one made before the transaction, None when the store looked empty
        then (another writer may have stored an article since).
        """
        others = [r[0] for r in self._conn.execute(
            "SELECT id FROM articles WHERE id != ? LIMIT 2", (article_id,))]
        if not others:
            return
        due = [(article_id, sig or dedup.signature(text))]
        if len(others) == 1 and not self._has_signature(others[0]):
            first = self._conn.execute("SELECT text FROM articles WHERE id = ?", (others[0],))
            due.append((others[0], dedup.signature(first.fetchone()[0])))
        self._conn.executemany("INSERT OR REPLACE INTO signatures VALUES (?, ?)",
                               [(aid, s.to_bytes()) for aid, s in due])

    def _has_signature(self, article_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM signatures WHERE article_id = ?", (article_id,))
        return row.fetchone() is not None

    def _article_obj(self, row: sqlite3.Row) -> Article:
        data = json.loads(row["data"])
        data["text"] = row["text"]  # kept in its column alone (`_article_data`)
        article = Article.from_dict(data)
        article.duplicate_of = row["duplicate_of"]
        article.story_id = row["story_id"]
        return article

    def iter_articles(self, *, ids: Collection[str] | None = None) -> Iterator[Article]:
        """Stored articles in insertion order, with their current link results."""
        cols = "seq, data, text, duplicate_of, story_id"
        if ids is None:
            rows = self._conn.execute(f"SELECT {cols} FROM articles ORDER BY seq")
            yield from (self._article_obj(r) for r in rows)
            return
        wanted = list(dict.fromkeys(ids))
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT {cols} FROM articles WHERE id IN ({marks}) ORDER BY seq", part
            ).fetchall()
            yield from (self._article_obj(r) for r in rows)

    def _children(self, table: str, article_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            f"SELECT data FROM {table} WHERE article_id = ? ORDER BY pos", (article_id,)
        )
        return [json.loads(r[0]) for r in rows]

    def _records(self, article: Article) -> ArticleRecords:
        aid = article.id
        return ArticleRecords(
            article=article,
            places=[PlaceMention.from_dict(d) for d in self._children("places", aid)],
            actors=[ActorMention.from_dict(d) for d in self._children("actors", aid)],
            dates=[DateRef.from_dict(d) for d in self._children("dates", aid)],
            claims=[Claim.from_dict(d) for d in self._children("claims", aid)],
            quotes=[Quote.from_dict(d) for d in self._children("quotes", aid)],
            incidents=[Incident.from_dict(d) for d in self._children("article_incidents", aid)],
        )

    def get_records(self, article_id: str) -> ArticleRecords | None:
        for article in self.iter_articles(ids=[article_id]):
            return self._records(article)
        return None

    def iter_records(
        self, *, saved: Mapping[str, ArticleRecords] | None = None
    ) -> Iterator[ArticleRecords]:
        """Every stored article's records, rebuilt as dataclasses, in insertion order.

        `saved`: records this process has just stored with `save_records`, by article id.
        Their extracted records are taken as given, not read back (the JSON and dataclasses
        of the 200 GeoWebNews texts' places, claims and incidents, 0.3 CPU s of a full
        link); their articles are still read, with the link columns the store holds.
        """
        for article in list(self.iter_articles()):
            mine = saved.get(article.id) if saved is not None else None
            yield (self._records(article) if mine is None
                   else dataclasses.replace(mine, article=article))

    # -- duplicates --------------------------------------------------------------------

    def signatures(self) -> Iterator[tuple[str, dedup.Signature, dedup.SortKey]]:
        """Stored MinHash signatures with each article's "first seen" rank."""
        rows = self._conn.execute(
            "SELECT a.id, a.published, a.seq, s.minhash FROM signatures s "
            "JOIN articles a ON a.id = s.article_id ORDER BY a.seq"
        )
        for aid, published, seq, blob in rows:
            yield aid, dedup.Signature.from_bytes(blob), dedup.sort_key(published, seq, stored=True)

    def sort_keys(self, ids: Iterable[str]) -> dict[str, dedup.SortKey]:
        """The "first seen" rank of the given stored articles (absent ids are left out)."""
        keys: dict[str, dedup.SortKey] = {}
        wanted = list(ids)
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT id, published, seq FROM articles WHERE id IN ({marks})", part
            )
            keys.update({r[0]: dedup.sort_key(r[1], r[2], stored=True) for r in rows})
        return keys

    # -- cross-article results ----------------------------------------------------

    def save_link(
        self,
        *,
        stories: list[Story],
        incidents: list[Incident],
        duplicates: dict[str, str | None],
        story_ids: dict[str, str],
    ) -> None:
        """Replace stories and machine incidents; set the given articles' link columns.

        Articles named in `duplicates` / `story_ids` get those values (an article named in
        `duplicates` but mapped to None is no one's copy); a story id that no longer
        exists is cleared everywhere. Reviews are replayed over the new incidents.
        """
        conn = self._conn
        with self._tx():
            conn.execute("DELETE FROM stories")
            conn.execute("DELETE FROM stories_fts")
            _write_stories(conn, stories, duplicates, story_ids)
            conn.execute(
                "UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL "
                "AND story_id NOT IN (SELECT id FROM stories)"
            )
            conn.execute("DELETE FROM incidents")
            _write_incidents(conn, incidents)
            review_trail.replay_all(conn)

    # -- the review trail (newsdesk.store.reviews) --------------------------------------

    def review_incident(
        self,
        incident_id: str,
        *,
        action: str,
        changes: dict[str, Any] | None = None,
        who: str,
        merge_into: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record an analyst's decision (with the previous values) and return the result.

        `edit` takes `changes` (field → new value, fields in `EDITABLE`); `merge` takes
        `merge_into`, the incident this one duplicates. A decision the trail cannot take
        raises `ReviewError`, an unknown incident `NotFound`.
        """
        with self._tx():
            return review_trail.review(
                self._conn, incident_id, action=action, changes=changes, who=who,
                merge_into=merge_into, note=note,
            )  # fmt: skip

    def reviews(self, incident_id: str) -> list[dict[str, Any]]:
        return review_trail.trail(self._conn, incident_id)

    # -- lists for the CLI, the exports and tests (newsdesk.store.queries) -------------

    def articles(
        self,
        *,
        limit: int | None = 50,
        offset: int = 0,
        q: str | None = None,
        outlet: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        story_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Article rows (contract fields, without the text), newest first."""
        f = Filters(q=q, outlet=outlet, date_from=date_from, date_to=date_to, story_id=story_id)
        return queries.articles(self._conn, f).items(self._conn, limit, offset)

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        """The article's contract dict with its sources and every record read from it."""
        found = list(self.iter_articles(ids=[article_id]))
        if not found:
            return None
        article = found[0].to_dict()
        article["sources"] = [
            r[0]
            for r in self._conn.execute(
                "SELECT source FROM article_sources WHERE article_id = ? ORDER BY source",
                (article_id,),
            )
        ]
        for table in ("places", "actors", "dates", "claims", "quotes"):
            article[table] = self._children(table, article_id)
        article["incidents"] = self.incidents(article_id=article_id, limit=None)
        return article

    def stories(
        self,
        *,
        limit: int | None = 50,
        offset: int = 0,
        q: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """Story dicts (as in stories.jsonl), most recently active first; `q` matches story
        titles and the texts of their reports."""
        f = Filters(q=q, date_from=date_from, date_to=date_to)
        return queries.stories(self._conn, f).items(self._conn, limit, offset)

    def get_story(self, story_id: str) -> dict[str, Any] | None:
        return queries.story(self._conn, story_id)

    def story_records(self) -> list[Story]:
        """Every story rebuilt as a dataclass, for the exports."""
        rows = self._conn.execute("SELECT data FROM stories ORDER BY first_published, id")
        return [Story.from_dict(json.loads(r[0])) for r in rows]

    def incidents(
        self,
        *,
        story_id: str | None = None,
        article_id: str | None = None,
        country: str | None = None,
        actor: str | None = None,
        event_type: str | None = None,
        grade: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        include_rejected: bool = False,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Incident dicts with reviews applied; rejected and merged ones only on request.

        `actor` matches an actor id or a canonical name on either side.
        """
        f = Filters(
            story_id=story_id, article_id=article_id, country=country, actor=actor,
            event_type=event_type, grade=grade, date_from=date_from, date_to=date_to,
        )  # fmt: skip
        listing = queries.incidents(f, include_hidden=include_rejected)
        return listing.items(self._conn, limit, offset)

    def incidents_of_articles(self, article_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Listed incidents reported by any of the given articles, in `incidents`' order."""
        return queries.incidents_of_articles(self._conn, article_ids)

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        return queries.incident(self._conn, incident_id)

    def incident_timestamps(self, incident_ids: Sequence[str]) -> dict[str, int]:
        """Unix time each incident last changed, for ACLED's `timestamp`: its last review,
        else the publication (midnight UTC) of its newest dated report; absent when
        neither is known. Taken from the record, not the clock, so the same reports give
        the same exports in every store and on every machine."""
        out: dict[str, int] = {}
        for chunk in (incident_ids[i:i + 500] for i in range(0, len(incident_ids), 500)):
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"""SELECT ia.incident_id, max(a.published),
                       (SELECT max(r.at) FROM reviews r WHERE r.incident_id = ia.incident_id)
                    FROM incident_articles ia JOIN articles a ON a.id = ia.article_id
                    WHERE ia.incident_id IN ({marks}) GROUP BY ia.incident_id""",
                list(chunk),
            )
            for incident_id, published, reviewed in rows:
                stamps = [datetime.fromisoformat(t) for t in (published, reviewed) if t]
                if stamps:
                    out[incident_id] = int(max(
                        t if t.tzinfo else t.replace(tzinfo=UTC) for t in stamps).timestamp())
        return out

    def _records_page(
        self, table: str, columns: dict[str, Any], limit: int | None, offset: int
    ) -> list[dict[str, Any]]:
        return queries.records(table, columns).items(self._conn, limit, offset)

    def claims(
        self,
        *,
        article_id: str | None = None,
        counted: str | None = None,
        claimant: str | None = None,
        category: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        columns = {"article_id": article_id, "counted": counted, "claimant": claimant,
                   "category": category}  # fmt: skip
        return self._records_page("claims", columns, limit, offset)

    def places(
        self,
        *,
        article_id: str | None = None,
        name: str | None = None,
        country: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        columns = {"article_id": article_id, "name": name, "country_code": country}
        return self._records_page("places", columns, limit, offset)

    def actors(
        self,
        *,
        article_id: str | None = None,
        actor_id: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        columns = {"article_id": article_id, "actor_id": actor_id}
        return self._records_page("actors", columns, limit, offset)

    def quotes(
        self,
        *,
        article_id: str | None = None,
        speaker: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        columns = {"article_id": article_id, "speaker": speaker}
        return self._records_page("quotes", columns, limit, offset)

    def search(self, q: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over story titles, then article titles and texts, best first."""
        return queries.search(self._conn, q, limit=limit).items

    def article_count(self) -> int:
        return self._conn.execute("SELECT count(*) FROM articles").fetchone()[0]

    def counts(self) -> dict[str, int]:
        """Row counts of the user-facing tables (incidents: those not rejected or merged)."""
        return queries.counts(self._conn)

    # -- runs ------------------------------------------------------------------------

    def start_run(self, inputs: list[str]) -> int:
        with self._tx():
            cur = self._conn.execute(
                "INSERT INTO runs (started, inputs) VALUES (?, ?)", (now(), dumps(inputs))
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, counts: dict[str, Any]) -> None:
        with self._tx():
            self._conn.execute(
                "UPDATE runs SET finished = ?, counts = ? WHERE id = ?",
                (now(), dumps(counts), run_id),
            )

    def log_error(self, run_id: int, error: InputError) -> None:
        with self._tx():
            self._conn.execute(
                "INSERT INTO input_errors (run_id, source, reason) VALUES (?, ?, ?)",
                (run_id, error.source, error.reason),
            )

    def runs(self) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT * FROM runs ORDER BY id").fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["inputs"] = json.loads(r["inputs"])
            d["counts"] = None if r["counts"] is None else json.loads(r["counts"])
            d["errors"] = [
                {"source": e[0], "reason": e[1]}
                for e in self._conn.execute(
                    "SELECT source, reason FROM input_errors WHERE run_id = ? ORDER BY id",
                    (r["id"],),
                )
            ]
            out.append(d)
        return out

    def shard_done(self, key: str) -> bool:
        """Whether the Dask executor already stored every record of this input shard."""
        row = self._conn.execute("SELECT 1 FROM shards WHERE key = ?", (key,))
        return row.fetchone() is not None

    def mark_shard_done(self, key: str, records: int) -> None:
        with self._tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO shards VALUES (?, ?, ?)", (key, records, now())
            )

    # --- incremental linking ---

    def records_of(self, ids: Collection[str]) -> list[ArticleRecords]:
        """The given stored articles' records, in insertion order."""
        return [self._records(a) for a in list(self.iter_articles(ids=ids))]

    def stories_of_articles(self, article_ids: Collection[str]) -> list[Story]:
        """The stories holding any of the given articles."""
        return self._stories_where(
            self._select("story_id", "story_articles", "article_id", article_ids)
        )

    def stories_with_terms(self, terms: Collection[str], recent: int) -> list[Story]:
        """The stories holding the latest `recent` events or threads indexed under each term.

        The linker compares a new article only with the latest clusters under each of its
        features (stories in order of first date, then id), so older ones cannot be reached.
        """
        found: set[str] = set()
        for term in sorted(set(terms)):
            events = threads = 0
            rows = self._conn.execute(
                "SELECT story_id, indexed_events, indexed_thread FROM link_terms "
                "WHERE term = ? AND (indexed_events > 0 OR indexed_thread) "
                "ORDER BY published DESC, story_id DESC",
                (term,),
            )
            for sid, n_events, thread in rows:
                if events >= recent and threads >= recent:
                    break
                if (n_events and events < recent) or (thread and threads < recent):
                    found.add(sid)
                events += n_events
                threads += thread
        return self._stories_where(found)

    def link_doc_freq(self, terms: Collection[str]) -> tuple[dict[str, int], int]:
        """How many stored events have each of `terms`, and how many events are stored."""
        df: dict[str, int] = {}
        wanted = list(terms)
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT term, SUM(events) FROM link_terms WHERE term IN ({marks}) GROUP BY term",
                part,
            )
            df.update({r[0]: r[1] for r in rows})
        row = self._conn.execute(
            "SELECT COALESCE(SUM(events), 0) FROM link_terms WHERE term = '#events'"
        ).fetchone()
        return df, row[0]

    def unindexed_stories(self) -> list[Story]:
        """Stories without `link_terms` rows: linked in full, or before the table existed."""
        rows = self._conn.execute(
            "SELECT data FROM stories WHERE NOT EXISTS "
            "(SELECT 1 FROM link_terms t WHERE t.story_id = stories.id AND t.term = '#events') "
            "ORDER BY first_published, id"
        )
        return [Story.from_dict(json.loads(r[0])) for r in rows]

    def index_stories(self, stories: Iterable[Story], terms_of: Callable[[Story], Any]) -> None:
        """Replace the `link_terms` rows of the given stories (`terms_of`: `story_terms`)."""
        with self._tx():
            for s in stories:
                self._conn.execute("DELETE FROM link_terms WHERE story_id = ?", (s.id,))
                self._conn.executemany(
                    "INSERT INTO link_terms VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (term, s.first_published or "", s.id, st.events, st.indexed_events,
                         int(st.indexed_thread))
                        for term, st in terms_of(s).items()
                    ],
                )

    def index_bands(self) -> None:
        """Store the LSH bands of every stored signature that has none yet."""
        rows = self._conn.execute(
            "SELECT article_id, minhash FROM signatures s WHERE NOT EXISTS "
            "(SELECT 1 FROM signature_bands b WHERE b.article_id = s.article_id)"
        ).fetchall()
        with self._tx():
            for aid, blob in rows:
                self._conn.executemany(
                    "INSERT OR IGNORE INTO signature_bands VALUES (?, ?, ?)",
                    [(band, key, aid) for band, key in
                     dedup.band_keys(dedup.Signature.from_bytes(blob))],
                )

    def band_matches(self, keys: Iterable[tuple[int, bytes]]) -> set[str]:
        """Stored articles sharing any of the given (band, key) LSH bands."""
        found: set[str] = set()
        for band, key in set(keys):
            rows = self._conn.execute(
                "SELECT article_id FROM signature_bands WHERE band = ? AND key = ?", (band, key)
            )
            found.update(r[0] for r in rows)
        return found

    def copy_families(self, ids: Collection[str]) -> set[str]:
        """The given articles with their stored originals and every stored copy of those."""
        family = set(ids) | set(self._select("duplicate_of", "articles", "id", ids,
                                             "duplicate_of IS NOT NULL"))
        return family | set(self._select("id", "articles", "duplicate_of", family))

    def signatures_of(
        self, ids: Collection[str]
    ) -> list[tuple[str, dedup.Signature, dedup.SortKey]]:
        """`signatures` for the given stored articles only, in insertion order."""
        out = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            out.extend(self._conn.execute(
                "SELECT a.id, a.published, a.seq, s.minhash FROM signatures s "
                f"JOIN articles a ON a.id = s.article_id WHERE a.id IN ({marks})", part
            ))
        out.sort(key=lambda r: r[2])
        return [(aid, dedup.Signature.from_bytes(blob), dedup.sort_key(pub, seq, stored=True))
                for aid, pub, seq, blob in out]

    def replace_stories(
        self,
        *,
        stories: list[Story],
        incidents: list[Incident],
        duplicates: dict[str, str | None],
        story_ids: dict[str, str],
        terms_of: Callable[[Story], Any],
    ) -> None:
        """Replace the given stories, their machine incidents and index rows; leave the rest.

        The incremental `save_link`: a story's old incidents (those of its old articles)
        give way to `incidents`, reviews of the new ones are replayed, and every other
        story and incident is not written at all.
        """
        conn = self._conn
        ids = [s.id for s in stories]
        with self._tx():
            old_articles = self._select("article_id", "story_articles", "story_id", ids)
            old_incidents = self._select(
                "incident_id", "incident_articles", "article_id", old_articles
            )
            self._delete("incidents", "id", old_incidents)
            self._delete("stories", "id", ids)
            self._delete("stories_fts", "story_id", ids)
            _write_stories(conn, stories, duplicates, story_ids)
            _write_incidents(conn, incidents)
            new_ids = [i.id for i in incidents]
            reviewed = self._select("incident_id", "reviews", "incident_id", new_ids)
            targets = self._select("merged_into", "incidents", "merged_into", new_ids)
            for incident_id in sorted(set(reviewed) | set(targets)):
                review_trail.replay(conn, incident_id)
            self.index_stories(stories, terms_of)

    def _select(
        self, column: str, table: str, key: str, values: Collection[str], where: str = "1"
    ) -> list[Any]:
        """Distinct `column` of the rows whose `key` is one of `values` (500 per query)."""
        wanted, out = sorted(set(values)), []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE {key} IN ({marks}) AND {where}",
                part,
            )
            out.extend(r[0] for r in rows)
        return out

    def _delete(self, table: str, key: str, values: Collection[str]) -> None:
        wanted = sorted(set(values))
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            self._conn.execute(f"DELETE FROM {table} WHERE {key} IN ({marks})", part)

    def _stories_where(self, ids: Collection[str]) -> list[Story]:
        rows = [json.loads(d) for d in self._select("data", "stories", "id", ids)]
        stories = (Story.from_dict(d) for d in rows)
        return sorted(stories, key=lambda s: (s.first_published or "", s.id))


def _article_data(article: Article) -> str:
    """An article's `data` JSON without its text, which the row holds in its `text`
    column (searched, signed and read back from there): kept in both, the text was most
    of the table twice over (migration 7)."""
    data = article.to_dict()
    del data["text"]
    return dumps(data)


def _write_stories(
    conn: sqlite3.Connection, stories: Iterable[Story],
    duplicates: dict[str, str | None], story_ids: dict[str, str],
) -> None:
    """Insert stories with their search rows and members; set the articles' link columns."""
    for s in stories:
        conn.execute(
            "INSERT INTO stories VALUES (?, ?, ?, ?, ?)",
            (s.id, s.title, s.first_published, s.last_published, dumps(s.to_dict())),
        )
        conn.execute("INSERT INTO stories_fts VALUES (?, ?)", (s.id, s.title))
        conn.executemany(
            "INSERT OR IGNORE INTO story_articles VALUES (?, ?)",
            [(s.id, aid) for aid in s.article_ids],
        )
    # Only the rows whose value changes: an UPDATE rewrites the whole row, the article's
    # text and its JSON with it, and most articles are no one's copy.
    conn.executemany(
        "UPDATE articles SET duplicate_of = ?1 WHERE id = ?2 AND duplicate_of IS NOT ?1",
        [(target, aid) for aid, target in duplicates.items()],
    )
    conn.executemany(
        "UPDATE articles SET story_id = ?1 WHERE id = ?2 AND story_id IS NOT ?1",
        [(sid, aid) for aid, sid in story_ids.items()],
    )


def _write_incidents(conn: sqlite3.Connection, incidents: Iterable[Incident]) -> None:
    """Insert the linker's incidents as machine incidents (reviews are replayed after)."""
    for inc in incidents:
        machine = inc.to_dict()
        machine["status"] = "machine"
        review_trail.write_incident(conn, machine, machine)
        conn.executemany(
            "INSERT OR IGNORE INTO incident_articles VALUES (?, ?)",
            [(inc.id, aid) for aid in inc.article_ids],
        )
