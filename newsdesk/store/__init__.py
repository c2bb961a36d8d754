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

Tables (every record keeps its whole contract dict in `data`, an article all of it but
its text, which is its `text` column alone; the other columns are copies for filtering
and indexes):
- `articles` (`seq` is the insertion order, used for "first seen" and as the FTS rowid,
  which must survive VACUUM, hence an INTEGER PRIMARY KEY beside the text id),
  `article_sources` (every place the same text was read from), `signatures` (MinHash of
  the text, so later runs find copies without re-reading it; the first article of a
  store gets its own when a second is stored);
- per article: `places`, `actors`, `dates`, `claims`, `quotes`, `article_incidents`
  (the incidents the per-article stage coded, before linking);
- cross-article: `stories`, `story_articles`, `incidents` (`machine` is what the linker
  said, `data` the same with reviews applied), `incident_articles`, `reviews`;
- incremental linking: `link_terms` (per story, the features the linker indexes it under,
  so a new article loads only the stories it can reach) and `signature_bands` (the LSH
  bands of each signature, so a new article's copies are looked up, not scanned for);
- bookkeeping: `runs`, `input_errors`, `shards` (completion markers of the Dask executor);
- search: `articles_fts` (FTS5 over title and text, contentless over `articles`) and
  `stories_fts`.

The package, by concern:
- `db.py`: `Store` — opening, transactions, saving records and link results, runs;
- `migrations.py`: the schema's append-only history (`MIGRATIONS`) and `migrate`, which
  brings an older file up to date in one transaction and refuses a newer one;
- `reviews.py`: the review trail and its replay over the machine's incidents;
- `queries.py`: every list and browse query, the one layer the `Store` methods and the
  desk (`newsdesk.web.queries`) both read through;
- `connection.py`: the connection settings and `Transaction`, shared by the others.
"""

from newsdesk.store.db import Store
from newsdesk.store.migrations import MIGRATIONS
from newsdesk.store.queries import Filters, Page
from newsdesk.store.reviews import EDITABLE, REVIEW_ACTIONS, NotFound, ReviewError

__all__ = [
    "EDITABLE",
    "MIGRATIONS",
    "REVIEW_ACTIONS",
    "Filters",
    "NotFound",
    "Page",
    "ReviewError",
    "Store",
]
