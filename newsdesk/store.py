"""The embedded store: one SQLite file holds every run's articles, records and reviews.

Why SQLite: a monitor's desk is one person or a small team on one machine; one file is
easy to copy, back up and open with any tool, and WAL mode lets the web app read while
a batch writes. Foreign keys are on, so a record can never outlive its article.

Guarantees the pipeline relies on:
- One article's records are written in one transaction (`save_records`), so killing the
  process loses at most the article being written and never leaves half of one.
- Writes are upserts keyed by stable ids (the article id is content-derived; extracted
  records are keyed by (article id, position)), so saving the same input twice changes
  nothing and a killed batch is completed by running it again.
- Cross-article results (duplicates, stories, machine incidents) are replaced together
  in one transaction by `save_link`. Human reviews are not results: they are an audit
  trail keyed by incident id and replayed over the machine's incident on every save, so
  re-linking never loses an analyst's work.

Tables (every record keeps its whole contract dict in `data`; the other columns are
copies for filtering and indexes):
- `articles` (`seq` is the insertion order, used for "first seen" and as the FTS rowid,
  which must survive VACUUM, hence an INTEGER PRIMARY KEY beside the text id),
  `article_sources` (every place the same text was read from), `signatures` (MinHash of
  the text, so later runs find copies without re-reading it);
- per article: `places`, `actors`, `dates`, `claims`, `quotes`, `article_incidents`
  (the incidents the per-article stage coded, before linking);
- cross-article: `stories`, `story_articles`, `incidents` (`machine` is what the linker
  said, `data` the same with reviews applied), `incident_articles`, `reviews`;
- bookkeeping: `runs`, `input_errors`, `shards` (completion markers of the Dask executor);
- search: `articles_fts` (FTS5 over title and text, contentless over `articles`) and
  `stories_fts`.

The schema is versioned with `PRAGMA user_version` and an ordered list of migrations;
opening an older file applies the missing ones in one transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from newsdesk.link import dedup
from newsdesk.models import (
    LOCATION_FIELDS,
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

_T = TypeVar("_T")
_Migration = Callable[[sqlite3.Connection], None]

REVIEW_ACTIONS = ("accept", "edit", "reject", "merge")
# What an analyst may correct; ids, sources and the review status itself are not fields
# of judgement (status follows from the actions).
EDITABLE = frozenset(
    {
        "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
        "actor1_id", "actor2_id", "location", "country_code", "lat", "lon", "geonameid",
        "location_precision", "admin1", "fatalities", "fatalities_low", "fatalities_high",
        "notes", "grade", "grade_reason",
    }
)  # fmt: skip
# the fields that move an incident elsewhere (its precision and region follow from them)
_PLACE_FIELDS = frozenset(LOCATION_FIELDS) - {"location_precision", "admin1"}
_STATUS = {"accept": "accepted", "edit": "edited", "reject": "rejected", "merge": "merged"}
_HIDDEN = ("rejected", "merged")


def _script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: `executescript` would commit the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


def _v1(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE articles (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            url TEXT, outlet TEXT, title TEXT, published TEXT, dateline TEXT, language TEXT,
            text TEXT NOT NULL,
            duplicate_of TEXT, story_id TEXT,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX articles_published ON articles(published, seq);
        CREATE INDEX articles_outlet ON articles(outlet, published);
        CREATE INDEX articles_story ON articles(story_id);
        CREATE INDEX articles_duplicate ON articles(duplicate_of);
        CREATE TABLE article_sources (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            PRIMARY KEY (article_id, source)
        ) WITHOUT ROWID;
        CREATE TABLE signatures (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            minhash BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE places (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, name TEXT, country_code TEXT, lat REAL, lon REAL,
            geonameid INTEGER, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );
        CREATE INDEX places_name ON places(name);
        CREATE INDEX places_country ON places(country_code);
        CREATE TABLE actors (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, actor_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT,
            data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );
        CREATE INDEX actors_actor ON actors(actor_id);
        CREATE TABLE dates (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, date TEXT, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );
        CREATE TABLE claims (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, id TEXT NOT NULL, start INTEGER NOT NULL,
            "end" INTEGER NOT NULL, sentence TEXT NOT NULL, value REAL, low REAL, high REAL,
            counted TEXT NOT NULL, subject TEXT, scope TEXT, claimant TEXT,
            claimant_text TEXT, category TEXT, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );
        CREATE INDEX claims_id ON claims(id);
        CREATE INDEX claims_counted ON claims(counted);
        CREATE INDEX claims_claimant ON claims(claimant);
        CREATE TABLE quotes (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, id TEXT NOT NULL, start INTEGER NOT NULL,
            "end" INTEGER NOT NULL, speaker TEXT, speaker_text TEXT, role TEXT,
            text TEXT NOT NULL, direct INTEGER NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );
        CREATE INDEX quotes_speaker ON quotes(speaker);
        CREATE TABLE article_incidents (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );
        CREATE TABLE stories (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, first_published TEXT,
            last_published TEXT, data TEXT NOT NULL
        );
        CREATE INDEX stories_last ON stories(last_published);
        CREATE TABLE story_articles (
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (story_id, article_id)
        ) WITHOUT ROWID;
        CREATE INDEX story_articles_article ON story_articles(article_id);
        CREATE TABLE incidents (
            id TEXT PRIMARY KEY, event_date TEXT, date_precision TEXT, event_type TEXT,
            sub_event_type TEXT, actor1 TEXT, actor2 TEXT, actor1_id TEXT, actor2_id TEXT,
            location TEXT, country_code TEXT, lat REAL, lon REAL, fatalities INTEGER,
            grade TEXT, status TEXT NOT NULL, merged_into TEXT,
            data TEXT NOT NULL, machine TEXT NOT NULL
        );
        CREATE INDEX incidents_date ON incidents(event_date);
        CREATE INDEX incidents_type ON incidents(event_type, event_date);
        CREATE INDEX incidents_country ON incidents(country_code, event_date);
        CREATE INDEX incidents_grade ON incidents(grade, event_date);
        CREATE INDEX incidents_actor1 ON incidents(actor1_id);
        CREATE INDEX incidents_actor2 ON incidents(actor2_id);
        CREATE INDEX incidents_merged ON incidents(merged_into);
        CREATE TABLE incident_articles (
            incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (incident_id, article_id)
        ) WITHOUT ROWID;
        CREATE INDEX incident_articles_article ON incident_articles(article_id);
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('accept', 'edit', 'reject', 'merge')),
            field TEXT, old TEXT, new TEXT, who TEXT NOT NULL, at TEXT NOT NULL
        );
        CREATE INDEX reviews_incident ON reviews(incident_id, id);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,
            inputs TEXT NOT NULL, counts TEXT
        );
        CREATE TABLE input_errors (
            id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
            source TEXT NOT NULL, reason TEXT NOT NULL
        );
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, content='articles', content_rowid='seq'
        );
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
        END;
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.seq, old.title, old.text);
        END;
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.seq, old.title, old.text);
            INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
        END;
        CREATE VIRTUAL TABLE stories_fts USING fts5(story_id UNINDEXED, title);
        """,
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Reviews gain a free-text note; the Dask executor's shard completion markers."""
    _script(
        conn,
        """
        ALTER TABLE reviews ADD COLUMN note TEXT;
        CREATE TABLE shards (key TEXT PRIMARY KEY, records INTEGER NOT NULL, done_at TEXT NOT NULL);
        """,
    )


def _v3(conn: sqlite3.Connection) -> None:
    """The desk's filters answered from narrow indexes, never from the rows.

    Incident rows carry two JSON blobs and article rows their text, so a filter checked
    against the rows reads every candidate row whole. With every incident filter column
    in one index (in date order, the order lists are shown in), and each article's story
    beside its outlet, counts and pages read only the indexes.
    """
    _script(
        conn,
        """
        CREATE INDEX incidents_browse ON incidents(
            event_date, status, event_type, country_code, grade,
            actor1_id, actor2_id, actor1, actor2
        );
        CREATE INDEX articles_outlet_story ON articles(outlet, story_id);
        """,
    )


def _v5_watch(conn: sqlite3.Connection) -> None:
    """The watcher's memory: each source's health, and a log of every URL it fetched.

    `fetch_log` is what makes a restarted watcher fetch nothing twice: a page's row and
    its parsed article (`watch_pending`, until the pipeline has stored it) are written in
    one transaction, so a kill at any point leaves either both or neither.
    """
    _script(
        conn,
        """
        CREATE TABLE watch_sources (
            name TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL,
            last_poll TEXT, last_success TEXT, last_error TEXT, last_error_at TEXT,
            failures INTEGER NOT NULL DEFAULT 0, reports_found INTEGER NOT NULL DEFAULT 0,
            next_poll TEXT
        );
        CREATE TABLE fetch_log (
            url TEXT PRIMARY KEY, source TEXT NOT NULL, status TEXT NOT NULL,
            http_status INTEGER, etag TEXT, last_modified TEXT, canonical_url TEXT,
            article_id TEXT, fetched_at TEXT NOT NULL, error TEXT,
            attempts INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX fetch_log_canonical ON fetch_log(canonical_url);
        CREATE TABLE watch_pending (
            url TEXT PRIMARY KEY, source TEXT NOT NULL, article TEXT NOT NULL
        );
        """,
    )


def _v6_alerts(conn: sqlite3.Connection) -> None:
    """Alerts the watcher raised and each (alert, target) delivery.

    An alert's id is stable (rule, record, triggering state), so recording it again is a
    no-op: that is what keeps an alert from being raised twice across restarts. `seq`
    orders the desk's list and is the Server-Sent Events id a reconnecting page resumes
    from. A delivery is pending until `delivered_at` is set.
    """
    _script(
        conn,
        """
        CREATE TABLE alerts (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            rule TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('incident', 'story')),
            subject_id TEXT NOT NULL,
            summary TEXT NOT NULL,
            link TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            read_at TEXT
        );
        CREATE TABLE alert_deliveries (
            alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (alert_id, target)
        ) WITHOUT ROWID;
        CREATE INDEX alert_deliveries_pending ON alert_deliveries(delivered_at, alert_id);
        CREATE INDEX alert_deliveries_target ON alert_deliveries(target, alert_id);
        """,
    )


MIGRATIONS: tuple[_Migration, ...] = (_v1, _v2, _v3, _v5_watch, _v6_alerts)
"""Applied in order; `PRAGMA user_version` is the number applied. Only ever append."""


class NotFound(LookupError):
    """The id names nothing in the store."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _build(cls: type[_T], data: dict[str, Any]) -> _T:
    """Rebuild a record, ignoring keys of fields that no longer exist in models.py."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


def _incident(data: dict[str, Any]) -> Incident:
    inc = _build(Incident, data)
    inc.evidence = [_build(Span, s) for s in data.get("evidence") or []]
    return inc


def _story(data: dict[str, Any]) -> Story:
    story = _build(Story, data)
    story.claim_groups = [_build(ClaimGroup, g) for g in data.get("claim_groups") or []]
    return story


def _fts_query(q: str) -> str:
    """User words as an FTS5 query: each word quoted (no syntax errors), all required."""
    words = re.findall(r"\w+", q)
    return " ".join(f'"{w}"' for w in words)


class Store:
    """A newsdesk SQLite file. Open with `Store.open(path)`, use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, timeout: float = 30.0) -> Store:
        """Open (creating and migrating as needed) the store at `path`."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # WAL with synchronous=NORMAL keeps every commit across a process kill; only a
        # power loss can drop the last transactions, and never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        store = cls(conn, path)
        store._migrate()
        return store

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
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"{self.path} was written by a newer newsdesk (schema {version}, this one "
                f"knows {len(MIGRATIONS)}): upgrade newsdesk to open it"
            )
        if version == len(MIGRATIONS):
            return
        with self._tx():
            version = self.schema_version  # another process may have migrated meanwhile
            for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
                migration(self._conn)
                self._conn.execute(f"PRAGMA user_version = {number}")

    def _tx(self) -> _Transaction:
        return _Transaction(self._conn)

    # -- per-article records -------------------------------------------------------

    def has_article(self, article_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,))
        return row.fetchone() is not None

    def save_records(self, rec: ArticleRecords) -> bool:
        """Write one article and everything extracted from it atomically; True if new.

        Saving an article again replaces its extracted records but keeps the link
        results (story, duplicate) unless the record carries its own.
        """
        a = rec.article
        sig = None if self._has_signature(a.id) else dedup.signature(a.text)
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
                    a.language, a.text, a.duplicate_of, a.story_id, _dumps(a.to_dict()), _now(),
                ),
            )  # fmt: skip
            conn.execute("INSERT OR IGNORE INTO article_sources VALUES (?, ?)", (a.id, a.source))
            if sig is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO signatures VALUES (?, ?)", (a.id, sig.to_bytes())
                )
            for table in ("places", "actors", "dates", "claims", "quotes", "article_incidents"):
                conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (a.id,))
            conn.executemany(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, p.start, p.end, p.text, p.name, p.country_code, p.lat, p.lon,
                     p.geonameid, _dumps(p.to_dict()))
                    for n, p in enumerate(rec.places)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO actors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, m.start, m.end, m.text, m.actor_id, m.name, m.kind,
                     _dumps(m.to_dict()))
                    for n, m in enumerate(rec.actors)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO dates VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, d.start, d.end, d.text, d.date, _dumps(d.to_dict()))
                    for n, d in enumerate(rec.dates)
                ],
            )
            conn.executemany(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, c.id, c.start, c.end, c.sentence, c.value, c.low, c.high,
                     c.counted, c.subject, c.scope, c.claimant, c.claimant_text, c.category,
                     _dumps(c.to_dict()))
                    for n, c in enumerate(rec.claims)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO quotes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, n, q.id, q.start, q.end, q.speaker, q.speaker_text, q.role, q.text,
                     int(q.direct), _dumps(q.to_dict()))
                    for n, q in enumerate(rec.quotes)
                ],
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO article_incidents VALUES (?, ?, ?, ?)",
                [(a.id, n, i.id, _dumps(i.to_dict())) for n, i in enumerate(rec.incidents)],
            )
        return is_new

    def _has_signature(self, article_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM signatures WHERE article_id = ?", (article_id,))
        return row.fetchone() is not None

    def _article_obj(self, row: sqlite3.Row) -> Article:
        article = _build(Article, json.loads(row["data"]))
        article.duplicate_of = row["duplicate_of"]
        article.story_id = row["story_id"]
        return article

    def iter_articles(self, *, ids: Collection[str] | None = None) -> Iterator[Article]:
        """Stored articles in insertion order, with their current link results."""
        cols = "seq, data, duplicate_of, story_id"
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
            places=[_build(PlaceMention, d) for d in self._children("places", aid)],
            actors=[_build(ActorMention, d) for d in self._children("actors", aid)],
            dates=[_build(DateRef, d) for d in self._children("dates", aid)],
            claims=[_build(Claim, d) for d in self._children("claims", aid)],
            quotes=[_build(Quote, d) for d in self._children("quotes", aid)],
            incidents=[_incident(d) for d in self._children("article_incidents", aid)],
        )

    def get_records(self, article_id: str) -> ArticleRecords | None:
        for article in self.iter_articles(ids=[article_id]):
            return self._records(article)
        return None

    def iter_records(self) -> Iterator[ArticleRecords]:
        """Every stored article's records, rebuilt as dataclasses, in insertion order."""
        for article in list(self.iter_articles()):
            yield self._records(article)

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
            for s in stories:
                conn.execute(
                    "INSERT INTO stories VALUES (?, ?, ?, ?, ?)",
                    (s.id, s.title, s.first_published, s.last_published, _dumps(s.to_dict())),
                )
                conn.execute("INSERT INTO stories_fts VALUES (?, ?)", (s.id, s.title))
                conn.executemany(
                    "INSERT OR IGNORE INTO story_articles VALUES (?, ?)",
                    [(s.id, aid) for aid in s.article_ids],
                )
            conn.executemany(
                "UPDATE articles SET duplicate_of = ? WHERE id = ?",
                [(target, aid) for aid, target in duplicates.items()],
            )
            conn.executemany(
                "UPDATE articles SET story_id = ? WHERE id = ?",
                [(sid, aid) for aid, sid in story_ids.items()],
            )
            conn.execute(
                "UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL "
                "AND story_id NOT IN (SELECT id FROM stories)"
            )
            conn.execute("DELETE FROM incidents")
            for inc in incidents:
                machine = inc.to_dict()
                machine["status"] = "machine"
                self._write_incident(machine, machine)
                conn.executemany(
                    "INSERT OR IGNORE INTO incident_articles VALUES (?, ?)",
                    [(inc.id, aid) for aid in inc.article_ids],
                )
            reviewed = [r[0] for r in conn.execute("SELECT DISTINCT incident_id FROM reviews")]
            present = [i for i in reviewed if self._machine(i) is not None]
            for incident_id in present:
                self._replay(incident_id)
            targets = {r[0] for r in conn.execute("SELECT merged_into FROM incidents")}
            for incident_id in sorted(t for t in targets if t):
                if self._machine(incident_id) is not None:
                    self._replay(incident_id)

    def _write_incident(self, effective: dict[str, Any], machine: dict[str, Any]) -> None:
        e = effective
        self._conn.execute(
            """
            INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                event_date = excluded.event_date, date_precision = excluded.date_precision,
                event_type = excluded.event_type, sub_event_type = excluded.sub_event_type,
                actor1 = excluded.actor1, actor2 = excluded.actor2,
                actor1_id = excluded.actor1_id, actor2_id = excluded.actor2_id,
                location = excluded.location, country_code = excluded.country_code,
                lat = excluded.lat, lon = excluded.lon, fatalities = excluded.fatalities,
                grade = excluded.grade, status = excluded.status,
                merged_into = excluded.merged_into, data = excluded.data
            """,
            (
                e["id"], e.get("event_date"), e.get("date_precision"), e.get("event_type"),
                e.get("sub_event_type"), e.get("actor1"), e.get("actor2"), e.get("actor1_id"),
                e.get("actor2_id"), e.get("location"), e.get("country_code"), e.get("lat"),
                e.get("lon"), e.get("fatalities"), e.get("grade"), e.get("status", "machine"),
                e.get("merged_into"), _dumps(e), _dumps(machine),
            ),
        )  # fmt: skip

    def _machine(self, incident_id: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT machine FROM incidents WHERE id = ?", (incident_id,))
        found = row.fetchone()
        return None if found is None else json.loads(found[0])

    def _replay(self, incident_id: str) -> dict[str, Any]:
        """Recompute an incident as the machine coded it with its reviews applied on top."""
        machine = self._machine(incident_id)
        if machine is None:
            raise NotFound(f"no incident {incident_id!r}")
        current = dict(machine)
        current["merged_into"] = None
        for r in self._conn.execute(
            "SELECT action, field, new FROM reviews WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        ):
            current["status"] = _STATUS[r["action"]]
            if r["action"] == "edit" and r["field"] is not None:
                current[r["field"]] = json.loads(r["new"])
            elif r["action"] == "merge":
                current["merged_into"] = json.loads(r["new"])
            elif r["action"] in ("accept", "reject"):
                current["merged_into"] = None
        # Incidents merged into this one lend it their reports and outlets.
        for row in self._conn.execute(
            "SELECT machine FROM incidents WHERE merged_into = ? ORDER BY id", (incident_id,)
        ):
            other = json.loads(row[0])
            for key in ("article_ids", "outlets"):
                seen = current.get(key) or []
                current[key] = seen + [v for v in other.get(key) or [] if v not in seen]
        self._write_incident(current, machine)
        return current

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
        `merge_into`, the incident this one duplicates.
        """
        if action not in REVIEW_ACTIONS:
            raise ValueError(f"unknown review action {action!r}: use one of {REVIEW_ACTIONS}")
        if not who.strip():
            raise ValueError("a review needs the name of who made it")
        with self._tx():
            current = self.get_incident(incident_id)
            if current is None:
                raise NotFound(f"no incident {incident_id!r}")
            entries: list[tuple[str | None, Any, Any]]
            if action == "edit":
                if not changes:
                    raise ValueError("an edit needs the fields to change")
                unknown = sorted(set(changes) - EDITABLE)
                if unknown:
                    raise ValueError(
                        f"cannot edit {', '.join(unknown)}: editable fields are "
                        f"{', '.join(sorted(EDITABLE))}"
                    )
                if current.get("admin1") and "admin1" not in changes and (
                        set(changes) & _PLACE_FIELDS):
                    # the old region does not follow an incident moved elsewhere
                    changes = {**changes, "admin1": None}
                entries = [(k, current.get(k), v) for k, v in sorted(changes.items())]
            elif action == "merge":
                if not merge_into or merge_into == incident_id:
                    raise ValueError("a merge needs the id of another incident (merge_into)")
                if self._machine(merge_into) is None:
                    raise NotFound(f"no incident {merge_into!r} to merge into")
                entries = [("merged_into", current.get("merged_into"), merge_into)]
            else:
                entries = [("status", current.get("status"), _STATUS[action])]
            at = _now()
            self._conn.executemany(
                "INSERT INTO reviews (incident_id, action, field, old, new, who, at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (incident_id, action, field, _dumps(old), _dumps(new), who, at, note)
                    for field, old, new in entries
                ],
            )
            result = self._replay(incident_id)
            if current.get("merged_into"):
                self._replay(current["merged_into"])
            if action == "merge" and merge_into is not None:
                self._replay(merge_into)
        return result

    def reviews(self, incident_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT id, incident_id, action, field, old, new, who, at, note FROM reviews "
            "WHERE incident_id = ? ORDER BY id",
            (incident_id,),
        )
        out = []
        for r in rows:
            d = dict(r)
            d["old"], d["new"] = json.loads(r["old"]), json.loads(r["new"])
            out.append(d)
        return out

    # -- queries for the CLI and the web app --------------------------------------

    # Orders are index orders (NULLs sort last under DESC; rowid is in every index), so a
    # list page reads its rows off an index instead of sorting the table.
    def _page(
        self, sql: str, where: list[str], args: list[Any], order: str, limit: int | None,
        offset: int,
    ) -> list[sqlite3.Row]:  # fmt: skip
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        query = f"{sql}{clause} ORDER BY {order} LIMIT ? OFFSET ?"
        return self._conn.execute(query, [*args, -1 if limit is None else limit, offset]).fetchall()

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
        where: list[str] = []
        args: list[Any] = []
        if q and _fts_query(q):
            where.append("seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            args.append(_fts_query(q))
        for clause, value in (
            ("outlet = ?", outlet),
            ("published >= ?", date_from),
            ("published <= ?", date_to),
            ("story_id = ?", story_id),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        rows = self._page(
            "SELECT id, source, url, outlet, title, published, dateline, language, "
            "duplicate_of, story_id, length(text) AS chars FROM articles",
            where, args, "published DESC, seq DESC", limit, offset,
        )  # fmt: skip
        return [dict(r) for r in rows]

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
        """Story dicts (as in stories.jsonl), most recently active first."""
        where: list[str] = []
        args: list[Any] = []
        if q and _fts_query(q):
            where.append("id IN (SELECT story_id FROM stories_fts WHERE stories_fts MATCH ?)")
            args.append(_fts_query(q))
        if date_from is not None:
            where.append("last_published >= ?")
            args.append(date_from)
        if date_to is not None:
            where.append("first_published <= ?")
            args.append(date_to)
        rows = self._page(
            "SELECT data FROM stories", where, args,
            "last_published DESC, stories.rowid DESC", limit, offset,
        )  # fmt: skip
        return [json.loads(r[0]) for r in rows]

    def get_story(self, story_id: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT data FROM stories WHERE id = ?", (story_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def story_records(self) -> list[Story]:
        """Every story rebuilt as a dataclass, for the exports."""
        rows = self._conn.execute("SELECT data FROM stories ORDER BY first_published, id")
        return [_story(json.loads(r[0])) for r in rows]

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
        where: list[str] = []
        args: list[Any] = []
        if not include_rejected:
            where.append("status NOT IN ('rejected', 'merged')")
        if story_id is not None:
            where.append(
                "id IN (SELECT ia.incident_id FROM incident_articles ia JOIN story_articles sa "
                "ON sa.article_id = ia.article_id WHERE sa.story_id = ?)"
            )
            args.append(story_id)
        if article_id is not None:
            where.append("id IN (SELECT incident_id FROM incident_articles WHERE article_id = ?)")
            args.append(article_id)
        if actor is not None:
            where.append("(actor1_id = ? OR actor2_id = ? OR actor1 = ? OR actor2 = ?)")
            args.extend([actor] * 4)
        for clause, value in (
            ("country_code = ?", country),
            ("event_type = ?", event_type),
            ("grade = ?", grade),
            ("event_date >= ?", date_from),
            ("event_date <= ?", date_to),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        rows = self._page(
            "SELECT data FROM incidents", where, args,
            "event_date DESC, incidents.rowid DESC", limit, offset,
        )  # fmt: skip
        return [json.loads(r[0]) for r in rows]

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT data FROM incidents WHERE id = ?", (incident_id,))
        found = row.fetchone()
        return None if found is None else json.loads(found[0])

    def _records_page(
        self,
        table: str,
        filters: dict[str, Any],
        *,
        article_id: str | None,
        limit: int | None,
        offset: int,
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in {"article_id": article_id, **filters}.items():
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        rows = self._page(
            f"SELECT data FROM {table}", where, args, "article_id, pos", limit, offset
        )
        return [json.loads(r[0]) for r in rows]

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
        filters = {"counted": counted, "claimant": claimant, "category": category}
        return self._records_page(
            "claims", filters, article_id=article_id, limit=limit, offset=offset
        )

    def places(
        self,
        *,
        article_id: str | None = None,
        name: str | None = None,
        country: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        filters = {"name": name, "country_code": country}
        return self._records_page(
            "places", filters, article_id=article_id, limit=limit, offset=offset
        )

    def actors(
        self,
        *,
        article_id: str | None = None,
        actor_id: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        return self._records_page(
            "actors", {"actor_id": actor_id}, article_id=article_id, limit=limit, offset=offset
        )

    def quotes(
        self,
        *,
        article_id: str | None = None,
        speaker: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        return self._records_page(
            "quotes", {"speaker": speaker}, article_id=article_id, limit=limit, offset=offset
        )

    def search(self, q: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over story titles, then article titles and texts, best first."""
        match = _fts_query(q)
        if not match:
            return []
        hits = [
            {"kind": "story", "id": r[0], "title": r[1], "snippet": r[2]}
            for r in self._conn.execute(
                "SELECT story_id, title, snippet(stories_fts, 1, '[', ']', '…', 12) "
                "FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            )
        ]
        hits += [
            {"kind": "article", "id": r[0], "title": r[1], "snippet": r[2],
             "published": r[3], "outlet": r[4]}
            for r in self._conn.execute(
                "SELECT a.id, a.title, snippet(articles_fts, 1, '[', ']', '…', 16), "
                "a.published, a.outlet FROM articles_fts JOIN articles a "
                "ON a.seq = articles_fts.rowid WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?",
                (match, limit),
            )
        ]  # fmt: skip
        return hits[:limit]

    def counts(self) -> dict[str, int]:
        """Row counts of the user-facing tables (incidents: those not rejected or merged)."""
        tables = ("articles", "stories", "places", "actors", "claims", "quotes", "runs")
        out = {t: self._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        out["duplicates"] = self._conn.execute(
            "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"
        ).fetchone()[0]
        out["incidents"] = self._conn.execute(
            "SELECT count(*) FROM incidents WHERE status NOT IN ('rejected', 'merged')"
        ).fetchone()[0]
        out["input_errors"] = self._conn.execute("SELECT count(*) FROM input_errors").fetchone()[0]
        return out

    # -- runs ------------------------------------------------------------------------

    def start_run(self, inputs: list[str]) -> int:
        with self._tx():
            cur = self._conn.execute(
                "INSERT INTO runs (started, inputs) VALUES (?, ?)", (_now(), _dumps(inputs))
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, counts: dict[str, Any]) -> None:
        with self._tx():
            self._conn.execute(
                "UPDATE runs SET finished = ?, counts = ? WHERE id = ?",
                (_now(), _dumps(counts), run_id),
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
                "INSERT OR REPLACE INTO shards VALUES (?, ?, ?)", (key, records, _now())
            )


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on error; nests as a no-op.

    IMMEDIATE takes the write lock up front, so two writers queue on `timeout` instead of
    failing halfway with a busy error after reading.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._outer = False

    def __enter__(self) -> None:
        self._outer = not self._conn.in_transaction
        if self._outer:
            self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._outer:
            return
        if exc_type is None:
            self._conn.execute("COMMIT")
        else:
            self._conn.execute("ROLLBACK")
