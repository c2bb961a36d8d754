"""The review trail: analysts' decisions on incidents, kept apart from the machine's coding.

Reviews are not results. Each decision is appended to `reviews` with the values it
replaced, keyed by incident id, and an incident's row is always recomputed as the
machine coded it with its reviews replayed on top (`replay`). Re-linking replaces the
machine's incidents and replays the trail over them, so it never loses an analyst's work.

The functions here run inside the caller's transaction (`Store.review_incident`,
`Store.save_link`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import newsdesk.store.queries as queries
from newsdesk.errors import NewsdeskError
from newsdesk.models import LOCATION_FIELDS
from newsdesk.store.connection import dumps, now

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


class NotFound(NewsdeskError, LookupError):
    """The id names nothing in the store."""


class ReviewError(NewsdeskError, ValueError):
    """A review the trail cannot take: an unknown action or field, no reviewer, no target."""


def write_incident(
    conn: sqlite3.Connection, effective: dict[str, Any], machine: dict[str, Any]
) -> None:
    """Upsert an incident's row: `effective` (reviews applied) and what the machine said."""
    e = effective
    conn.execute(
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
            e.get("merged_into"), dumps(e), dumps(machine),
        ),
    )  # fmt: skip


def _machine(conn: sqlite3.Connection, incident_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT machine FROM incidents WHERE id = ?", (incident_id,)).fetchone()
    return None if row is None else json.loads(row[0])


def replay(conn: sqlite3.Connection, incident_id: str) -> dict[str, Any]:
    """Recompute an incident as the machine coded it with its reviews applied on top."""
    machine = _machine(conn, incident_id)
    if machine is None:
        raise NotFound(f"no incident {incident_id!r}")
    current = dict(machine)
    current["merged_into"] = None
    for r in conn.execute(
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
    for row in conn.execute(
        "SELECT machine FROM incidents WHERE merged_into = ? ORDER BY id", (incident_id,)
    ):
        other = json.loads(row[0])
        for key in ("article_ids", "outlets"):
            seen = current.get(key) or []
            current[key] = seen + [v for v in other.get(key) or [] if v not in seen]
    write_incident(conn, current, machine)
    return current


def replay_all(conn: sqlite3.Connection) -> None:
    """Replay the trail over freshly written machine incidents: first every reviewed one
    still present, then every merge target, so each gathers its merged incidents' reports."""
    reviewed = [r[0] for r in conn.execute("SELECT DISTINCT incident_id FROM reviews")]
    for incident_id in reviewed:
        if _machine(conn, incident_id) is not None:
            replay(conn, incident_id)
    targets = {r[0] for r in conn.execute("SELECT merged_into FROM incidents")}
    for incident_id in sorted(t for t in targets if t):
        if _machine(conn, incident_id) is not None:
            replay(conn, incident_id)


def review(
    conn: sqlite3.Connection,
    incident_id: str,
    *,
    action: str,
    changes: dict[str, Any] | None,
    who: str,
    merge_into: str | None,
    note: str | None,
) -> dict[str, Any]:
    """Append one decision (with the values it replaces) and return the incident after it."""
    if action not in REVIEW_ACTIONS:
        raise ReviewError(f"unknown review action {action!r}: use one of {REVIEW_ACTIONS}")
    if not who.strip():
        raise ReviewError("a review needs the name of who made it")
    current = queries.incident(conn, incident_id)
    if current is None:
        raise NotFound(f"no incident {incident_id!r}")
    entries: list[tuple[str | None, Any, Any]]
    if action == "edit":
        if not changes:
            raise ReviewError("an edit needs the fields to change")
        unknown = sorted(set(changes) - EDITABLE)
        if unknown:
            raise ReviewError(
                f"cannot edit {', '.join(unknown)}: editable fields are "
                f"{', '.join(sorted(EDITABLE))}"
            )
        if current.get("admin1") and "admin1" not in changes and set(changes) & _PLACE_FIELDS:
            # the old region does not follow an incident moved elsewhere
            changes = {**changes, "admin1": None}
        entries = [(k, current.get(k), v) for k, v in sorted(changes.items())]
    elif action == "merge":
        if not merge_into or merge_into == incident_id:
            raise ReviewError("a merge needs the id of another incident (merge_into)")
        if _machine(conn, merge_into) is None:
            raise NotFound(f"no incident {merge_into!r} to merge into")
        entries = [("merged_into", current.get("merged_into"), merge_into)]
    else:
        entries = [("status", current.get("status"), _STATUS[action])]
    at = now()
    conn.executemany(
        "INSERT INTO reviews (incident_id, action, field, old, new, who, at, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (incident_id, action, field, dumps(old), dumps(new), who, at, note)
            for field, old, new in entries
        ],
    )
    result = replay(conn, incident_id)
    if current.get("merged_into"):
        replay(conn, current["merged_into"])
    if action == "merge" and merge_into is not None:
        replay(conn, merge_into)
    return result


def trail(conn: sqlite3.Connection, incident_id: str) -> list[dict[str, Any]]:
    """An incident's reviews, oldest first, with old and new values decoded."""
    rows = conn.execute(
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
