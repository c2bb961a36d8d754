"""The list and browse queries: the one query layer the CLI, the exports and the desk read.

Every list is a `Listing`: a table, one WHERE clause built from the `Filters`, and an
order. A page and its total are read from the same listing, so they cannot disagree, and
no caller writes its own copy of a filter.

Orders are index orders (NULLs sort last under DESC; rowid is in every index), so a list
is read off an index instead of sorting the table, and a page is chosen on rowids first
(a covering-index scan, cheap even at a deep offset): only its rows are read whole, since
stored rows carry large JSON blobs.

Bounds are the caller's: the desk, answering requests on stores of any size, passes
`count_cap` (a total stops counting there and says it is a lower bound) and `candidates`
(a full-text filter considers only that many of the most recently stored matches, and
says when it had to). The store's own lists pass neither and read exactly.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from newsdesk.analyse.registry import ActorRegistry, normalise

REVIEW_STATUSES = ("machine", "accepted", "edited", "rejected", "merged")
"""An incident's review status: as the machine coded it, or after its last decision."""
HIDDEN = ("rejected", "merged")
"""Review statuses whose incidents are not listed, counted or exported."""
_VISIBLE = f"status NOT IN ({', '.join(repr(s) for s in HIDDEN)})"


@dataclass(slots=True, frozen=True)
class Filters:
    """The filters a list was asked for; unused ones are None, and `limit=None` is no limit."""

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
    status: str | None = None  # review status, one of REVIEW_STATUSES
    limit: int | None = 50
    offset: int = 0

    def as_params(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True, frozen=True)
class Page:
    """One page of a list, its total, and how far the total and the matches can be trusted."""

    items: list[dict[str, Any]]
    total: int
    total_is_lower_bound: bool = False
    matches_truncated: bool = False  # the text query matched more than `candidates`


def fts_query(q: str | None) -> str | None:
    """User words as an FTS5 query: each word quoted (no syntax errors), all required."""
    words = re.findall(r"\w+", q or "")
    return " ".join(f'"{w}"' for w in words) or None


@dataclass(slots=True)
class Where:
    """A WHERE clause and its arguments, built up filter by filter."""

    parts: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, clause: str, *args: Any) -> None:
        self.parts.append(clause)
        self.args.extend(args)

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.parts)}" if self.parts else ""


def _row(row: sqlite3.Row) -> dict[str, Any]:
    return dict(row)


def _data(row: sqlite3.Row) -> dict[str, Any]:
    return json.loads(row[0])


@dataclass(slots=True, frozen=True)
class Listing:
    """One list query; `index` names the index that both its page and count must read."""

    select: str
    table: str
    where: Where
    order: str
    decode: Callable[[sqlite3.Row], dict[str, Any]] = _data
    index: str = ""
    truncated: bool = False  # a text filter matched more than the candidates it read

    def _source(self) -> str:
        return f"{self.table} INDEXED BY {self.index}" if self.index else self.table

    def items(
        self, conn: sqlite3.Connection, limit: int | None, offset: int
    ) -> list[dict[str, Any]]:
        """The rows of one page (`limit=None`: the whole list), decoded.

        A page is chosen on rowids first, so the rows it skips or sorts are read off the
        index, never whole; the whole list is read in one walk of the index.
        """
        w, order = self.where, self.order
        if limit is None:
            sql = f"SELECT {self.select} FROM {self._source()}{w.sql()} ORDER BY {order}"
            bounds = []
        else:
            sql = (
                f"SELECT {self.select} FROM {self.table} WHERE rowid IN (SELECT rowid FROM "
                f"{self._source()}{w.sql()} ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}"
            )
            bounds = [limit, offset]
        return [self.decode(r) for r in conn.execute(sql, [*w.args, *bounds])]

    def count(self, conn: sqlite3.Connection, cap: int) -> tuple[int, bool]:
        """The number of matches up to `cap`, and whether there are more."""
        counted = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {self._source()}{self.where.sql()} LIMIT ?)",
            [*self.where.args, cap + 1],
        ).fetchone()[0]
        return min(counted, cap), counted > cap

    def page(self, conn: sqlite3.Connection, f: Filters, *, count_cap: int) -> Page:
        total, capped = self.count(conn, count_cap)
        return Page(self.items(conn, f.limit, f.offset), total, capped, self.truncated)


def _recent_floor(
    conn: sqlite3.Connection, table: str, match: str, candidates: int | None
) -> tuple[int, bool]:
    """The lowest rowid among the `candidates` most recent matches in an FTS table, and
    whether older matches exist below it (0 and False when there is no bound).

    FTS5 walks a match in rowid order and honours a rowid bound, so `MATCH ? AND
    rowid >= floor` costs the candidates, not every match of a common word.
    """
    if candidates is None:
        return 0, False
    edge = conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 2 OFFSET ?",
        (match, candidates - 1),
    ).fetchall()
    return (edge[0][0], True) if len(edge) == 2 else (0, False)


def articles(conn: sqlite3.Connection, f: Filters, *, candidates: int | None = None) -> Listing:
    """Article rows (contract fields and length, not the text), newest first."""
    w = Where()
    truncated = False
    if match := fts_query(f.q):
        floor, truncated = _recent_floor(conn, "articles_fts", match, candidates)
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
    return Listing(
        "id, source, url, outlet, title, published, dateline, language, duplicate_of, "
        "story_id, length(text) AS chars",
        "articles",
        w,
        "published DESC, seq DESC",
        decode=_row,
        truncated=truncated,
    )


def stories(conn: sqlite3.Connection, f: Filters, *, candidates: int | None = None) -> Listing:
    """Story dicts, most recently active first; `q` matches story titles and report texts."""
    w = Where()
    truncated = False
    if match := fts_query(f.q):
        # The matching stories are gathered once, here, rather than as a subquery that the
        # count and the page would each run again.
        title_floor, cut_titles = _recent_floor(conn, "stories_fts", match, candidates)
        text_floor, cut_texts = _recent_floor(conn, "articles_fts", match, candidates)
        ids = {
            r[0]
            for r in conn.execute(
                "SELECT story_id FROM stories_fts WHERE stories_fts MATCH ? AND rowid >= ?",
                (match, title_floor),
            )
        }
        ids.update(
            r[0]
            for r in conn.execute(
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
    return Listing("data", "stories", w, "last_published DESC, rowid DESC", truncated=truncated)


def _incident_where(f: Filters, *, include_hidden: bool) -> Where:
    w = Where()
    if not include_hidden and f.status not in HIDDEN:
        w.add(_VISIBLE)
    if f.story_id:
        w.add(
            "id IN (SELECT ia.incident_id FROM incident_articles ia JOIN story_articles sa "
            "ON sa.article_id = ia.article_id WHERE sa.story_id = ?)",
            f.story_id,
        )
    if f.article_id:
        w.add(
            "id IN (SELECT incident_id FROM incident_articles WHERE article_id = ?)", f.article_id
        )
    if f.actor:
        ids, names = actor_terms(f.actor)
        id_list, name_list = json.dumps(sorted(ids)), json.dumps(sorted(names))
        w.add(
            "(actor1_id IN (SELECT value FROM json_each(?)) OR actor2_id IN (SELECT value FROM "
            "json_each(?)) OR lower(actor1) IN (SELECT value FROM json_each(?)) OR "
            "lower(actor2) IN (SELECT value FROM json_each(?)))",
            id_list, id_list, name_list, name_list,
        )  # fmt: skip
    if f.status:
        w.add("status = ?", f.status)
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


@cache
def actor_registry() -> ActorRegistry:
    """The shipped registry with the user's (`$NEWSDESK_ACTORS`), read once per process."""
    return ActorRegistry.load()


def _names_of(actor_id: str) -> set[str]:
    actor = actor_registry().get(actor_id)
    if actor is None:
        return set()
    return {normalise(n).lower() for n in (actor.name, *actor.aliases, *actor.exact)}


@cache
def _alias_table() -> dict[str, str]:
    """Every name, alias and id of the registry's actors, lowercased, to the actor's id."""
    table: dict[str, str] = {}
    for actor in actor_registry().actors.values():
        for name in (actor.id, actor.name, *actor.aliases, *actor.exact):
            table.setdefault(normalise(name).lower(), actor.id)
    return table


def actor_terms(actor: str) -> tuple[set[str], set[str]]:
    """What an actor filter matches: actor ids, and lowercased names as coded on incidents.

    Any name the registry knows for an actor finds it, whatever its case ("ISIS", "Daesh",
    "islamic state"): its id and all its names are matched. An unknown name still matches
    itself, case-insensitively.
    """
    text = normalise(actor).strip()
    key = text.lower()
    found = actor_registry().match(text)
    actor_id = found.id if found else _alias_table().get(key)
    ids, names = {text}, {key}
    if actor_id:
        ids.add(actor_id)
        names |= _names_of(actor_id)
    return ids, names


def actor_suggestions(
    conn: sqlite3.Connection, actor: str, *, limit: int = 5
) -> list[dict[str, str]]:
    """Actors of listed incidents named most like a filter that matched nothing, by any of
    their registry names: `actor` is the value to filter by, `matched` the name that was
    close. The actor the filter already denotes is not suggested again."""
    asked, _ = actor_terms(actor)
    pool: dict[str, tuple[str, str]] = {}  # lowercased name -> (filter value, shown name)
    rows = conn.execute(
        f"SELECT actor1_id, actor1 FROM incidents WHERE {_VISIBLE} UNION "
        f"SELECT actor2_id, actor2 FROM incidents WHERE {_VISIBLE} LIMIT 5000"
    )
    for actor_id, name in rows:
        if not name or actor_id in asked:
            continue
        value = actor_id or name
        pool.setdefault(name.lower(), (value, name))
        for alias in _names_of(actor_id) if actor_id else ():
            pool.setdefault(alias, (value, name))
    out: list[dict[str, str]] = []
    for alias in difflib.get_close_matches(normalise(actor).lower(), list(pool), n=limit * 4,
                                           cutoff=0.5):  # fmt: skip
        value, name = pool[alias]
        if all(s["actor"] != value for s in out):
            out.append({"actor": value, "name": name, "matched": alias})
    return out[:limit]


def stored_actor(conn: sqlite3.Connection, actor_id: str) -> bool:
    """Whether an actor id occurs in the store (a registry file the desk was not given)."""
    found = conn.execute(
        "SELECT 1 FROM actors WHERE actor_id = ? UNION ALL SELECT 1 FROM incidents "
        "WHERE actor1_id = ? OR actor2_id = ? LIMIT 1",
        (actor_id, actor_id, actor_id),
    ).fetchone()
    return found is not None


def incidents(f: Filters, *, include_hidden: bool = False) -> Listing:
    """Incident dicts with reviews applied, latest event first; `actor` is any name or id of
    an actor on either side (see `actor_terms`), `status` a review status. Rejected and
    merged incidents only with `include_hidden` or when `status` asks for them.

    Column filters are answered from the narrow `incidents_browse` index, named
    explicitly: left alone, SQLite picks the index of one equality filter and reads every
    candidate row (JSON included) to check the others. A story or article filter names a
    few incidents by id, which is cheaper than any index scan.
    """
    index = "" if f.story_id or f.article_id else "incidents_browse"
    where = _incident_where(f, include_hidden=include_hidden)
    return Listing("data", "incidents", where, "event_date DESC, rowid DESC", index=index)


def incidents_oldest_first(
    conn: sqlite3.Connection, f: Filters, *, cap: int
) -> list[dict[str, Any]]:
    """Every listed incident the filters select (not one page), oldest first, up to `cap`."""
    w = _incident_where(f, include_hidden=False)
    rows = conn.execute(
        f"SELECT data FROM incidents{w.sql()} ORDER BY event_date, id LIMIT ?", [*w.args, cap]
    )
    return [_data(r) for r in rows]


def incidents_of_articles(conn: sqlite3.Connection, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The listed incidents reported by any of the given articles, in the listing's order."""
    found: dict[str, tuple[str, int, dict[str, Any]]] = {}
    for start in range(0, len(ids), 500):
        part = list(ids[start : start + 500])
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT id, event_date, rowid, data FROM incidents WHERE {_VISIBLE} AND id IN "
            f"(SELECT incident_id FROM incident_articles WHERE article_id IN ({marks}))",
            part,
        )
        for iid, date, rowid, data in rows:
            found[iid] = (date or "", rowid, json.loads(data))
    ordered = sorted(found.values(), key=lambda r: (r[0], r[1]), reverse=True)
    return [r[2] for r in ordered]


def records(table: str, columns: dict[str, Any]) -> Listing:
    """Per-article records (`claims`, `places`, `actors`, `quotes`) whose columns equal the
    given values (None: any), in article order."""
    w = Where()
    for column, value in columns.items():
        if value:
            w.add(f"{column} = ?", value)
    return Listing("data", table, w, "article_id, pos")


def search(conn: sqlite3.Connection, q: str, *, limit: int, candidates: int | None = None) -> Page:
    """Story titles, then report titles and texts, best first (FTS5's rank).

    With `candidates`, ranking is done among that many of the most recent matches of each
    table: ranking every match of a common word reads its whole posting list and scores
    each document, which is what made search slow on large stores.
    """
    match = fts_query(q)
    if not match:
        return Page([], 0)
    title_floor, cut_titles = _recent_floor(conn, "stories_fts", match, candidates)
    text_floor, cut_texts = _recent_floor(conn, "articles_fts", match, candidates)
    hits = [
        {"kind": "story", "id": r[0], "title": r[1], "snippet": r[2]}
        for r in conn.execute(
            "SELECT story_id, title, snippet(stories_fts, 1, '[', ']', '…', 12) "
            "FROM stories_fts WHERE stories_fts MATCH ? AND rowid >= ? ORDER BY rank LIMIT ?",
            (match, title_floor, limit),
        )
    ]
    hits += [
        {"kind": "article", "id": r[0], "title": r[1], "snippet": r[2], "published": r[3],
         "outlet": r[4]}
        for r in conn.execute(
            "SELECT a.id, a.title, snippet(articles_fts, 1, '[', ']', '…', 16), "
            "a.published, a.outlet FROM articles_fts JOIN articles a "
            "ON a.seq = articles_fts.rowid WHERE articles_fts MATCH ? "
            "AND articles_fts.rowid >= ? ORDER BY rank LIMIT ?",
            (match, text_floor, limit),
        )
    ]  # fmt: skip
    hits = hits[:limit]
    return Page(hits, len(hits), matches_truncated=cut_titles or cut_texts)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Row counts of the user-facing tables (incidents: those listed, see `HIDDEN`)."""
    tables = ("articles", "stories", "places", "actors", "claims", "quotes", "runs")
    out = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    out["duplicates"] = conn.execute(
        "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"
    ).fetchone()[0]
    listed = conn.execute(f"SELECT count(*) FROM incidents WHERE {_VISIBLE}")
    out["incidents"] = listed.fetchone()[0]
    out["input_errors"] = conn.execute("SELECT count(*) FROM input_errors").fetchone()[0]
    return out


def last_article(conn: sqlite3.Connection) -> int | None:
    """The insertion rank of the newest stored article: it changes whenever articles do."""
    return conn.execute("SELECT max(seq) FROM articles").fetchone()[0]


def outlets(conn: sqlite3.Connection, *, limit: int = 200) -> list[str]:
    """Outlets by number of stored reports, most first."""
    rows = conn.execute(
        "SELECT outlet FROM articles WHERE outlet IS NOT NULL GROUP BY outlet "
        "ORDER BY count(*) DESC LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows]


def incident_values(conn: sqlite3.Connection, column: str, *, limit: int = 300) -> list[str]:
    """The distinct values of one `incidents_browse` column among listed incidents."""
    rows = conn.execute(
        f"SELECT DISTINCT {column} FROM incidents INDEXED BY incidents_browse "
        f"WHERE {column} IS NOT NULL AND {_VISIBLE} ORDER BY {column} LIMIT ?",
        (limit,),
    )
    return [r[0] for r in rows]


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    """Ids in runs of 500, under SQLite's limit on bound parameters."""
    wanted = list(ids)
    for start in range(0, len(wanted), 500):
        yield wanted[start : start + 500]


def inter_codes(conn: sqlite3.Connection, actor_ids: Iterable[str]) -> dict[str, int | None]:
    """ACLED inter codes of the given actors, as the actor mentions recorded them."""
    out: dict[str, int | None] = {}
    for part in _chunks(sorted(actor_ids)):
        rows = conn.execute(
            "SELECT actor_id, max(json_extract(data, '$.inter')) FROM actors "
            f"WHERE actor_id IN ({','.join('?' * len(part))}) GROUP BY actor_id",
            part,
        )
        out.update({r[0]: r[1] for r in rows})
    return out


def claims_by_id(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in _chunks(ids):
        rows = conn.execute(
            f"SELECT data FROM claims WHERE id IN ({','.join('?' * len(part))})", part
        )
        for r in rows:
            claim = _data(r)
            out[claim["id"]] = claim
    return out


def story(conn: sqlite3.Connection, story_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT data FROM stories WHERE id = ?", (story_id,)).fetchone()
    return None if row is None else _data(row)


def incident(conn: sqlite3.Connection, incident_id: str) -> dict[str, Any] | None:
    """The incident as the desk shows it: the machine's coding with its reviews applied."""
    row = conn.execute("SELECT data FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return None if row is None else _data(row)
