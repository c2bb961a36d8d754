"""What the desk reads and writes, on top of the store.

Every query the desk runs is the store's (`newsdesk.store.queries`, the one query layer
that the CLI and the exports read through too); what is here is how the desk serves
them: connections kept one per server thread (`threading.local`, read-only for lists,
the `Store` for single records and reviews), caches that last until the next write, the
story page assembled from its parts, and store errors turned into HTTP answers.

Lists stay fast on large stores by bounding what they read: a total stops counting at
`COUNT_CAP` (and says it is a lower bound), and a full-text filter considers only the
`SEARCH_CANDIDATES` most recently stored matching reports (and says when it had to), so
no request reads every match of a common word.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import newsdesk.store.queries as queries
from newsdesk.analyse.typing_model import EVENT_TYPES
from newsdesk.models import KEY_CATEGORIES
from newsdesk.store import Filters, NotFound, Page, ReviewError, Store
from newsdesk.watch import deliver, state
from newsdesk.web.errors import DeskError

__all__ = ["ACLED_EVENT_TYPES", "COUNT_CAP", "SEARCH_CANDIDATES", "Desk", "Filters", "Page"]

ACLED_EVENT_TYPES = tuple(dict.fromkeys(EVENT_TYPES.values()))
"""ACLED's event types, in the order of the typology table (`typing_model.EVENT_TYPES`)."""
_EXPORT_CAP = 100_000  # one export answers at most this many incidents
MAP_CAP = 2_000
"""The map draws at most this many incidents, the latest; its filters narrow the rest."""
COUNT_CAP = 10_000
"""Totals count matches up to here; beyond it a total is reported as a lower bound."""
CLAIM_ROWS = 20
"""A story page lists at most this many figures per claim group, each claimant's value once."""
SEARCH_CANDIDATES = 1_000
"""A full-text filter looks at this many matching reports at most, the most recently stored."""


class Desk:
    """Read and review access to one store, safe to share between server threads."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._local = threading.local()
        self._outlets: tuple[int | None, list[str]] | None = None
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

    def _page(self, listing: queries.Listing, f: Filters) -> Page:
        return listing.page(self._db(), f, count_cap=COUNT_CAP)

    # -- lists -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return self._store().counts()

    def outlets(self) -> list[str]:
        """Outlets by number of reports, for the filter; recounted only when articles change."""
        db = self._db()
        key = queries.last_article(db)
        cached = self._outlets
        if cached is not None and cached[0] == key:
            return cached[1]
        outlets = queries.outlets(db)
        self._outlets = (key, outlets)
        return outlets

    def stories(self, f: Filters) -> Page:
        """Stories, most recently active first; `q` matches story titles and report texts."""
        listing = queries.stories(self._db(), f, candidates=SEARCH_CANDIDATES)
        page = self._page(listing, f)
        return replace(page, items=[_story_summary(s) for s in page.items])

    def articles(self, f: Filters) -> Page:
        return self._page(queries.articles(self._db(), f, candidates=SEARCH_CANDIDATES), f)

    def incidents(self, f: Filters) -> Page:
        """Incidents with reviews applied; rejected and merged ones are not listed."""
        return self._page(queries.incidents(f), f)

    def incidents_for_export(self, f: Filters) -> list[dict[str, Any]]:
        """Every incident the filters select (not only one page), oldest first."""
        return queries.incidents_oldest_first(self._db(), f, cap=_EXPORT_CAP)

    def map_incidents(self, f: Filters) -> dict[str, Any]:
        """The latest `MAP_CAP` incidents the filters select, each cut to what the map's
        marker, popup and list show, so the page stays small on a store of any size."""
        capped = replace(f, limit=MAP_CAP, offset=0)
        page = self._page(queries.incidents(capped), capped)
        items = [_map_item(i) for i in page.items]
        located = [i for i in items if i["lat"] is not None and i["lon"] is not None]
        return {"ok": True, "total": page.total, "total_is_lower_bound": page.total_is_lower_bound,
                "cap": MAP_CAP, "unlocated": len(items) - len(located), "items": located}

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
        facets = {
            "event_types": queries.incident_values(db, "event_type"),
            "countries": queries.incident_values(db, "country_code"),
            "grades": queries.incident_values(db, "grade"),
            "all_event_types": list(ACLED_EVENT_TYPES),
            "sub_event_types": dict(EVENT_TYPES),
            "statuses": list(queries.REVIEW_STATUSES),
        }
        self._local.facets = (version, facets)
        return facets

    def actor_suggestions(self, actor: str) -> list[dict[str, str]]:
        """Registry actors named most like an actor filter that found nothing."""
        return queries.actor_suggestions(self._db(), actor)

    def inter_codes(self, actor_ids: set[str]) -> dict[str, int | None]:
        """ACLED inter codes of the given actors, as the actor mentions recorded them."""
        return queries.inter_codes(self._db(), actor_ids)

    def _records(self, table: str, f: Filters, column: str, value: str | None) -> Page:
        return self._page(queries.records(table, {"article_id": f.article_id, column: value}), f)

    def claims(self, f: Filters) -> Page:
        return self._records("claims", f, "claimant", f.actor)

    def places(self, f: Filters) -> Page:
        return self._records("places", f, "country_code", f.country)

    def actors(self, f: Filters) -> Page:
        """Actor mentions; `actor` is any name of a registry actor, or an id."""
        actor_id = None
        if f.actor:
            found = queries.actor_registry().match(f.actor)
            actor_id = found.id if found else f.actor
        return self._records("actors", f, "actor_id", actor_id)

    def search(self, q: str, *, limit: int) -> Page:
        """Story titles, then report titles and texts, best first, among the most recent
        `SEARCH_CANDIDATES` matches of each (see `newsdesk.store.queries.search`)."""
        return queries.search(self._db(), q, limit=limit, candidates=SEARCH_CANDIDATES)

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

    def reports(self, article_ids: list[str]) -> list[dict[str, Any]]:
        """The reports an incident was coded from, in its order, as a page lists them:
        outlet, date, title and the original's address."""
        found = {a.id: a for a in self._store().iter_articles(ids=article_ids)}
        return [{"id": a.id, "outlet": a.outlet, "published": a.published, "title": a.title,
                 "url": a.url} for aid in article_ids if (a := found.get(aid)) is not None]

    def export_context(self, incidents: list[dict[str, Any]]
                       ) -> tuple[dict[str, str], dict[str, int]]:
        """What the exports add to the incidents: their reports' URLs and the time each
        last changed, as `pipeline.publish` writes them."""
        store = self._store()
        ids = sorted({a for i in incidents for a in i.get("article_ids") or []})
        urls = {a.id: a.url for a in store.iter_articles(ids=ids) if a.url}
        return urls, store.incident_timestamps([i["id"] for i in incidents])

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
        claims = queries.claims_by_id(
            self._db(), [c for g in story.get("claim_groups") or [] for c in g["claims"]]
        )
        for group in story.get("claim_groups") or []:
            rows = []
            for cid, value in zip(group["claims"], group.get("values") or [], strict=False):
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
                        "confirmed": bool(value.get("confirmed")),
                    }
                )
            group["claim_rows"] = _distinct_rows(rows)
            group["claim_rows_more"] = len(rows) - len(group["claim_rows"])
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
        """Store a reviewer's decision; a value the record cannot hold is refused (422, each
        field named in `errors`) before anything reaches the trail."""
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
        except ReviewError as exc:
            errors = [
                {"loc": ["body", "changes", e["field"]], "field": e["field"], "msg": e["msg"]}
                for e in exc.errors
            ]
            raise DeskError(422, f"invalid review: {exc}", errors or [str(exc)]) from exc

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


def _distinct_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each claimant's value once (its first report), up to `CLAIM_ROWS`: a story of 200
    reports repeats the same figures, and its page must stay readable and bounded."""
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rows:
        key = (r.get("claimant") or r.get("outlet") or "", r["value_text"])
        if key not in seen and len(out) < CLAIM_ROWS:
            seen.add(key)
            out.append(r)
    return out


def _map_item(inc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": inc["id"], "lat": inc.get("lat"), "lon": inc.get("lon"),
        "date": inc.get("event_date"), "precision": inc.get("date_precision"),
        "type": inc.get("event_type"), "sub_type": inc.get("sub_event_type"),
        "location": inc.get("location"), "actor1": inc.get("actor1"), "actor2": inc.get("actor2"),
        "fatalities": inc.get("fatalities"), "low": inc.get("fatalities_low"),
        "high": inc.get("fatalities_high"), "grade": inc.get("grade"),
        "outlets": inc.get("outlets") or [], "reports": len(inc.get("article_ids") or []),
    }


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
