"""The review trail: analysts' decisions on incidents, kept apart from the machine's coding.

Reviews are not results. Each decision is appended to `reviews` with the values it
replaced, keyed by incident id, and an incident's row is always recomputed as the
machine coded it with its reviews replayed on top (`replay`). Re-linking replaces the
machine's incidents and replays the trail over them, so it never loses an analyst's work.

An edit is checked whole before anything is written (`checked_edit`): ACLED's typology
(`typing_model.EVENT_TYPES`, the table the typing model codes with), calendar dates,
coordinates, low <= best <= high, known actor ids; what follows from it (an event type from
its sub-event type, a date's precision, a moved incident's town and region from the
gazetteer) is appended to the trail beside it, each value with why.

The functions here run inside the caller's transaction (`Store.review_incident`,
`Store.save_link`).
"""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import date
from functools import cache
from typing import Any, get_args

import pycountry

import newsdesk.store.queries as queries
from newsdesk.analyse.gazetteer import Gazetteer, name_key
from newsdesk.analyse.typing_model import EVENT_TYPES
from newsdesk.errors import NewsdeskError
from newsdesk.models import Precision
from newsdesk.store.connection import dumps, now

REVIEW_ACTIONS = ("accept", "edit", "reject", "merge")
# What an analyst may correct; ids, sources and the review status itself are not fields
# of judgement (status follows from the actions).
EDITABLE = frozenset(
    {
        "event_date", "date_precision", "event_type", "sub_event_type", "actor1", "actor2",
        "actor1_id", "actor2_id", "location", "country_code", "lat", "lon", "geonameid",
        "location_precision", "admin1", "admin2", "fatalities", "fatalities_low",
        "fatalities_high", "injured", "injured_low", "injured_high", "civilian_targeting",
        "notes", "grade", "grade_reason",
    }
)  # fmt: skip
MOVE_RADIUS_KM = 25.0
"""A moved incident takes the region and GeoNames id of the nearest town within this."""
_EXACT_KM = 5.0  # nearer than this to its town, a point is the town itself (ACLED's geo 1)
_STATUS = {"accept": "accepted", "edit": "edited", "reject": "rejected", "merge": "merged"}
_PRECISIONS = frozenset(get_args(Precision))
_LOCATION_PRECISIONS = frozenset({"exact", "parent", "admin1", "country", "region"})
_GRADES = frozenset({"confirmed", "fair", "weak"})
_COUNTS = ("fatalities", "injured")  # each with _low and _high bounds
_TEXT = {"actor1": 300, "actor2": 300, "location": 300, "admin1": 200, "admin2": 200,
         "notes": 4000, "grade_reason": 2000}  # fmt: skip


class NotFound(NewsdeskError, LookupError):
    """The id names nothing in the store."""


class ReviewError(NewsdeskError, ValueError):
    """A review the trail cannot take: an unknown action or field, no reviewer, no target,
    or values the record cannot hold. `errors` names each offending field."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


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
    entries: list[tuple[str | None, Any, Any, str | None]]
    if action == "edit":
        if not changes:
            raise ReviewError("an edit needs the fields to change")
        unknown = sorted(set(changes) - EDITABLE)
        if unknown:
            raise ReviewError(
                f"cannot edit {', '.join(unknown)}: editable fields are "
                f"{', '.join(sorted(EDITABLE))}",
                [{"field": k, "msg": "not an editable field"} for k in unknown],
            )
        changes, derived = checked_edit(conn, current, changes)
        entries = [(k, current.get(k), v, note) for k, v in sorted(changes.items())]
        entries += [(k, current.get(k), v, why) for k, (v, why) in sorted(derived.items())]
    elif action == "merge":
        if not merge_into or merge_into == incident_id:
            raise ReviewError("a merge needs the id of another incident (merge_into)")
        if _machine(conn, merge_into) is None:
            raise NotFound(f"no incident {merge_into!r} to merge into")
        entries = [("merged_into", current.get("merged_into"), merge_into, note)]
    else:
        entries = [("status", current.get("status"), _STATUS[action], note)]
    at = now()
    conn.executemany(
        "INSERT INTO reviews (incident_id, action, field, old, new, who, at, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (incident_id, action, field, dumps(old), dumps(new), who, at, why)
            for field, old, new, why in entries
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


def checked_edit(
    conn: sqlite3.Connection, current: dict[str, Any], changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, tuple[Any, str]]]:
    """An edit made sound, or `ReviewError` naming every field it cannot take.

    Returns the changes as given (integral floats made ints) and what follows from them,
    each with why: an event type from its sub-event type, a date's precision from the
    date, an actor's name from its id, and a moved incident's place from the gazetteer.
    Nothing is written here, so a refused edit leaves no trace.
    """
    changes = {k: _whole(v) if k.startswith(_COUNTS) else v for k, v in changes.items()}
    errors: list[dict[str, str]] = []

    def bad(field: str, msg: str) -> None:
        errors.append({"field": field, "msg": msg})

    derived: dict[str, tuple[Any, str]] = {}
    for key, value in changes.items():
        problem = _field_problem(conn, key, value)
        if problem:
            bad(key, problem)
    if errors:
        raise _refused(errors)
    after = {**current, **changes}

    # the typology: a sub-event type names its event type; a mismatch is refused
    sub, event = after.get("sub_event_type"), after.get("event_type")
    if "sub_event_type" in changes and "event_type" not in changes and sub:
        if EVENT_TYPES[sub] != event:
            derived["event_type"] = (EVENT_TYPES[sub], f"the event type of {sub!r}")
            event = EVENT_TYPES[sub]
    elif sub and EVENT_TYPES.get(sub) != event:
        subs = ", ".join(k for k, v in EVENT_TYPES.items() if v == event)
        bad("sub_event_type", f"{sub!r} is not a sub-event type of {event!r}: use one of {subs}")

    # dates: a real calendar day, and a precision that says how well it is known
    if "event_date" in changes and "date_precision" not in changes:
        precision = "day" if changes["event_date"] else "unknown"
        if precision != after.get("date_precision"):
            derived["date_precision"] = (precision, "follows the event date set")
    elif after.get("event_date") and after.get("date_precision") == "unknown":
        bad("date_precision", "a dated incident needs a precision other than 'unknown'")
    elif not after.get("event_date") and after.get("date_precision") not in (None, "unknown"):
        bad("date_precision", "an undated incident's precision is 'unknown'")

    # casualty figures: low <= best <= high wherever two of them are known
    for count in _COUNTS:
        names = (f"{count}_low", count, f"{count}_high")
        for lo, hi in ((names[0], names[1]), (names[1], names[2]), (names[0], names[2])):
            a, b = after.get(lo), after.get(hi)
            if a is not None and b is not None and a > b and (lo in changes or hi in changes):
                field = lo if lo in changes else hi
                bad(field, f"{lo} ({a}) is above {hi} ({b}): low <= best <= high")
                break

    # actors: a new id brings its registry name unless the name is given too
    for side in ("actor1", "actor2"):
        actor_id = changes.get(f"{side}_id")
        if actor_id and side not in changes:
            actor = queries.actor_registry().get(actor_id)
            if actor is not None and actor.name != current.get(side):
                derived[side] = (actor.name, f"the registry's name of {actor_id!r}")

    if ("lat" in changes) != ("lon" in changes) and None in (after.get("lat"), after.get("lon")):
        bad("lon" if "lat" in changes else "lat", "latitude and longitude go together")
    if errors:
        raise _refused(errors)
    moved = any(k in changes and changes[k] != current.get(k) for k in ("lat", "lon"))
    if moved:
        derived.update(_placed(current, changes))
    elif {"country_code", "geonameid"} & set(changes) and "admin1" not in changes:
        # the old region does not follow another place
        derived["admin1"] = (None, "the region of the old place, cleared")
    derived = {k: v for k, v in derived.items() if v[0] != current.get(k)}
    return changes, derived


def _refused(errors: list[dict[str, str]]) -> ReviewError:
    return ReviewError("; ".join(f"{e['field']}: {e['msg']}" for e in errors), errors)


def _whole(value: Any) -> Any:
    """JSON clients send 12.0 for 12; a count is whole, so 12.5 stays and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _field_problem(conn: sqlite3.Connection, key: str, value: Any) -> str | None:
    """What is wrong with one edited value on its own, or None."""
    if key in ("event_type", "sub_event_type"):
        known = sorted(set(EVENT_TYPES.values())) if key == "event_type" else list(EVENT_TYPES)
        return None if value in known else f"{value!r} is not one of ACLED's: {', '.join(known)}"
    if value is None:
        return None
    if key == "event_date":
        try:
            ok = isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value))
        except ValueError:
            ok = False
        return None if ok else f"{value!r} is not a calendar date (YYYY-MM-DD)"
    if key == "date_precision":
        return None if value in _PRECISIONS else f"use one of {', '.join(sorted(_PRECISIONS))}"
    if key in ("lat", "lon"):
        limit = 90 if key == "lat" else 180
        if not _number(value) or not -limit <= value <= limit:
            return f"{value!r} is not a number between -{limit} and {limit}"
        return None
    if key.startswith(_COUNTS):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"{value!r} is not a whole number >= 0"
        return None
    if key in ("actor1_id", "actor2_id"):
        if value in queries.actor_registry().actors or queries.stored_actor(conn, value):
            return None
        return f"{value!r} is no actor id of the registry or the store"
    if key == "country_code":
        if isinstance(value, str) and len(value) == 2 and pycountry.countries.get(alpha_2=value):
            return None if value.isupper() else f"{value!r}: write the code in capitals"
        return f"{value!r} is not an ISO 3166-1 alpha-2 country code"
    if key == "geonameid":
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return None if ok else f"{value!r} is not a GeoNames id"
    if key == "location_precision":
        known = sorted(_LOCATION_PRECISIONS)
        return None if value in known else f"use one of {', '.join(known)}"
    if key == "civilian_targeting":
        return None if isinstance(value, bool) else "true, false or null"
    if key == "grade":
        return None if value in _GRADES else f"use one of {', '.join(sorted(_GRADES))}"
    if not isinstance(value, str):
        return "text or null"
    if len(value) > _TEXT[key]:
        return f"longer than {_TEXT[key]} characters"
    return None


@cache
def _gazetteer() -> Gazetteer:
    return Gazetteer.open()


def _placed(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """The place fields a moved incident takes from the gazetteer, each with why.

    What the reviewer gave wins; the rest is the nearest town's (within `MOVE_RADIUS_KM`)
    or, when there is none, cleared: a region or id that belonged to the old point is
    worse than none.
    """
    lat, lon = changes.get("lat", current.get("lat")), changes.get("lon", current.get("lon"))
    near = None
    if lat is not None and lon is not None:
        near = _gazetteer().nearest(lat, lon, max_km=MOVE_RADIUS_KM)
    out: dict[str, tuple[Any, str]]
    if near is None:
        why = (
            "coordinates removed: cleared"
            if lat is None or lon is None
            else f"moved to ({lat}, {lon}), no town within {MOVE_RADIUS_KM:g} km: cleared"
        )
        out = dict.fromkeys(("geonameid", "admin1", "admin2", "location_precision"), (None, why))
        if lat is not None:
            out.update({k: (None, why) for k in ("country_code", "location", "region")
                        if current.get(k) is not None})  # fmt: skip
    else:
        place, km = near
        why = f"moved to ({lat}, {lon}): {km:.1f} km from {place.name} (GeoNames {place.geonameid})"
        region = _gazetteer().region(place.country_code, place.admin1) if place.admin1 else None
        named = changes.get("location")
        other = named is not None and name_key(named) != name_key(place.name)  # another spelling?
        out = {
            "location": (place.name, why),
            "country_code": (place.country_code, why),
            "admin1": (region.name if region else None, why),
            "admin2": (None, why + "; the gazetteer has no district for it"),
            "geonameid": (None if other else place.geonameid, why),
            "location_precision": ("exact" if km <= _EXACT_KM else "parent", why),
        }
        if place.country_code != current.get("country_code") and current.get("region"):
            out["region"] = (None, why + "; another country")
    return {k: v for k, v in out.items() if k not in changes}
