"""What the desk reads and writes, on top of the store.

The store (`newsdesk.store.Store`) owns the schema, the records and the review trail; the
desk uses it for single records and reviews. The list pages need what the store
does not offer: a total beside each page (for pagination) computed from the *same*
filters as the page, outlet filters on stories, and the story page's joins (each claim
with its report's outlet and date). Those queries are here, over the store's documented
tables, each list and its count built from one WHERE clause so they cannot disagree.

Lists stay fast on large stores by bounding what they read: a total stops counting at
`COUNT_CAP` (and says it is a lower bound), and a full-text filter considers only the
`SEARCH_CANDIDATES` most recently stored matching reports (and says when it had to), so
no request reads every match of a common word.

sqlite3 connections are kept one per server thread (`threading.local`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newsdesk.models import KEY_CATEGORIES
from newsdesk.store import NotFound, Store
from newsdesk.watch import deliver, state
from newsdesk.web.errors import DeskError

ACLED_EVENT_TYPES = (
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HIDDEN = "status NOT IN ('rejected', 'merged')"  # as the store's incidents() and exports
_EXPORT_CAP = 100_000  # one export answers at most this many incidents
COUNT_CAP = 10_000
"""Totals count matches up to here; beyond it a total is reported as a lower bound."""
SEARCH_CANDIDATES = 1_000
"""A full-text filter looks at this many matching reports at most, the most recently stored."""


@dataclass(slots=True, frozen=True)
class Page:
    """One page of a list, its total, and how far the total and the matches can be trusted."""

    items: list[dict[str, Any]]
    total: int
    total_is_lower_bound: bool = False
    matches_truncated: bool = False  # the text query matched more than SEARCH_CANDIDATES


@dataclass(slots=True, frozen=True)
class Filters:
    """The filters a list page or API call was asked for; unused ones are None."""

    q: str | None = None
    outlet: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    country: str | None = None
    actor: str | None = None
    event_type: str | None = None
    grade: str | None = None
    story_id: str | None = None
    article_id: str | None = None
    limit: int = 50
    offset: int = 0

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


def _fts(q: str | None) -> str | None:
    """User words as an FTS5 query (each quoted, all required), as the store does."""
    words = re.findall(r"\w+", q or "")
    return " ".join(f'"{w}"' for w in words) or None


class _Where:
    """A WHERE clause and its arguments, built up filter by filter."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *args: Any) -> None:
        self.parts.append(clause)
        self.args.extend(args)

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.parts)}" if self.parts else ""


class Desk:
    """Read and review access to one store, safe to share between server threads."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._local = threading.local()
        self._outlets: tuple[tuple[Any, ...], list[str]] | None = None
        with Store.open(db_path):  # create or migrate the schema before serving
            pass

    # -- connections ---------------------------------------------------------------------

    def _store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store.open(self._db_path)
        return store

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self._db_path}?mode=ro", uri=True, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def _page(
        self, select: str, table: str, w: _Where, order: str, f: Filters, *, index: str = ""
    ) -> tuple[list[sqlite3.Row], int, bool]:
        """One page, the total (counted up to `COUNT_CAP`) and whether the total was capped.

        The page is chosen on rowids first (a covering-index scan, cheap even at a deep
        offset) and only its rows are read whole: stored rows carry large JSON blobs.
        `index` names the index both queries must read (see `incidents`).
        """
        db = self._db()
        source = f"{table} INDEXED BY {index}" if index else table
        counted = db.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {source}{w.sql()} LIMIT ?)",
            [*w.args, COUNT_CAP + 1],
        ).fetchone()[0]
        rows = db.execute(
            f"SELECT {select} FROM {table} WHERE rowid IN (SELECT rowid FROM {source}{w.sql()} "
            f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
            [*w.args, f.limit, f.offset],
        ).fetchall()
        return rows, min(counted, COUNT_CAP), counted > COUNT_CAP

    def _recent_floor(self, table: str, match: str) -> tuple[int, bool]:
        """The lowest rowid among the `SEARCH_CANDIDATES` most recent matches in an FTS
        table, and whether older matches exist below it.

        FTS5 walks a match in rowid order and honours a rowid bound, so `MATCH ? AND
        rowid >= floor` costs the candidates, not every match of a common word.
        """
        edge = (
            self._db()
            .execute(
                f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 2 "
                "OFFSET ?",
                (match, SEARCH_CANDIDATES - 1),
            )
            .fetchall()
        )
        return (edge[0][0], True) if len(edge) == 2 else (0, False)

    # -- lists -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return self._store().counts()

    def outlets(self) -> list[str]:
        """Outlets by number of reports, for the filter; recounted only when articles change."""
        db = self._db()
        key = db.execute("SELECT max(seq) FROM articles").fetchone()
        cached = self._outlets
        if cached is not None and cached[0] == tuple(key):
            return cached[1]
        rows = db.execute(
            "SELECT outlet FROM articles WHERE outlet IS NOT NULL GROUP BY outlet "
            "ORDER BY count(*) DESC LIMIT 200"
        )
        outlets = [r[0] for r in rows]
        self._outlets = (tuple(key), outlets)
        return outlets

    def stories(self, f: Filters) -> Page:
        """Stories, most recently active first; `q` matches story titles and report texts."""
        w = _Where()
        match = _fts(f.q)
        truncated = False
        if match:
            # The matching stories are gathered once, here, rather than as a subquery the
            # count and the page would each run again.
            db = self._db()
            title_floor, cut_titles = self._recent_floor("stories_fts", match)
            text_floor, cut_texts = self._recent_floor("articles_fts", match)
            ids = {
                r[0]
                for r in db.execute(
                    "SELECT story_id FROM stories_fts WHERE stories_fts MATCH ? AND rowid >= ?",
                    (match, title_floor),
                )
            }
            ids.update(
                r[0]
                for r in db.execute(
                    "SELECT story_id FROM articles WHERE story_id IS NOT NULL AND seq IN "
                    "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= ?)",
                    (match, text_floor),
                )
            )
            w.add("id IN (SELECT value FROM json_each(?))", json.dumps(sorted(ids)))
            truncated = cut_titles or cut_texts
        if f.outlet:
            # Read from the index articles(outlet, story_id), which SQLite picks unaided.
            w.add("id IN (SELECT story_id FROM articles WHERE outlet = ?)", f.outlet)
        if f.date_from:
            w.add("last_published >= ?", f.date_from)
        if f.date_to:
            w.add("first_published <= ?", f.date_to)
        rows, total, capped = self._page("data", "stories", w, "last_published DESC, rowid DESC", f)
        return Page([_story_summary(json.loads(r[0])) for r in rows], total, capped, truncated)

    def articles(self, f: Filters) -> Page:
        w = _Where()
        match = _fts(f.q)
        truncated = False
        if match:
            floor, truncated = self._recent_floor("articles_fts", match)
            w.add(
                "seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= ?)",
                match,
                floor,
            )
        for clause, value in (
            ("outlet = ?", f.outlet),
            ("published >= ?", f.date_from),
            ("published <= ?", f.date_to),
            ("story_id = ?", f.story_id),
        ):
            if value:
                w.add(clause, value)
        rows, total, capped = self._page(
            "id, source, url, outlet, title, published, dateline, language, duplicate_of, "
            "story_id, length(text) AS chars",
            "articles",
            w,
            "published DESC, seq DESC",
            f,
        )
        return Page([dict(r) for r in rows], total, capped, truncated)

    def _incident_where(self, f: Filters) -> _Where:
        """The incident filters as one WHERE clause, shared by the list, its count and exports."""
        w = _Where()
        w.add(_HIDDEN)
        if f.story_id:
            w.add(
                "id IN (SELECT ia.incident_id FROM incident_articles ia JOIN story_articles sa "
                "ON sa.article_id = ia.article_id WHERE sa.story_id = ?)",
                f.story_id,
            )
        if f.article_id:
            w.add(
                "id IN (SELECT incident_id FROM incident_articles WHERE article_id = ?)",
                f.article_id,
            )
        if f.actor:
            w.add("(actor1_id = ? OR actor2_id = ? OR actor1 = ? OR actor2 = ?)", *[f.actor] * 4)
        for clause, value in (
            ("country_code = ?", f.country),
            ("event_type = ?", f.event_type),
            ("grade = ?", f.grade),
            ("event_date >= ?", f.date_from),
            ("event_date <= ?", f.date_to),
        ):
            if value:
                w.add(clause, value)
        return w

    def incidents(self, f: Filters) -> Page:
        """Incidents with reviews applied; rejected and merged ones are not listed.

        Column filters are answered from the store's narrow `incidents_browse` index,
        named explicitly: left alone, SQLite picks the index of one equality filter and
        reads every candidate row (JSON included) to check the others. A story or article
        filter names a few incidents by id, which is cheaper than any index scan.
        """
        index = "" if f.story_id or f.article_id else "incidents_browse"
        rows, total, capped = self._page(
            "data",
            "incidents",
            self._incident_where(f),
            "event_date DESC, rowid DESC",
            f,
            index=index,
        )
        return Page([json.loads(r[0]) for r in rows], total, capped)

    def incidents_for_export(self, f: Filters) -> list[dict[str, Any]]:
        """Every incident the filters select (not only one page), oldest first."""
        w = self._incident_where(f)
        rows = self._db().execute(
            f"SELECT data FROM incidents{w.sql()} ORDER BY event_date, id LIMIT ?",
            [*w.args, _EXPORT_CAP],
        )
        return [json.loads(r[0]) for r in rows]

    def incident_facets(self) -> dict[str, list[str]]:
        """The values the incident filters offer, recomputed only after a write.

        `PRAGMA data_version` changes on this connection whenever another connection
        (the store's, for reviews and uploads) commits, so the cache can never go stale.
        """
        db = self._db()
        version = db.execute("PRAGMA data_version").fetchone()[0]
        cached = getattr(self._local, "facets", None)
        if cached is not None and cached[0] == version:
            return cached[1]

        def distinct(col: str) -> list[str]:
            rows = db.execute(
                f"SELECT DISTINCT {col} FROM incidents INDEXED BY incidents_browse "
                f"WHERE {col} IS NOT NULL AND {_HIDDEN} ORDER BY {col} LIMIT 300"
            )
            return [r[0] for r in rows]

        facets = {
            "event_types": distinct("event_type"),
            "countries": distinct("country_code"),
            "grades": distinct("grade"),
            "all_event_types": list(ACLED_EVENT_TYPES),
        }
        self._local.facets = (version, facets)
        return facets

    def inter_codes(self, actor_ids: set[str]) -> dict[str, int | None]:
        """ACLED inter codes of the given actors, as the actor mentions recorded them."""
        ids = sorted(actor_ids)
        out: dict[str, int | None] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            rows = self._db().execute(
                "SELECT actor_id, max(json_extract(data, '$.inter')) FROM actors "
                f"WHERE actor_id IN ({','.join('?' * len(part))}) GROUP BY actor_id",
                part,
            )
            out.update({r[0]: r[1] for r in rows})
        return out

    def _records(self, table: str, f: Filters, extra: dict[str, str | None]) -> Page:
        w = _Where()
        for column, value in {"article_id": f.article_id, **extra}.items():
            if value:
                w.add(f"{column} = ?", value)
        rows, total, capped = self._page("data", table, w, "article_id, pos", f)
        return Page([json.loads(r[0]) for r in rows], total, capped)

    def claims(self, f: Filters) -> Page:
        return self._records("claims", f, {"claimant": f.actor})

    def places(self, f: Filters) -> Page:
        return self._records("places", f, {"country_code": f.country})

    def actors(self, f: Filters) -> Page:
        return self._records("actors", f, {"actor_id": f.actor})

    def search(self, q: str, *, limit: int) -> Page:
        """Story titles, then report titles and texts, best first (FTS5's rank).

        Ranking is done among the most recent `SEARCH_CANDIDATES` matches of each table:
        ranking every match of a common word reads its whole posting list and scores
        each document, which is what made search slow on large stores.
        """
        match = _fts(q)
        if not match:
            return Page([], 0)
        db = self._db()
        title_floor, cut_titles = self._recent_floor("stories_fts", match)
        text_floor, cut_texts = self._recent_floor("articles_fts", match)
        hits = [
            {"kind": "story", "id": r[0], "title": r[1], "snippet": r[2]}
            for r in db.execute(
                "SELECT story_id, title, snippet(stories_fts, 1, '[', ']', '…', 12) "
                "FROM stories_fts WHERE stories_fts MATCH ? AND rowid >= ? "
                "ORDER BY rank LIMIT ?",
                (match, title_floor, limit),
            )
        ]
        hits += [
            {
                "kind": "article",
                "id": r[0],
                "title": r[1],
                "snippet": r[2],
                "published": r[3],
                "outlet": r[4],
            }
            for r in db.execute(
                "SELECT a.id, a.title, snippet(articles_fts, 1, '[', ']', '…', 16), "
                "a.published, a.outlet FROM articles_fts JOIN articles a "
                "ON a.seq = articles_fts.rowid WHERE articles_fts MATCH ? "
                "AND articles_fts.rowid >= ? ORDER BY rank LIMIT ?",
                (match, text_floor, limit),
            )
        ]
        hits = hits[:limit]
        return Page(hits, len(hits), matches_truncated=cut_titles or cut_texts)

    # -- single records ----------------------------------------------------------------

    def article(self, article_id: str) -> dict[str, Any]:
        found = self._store().get_article(article_id)
        if found is None:
            raise DeskError(404, f"no article {article_id!r}")
        return found

    def incident(self, incident_id: str) -> dict[str, Any]:
        found = self._store().get_incident(incident_id)
        if found is None:
            raise DeskError(404, f"no incident {incident_id!r}")
        return found

    def reviews(self, incident_id: str) -> list[dict[str, Any]]:
        return self._store().reviews(incident_id)

    def story(self, story_id: str) -> dict[str, Any]:
        """The story with what its page shows: reports, incidents, claim values, timeline."""
        store = self._store()
        story = store.get_story(story_id)
        if story is None:
            raise DeskError(404, f"no story {story_id!r}")
        articles = store.articles(story_id=story_id, limit=None)
        by_id = {a["id"]: a for a in articles}
        claims = self._claims_by_id(
            [c for g in story.get("claim_groups") or [] for c in g["claims"]]
        )
        for group in story.get("claim_groups") or []:
            rows = []
            for cid in group["claims"]:
                c = claims.get(cid)
                if c is None:
                    continue
                art = by_id.get(c["article_id"], {})
                rows.append(
                    {
                        **c,
                        "value_text": _value_text(c),
                        "outlet": art.get("outlet"),
                        "published": art.get("published"),
                    }
                )
            group["claim_rows"] = rows
        # casualty, force and displacement figures first, as in the brief
        (story.get("claim_groups") or []).sort(key=lambda g: not any(
            r.get("category") in KEY_CATEGORIES for r in g["claim_rows"]))
        story["articles"] = sorted(articles, key=lambda a: (a.get("published") or "", a["id"]))
        story["incidents"] = store.incidents(story_id=story_id, limit=None)
        story["timeline"] = sorted(
            [
                {
                    "date": a.get("published"),
                    "kind": "article",
                    "id": a["id"],
                    "label": f"{a.get('outlet') or '?'}: {a.get('title') or a['id']}",
                }
                for a in articles
            ]
            + [
                {
                    "date": i.get("event_date"),
                    "kind": "incident",
                    "id": i["id"],
                    "label": f"{i.get('sub_event_type') or i.get('event_type')} in "
                    f"{i.get('location') or '?'}",
                }
                for i in story["incidents"]
            ],
            key=lambda t: (t["date"] or "9999", t["kind"] != "incident", t["id"]),
        )
        return story

    def _claims_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            rows = self._db().execute(
                f"SELECT data FROM claims WHERE id IN ({','.join('?' * len(part))})", part
            )
            for r in rows:
                c = json.loads(r[0])
                out[c["id"]] = c
        return out

    # -- review --------------------------------------------------------------------------

    def review(
        self,
        incident_id: str,
        *,
        action: str,
        changes: dict[str, Any],
        who: str,
        merge_into: str | None,
        note: str | None,
    ) -> dict[str, Any]:
        """Store a reviewer's decision; bad values are refused before they reach the trail."""
        errors = _check_changes(changes) if action == "edit" else []
        if errors:
            raise DeskError(422, "invalid review: " + "; ".join(errors), errors)
        try:
            return self._store().review_incident(
                incident_id,
                action=action,
                changes=changes or None,
                who=who,
                merge_into=merge_into or None,
                note=note,
            )
        except NotFound as exc:
            raise DeskError(404, str(exc).strip("'\"")) from exc
        except ValueError as exc:
            raise DeskError(422, f"invalid review: {exc}", [str(exc)]) from exc

    # -- the watcher: alerts and sources ---------------------------------------------------

    def alerts(self, *, after: int = 0, unread: bool = False, limit: int = 50, offset: int = 0,
               oldest_first: bool = False) -> list[dict[str, Any]]:
        """Alerts delivered to the desk, newest first, each with its page on the desk."""
        items = deliver.desk_alerts(
            self._store(), after=after, unread=unread, limit=limit, offset=offset,
            oldest_first=oldest_first,
        )
        for item in items:
            section = "incidents" if item["kind"] == "incident" else "stories"
            item["link"] = f"/{section}/{quote(item['subject_id'], safe='')}"
        return items

    def alert_counts(self) -> dict[str, int]:
        """`total`, `unread` and `last` (the newest alert's `seq`) for the header and stream."""
        return deliver.desk_counts(self._store())

    def mark_alerts_read(self, ids: list[str] | None) -> int:
        return deliver.mark_read(self._store(), ids)

    def sources(self) -> list[dict[str, Any]]:
        """Each watched source's health, as `newsdesk sources` prints it."""
        return state.source_health(self._store())


def _check_changes(changes: dict[str, Any]) -> list[str]:
    """Type checks for the fields a reviewer edits through the desk."""
    errors = []
    if "fatalities" in changes:
        v = changes["fatalities"]
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            errors.append("fatalities must be a whole number >= 0 or null")
    if "event_date" in changes:
        v = changes["event_date"]
        if v is not None and not (isinstance(v, str) and _DATE.match(v)):
            errors.append("event_date must be YYYY-MM-DD or null")
    if "event_type" in changes and changes["event_type"] not in ACLED_EVENT_TYPES:
        errors.append(f"event_type must be one of {', '.join(ACLED_EVENT_TYPES)}")
    for key in ("lat", "lon"):
        v = changes.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            errors.append(f"{key} must be a number or null")
    for key, v in changes.items():
        if isinstance(v, str) and len(v) > 2000:
            errors.append(f"{key} is too long")
    return errors


def _story_summary(story: dict[str, Any]) -> dict[str, Any]:
    groups = story.get("claim_groups") or []
    return {
        "id": story["id"],
        "title": story.get("title"),
        "outlets": story.get("outlets") or [],
        "first_published": story.get("first_published"),
        "last_published": story.get("last_published"),
        "article_ids": story.get("article_ids") or [],
        "n_articles": len(story.get("article_ids") or []),
        "n_contested": sum(1 for g in groups if g.get("status") == "contested"),
        "n_claim_groups": len(groups),
    }


def _value_text(claim: dict[str, Any]) -> str:
    """How a value reads on the page: as the report wrote it when the number text is there."""
    if claim.get("number_text"):
        return claim["number_text"]
    if claim.get("value") is not None:
        return f"{claim['value']:,g}"
    low, high = claim.get("low"), claim.get("high")
    return f"{'' if low is None else f'{low:,g}'}–{'' if high is None else f'{high:,g}'}"
