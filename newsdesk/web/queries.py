"""What the desk reads and writes, on top of the store.

The store (`newsdesk.store.Store`) owns the schema, the records and the review trail; the
desk uses it for single records, search and reviews. The list pages need what the store
does not offer: a total beside each page (for pagination) computed from the *same*
filters as the page, outlet filters on stories, and the story page's joins (each claim
with its report's outlet and date). Those queries are here, over the store's documented
tables, each list and its count built from one WHERE clause so they cannot disagree.

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

from newsdesk.store import NotFound, Store
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
        self, select: str, table: str, w: _Where, order: str, f: Filters
    ) -> tuple[list[sqlite3.Row], int]:
        """One page and the total, from the same WHERE clause.

        The page is chosen on rowids first (a covering-index scan, cheap even at a deep
        offset) and only its rows are read whole: stored rows carry large JSON blobs.
        """
        db = self._db()
        total = db.execute(f"SELECT count(*) FROM {table}{w.sql()}", w.args).fetchone()[0]
        rows = db.execute(
            f"SELECT {select} FROM {table} WHERE rowid IN (SELECT rowid FROM {table}{w.sql()} "
            f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
            [*w.args, f.limit, f.offset],
        ).fetchall()
        return rows, total

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

    def stories(self, f: Filters) -> tuple[list[dict[str, Any]], int]:
        """Stories, most recently active first; `q` matches story titles and report texts."""
        w = _Where()
        match = _fts(f.q)
        if match:
            w.add(
                "(id IN (SELECT story_id FROM stories_fts WHERE stories_fts MATCH ?) OR id IN "
                "(SELECT sa.story_id FROM articles_fts f JOIN articles a ON a.seq = f.rowid "
                "JOIN story_articles sa ON sa.article_id = a.id WHERE articles_fts MATCH ?))",
                match,
                match,
            )
        if f.outlet:
            w.add(
                "id IN (SELECT sa.story_id FROM story_articles sa JOIN articles a "
                "ON a.id = sa.article_id WHERE a.outlet = ?)",
                f.outlet,
            )
        if f.date_from:
            w.add("last_published >= ?", f.date_from)
        if f.date_to:
            w.add("first_published <= ?", f.date_to)
        rows, total = self._page("data", "stories", w, "last_published DESC, rowid DESC", f)
        return [_story_summary(json.loads(r[0])) for r in rows], total

    def articles(self, f: Filters) -> tuple[list[dict[str, Any]], int]:
        w = _Where()
        match = _fts(f.q)
        if match:
            w.add("seq IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", match)
        for clause, value in (
            ("outlet = ?", f.outlet),
            ("published >= ?", f.date_from),
            ("published <= ?", f.date_to),
            ("story_id = ?", f.story_id),
        ):
            if value:
                w.add(clause, value)
        rows, total = self._page(
            "id, source, url, outlet, title, published, dateline, language, duplicate_of, "
            "story_id, length(text) AS chars",
            "articles",
            w,
            "published DESC, seq DESC",
            f,
        )
        return [dict(r) for r in rows], total

    def _incident_where(self, f: Filters) -> _Where:
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

    def incidents(self, f: Filters) -> tuple[list[dict[str, Any]], int]:
        """Incidents with reviews applied; rejected and merged ones are not listed."""
        rows, total = self._page(
            "data", "incidents", self._incident_where(f), "event_date DESC, rowid DESC", f
        )
        return [json.loads(r[0]) for r in rows], total

    def incidents_for_export(self, f: Filters) -> list[dict[str, Any]]:
        """Every incident the filters select (not only one page), oldest first."""
        w = self._incident_where(f)
        rows = self._db().execute(
            f"SELECT data FROM incidents{w.sql()} ORDER BY event_date, id LIMIT ?",
            [*w.args, _EXPORT_CAP],
        )
        return [json.loads(r[0]) for r in rows]

    def incident_facets(self) -> dict[str, list[str]]:
        db = self._db()

        def distinct(col: str) -> list[str]:
            rows = db.execute(
                f"SELECT DISTINCT {col} FROM incidents WHERE {col} IS NOT NULL "
                f"AND {_HIDDEN} ORDER BY {col} LIMIT 300"
            )
            return [r[0] for r in rows]

        return {
            "event_types": distinct("event_type"),
            "countries": distinct("country_code"),
            "grades": distinct("grade"),
            "all_event_types": list(ACLED_EVENT_TYPES),
        }

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

    def _records(
        self, table: str, f: Filters, extra: dict[str, str | None]
    ) -> tuple[list[dict[str, Any]], int]:
        w = _Where()
        for column, value in {"article_id": f.article_id, **extra}.items():
            if value:
                w.add(f"{column} = ?", value)
        rows, total = self._page("data", table, w, "article_id, pos", f)
        return [json.loads(r[0]) for r in rows], total

    def claims(self, f: Filters) -> tuple[list[dict[str, Any]], int]:
        return self._records("claims", f, {"claimant": f.actor})

    def places(self, f: Filters) -> tuple[list[dict[str, Any]], int]:
        return self._records("places", f, {"country_code": f.country})

    def actors(self, f: Filters) -> tuple[list[dict[str, Any]], int]:
        return self._records("actors", f, {"actor_id": f.actor})

    def search(self, q: str, *, limit: int) -> list[dict[str, Any]]:
        return self._store().search(q, limit=limit)

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
