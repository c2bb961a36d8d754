PRAGMA user_version = 7;

-- index actors_actor
CREATE INDEX actors_actor ON actors(actor_id);

-- index alert_deliveries_pending
CREATE INDEX alert_deliveries_pending ON alert_deliveries(delivered_at, alert_id);

-- index alert_deliveries_target
CREATE INDEX alert_deliveries_target ON alert_deliveries(target, alert_id);

-- index articles_duplicate
CREATE INDEX articles_duplicate ON articles(duplicate_of);

-- index articles_outlet
CREATE INDEX articles_outlet ON articles(outlet, published);

-- index articles_outlet_story
CREATE INDEX articles_outlet_story ON articles(outlet, story_id);

-- index articles_published
CREATE INDEX articles_published ON articles(published, seq);

-- index articles_story
CREATE INDEX articles_story ON articles(story_id);

-- index claims_claimant
CREATE INDEX claims_claimant ON claims(claimant);

-- index claims_counted
CREATE INDEX claims_counted ON claims(counted);

-- index claims_id
CREATE INDEX claims_id ON claims(id);

-- index fetch_log_canonical
CREATE INDEX fetch_log_canonical ON fetch_log(canonical_url);

-- index incident_articles_article
CREATE INDEX incident_articles_article ON incident_articles(article_id);

-- index incidents_actor1
CREATE INDEX incidents_actor1 ON incidents(actor1_id);

-- index incidents_actor2
CREATE INDEX incidents_actor2 ON incidents(actor2_id);

-- index incidents_browse
CREATE INDEX incidents_browse ON incidents(
            event_date, status, event_type, country_code, grade,
            actor1_id, actor2_id, actor1, actor2
        );

-- index incidents_country
CREATE INDEX incidents_country ON incidents(country_code, event_date);

-- index incidents_date
CREATE INDEX incidents_date ON incidents(event_date);

-- index incidents_grade
CREATE INDEX incidents_grade ON incidents(grade, event_date);

-- index incidents_merged
CREATE INDEX incidents_merged ON incidents(merged_into);

-- index incidents_type
CREATE INDEX incidents_type ON incidents(event_type, event_date);

-- index link_terms_story
CREATE INDEX link_terms_story ON link_terms(story_id);

-- index places_country
CREATE INDEX places_country ON places(country_code);

-- index places_name
CREATE INDEX places_name ON places(name);

-- index quotes_speaker
CREATE INDEX quotes_speaker ON quotes(speaker);

-- index reviews_incident
CREATE INDEX reviews_incident ON reviews(incident_id, id);

-- index signature_bands_article
CREATE INDEX signature_bands_article ON signature_bands(article_id);

-- index stories_last
CREATE INDEX stories_last ON stories(last_published);

-- index story_articles_article
CREATE INDEX story_articles_article ON story_articles(article_id);

-- table actors
CREATE TABLE actors (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, actor_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT,
            data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );

-- table alert_deliveries
CREATE TABLE alert_deliveries (
            alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            delivered_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (alert_id, target)
        ) WITHOUT ROWID;

-- table alerts
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

-- table article_incidents
CREATE TABLE article_incidents (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );

-- table article_sources
CREATE TABLE article_sources (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            PRIMARY KEY (article_id, source)
        ) WITHOUT ROWID;

-- table articles
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

-- table articles_fts
CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, content='articles', content_rowid='seq'
        );

-- table claims
CREATE TABLE claims (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, id TEXT NOT NULL, start INTEGER NOT NULL,
            "end" INTEGER NOT NULL, sentence TEXT NOT NULL, value REAL, low REAL, high REAL,
            counted TEXT NOT NULL, subject TEXT, scope TEXT, claimant TEXT,
            claimant_text TEXT, category TEXT, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );

-- table dates
CREATE TABLE dates (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, date TEXT, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );

-- table fetch_log
CREATE TABLE fetch_log (
            url TEXT PRIMARY KEY, source TEXT NOT NULL, status TEXT NOT NULL,
            http_status INTEGER, etag TEXT, last_modified TEXT, canonical_url TEXT,
            article_id TEXT, fetched_at TEXT NOT NULL, error TEXT,
            attempts INTEGER NOT NULL DEFAULT 1
        );

-- table incident_articles
CREATE TABLE incident_articles (
            incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (incident_id, article_id)
        ) WITHOUT ROWID;

-- table incidents
CREATE TABLE incidents (
            id TEXT PRIMARY KEY, event_date TEXT, date_precision TEXT, event_type TEXT,
            sub_event_type TEXT, actor1 TEXT, actor2 TEXT, actor1_id TEXT, actor2_id TEXT,
            location TEXT, country_code TEXT, lat REAL, lon REAL, fatalities INTEGER,
            grade TEXT, status TEXT NOT NULL, merged_into TEXT,
            data TEXT NOT NULL, machine TEXT NOT NULL
        );

-- table input_errors
CREATE TABLE input_errors (
            id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
            source TEXT NOT NULL, reason TEXT NOT NULL
        );

-- table link_terms
CREATE TABLE link_terms (
            term TEXT NOT NULL,
            published TEXT NOT NULL,
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            events INTEGER NOT NULL,
            indexed_events INTEGER NOT NULL,
            indexed_thread INTEGER NOT NULL,
            PRIMARY KEY (term, published, story_id)
        ) WITHOUT ROWID;

-- table places
CREATE TABLE places (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
            text TEXT NOT NULL, name TEXT, country_code TEXT, lat REAL, lon REAL,
            geonameid INTEGER, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );

-- table quotes
CREATE TABLE quotes (
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            pos INTEGER NOT NULL, id TEXT NOT NULL, start INTEGER NOT NULL,
            "end" INTEGER NOT NULL, speaker TEXT, speaker_text TEXT, role TEXT,
            text TEXT NOT NULL, direct INTEGER NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (article_id, pos)
        );

-- table reviews
CREATE TABLE reviews (
            id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('accept', 'edit', 'reject', 'merge')),
            field TEXT, old TEXT, new TEXT, who TEXT NOT NULL, at TEXT NOT NULL
        , note TEXT);

-- table runs
CREATE TABLE runs (
            id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,
            inputs TEXT NOT NULL, counts TEXT
        );

-- table shards
CREATE TABLE shards (key TEXT PRIMARY KEY, records INTEGER NOT NULL, done_at TEXT NOT NULL);

-- table signature_bands
CREATE TABLE signature_bands (
            band INTEGER NOT NULL,
            key BLOB NOT NULL,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (band, key, article_id)
        ) WITHOUT ROWID;

-- table signatures
CREATE TABLE signatures (
            article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            minhash BLOB NOT NULL
        ) WITHOUT ROWID;

-- table stories
CREATE TABLE stories (
            id TEXT PRIMARY KEY, title TEXT NOT NULL, first_published TEXT,
            last_published TEXT, data TEXT NOT NULL
        );

-- table stories_fts
CREATE VIRTUAL TABLE stories_fts USING fts5(story_id UNINDEXED, title);

-- table story_articles
CREATE TABLE story_articles (
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            PRIMARY KEY (story_id, article_id)
        ) WITHOUT ROWID;

-- table watch_pending
CREATE TABLE watch_pending (
            url TEXT PRIMARY KEY, source TEXT NOT NULL, article TEXT NOT NULL
        );

-- table watch_sources
CREATE TABLE watch_sources (
            name TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL,
            last_poll TEXT, last_success TEXT, last_error TEXT, last_error_at TEXT,
            failures INTEGER NOT NULL DEFAULT 0, reports_found INTEGER NOT NULL DEFAULT 0,
            next_poll TEXT
        );

-- trigger articles_ad
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.seq, old.title, old.text);
        END;

-- trigger articles_ai
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
        END;

-- trigger articles_au
CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
            INSERT INTO articles_fts(articles_fts, rowid, title, text)
            VALUES ('delete', old.seq, old.title, old.text);
            INSERT INTO articles_fts(rowid, title, text) VALUES (new.seq, new.title, new.text);
        END;
