"""Merge the incidents that one story's articles coded separately into one each."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import date, timedelta

from newsdesk.analyse.incidents import fill_location
from newsdesk.link.common import parse_date
from newsdesk.models import ArticleRecords, Incident

_MERGE_KM = 10.0  # incidents this close are the same location


def merge_incidents(records: Sequence[ArticleRecords]) -> list[Incident]:
    """Merge the incidents of one story's articles that describe the same event.

    Same sub-event type, compatible location (same geonameid or within ~10 km), compatible
    dates (overlapping spans or unknown) and compatible actors. The killed and the wounded
    are the final toll: the figure of the latest report, since tolls rise as the wounded
    die and victims are found; reports of the same day keep the lowest, as ACLED does;
    every report's figure stays in the low/high range. When
    everything matches but the perpetrator, the incidents are merged and the competing
    claims of responsibility recorded, so grading can call it contested.
    """
    ordered = sorted(
        ((r, inc) for r in records for inc in r.incidents),
        key=lambda ri: (ri[0].article.published or "9999", ri[0].article.id, ri[1].id),
    )
    merged: list[Incident] = []
    for rec, inc in ordered:
        for target in merged:
            compat = _compatible(target, inc)
            if compat is not None:
                _absorb(target, inc, rec, competing=compat == "competing",
                        later=_later(target, rec))
                break
        else:
            copy = dataclasses.replace(
                inc, article_ids=sorted(set(inc.article_ids) | {rec.article.id}),
                outlets=sorted(set(inc.outlets) | ({rec.article.outlet} - {None})),
                evidence=list(inc.evidence), claim_ids=list(inc.claim_ids),
                tolls=list(inc.tolls),
            )
            for best, low, high in _COUNTS:
                value = getattr(copy, best)
                if value is not None:
                    setattr(copy, low, _min_opt(getattr(copy, low), value))
                    setattr(copy, high, max(getattr(copy, high) or 0, value))
            merged.append(copy)
    return merged


def _compatible(a: Incident, b: Incident) -> str | None:
    if a.sub_event_type != b.sub_event_type:
        return None  # an IED laid by one side is not the air strike of the other
    if not _same_place(a, b) or not _dates_overlap(a, b):
        return None
    a_ids = (a.actor1_id or a.actor1, a.actor2_id or a.actor2)
    b_ids = (b.actor1_id or b.actor1, b.actor2_id or b.actor2)
    swapped = a_ids[0] is not None and a_ids[0] == b_ids[1] and a_ids[1] == b_ids[0]
    if _actors_fit(a_ids, b_ids) or swapped:
        return "same"
    if _fits(a_ids[1], b_ids[1]) and a_ids[0] and b_ids[0]:
        return "competing"
    return None


def _fits(x: str | None, y: str | None) -> bool:
    return x is None or y is None or x == y


def _actors_fit(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
    return _fits(a[0], b[0]) and _fits(a[1], b[1])


def _same_place(a: Incident, b: Incident) -> bool:
    if a.geonameid is not None and a.geonameid == b.geonameid:
        return True
    if None not in (a.lat, a.lon, b.lat, b.lon):
        return _km(a.lat, a.lon, b.lat, b.lon) <= _MERGE_KM  # type: ignore[arg-type]
    return bool(a.location) and (a.location or "").lower() == (b.location or "").lower()


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _span(inc: Incident) -> tuple[date, date] | None:
    start = parse_date(inc.event_date)
    if start is None:
        return None
    prec = inc.date_precision
    if prec == "week":
        return start, start + timedelta(days=6)
    if prec == "month":
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start.replace(day=1), nxt - timedelta(days=1)
    if prec == "year":
        return start.replace(month=1, day=1), start.replace(month=12, day=31)
    if prec in ("range", "unknown"):
        return None
    return start, start


def _dates_overlap(a: Incident, b: Incident) -> bool:
    sa, sb = _span(a), _span(b)
    if sa is None or sb is None:
        return True
    return sa[0] <= sb[1] and sb[0] <= sa[1]


_COUNTS = (("fatalities", "fatalities_low", "fatalities_high"),
           ("injured", "injured_low", "injured_high"))
"""The killed and the wounded: each a best figure with the range the reports give."""
_SPLIT = (("civilians_killed", "fatalities"), ("combatants_killed", "fatalities"),
          ("civilians_injured", "injured"), ("combatants_injured", "injured"))


def _min_opt(a: int | None, b: int | None) -> int | None:
    vals = [v for v in (a, b) if v is not None]
    return min(vals) if vals else None


def _later(target: Incident, rec: ArticleRecords) -> bool:
    """Whether `rec` was published on a later day than every report already in `target`
    (reports come in date order, so the latest date among them is the last one's)."""
    days = [t.published for t in target.tolls if t.published]
    return bool(rec.article.published and days and rec.article.published[:10] > max(days)[:10])


def _absorb(target: Incident, inc: Incident, rec: ArticleRecords, *, competing: bool,
            later: bool = False) -> None:
    target.article_ids = sorted(set(target.article_ids) | set(inc.article_ids) | {rec.article.id})
    outlet = {rec.article.outlet} - {None}
    target.outlets = sorted(set(target.outlets) | set(inc.outlets) | outlet)
    target.evidence.extend(inc.evidence)
    target.claim_ids.extend(c for c in inc.claim_ids if c not in target.claim_ids)
    target.tolls.extend(t for t in inc.tolls if t not in target.tolls)
    for best, low, high in _COUNTS:  # ACLED's conservative figure, the range beside it
        figures = [f for f in (getattr(target, best), getattr(inc, best)) if f is not None]
        lows = [f for f in (getattr(target, low), getattr(inc, low), *figures) if f is not None]
        highs = [f for f in (getattr(target, high), getattr(inc, high), *figures)
                 if f is not None]
        if later and getattr(inc, best) is not None:
            setattr(target, best, getattr(inc, best))  # a later day's toll is the final one
        else:
            setattr(target, best, min(figures) if figures else None)
        setattr(target, low, min(lows) if lows else None)
        setattr(target, high, max(highs) if highs else None)
    for attr, total in _SPLIT:  # conservative like the toll, never more than it
        figures = [f for f in (getattr(target, attr), getattr(inc, attr)) if f is not None]
        cap = getattr(target, total)
        setattr(target, attr, min(min(figures), cap if cap is not None else min(figures))
                if figures else None)
    for attr in ("actor1", "actor2", "actor1_id", "actor2_id", "event_date"):
        if getattr(target, attr) is None and getattr(inc, attr) is not None:
            setattr(target, attr, getattr(inc, attr))
    fill_location(target, inc)
    if competing:
        note = f"competing claim of responsibility: {inc.actor1} (article {rec.article.id})"
        target.notes = f"{target.notes}; {note}" if target.notes else note
    elif inc.notes and inc.notes not in target.notes:
        target.notes = f"{target.notes}; {inc.notes}" if target.notes else inc.notes
