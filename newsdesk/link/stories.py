"""Link articles across outlets and days: stories, merged incidents, claim groups, grades.

Two levels of grouping, because conflict reporting has both:

* an **event** is what several outlets report the same day or week (the wall of Raqqa's
  Old City breached on 3-4 July 2017, told by AFP and by Middle East Eye);
* a **story** threads the events of one longer campaign (the months-long battle for
  Raqqa). `Story.events` lists its events; `Story.article_ids` all their articles.

Both levels use the same single-pass clustering over units sorted by (publication date,
id), so the result does not depend on the order of the input. A unit is compared only with
clusters found through an inverted index of its most distinctive features (places,
actors, proper names, rare words), and only with the most recent clusters of each posting
list within a time window: linking stays near n log n (the sort) instead of all-pairs.
The same state can be rebuilt from `Story.signature`, so new articles join old stories
without relinking the old articles.

Corroboration grades, modelled on civilian-harm monitors' practice (Airwars):

* ``confirmed``  - a party to the conflict accepts responsibility: the actor that carried
  out the incident is itself a source for it (e.g. the coalition reports its own strike),
  or a claimant reports casualties caused by its own side;
* ``fair``       - two or more independent credible sources;
* ``weak``       - a single source;
* ``contested``  - competing claims of responsibility (incompatible perpetrators for the
  same incident) or of the facts (figures for the same quantity, scope and time that
  cannot all be true);
* ``discounted`` - those harmed were combatants, or another party is most likely
  responsible (said in the evidence itself).

Independence: wire copy republished by several outlets counts once (the agency), a
duplicate counts as its original, and the claimant matters: five outlets quoting the same
ministry are one source. Independent sources are therefore the distinct claimants (or the
outlet, when the outlet itself asserts) after wire copies and duplicates are collapsed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from newsdesk.analyse.incidents import fill_location
from newsdesk.models import ArticleRecords, Claim, ClaimGroup, Incident, Story

# Calibrated together on the ECB+, GVA and BASIL dev halves (bench/stories.py): an event
# needs close wording within days; a campaign thread needs looser wording over weeks.
EVENT_THRESHOLD = 0.30
EVENT_WINDOW_DAYS = 7
THREAD_THRESHOLD = 0.22
THREAD_WINDOW_DAYS = 45

_INDEX_KEYS = 12  # features per unit put in / looked up in the inverted index
_POSTING_RECENT = 48  # most recent clusters considered per posting list
_VECTOR_SIZE = 120  # features kept per article vector and per cluster centroid
_ENTITY_WEIGHT = 2.0  # a shared place or actor id counts for more than a shared word
_MERGE_KM = 10.0  # incidents this close are the same location

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{2,}")
_SENTENCE_END = re.compile(r"[.!?:\n\"“”]\s*$")


@dataclass(slots=True)
class LinkResult:
    """Stories, which story each article belongs to, and incidents merged across articles."""

    stories: list[Story]
    story_of: dict[str, str]
    incidents: list[Incident]
    event_of: dict[str, str] = field(default_factory=dict)
    incidents_of: dict[str, list[Incident]] = field(default_factory=dict)
    """Each story's incidents, so publishing can write its brief without merging again."""


def link(records: list[ArticleRecords], *, existing: list[Story] | None = None) -> LinkResult:
    """Group articles into events and campaign stories; merge incidents; group claims.

    `existing` stories (with their `signature`) are kept: new articles join them or found
    new stories, and old articles are not compared again.
    """
    existing = existing or []
    by_id = {r.article.id: r for r in records}
    dups = _duplicate_groups(records, by_id)
    units = sorted(
        (r for r in records if not _follows_original(r, by_id, existing)), key=_unit_order,
    )
    old_events, old_threads = _restore(existing)
    names: dict[str, str] = {}
    for sig_story in existing:
        names.update(sig_story.signature.get("names", {}))
    vectors = _vectors(units, old_events, names)

    events = _Clusterer(EVENT_THRESHOLD, EVENT_WINDOW_DAYS, names)
    for ev in old_events:
        events.add_cluster(ev)
    for rec in units:
        art = rec.article
        events.place(_Unit(art.id, vectors[art.id], art.published, art.published, [art.id]))
    for cluster in events.clusters:
        for aid in list(cluster.members):
            cluster.members.extend(m for m in dups.get(aid, []) if m not in cluster.members)
    # duplicates whose original is in an existing story join that story's event
    old_member_event = {m: c for c in events.clusters for m in c.members}
    for rec in records:
        orig = rec.article.duplicate_of
        if orig and rec.article.id not in old_member_event and orig in old_member_event:
            old_member_event[orig].members.append(rec.article.id)
            old_member_event[rec.article.id] = old_member_event[orig]

    threads = _Clusterer(THREAD_THRESHOLD, THREAD_WINDOW_DAYS, names)
    for th in old_threads:
        threads.add_cluster(th)
    thread_of_event = {eid: th for th in threads.clusters for eid in th.members}
    for ev in events.clusters:
        if ev.id in thread_of_event:
            continue
        vec = _normalise(ev.centroid)
        threads.place(_Unit(ev.id, vec, ev.first, ev.last, [ev.id], founder=ev.founder))
    return _assemble(records, by_id, dups, events, threads, existing, names)


@dataclass(slots=True)
class _Unit:
    id: str
    vector: dict[str, float]
    first: str | None
    last: str | None
    members: list[str]
    founder: str | None = None


@dataclass(slots=True)
class _Cluster:
    id: str
    founder: str
    centroid: dict[str, float]
    first: str | None
    last: str | None
    members: list[str]
    why: list[str] = field(default_factory=list)
    old: bool = False
    norm: float = 0.0

    def renorm(self) -> None:
        self.norm = math.sqrt(sum(v * v for v in self.centroid.values())) or 1.0

    def signature(self) -> dict[str, Any]:
        return {
            "id": self.id, "founder": self.founder, "first": self.first, "last": self.last,
            "members": list(self.members),
            "centroid": {k: round(v, 5) for k, v in _top(self.centroid, _VECTOR_SIZE).items()},
        }


class _Clusterer:
    """Single-pass clustering with an inverted index over each cluster's top features."""

    def __init__(self, threshold: float, window: int, names: dict[str, str]) -> None:
        self.threshold = threshold
        self.window = window
        self.names = names
        self.clusters: list[_Cluster] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._indexed: list[set[str]] = []

    def add_cluster(self, cluster: _Cluster) -> None:
        cluster.renorm()
        self.clusters.append(cluster)
        self._indexed.append(set())
        self._index(len(self.clusters) - 1)

    def place(self, unit: _Unit) -> _Cluster:
        best, best_score = None, 0.0
        for ci in self._candidates(unit.vector):
            cluster = self.clusters[ci]
            if _gap_days(unit.first, unit.last, cluster.first, cluster.last) > self.window:
                continue
            score = _cosine(unit.vector, cluster.centroid, cluster.norm)
            if score > best_score or (score == best_score and best is not None and ci < best):
                best, best_score = ci, score
        if best is not None and best_score >= self.threshold:
            cluster = self.clusters[best]
            cluster.why.append(self._why(unit, cluster, best_score))
            cluster.members.extend(unit.members)
            for k, v in unit.vector.items():
                cluster.centroid[k] = cluster.centroid.get(k, 0.0) + v
            if len(cluster.centroid) > 2 * _VECTOR_SIZE:
                cluster.centroid = _top(cluster.centroid, _VECTOR_SIZE)
            cluster.renorm()
            cluster.first = _min_date(cluster.first, unit.first)
            cluster.last = _max_date(cluster.last, unit.last)
            self._index(best)
            return cluster
        founder = unit.founder or unit.id
        cluster = _Cluster(
            id=unit.id if unit.founder else _make_id("ev", [unit.id]), founder=founder,
            centroid=dict(unit.vector), first=unit.first, last=unit.last,
            members=list(unit.members),
        )
        self.add_cluster(cluster)
        return cluster

    def _index(self, ci: int) -> None:
        done = self._indexed[ci]
        for key in _top(self.clusters[ci].centroid, _INDEX_KEYS):
            if key not in done:
                done.add(key)
                self._postings[key].append(ci)

    def _candidates(self, vector: dict[str, float]) -> list[int]:
        found: set[int] = set()
        for key in _top(vector, _INDEX_KEYS):
            found.update(self._postings.get(key, ())[-_POSTING_RECENT:])
        return sorted(found)

    def _why(self, unit: _Unit, cluster: _Cluster, score: float) -> str:
        shared = [k for k in _top(unit.vector, 40) if k in cluster.centroid and k[:2] != "w:"]
        shown = [self.names.get(k, k[2:]) for k in shared[:6]]
        shown = list(dict.fromkeys(shown))
        gap = _gap_days(unit.first, unit.last, cluster.first, cluster.last)
        days = "dates unknown" if gap < 0 else f"{gap} days apart"
        shares = f"shares {', '.join(shown)}; " if shown else ""
        return f"{', '.join(unit.members)}: {shares}text similarity {score:.2f}; {days}"


# --- features -------------------------------------------------------------------------------


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _features(rec: ArticleRecords, names: dict[str, str]) -> Counter[str]:
    """Words, proper names, and resolved place/actor ids of one article, with counts."""
    art = rec.article
    stop = _STOP
    counts: Counter[str] = Counter()
    text = f"{art.title or ''}\n{art.text}"
    for m in _WORD.finditer(text):
        word = m.group().lower().strip("'-")
        if word in stop or len(word) < 3:
            continue
        counts["w:" + word] += 1
        if m.group()[0].isupper() and m.start() > 0 and not _SENTENCE_END.search(
            text[max(0, m.start() - 3):m.start()]
        ):
            counts["n:" + word] += 1
            names.setdefault("n:" + word, m.group())
    for p in rec.places:
        if p.geonameid is not None:
            key = f"p:{p.geonameid}"
            counts[key] += 1
            names.setdefault(key, p.name or p.text)
    for a in rec.actors:
        key = f"a:{a.actor_id}"
        counts[key] += 1
        names.setdefault(key, a.name)
    for inc in rec.incidents:
        counts[f"i:{inc.event_type}|{inc.geonameid or inc.location}"] += 1
    return counts


def _vectors(
    units: Sequence[ArticleRecords], old: Sequence[_Cluster], names: dict[str, str],
) -> dict[str, dict[str, float]]:
    """TF-IDF vectors; document frequency over this batch plus each existing event."""
    feats = {r.article.id: _features(r, names) for r in units}
    df: Counter[str] = Counter()
    for c in feats.values():
        df.update(c.keys())
    for ev in old:
        df.update(ev.centroid.keys())
    n = len(feats) + len(old)
    out: dict[str, dict[str, float]] = {}
    for aid, counts in feats.items():
        vec = {}
        for k, tf in counts.items():
            w = (1.0 + math.log(tf)) * (math.log((n + 1) / (df[k] + 1)) + 1.0)
            vec[k] = w * (_ENTITY_WEIGHT if k[0] in "pai" else 1.0)
        out[aid] = _normalise(_top(vec, _VECTOR_SIZE))
    return out


def _top(vec: dict[str, float], k: int) -> dict[str, float]:
    if len(vec) <= k:
        return dict(sorted(vec.items(), key=lambda kv: (-kv[1], kv[0])))
    return dict(sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:k])


def _normalise(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {k: v / norm for k, v in vec.items()}


def _cosine(unit: dict[str, float], centroid: dict[str, float], norm: float) -> float:
    if len(unit) > len(centroid):
        return sum(v * unit.get(k, 0.0) for k, v in centroid.items()) / norm
    return sum(v * centroid.get(k, 0.0) for k, v in unit.items()) / norm


# --- dates, ids, order ----------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parse(d: str | None) -> date | None:
    if not d:
        return None
    try:
        return date.fromisoformat(d[:10])
    except ValueError:
        return None


def _gap_days(a0: str | None, a1: str | None, b0: str | None, b1: str | None) -> int:
    """Days between two spans; -1 when either is undated (unknown dates never block)."""
    sa, ea, sb, eb = _parse(a0), _parse(a1), _parse(b0), _parse(b1)
    if sa is None or sb is None:
        return -1
    ea, eb = ea or sa, eb or sb
    if ea < sb:
        return (sb - ea).days
    if eb < sa:
        return (sa - eb).days
    return 0


def _min_date(a: str | None, b: str | None) -> str | None:
    return min((d for d in (a, b) if d), default=None)


def _max_date(a: str | None, b: str | None) -> str | None:
    return max((d for d in (a, b) if d), default=None)


def _make_id(prefix: str, members: Iterable[str]) -> str:
    digest = hashlib.sha1("\n".join(sorted(members)).encode()).hexdigest()[:12]
    return f"{prefix}-{digest}"


def _unit_order(rec: ArticleRecords) -> tuple[bool, str, str]:
    pub = rec.article.published
    return (pub is None, pub or "", rec.article.id)


def _duplicate_groups(
    records: Sequence[ArticleRecords], by_id: dict[str, ArticleRecords],
) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for r in records:
        orig = r.article.duplicate_of
        if orig and orig in by_id and orig != r.article.id:
            groups[orig].append(r.article.id)
    return {k: sorted(v) for k, v in groups.items()}


def _follows_original(
    rec: ArticleRecords, by_id: dict[str, ArticleRecords], existing: Sequence[Story],
) -> bool:
    orig = rec.article.duplicate_of
    if not orig or orig == rec.article.id:
        return False
    return orig in by_id or any(orig in s.article_ids for s in existing)


def _restore(existing: Sequence[Story]) -> tuple[list[_Cluster], list[_Cluster]]:
    events: list[_Cluster] = []
    threads: list[_Cluster] = []
    for story in sorted(existing, key=lambda s: (s.first_published or "", s.id)):
        sig = story.signature
        ev_ids = []
        for ev in sig.get("events", []):
            events.append(_Cluster(
                id=ev["id"], founder=ev["founder"], centroid=dict(ev["centroid"]),
                first=ev.get("first"), last=ev.get("last"), members=list(ev["members"]),
                old=True,
            ))
            ev_ids.append(ev["id"])
        if "centroid" in sig:
            threads.append(_Cluster(
                id=story.id, founder=sig["founder"], centroid=dict(sig["centroid"]),
                first=story.first_published, last=story.last_published, members=ev_ids,
                why=list(story.why), old=True,
            ))
    return events, threads


# --- assembling stories -----------------------------------------------------------------------


def _assemble(
    records: Sequence[ArticleRecords], by_id: dict[str, ArticleRecords],
    dups: dict[str, list[str]], events: _Clusterer,
    threads: _Clusterer, existing: Sequence[Story], names: dict[str, str],
) -> LinkResult:
    old_stories = {s.id: s for s in existing}
    event_by_id = {e.id: e for e in events.clusters}
    stories: list[Story] = []
    story_of: dict[str, str] = {}
    event_of: dict[str, str] = {}
    all_incidents: list[Incident] = []
    incidents_of: dict[str, list[Incident]] = {}
    for th in threads.clusters:
        sid = th.id if th.old else _make_id("st", [th.founder, *dups.get(th.founder, [])])
        evs = [event_by_id[e] for e in th.members if e in event_by_id]
        article_ids = sorted({a for e in evs for a in e.members})
        old = old_stories.get(sid)
        if old is not None:
            article_ids = sorted(set(article_ids) | set(old.article_ids))
        members = [by_id[a] for a in article_ids if a in by_id]
        dates = [r.article.published for r in members if r.article.published]
        if old is not None:
            dates += [d for d in (old.first_published, old.last_published) if d]
        outlets = sorted({r.article.outlet for r in members if r.article.outlet}
                         | set(old.outlets if old else ()))
        founder_rec = by_id.get(th.founder)
        title = old.title if old is not None else _title(founder_rec)
        why = [w for e in evs for w in e.why] + list(th.why)
        event_rows = []
        for e in sorted(evs, key=lambda e: (e.first or "9999", e.id)):
            event_rows.append({
                "id": e.id, "article_ids": sorted(e.members), "first_published": e.first,
                "last_published": e.last, "why": list(e.why),
            })
            for a in e.members:
                event_of[a] = e.id
        for a in article_ids:
            story_of[a] = sid
        story_incidents = merge_incidents(members)
        for inc in story_incidents:
            grade_incident(inc, {r.article.id: r for r in members})
        all_incidents.extend(story_incidents)
        incidents_of[sid] = story_incidents
        story = Story(
            id=sid, title=title, article_ids=article_ids, outlets=outlets,
            first_published=min(dates, default=None), last_published=max(dates, default=None),
            claim_groups=group_claims(members), why=why, events=event_rows,
        )
        key_names = {k: names[k] for k in _top(th.centroid, 40) if k in names}
        story.signature = {
            "founder": th.founder,
            "centroid": {k: round(v, 5) for k, v in _top(th.centroid, _VECTOR_SIZE).items()},
            "events": [e.signature() for e in evs],
            "names": key_names,
        }
        stories.append(story)
    stories.sort(key=lambda s: (s.first_published or "9999", s.id))
    return LinkResult(stories=stories, story_of=story_of, incidents=all_incidents,
                      event_of=event_of, incidents_of=incidents_of)


def _title(rec: ArticleRecords | None) -> str:
    if rec is None:
        return ""
    if rec.article.title:
        return rec.article.title.strip()
    first = rec.article.text.strip().split("\n", 1)[0]
    return first[:117] + "..." if len(first) > 120 else first


# --- independence ------------------------------------------------------------------------------


def source_of(rec: ArticleRecords) -> str:
    """The outlet an article counts as: the wire agency for wire copy, else the outlet."""
    art = rec.article
    return art.wire or art.outlet or art.duplicate_of or art.id


def _claim_source(claim: Claim, rec: ArticleRecords | None) -> str:
    if claim.claimant:
        return "claimant:" + claim.claimant.lower()
    return "outlet:" + (source_of(rec) if rec else claim.article_id)


# --- incidents ---------------------------------------------------------------------------------


def merge_incidents(records: Sequence[ArticleRecords]) -> list[Incident]:
    """Merge the incidents of one story's articles that describe the same event.

    Same sub-event type, compatible location (same geonameid or within ~10 km), compatible
    dates (overlapping spans or unknown) and compatible actors. Fatalities stay
    conservative: the lowest figure across sources, with the spread in low/high. When
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
                _absorb(target, inc, rec, competing=compat == "competing")
                break
        else:
            copy = dataclasses.replace(
                inc, article_ids=sorted(set(inc.article_ids) | {rec.article.id}),
                outlets=sorted(set(inc.outlets) | ({rec.article.outlet} - {None})),
                evidence=list(inc.evidence), claim_ids=list(inc.claim_ids),
            )
            if copy.fatalities is not None:
                copy.fatalities_low = _min_opt(copy.fatalities_low, copy.fatalities)
                copy.fatalities_high = max(copy.fatalities_high or 0, copy.fatalities)
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
    start = _parse(inc.event_date)
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


def _min_opt(a: int | None, b: int | None) -> int | None:
    vals = [v for v in (a, b) if v is not None]
    return min(vals) if vals else None


def _absorb(target: Incident, inc: Incident, rec: ArticleRecords, *, competing: bool) -> None:
    target.article_ids = sorted(set(target.article_ids) | set(inc.article_ids) | {rec.article.id})
    outlet = {rec.article.outlet} - {None}
    target.outlets = sorted(set(target.outlets) | set(inc.outlets) | outlet)
    target.evidence.extend(inc.evidence)
    target.claim_ids.extend(c for c in inc.claim_ids if c not in target.claim_ids)
    figures = [f for f in (target.fatalities, inc.fatalities) if f is not None]
    lows = [f for f in (target.fatalities_low, inc.fatalities_low, *figures) if f is not None]
    highs = [f for f in (target.fatalities_high, inc.fatalities_high, *figures) if f is not None]
    target.fatalities = min(figures) if figures else None
    target.fatalities_low = min(lows) if lows else None
    target.fatalities_high = max(highs) if highs else None
    for attr in ("actor1", "actor2", "actor1_id", "actor2_id", "event_date"):
        if getattr(target, attr) is None and getattr(inc, attr) is not None:
            setattr(target, attr, getattr(inc, attr))
    fill_location(target, inc)
    if competing:
        note = f"competing claim of responsibility: {inc.actor1} (article {rec.article.id})"
        target.notes = f"{target.notes}; {note}" if target.notes else note
    elif inc.notes and inc.notes not in target.notes:
        target.notes = f"{target.notes}; {inc.notes}" if target.notes else inc.notes


_ATTRIBUTION = re.compile(
    r"\b(said|says|stated|statement|announced|confirmed|acknowledged|admitted|reported|"
    r"claimed responsibility|took responsibility|told)\b", re.I,
)
_COMBATANTS = re.compile(
    r"\b(were|all|most) (?:of them )?(?:\w+ )?(fighters|militants|combatants|jihadists|soldiers)\b"
    r"|\bnot civilians\b|\bno civilians\b", re.I,
)
_OTHER_PARTY = re.compile(
    r"\b(another party|other party|was not (?:a |an )?(?:coalition|\w+) strike|"
    r"likely (?:carried out|responsible) by|blamed on)\b", re.I,
)


def grade_incident(inc: Incident, records_by_article: dict[str, ArticleRecords]) -> None:
    """Set `grade`, `grade_reason` and `independent_outlets` on a (merged) incident."""
    recs = [records_by_article[a] for a in inc.article_ids if a in records_by_article]
    outlets = sorted({source_of(r) for r in recs})
    sources = set(outlets)
    claim_index = {c.id: (c, r) for r in recs for c in r.claims}
    for cid in inc.claim_ids:
        if cid in claim_index:
            claim, rec = claim_index[cid]
            sources.discard("outlet:" + source_of(rec))
            sources.add(_claim_source(claim, rec))
    inc.independent_outlets = len(outlets)
    evidence = " ".join(s.text for s in inc.evidence)
    if "competing claim of responsibility" in (inc.notes or ""):
        inc.grade, inc.grade_reason = "contested", "competing claims of responsibility"
    elif re.search(r"civilian", evidence, re.I) and _COMBATANTS.search(evidence):
        inc.grade, inc.grade_reason = "discounted", "the sources say those harmed were combatants"
    elif _OTHER_PARTY.search(evidence):
        inc.grade = "discounted"
        inc.grade_reason = "the sources say another party is most likely responsible"
    elif _party_reports(inc, recs):
        inc.grade = "confirmed"
        inc.grade_reason = f"{inc.actor1}, a party to the incident, reports it itself"
    elif len(sources) >= 2:
        inc.grade = "fair"
        inc.grade_reason = f"{len(sources)} independent sources ({', '.join(outlets)})"
    else:
        inc.grade = "weak"
        inc.grade_reason = f"a single source ({', '.join(outlets) or 'unknown outlet'})"


def _party_reports(inc: Incident, recs: Sequence[ArticleRecords]) -> bool:
    """True when the perpetrator (actor1) is the one attributing the evidence sentence."""
    if not inc.actor1_id and not inc.actor1:
        return False
    for span in inc.evidence:
        if not _ATTRIBUTION.search(span.text):
            continue
        for rec in recs:
            if rec.article.text[span.start:span.end] != span.text:
                continue
            for a in rec.actors:
                if span.start <= a.start < span.end and (
                    a.actor_id == inc.actor1_id or a.name == inc.actor1
                ) and _ATTRIBUTION.search(rec.article.text[a.end:span.end][:80]):
                    return True
    return False


# --- claim groups ------------------------------------------------------------------------------

_APPROX = {"about", "around", "some", "approximately", "roughly", "an estimated", "estimated",
           "or so", "close to", "circa", "almost", "nearly", "more or less", "perhaps"}
_AT_LEAST = {"at least", "more than", "over", "upwards of", "in excess of", "above",
             "no fewer than"}
_AT_MOST = {"up to", "at most", "fewer than", "less than", "under", "as many as", "no more than",
            "below"}
APPROX_TOLERANCE = 0.10  # "about 2,500" covers 2,250-2,750: reporters round to 2 figures
_CUMULATIVE = re.compile(r"kill|dead|death|died|injur|wound|casualt|displac|flee|fled|refugee",
                         re.I)


def group_claims(records: Sequence[ArticleRecords]) -> list[ClaimGroup]:
    """Group a story's claims about the same quantity and say whether they agree."""
    by_article = {r.article.id: r for r in records}
    items = sorted(
        ((c, by_article[c.article_id]) for r in records for c in r.claims
         if c.article_id in by_article and (c.value is not None or c.low is not None
                                            or c.high is not None)),
        key=lambda cr: (-len(_subject_keys(*cr)), _unit_order(cr[1]), cr[0].id),
    )
    buckets: dict[tuple[str, str | None], list[list[tuple[Claim, ArticleRecords]]]] = {}
    for claim, rec in items:
        counted = _norm_counted(claim.counted)
        groups = buckets.setdefault((counted, _base_unit(claim.unit)[0]), [])
        if counted == "distance":  # "50 km north of Raqqa", "90 miles away": from different
            groups.append([(claim, rec)])  # points, so two distances never contest each other
            continue
        keys = _subject_keys(claim, rec)
        for group in groups:
            if all(_subjects_fit(keys, _subject_keys(c, r)) for c, r in group):
                group.append((claim, rec))
                break
        else:
            groups.append([(claim, rec)])
    out = [_claim_group(g) for groups in buckets.values() for g in groups]
    out.sort(key=lambda g: (
        {"contested": 0, "different-scope": 1, "timeline": 2, "agreed": 3}.get(g.status, 4),
        g.counted, g.claims[0],
    ))
    return out


def _norm_counted(counted: str) -> str:
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in re.findall(r"[a-z]+", counted.lower())]
    return " ".join(words)


def _subject_keys(claim: Claim, rec: ArticleRecords) -> frozenset[str]:
    """Subject words, with names resolved to place/actor ids so spellings compare equal."""
    if not claim.subject:
        return frozenset()
    # Claim subjects carry canonical names ("Islamic State in Ar Raqqah"), other
    # articles' subjects may carry the words as written: both resolve to the same ids.
    resolved = {}
    for p in rec.places:
        if p.geonameid:
            for name in (p.text, p.name or ""):
                if name:
                    resolved[name.lower()] = f"p:{p.geonameid}"
    for a in rec.actors:
        resolved[a.text.lower()] = f"a:{a.actor_id}"
        resolved[a.name.lower()] = f"a:{a.actor_id}"
    subject = claim.subject.lower()
    keys = set()
    for text, key in sorted(resolved.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", subject):
            keys.add(key)
            subject = re.sub(rf"(?<!\w){re.escape(text)}(?!\w)", " ", subject)
    keys.update(w for w in re.findall(r"[a-z]{3,}", subject) if w not in _STOP)
    return frozenset(keys)


_VAGUE = frozenset({"city", "town", "village", "area", "region", "province", "country", "district",
                    "northern", "southern", "eastern", "western", "central", "north", "south",
                    "east", "west", "there", "here", "capital"})


def _subjects_fit(a: frozenset[str], b: frozenset[str]) -> bool:
    """Subjects fit unless they name different places or share nothing but vague words."""
    a, b = a - _VAGUE, b - _VAGUE
    if not a or not b:
        return True
    places_a = {k for k in a if k.startswith("p:")}
    places_b = {k for k in b if k.startswith("p:")}
    if places_a and places_b and not places_a & places_b:
        return False
    return bool(a & b)


_BASE_UNITS = {"km": ("m", 1000.0), "mi": ("m", 1609.344), "km2": ("m2", 1e6),
               "mi2": ("m2", 2_589_988.11)}


def _base_unit(unit: str | None) -> tuple[str | None, float]:
    """The unit figures are compared in, and the factor to it: 2.5 km and 2,500 m agree."""
    return _BASE_UNITS.get(unit or "", (unit, 1.0))


def _interval(claim: Claim) -> tuple[float, float]:
    q = (claim.qualifier or "").lower().strip()
    factor = _base_unit(claim.unit)[1]
    lo = claim.low if claim.low is not None else claim.value
    hi = claim.high if claim.high is not None else claim.value
    lo = 0.0 if lo is None else lo * factor
    hi = math.inf if hi is None else hi * factor
    if q in _AT_LEAST:
        return lo, math.inf
    if q in _AT_MOST:
        return 0.0, hi
    if q in _APPROX:
        return lo * (1 - APPROX_TOLERANCE), hi * (1 + APPROX_TOLERANCE)
    return lo, hi


def _scope_key(claim: Claim) -> str | None:
    if claim.date or claim.end_date:
        return f"{claim.date}/{claim.end_date}"
    if claim.scope:
        return " ".join(re.findall(r"\w+", claim.scope.lower()))
    return None


def _claim_group(group: list[tuple[Claim, ArticleRecords]]) -> ClaimGroup:
    group = sorted(group, key=lambda cr: (_unit_order(cr[1]), cr[0].id))
    values = [{
        "claim_id": c.id, "value": c.value, "low": c.low, "high": c.high,
        "qualifier": c.qualifier, "unit": c.unit, "scope": c.scope, "claimant": c.claimant,
        "article_id": c.article_id, "outlet": r.article.outlet, "published": r.article.published,
        "number_text": c.number_text, "sentence": c.sentence,
        "sentence_start": c.sentence_start, "sentence_end": c.sentence_end,
        "confirmed": _self_reported(c, r),
    } for c, r in group]
    sources = sorted({_claim_source(c, r) for c, r in group})
    outlets = sorted({source_of(r) for _, r in group})
    scopes = {k for k in (_scope_key(c) for c, _ in group) if k is not None}
    intervals = [_interval(c) for c, _ in group]
    consistent = max(i[0] for i in intervals) <= min(i[1] for i in intervals)
    first = group[0][0]
    if len(scopes) > 1:
        status, reason = "different-scope", f"the figures cover {len(scopes)} different scopes"
    elif consistent:
        status = "agreed" if len(sources) > 1 else "single-source"
        reason = (f"{len(sources)} independent sources agree" if len(sources) > 1
                  else "one source")
    elif _is_timeline(group, intervals):
        status, reason = "timeline", "the figure rises from one report date to the next"
    else:
        status, reason = "contested", "the figures cannot all hold for the same scope and time"
    if status == "contested":
        grade = "contested"
    elif any(v["confirmed"] for v in values):
        grade, reason = "confirmed", reason + "; a party reports harm caused by its own side"
    else:
        grade = "fair" if len(sources) > 1 else "weak"
    reason += f" ({len(sources)} independent source{'s' if len(sources) != 1 else ''}: " \
              f"{', '.join(s.split(':', 1)[1] for s in sources)})"
    return ClaimGroup(
        counted=first.counted, subject=next((c.subject for c, _ in group if c.subject), None),
        claims=[c.id for c, _ in group], values=values, status=status,  # type: ignore[arg-type]
        independent_outlets=len(outlets), grade=grade, reason=reason,
    )


def _is_timeline(group: list[tuple[Claim, ArticleRecords]], intervals: list[tuple[float, float]],
                 ) -> bool:
    """Cumulative tolls reported on different days that only grow are a timeline."""
    if not all(_CUMULATIVE.search(c.counted) for c, _ in group):
        return False
    days = [r.article.published for _, r in group]
    if None in days or len(set(days)) < 2:
        return False
    ordered = sorted(zip(days, intervals, strict=True), key=lambda di: di[0])
    for (d0, i0), (d1, i1) in itertools.pairwise(ordered):
        if d0 == d1 and not (max(i0[0], i1[0]) <= min(i0[1], i1[1])):
            return False
        if i1[1] < i0[0]:
            return False
    return True


def _self_reported(claim: Claim, rec: ArticleRecords) -> bool:
    """A claimant reporting casualties from its own side's action (the coalition's strikes)."""
    if not claim.claimant_id or claim.category != "casualties":
        return False
    s0, s1 = claim.sentence_start, claim.sentence_end
    return any(
        a.actor_id == claim.claimant_id and s0 <= a.start < s1 and not (
            claim.start <= a.start < claim.end
        ) and rec.article.text[a.start:a.end] != claim.claimant_text
        for a in rec.actors
    )


_STOP = _stop_words()
