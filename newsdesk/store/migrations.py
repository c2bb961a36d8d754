"""The schema's history: an ordered, append-only tuple of migrations, and `migrate`.

The schema is versioned with `PRAGMA user_version`, the number of migrations applied;
opening an older file applies the missing ones in one transaction, so a file is always
at one version or the next, never between. To change the schema, append a `_vN` here
(with a docstring that says why) and regenerate tests/data/schema.sql; never edit one
that has shipped, since files in the field were built by it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from newsdesk.errors import SchemaError
from newsdesk.store.connection import Transaction

log = logging.getLogger(__name__)

_Migration = Callable[[sqlite3.Connection], None]


def _script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: `executescript` would commit the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise SchemaError(f"incomplete SQL statement in migration: {statement.strip()[:60]}")


def _v1(conn: sqlite3.Connection) -> None:
    """The tables of the module docstring of `newsdesk.store`, with their indexes and FTS."""
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


def _v4_link_terms(conn: sqlite3.Connection) -> None:
    """What incremental linking needs to load only the stories new articles can reach.

    Per story and feature: how many of its events have the feature (summed, the document
    frequencies over the store), and how many of its events and whether its thread the
    linker indexes under it; in the linker's order (the story's first date, then id), so
    the latest stories under a feature are read first. Stories linked before this table
    existed, or by a full link, are indexed on the next incremental run.
    `signature_bands`: each stored signature's LSH bands, so a new article's duplicate
    candidates are looked up rather than banded against every stored signature.
    """
    _script(
        conn,
        """
        CREATE TABLE link_terms (
            term TEXT NOT NULL,
            published TEXT NOT NULL,
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            events INTEGER NOT NULL,
            indexed_events INTEGER NOT NULL,
            indexed_thread INTEGER NOT NULL,
            PRIMARY KEY (term, published, story_id)
        ) WITHOUT ROWID;
        CREATE INDEX link_terms_story ON link_terms(story_id);
        CREATE TABLE signature_bands (
            band INTEGER NOT NULL,
            key BLOB NOT NULL,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (band, key, article_id)
        ) WITHOUT ROWID;
        CREATE INDEX signature_bands_article ON signature_bands(article_id);
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


def _v7_article_text_once(conn: sqlite3.Connection) -> None:
    """An article's text lives in its `text` column alone, no longer again inside `data`.

    The text is most of an article row; kept twice it doubled the table (and the pages a
    scan of it reads) for nothing: every reader takes the column. Older rows lose their
    copy here, so a file does not hold both forms; SQLite frees the pages for reuse (a
    `VACUUM` gives them back to the disk). A newsdesk from before this migration refuses
    the file (`migrate`), as it would look for the text in `data`.
    """
    conn.execute("UPDATE articles SET data = json_remove(data, '$.text')"
                 " WHERE json_type(data, '$.text') IS NOT NULL")


MIGRATIONS: tuple[_Migration, ...] = (
    _v1, _v2, _v3, _v4_link_terms, _v5_watch, _v6_alerts, _v7_article_text_once,
)
"""Applied in order; `PRAGMA user_version` is the number applied. Only ever append."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file at `path` to the latest schema, or refuse it with the fix.

    A file from a newer newsdesk is refused rather than opened: this version would not
    know its tables and could write rows the newer one misreads.
    """
    version = schema_version(conn)
    if version > len(MIGRATIONS):
        raise SchemaError(
            f"{path} was written by a newer newsdesk (schema {version} > {len(MIGRATIONS)}): "
            "upgrade newsdesk to open it"
        )
    if version == len(MIGRATIONS):
        return
    if version:  # a file with data: say so before a pause that can last minutes
        log.warning("%s: upgrading the store from schema %d to %d, once (a large store takes "
                    "a while)", path, version, len(MIGRATIONS))
    with Transaction(conn):
        version = schema_version(conn)  # another process may have migrated meanwhile
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            try:
                migration(conn)
            except (sqlite3.Error, SchemaError) as exc:
                raise SchemaError(
                    f"{path}: migration {number} of the store schema failed ({exc}); the "
                    f"file is left unchanged at schema {version}: open it with the newsdesk "
                    "that wrote it, or restore a backup, and report the error"
                ) from exc
            conn.execute(f"PRAGMA user_version = {number}")
