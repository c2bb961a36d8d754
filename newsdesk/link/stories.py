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

Words alone merge look-alike events (two shootings in one city, told alike) and split
reports told differently, so what the per-article stage pinned down about each report's
incidents, its town, its day and its toll, the streets it names, the ages and names of
the people it names, and the years an undated report's lead names (`_Facts`), move the text
similarity up or down. The people a report names by full name also carry a story past its
time window: an arrest or a trial months later that names the person of an old story, in
its town, is that story's follow-up.

Each story's incidents are merged (`incidents`), graded (`grades`) and its figures
grouped (`claim_groups`) as the story is assembled.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from newsdesk.link.claim_groups import group_claims
from newsdesk.link.common import STOP_WORDS, parse_date, unit_order
from newsdesk.link.grades import grade_incident
from newsdesk.link.incidents import merge_incidents
from newsdesk.models import ArticleRecords, Incident, Story, on_ground

# Calibrated together on the ECB+, GVA and BASIL dev halves (bench/stories.py): an event
# needs close wording within days; a campaign thread needs looser wording over weeks.
EVENT_THRESHOLD = 0.30
EVENT_WINDOW_DAYS = 7
THREAD_THRESHOLD = 0.22
THREAD_WINDOW_DAYS = 45

# What each fact of the incidents (`_Facts`) does to the text similarity: (added when two
# reports agree on it, taken away when they clearly differ). The same town is weak
# evidence (a city's shootings share it), towns far apart strong; the same incident day
# is evidence both ways. Events weigh towns. Campaign threads do not: a campaign spans
# towns (Raqqa and Tabqa, Mosul) and weighing them split the 200-report Raqqa batch
# (tests/publish/test_batch.py), even when only towns over 500 km apart counted (Stop
# 24). Killed figures are not weighed: reports of one incident often differ (early
# counts, later deaths), and weighing them cost more recall on ECB+, GVA and BASIL than
# it bought precision (bench/RESULTS.md, Stop 23). The ages of the people a report names ("a
# 23-year-old man", "Antonio Mason, 35,") tell look-alike shootings apart and join reports
# of one told in other words: an age in common is weak evidence (many victims are 17 or
# 22), none in common stronger. Both levels weigh ages and days (Stop 24). The same toll of
# TOLL_VICTIMS or more killed and wounded ("six shot, one dead") joins reports of one
# shooting told in other words; a single death is the commonest toll and identifies nothing,
# and tolls that differ count for nothing, since early and final counts differ (Stop 26).
# Within an event's window, two reports that name the same person by full name ("Richard
# Blumenthal", "Antonio Mason") are likelier one event: outlets word the same news apart
# but name the same people. Only events weigh it; reports that name no one in common may
# still be one event (one names the victim, the other the police spokesman). Campaign
# threads use names only to reach past their window (below), since a thread's events name
# the same officials and a bonus there joined look-alike threads (Stop 26). The street a
# report names ("the 1200 block of North Avenue") is what tells a city's shootings apart
# once their town, day and words agree: the same street joins, streets none in common keep
# apart, at both levels, since threads are where a city's shootings were chained (Stop 27:
# GVA story B3 F1 0.886 -> 0.906, precision 0.894 -> 0.930). A report with no publication
# date has no window to keep it from a look-alike event years earlier; the years its lead
# names (`_lead_years`) stand in, at the event level: a year in common joins, none in common
# keeps apart (Stop 28: ECB+ event B3 F1 0.855 -> 0.862, on both held-out halves). Threads
# do not weigh it: a campaign's events are told in different years' terms.
#
# A campaign thread ends THREAD_WINDOW_DAYS after its last report, but a report that names
# the same person as an old thread, in the same town, is that story's follow-up (the
# arrest, the trial, the sentence) whatever the gap. Only names in at most
# PERSON_STORIES threads identify anyone (Stop 25).
PERSON_STORIES = 1
FACT_WEIGHTS = {
    "place": (0.0, 0.1), "day": (0.1, 0.1), "age": (0.05, 0.1), "toll": (0.05, 0.0),
    "person": (0.1, 0.0), "street": (0.1, 0.1), "year": (0.1, 0.1),
}
LEAD_CHARS = 600  # how much of an undated report's text is its lead, for the year it names
THREAD_FACTS = ("day", "age", "toll", "street")
TOLL_VICTIMS = 3
NEAR_KM = 10.0  # towns this close are one place named two ways (a suburb and its city)
FAR_KM = 50.0  # towns farther apart are different places
DAYS_APART = 2  # incident days farther apart are different days, whatever "Friday" meant
_FACTS_KEPT = 8  # each fact's items kept per cluster, so comparing stays bounded

_INDEX_KEYS = 12  # features per unit put in / looked up in the inverted index
_POSTING_RECENT = 48  # most recent clusters considered per posting list
_VECTOR_SIZE = 120  # features kept per article vector and per cluster centroid
_ENTITY_WEIGHT = 2.0  # a shared place or actor id counts for more than a shared word

_OPEN_WATER = frozenset({"sea", "gulf", "bay", "strait", "channel", "sound"})
"""Gazetteer features of open water. Unrelated news happens on the same sea (a quake, a
piracy, a naval drill in the Indian Ocean), so a sea's id is no sign of one story; its
name still counts as a word. Seas had no ids before stop 26's index: giving them ids
made them count and took ECB+ story B3 F1 from 0.891 to 0.874 (bench/RESULTS.md)."""
_T = TypeVar("_T")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{2,}")
_SENTENCE_END = re.compile(r"[.!?:\n\"“”]\s*$")
# An age as news gives it: "a 23-year-old man", "Antonio Mason, 35, died", "aged 71". The
# spaces around hyphens and commas are optional: ECB+ keeps its tokeniser's ("35 - year").
# The lookahead is the first character every branch needs: it spares trying all three at
# every position of the text (a third less time, the same matches).
_AGE = re.compile(
    r"(?=[\d ,a])(?:\b(\d{1,2}) ?- ?years? ?- ?old\b|(?<=[a-z]) ?, (\d{1,2}) ?, "
    r"|\baged (\d{1,2})\b)"
)
# A street as local news names it: "the 1200 block of North Avenue", "on Northwest 4th
# Place", "near W. Evelyn Ave.". One to four capitalised words or ordinals before a street
# suffix; the direction and the suffix's spelling are dropped when comparing ("W. Evelyn
# Ave." is "Evelyn Avenue"). Courts are no streets ("Superior Court"), nor is a highway
# patrol.
_STREET_SUFFIXES = {
    "street": "st", "st": "st", "avenue": "ave", "ave": "ave", "road": "rd", "rd": "rd",
    "boulevard": "blvd", "blvd": "blvd", "drive": "dr", "dr": "dr", "lane": "ln", "ln": "ln",
    "place": "pl", "pl": "pl", "way": "way", "parkway": "pkwy", "pkwy": "pkwy", "terrace": "ter",
    "circle": "cir", "trail": "trl", "pike": "pike", "highway": "hwy", "hwy": "hwy",
}
_DIRECTIONS = frozenset({
    "n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east", "west", "northeast",
    "northwest", "southeast", "southwest",
})
_STREET_WORD = r"(?:[A-Z][a-zA-Z'-]+|\d+(?:st|nd|rd|th))"
_STREET_SUFFIX = "|".join(sorted((k.title() for k in _STREET_SUFFIXES), key=len, reverse=True))
_STREET = re.compile(  # the lookahead as `_AGE`'s: a capital or a digit starts every match
    rf"(?=[A-Z\d])\b((?:[NSEW]\. )?{_STREET_WORD}(?: {_STREET_WORD}){{0,3}}) "
    rf"({_STREET_SUFFIX})\b(?! Patrol)"
)
# A run of capitalised words; one of exactly two (initials aside) is read as a person's
# full name: "Antonio Mason", "Lakeisha M. Hunt". Longer runs are institutions and places
# ("Cook County Sheriff's Office"), and a name this short is rare enough to identify.
_CAPITALISED_RUN = re.compile(
    r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?: (?:[A-Z]\.|[A-Z][a-z]+(?:-[A-Z][a-z]+)?))+"
)
_INITIAL = re.compile(r"[A-Z]\.")
# Words that make a two-word run an office, a place or a calendar day, not a person.
_NOT_A_NAME = frozenset({
    "police", "county", "street", "avenue", "road", "boulevard", "drive", "ave", "st", "blvd",
    "rd", "department", "sheriff", "officer", "officers", "city", "north", "south", "east",
    "west", "new", "saint", "chief", "detective", "sgt", "lt", "capt", "court", "district",
    "attorney", "judge", "mr", "mrs", "ms", "dr", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december", "hospital", "center",
    "medical", "university", "school", "high", "park", "lake", "fort", "mount", "river",
    "news", "channel", "station", "press", "state", "states", "united", "national",
    "american", "crime", "stoppers", "homicide", "unit", "division", "office", "patrol",
    "highway", "post", "times", "tribune", "daily",
})


@dataclass(slots=True)
class LinkResult:
    """Stories, which story each article belongs to, and incidents merged across articles."""

    stories: list[Story]
    story_of: dict[str, str]
    incidents: list[Incident]
    event_of: dict[str, str] = field(default_factory=dict)
    incidents_of: dict[str, list[Incident]] = field(default_factory=dict)
    """Each story's incidents, so publishing can write its brief without merging again."""


DocFreq = tuple[Mapping[str, int], int]
"""Per feature, how many existing events have it in their centroid; and how many events."""


def link(
    records: list[ArticleRecords], *, existing: list[Story] | None = None,
    doc_freq: DocFreq | None = None,
) -> LinkResult:
    """Group articles into events and campaign stories; merge incidents; group claims.

    `existing` stories (with their `signature`) are kept: new articles join them or found
    new stories, and old articles are not compared again. `doc_freq` counts features over
    every stored event, when `existing` is only the part of the store that the new
    articles can reach (`lookup_terms`, `index_terms`), so the weights stay the same.
    """
    existing = existing or []
    by_id = {r.article.id: r for r in records}
    dups = _duplicate_groups(records, by_id)
    units = sorted(
        (r for r in records if not _follows_original(r, by_id, existing)), key=unit_order,
    )
    old_events, old_threads = _restore(existing)
    names: dict[str, str] = {}
    for sig_story in existing:
        names.update(sig_story.signature.get("names", {}))
    vectors = _vectors(units, old_events, names, doc_freq)

    events = _Clusterer(EVENT_THRESHOLD, EVENT_WINDOW_DAYS, names, facts=FACT_WEIGHTS)
    for ev in old_events:
        events.add_cluster(ev)
    for rec in units:
        art = rec.article
        events.place(_Unit(art.id, vectors[art.id], art.published, art.published, [art.id],
                           facts=_facts(rec)))
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

    threads = _Clusterer(THREAD_THRESHOLD, THREAD_WINDOW_DAYS, names, facts=THREAD_FACTS,
                         follow_ups=True)
    for th in old_threads:
        threads.add_cluster(th)
    thread_of_event = {eid: th for th in threads.clusters for eid in th.members}
    for ev in events.clusters:
        if ev.id in thread_of_event:
            continue
        vec = _normalise(ev.centroid)
        threads.place(_Unit(ev.id, vec, ev.first, ev.last, [ev.id], founder=ev.founder,
                            facts=ev.facts))
    return _assemble(records, by_id, dups, events, threads, existing, names)


@dataclass(slots=True)
class _Facts:
    """Where (lat, lon) and on which day what the reports describe happened, and to whom.

    Words cannot tell two shootings in one city apart when they are told alike, nor keep
    two look-alike events reported in the same words apart; the towns, days, streets and the
    ages of the people named can, and so can a toll of several victims, or the years an
    undated report's lead names. Each list holds what some member reported; a toll is
    (killed, wounded), a street as `_streets` keys it.
    """

    where: list[tuple[float, float]] = field(default_factory=list)
    when: list[date] = field(default_factory=list)
    ages: list[int] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    tolls: list[tuple[int, int]] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    def add(self, other: _Facts) -> None:
        self.where.extend(_new(self.where, other.where))
        self.when.extend(_new(self.when, other.when))
        self.ages.extend(_new(self.ages, other.ages))
        self.people.extend(_new(self.people, other.people))
        self.tolls.extend(_new(self.tolls, other.tolls))
        self.streets.extend(_new(self.streets, other.streets))
        self.years.extend(_new(self.years, other.years))

    def same_person_same_town(self, other: _Facts, names: Collection[str]) -> str | None:
        """A person both name (among `names`, those that identify) when both place it in
        one town (within NEAR_KM); else None."""
        shared = [p for p in self.people if p in other.people and p in names]
        if not shared or not self.where or not other.where:
            return None
        if min(_km(a, b) for a in self.where for b in other.where) > NEAR_KM:
            return None
        return shared[0]

    def compare(self, other: _Facts, kinds: Collection[str]) -> tuple[float, list[str]]:
        """What the facts add to the text similarity (FACT_WEIGHTS), and why.

        A fact both sides report agrees when some pair of reports is close (towns within
        NEAR_KM, days at most a day apart, an age, a street, a toll or a person both give) and
        differs when none comes near (towns over FAR_KM apart, days over DAYS_APART apart, no
        age or street in common; tolls and people never differ). A fact only one side reports
        counts for nothing: most reports leave something out.
        """
        verdicts: list[tuple[str, int, str]] = []
        if "place" in kinds and self.where and other.where:
            km = min(_km(a, b) for a in self.where for b in other.where)
            verdicts.append(("place", (km <= NEAR_KM) - (km > FAR_KM), f"{km:.0f} km apart"))
        if "day" in kinds and self.when and other.when:
            days = min(abs((a - b).days) for a in self.when for b in other.when)
            said = "same incident day" if not days else f"incident days {days} apart"
            verdicts.append(("day", (days <= 1) - (days > DAYS_APART), said))
        if "age" in kinds and self.ages and other.ages:
            same = not set(self.ages).isdisjoint(other.ages)
            verdicts.append(("age", 1 if same else -1, "same age named" if same else
                             "no age in common"))
        for kind, mine, theirs, same in (("street", self.streets, other.streets, "same street"),
                                         ("year", self.years, other.years, "same year named")):
            if kind in kinds and mine and theirs:
                shared = next((x for x in mine if x in theirs), None)
                verdicts.append((kind, 1 if shared else -1, f"{same}: {shared}"
                                 if shared else f"no {kind} in common"))
        if "person" in kinds:
            person = next((p for p in self.people if p in other.people), None)
            if person is not None:
                verdicts.append(("person", 1, f"both name {person}"))
        if "toll" in kinds:
            toll = next((t for t in self.tolls if t in other.tolls), None)
            if toll is not None:
                verdicts.append(("toll", 1, f"same toll: {toll[0]} killed, {toll[1]} wounded"))
        score = 0.0
        for kind, sign, _ in verdicts:
            agree, differ = FACT_WEIGHTS[kind]
            score += agree if sign > 0 else -differ if sign < 0 else 0.0
        return score, [said for _, sign, said in verdicts if sign]

    def to_dict(self) -> dict[str, list[Any]]:
        return {"where": [list(w) for w in self.where],
                "when": [d.isoformat() for d in self.when], "ages": list(self.ages),
                "people": list(self.people), "tolls": [list(t) for t in self.tolls],
                "streets": list(self.streets), "years": list(self.years)}

    @classmethod
    def from_dict(cls, d: Mapping[str, list[Any]] | None) -> _Facts:
        d = d or {}
        days = (parse_date(w) for w in d.get("when", []))
        return cls([(w[0], w[1]) for w in d.get("where", [])], [w for w in days if w],
                   [int(a) for a in d.get("ages", [])], list(d.get("people", [])),
                   [(t[0], t[1]) for t in d.get("tolls", [])], list(d.get("streets", [])),
                   [int(y) for y in d.get("years", [])])


@dataclass(slots=True)
class _Unit:
    id: str
    vector: dict[str, float]
    first: str | None
    last: str | None
    members: list[str]
    founder: str | None = None
    facts: _Facts = field(default_factory=_Facts)


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
    facts: _Facts = field(default_factory=_Facts)

    def renorm(self) -> None:
        self.norm = math.sqrt(sum(v * v for v in self.centroid.values())) or 1.0

    def signature(self) -> dict[str, Any]:
        return {
            "id": self.id, "founder": self.founder, "first": self.first, "last": self.last,
            "members": list(self.members),
            "centroid": {k: round(v, 5) for k, v in _top(self.centroid, _VECTOR_SIZE).items()},
            "facts": self.facts.to_dict(),
        }


class _Clusterer:
    """Single-pass clustering with an inverted index over each cluster's top features."""

    def __init__(self, threshold: float, window: int, names: dict[str, str], *,
                 facts: Collection[str], follow_ups: bool = False) -> None:
        self.threshold = threshold
        self.facts = facts
        self.window = window
        self.names = names
        self.clusters: list[_Cluster] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._indexed: list[set[str]] = []
        # follow-ups: the clusters that name each person (PERSON_STORIES + 1 at most: one
        # more says the name is too common to identify anyone)
        self._people: dict[str, list[int]] | None = defaultdict(list) if follow_ups else None

    def add_cluster(self, cluster: _Cluster) -> None:
        cluster.renorm()
        self.clusters.append(cluster)
        self._indexed.append(set())
        self._index(len(self.clusters) - 1)

    def place(self, unit: _Unit) -> _Cluster:
        best, best_score = None, 0.0
        identify = self._identifying(unit.facts.people)
        for ci in self._candidates(unit.vector, identify):
            cluster = self.clusters[ci]
            far = _gap_days(unit.first, unit.last, cluster.first, cluster.last) > self.window
            if far and not unit.facts.same_person_same_town(cluster.facts, identify):
                continue
            score = _cosine(unit.vector, cluster.centroid, cluster.norm)
            score += unit.facts.compare(cluster.facts, self.facts)[0]
            if score > best_score or (score == best_score and best is not None and ci < best):
                best, best_score = ci, score
        if best is not None and best_score >= self.threshold:
            cluster = self.clusters[best]
            cluster.why.append(self._why(unit, cluster))
            cluster.members.extend(unit.members)
            cluster.facts.add(unit.facts)
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
            members=list(unit.members), facts=_Facts(),
        )
        cluster.facts.add(unit.facts)
        self.add_cluster(cluster)
        return cluster

    def _index(self, ci: int) -> None:
        done = self._indexed[ci]
        for key in _top(self.clusters[ci].centroid, _INDEX_KEYS):
            if key not in done:
                done.add(key)
                self._postings[key].append(ci)
        if self._people is not None:
            for person in self.clusters[ci].facts.people:
                named = self._people[person]
                if ci not in named and len(named) <= PERSON_STORIES:
                    named.append(ci)

    def _identifying(self, people: Iterable[str]) -> set[str]:
        """The names that identify someone: named by at most PERSON_STORIES clusters."""
        if self._people is None:
            return set()
        return {p for p in people if len(self._people.get(p, ())) <= PERSON_STORIES}

    def _candidates(self, vector: dict[str, float], people: Iterable[str] = ()) -> list[int]:
        found: set[int] = set()
        for key in _top(vector, _INDEX_KEYS):
            found.update(self._postings.get(key, ())[-_POSTING_RECENT:])
        if self._people is not None:
            for person in people:
                found.update(self._people.get(person, ()))
        return sorted(found)

    def _why(self, unit: _Unit, cluster: _Cluster) -> str:
        shared = [k for k in _top(unit.vector, 40) if k in cluster.centroid and k[:2] != "w:"]
        shown = [self.names.get(k, k[2:]) for k in shared[:6]]
        shown = list(dict.fromkeys(shown))
        gap = _gap_days(unit.first, unit.last, cluster.first, cluster.last)
        days = "dates unknown" if gap < 0 else f"{gap} days apart"
        shares = f"shares {', '.join(shown)}; " if shown else ""
        score = _cosine(unit.vector, cluster.centroid, cluster.norm)
        facts = unit.facts.compare(cluster.facts, self.facts)[1]
        if gap > self.window:
            person = unit.facts.same_person_same_town(
                cluster.facts, self._identifying(unit.facts.people))
            facts.append(f"names the same person: {person}")
        told = "".join(f"; {f}" for f in facts)
        return f"{', '.join(unit.members)}: {shares}text similarity {score:.2f}; {days}{told}"


# --- features -------------------------------------------------------------------------------


def _features(rec: ArticleRecords, names: dict[str, str]) -> Counter[str]:
    """Words, proper names, and resolved place/actor ids of one article, with counts."""
    art = rec.article
    stop = STOP_WORDS
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
    # Every place named tells what a report is about, a demonym too ("Russian strikes" and
    # "strikes by Russia" share Russia), open water aside; only the facts (`_facts`) ask
    # where it happened.
    for p in rec.places:
        if p.geonameid is not None and p.feature not in _OPEN_WATER:
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


def _facts(rec: ArticleRecords) -> _Facts:
    """Where, when and whom, from the article's incidents; the ages of the people it names.

    Only what the records pin down counts: a place resolved to a town (not a country or a
    region), a date to the day, a toll of TOLL_VICTIMS or more. Where the article reports no
    incident in a town, its dateline's town stands in: where it was filed. Ages, names and
    streets are read from the title and text.
    """
    facts = _Facts()
    for inc in rec.incidents:
        toll = (inc.fatalities or 0, inc.injured or 0)
        if sum(toll) >= TOLL_VICTIMS:
            facts.tolls.append(toll)
        if inc.lat is not None and inc.lon is not None and inc.location_precision == "exact":
            facts.where.append((inc.lat, inc.lon))
        day = parse_date(inc.event_date) if inc.date_precision == "day" else None
        if day is not None:
            facts.when.append(day)
    text = f"{rec.article.title or ''}\n{rec.article.text}"
    facts.ages.extend(int(m.group(m.lastindex or 0)) for m in _AGE.finditer(text))
    facts.people.extend(_people(text, {p.text.casefold() for p in rec.places}))
    facts.streets.extend(_streets(text))
    if rec.article.published is None:
        facts.years.extend(_lead_years(rec))
    if not facts.where:
        facts.where.extend((p.lat, p.lon) for p in on_ground(rec.places)
                           if p.dateline and p.lat is not None and p.lon is not None)
    out = _Facts()
    out.add(facts)
    return out


def _lead_years(rec: ArticleRecords) -> list[int]:
    """The years an undated report's lead names: when it says its event happened.

    A report with no publication date has no window and no incident day, so two look-alike
    events of one topic years apart (a player's DUI arrest in 2008, a teammate's in 2009)
    read alike. Its lead (the first LEAD_CHARS of its text) dates the news ("in 2008", "on
    Feb. 1, 2009", "March 2008": resolved to a year or finer by the dates stage); further
    down it recalls the earlier events, so only the lead counts. "Since 1993" says how long,
    not when, and a decade ("the 1990s") is too coarse: both are left out.
    """
    return [int(d.date[:4]) for d in rec.dates
            if d.date and d.start < LEAD_CHARS and d.precision in ("year", "month", "day")
            and d.kind in ("point", "until")]


def _people(text: str, places: Collection[str]) -> list[str]:
    """Full names of people (`_CAPITALISED_RUN`) outside headline-cased lines, less the
    `places` the per-article stage found there (casefolded: "Long Beach")."""
    out = []
    for line in text.splitlines():
        if line.istitle() or line.isupper():
            continue  # a headline capitalises every word: "Four Shot Near Park"
        for m in _CAPITALISED_RUN.finditer(line):
            words = [w for w in m.group().split() if not _INITIAL.fullmatch(w)]
            name = " ".join(words)
            if len(words) == 2 and name.casefold() not in places and not any(
                w.lower() in _NOT_A_NAME or w.lower() in STOP_WORDS for w in words
            ):
                out.append(name)
    return out


def _streets(text: str) -> list[str]:
    """The streets a report names (`_STREET`), as "evelyn ave": lower case, without the
    direction, the suffix abbreviated. Words up to the last stop word ("On Main Street", a
    headline's "Man Shot On Main Street") and directions are dropped from the front, unless
    they are the name ("North Avenue")."""
    out = []
    for m in _STREET.finditer(text):
        words = [w.rstrip(".").lower() for w in m.group(1).split()]
        # a headline capitalises every word: "Man Shot On Main Street" is Main Street
        words = words[max((i + 1 for i, w in enumerate(words[:-1]) if w in STOP_WORDS),
                          default=0):]
        while len(words) > 1 and words[0] in _DIRECTIONS:
            words = words[1:]
        if words[0] not in STOP_WORDS:
            out.append(f"{' '.join(words)} {_STREET_SUFFIXES[m.group(2).lower()]}")
    return out


def _new(mine: list[_T], theirs: list[_T]) -> list[_T]:
    """What `theirs` adds to `mine`, up to _FACTS_KEPT in all."""
    new = [x for x in dict.fromkeys(theirs) if x not in mine]
    return new[:max(0, _FACTS_KEPT - len(mine))]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2)
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))


def _vectors(
    units: Sequence[ArticleRecords], old: Sequence[_Cluster], names: dict[str, str],
    doc_freq: DocFreq | None = None,
) -> dict[str, dict[str, float]]:
    """TF-IDF vectors; document frequency over this batch plus each existing event."""
    feats = {r.article.id: _features(r, names) for r in units}
    df: Counter[str] = Counter()
    for c in feats.values():
        df.update(c.keys())
    if doc_freq is None:
        for ev in old:
            df.update(ev.centroid.keys())
        n = len(feats) + len(old)
    else:
        df.update(doc_freq[0])
        n = len(feats) + doc_freq[1]
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


def _gap_days(a0: str | None, a1: str | None, b0: str | None, b1: str | None) -> int:
    """Days between two spans; -1 when either is undated (unknown dates never block)."""
    sa, ea, sb, eb = parse_date(a0), parse_date(a1), parse_date(b0), parse_date(b1)
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
                old=True, facts=_Facts.from_dict(ev.get("facts")),
            ))
            ev_ids.append(ev["id"])
        if "centroid" in sig:
            threads.append(_Cluster(
                id=story.id, founder=sig["founder"], centroid=dict(sig["centroid"]),
                first=story.first_published, last=story.last_published, members=ev_ids,
                why=list(story.why), old=True, facts=_Facts.from_dict(sig.get("facts")),
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
        story = Story(
            id=sid, title=title, article_ids=article_ids, outlets=outlets,
            first_published=min(dates, default=None), last_published=max(dates, default=None),
            why=why, events=event_rows,
        )
        story_incidents = story_results(story, members)
        all_incidents.extend(story_incidents)
        incidents_of[sid] = story_incidents
        key_names = {k: names[k] for k in _top(th.centroid, 40) if k in names}
        story.signature = {
            "founder": th.founder,
            "centroid": {k: round(v, 5) for k, v in _top(th.centroid, _VECTOR_SIZE).items()},
            "events": [e.signature() for e in evs],
            "names": key_names,
            "facts": th.facts.to_dict(),
        }
        stories.append(story)
    stories.sort(key=lambda s: (s.first_published or "9999", s.id))
    return LinkResult(stories=stories, story_of=story_of, incidents=all_incidents,
                      event_of=event_of, incidents_of=incidents_of)


def story_results(story: Story, members: Sequence[ArticleRecords]) -> list[Incident]:
    """Set the story's claim groups from its member articles; return its merged, graded incidents.

    `link` only sees the articles it is given; a caller that joined new articles to a
    stored story runs this again over all of the story's articles.
    """
    incidents = merge_incidents(members)
    by_article = {r.article.id: r for r in members}
    for inc in incidents:
        grade_incident(inc, by_article)
    story.claim_groups = group_claims(members)
    return incidents


EVENTS_TERM = "#events"
"""The row of `story_terms` that counts the story's events (no feature starts with '#')."""
PERSON_TERM = "#person:"
"""Rows of `story_terms` for the people a story's thread names: a follow-up months later
reaches the story through them, as a full link's person index would."""
POSTING_RECENT = _POSTING_RECENT
"""A new article is compared with at most this many of the latest clusters per feature."""


@dataclass(slots=True, frozen=True)
class StoryTerm:
    """One feature of a stored story, as incremental linking needs it."""

    events: int  # events whose centroid has the feature: the story's part of `DocFreq`
    indexed_events: int  # events indexed under it when restored
    indexed_thread: bool  # whether the story's thread is indexed under it


def story_terms(story: Story) -> dict[str, StoryTerm]:
    """What the store keeps per feature of a story so later runs load only what they reach.

    Restored, a story's thread and events are indexed under their strongest features
    (`_INDEX_KEYS` each), and a new article is compared only with the latest
    `POSTING_RECENT` clusters indexed under its own strongest features.
    """
    sig = story.signature
    events = sig.get("events", [])
    counts: Counter[str] = Counter()
    indexed: Counter[str] = Counter()
    for ev in events:
        counts.update(ev["centroid"].keys())
        indexed.update(_top(ev["centroid"], _INDEX_KEYS).keys())
    thread = set(_top(sig.get("centroid", {}), _INDEX_KEYS))
    terms = {
        k: StoryTerm(counts[k], indexed[k], k in thread)
        for k in counts.keys() | indexed.keys() | thread
    }
    terms[EVENTS_TERM] = StoryTerm(len(events), 0, False)
    for person in sig.get("facts", {}).get("people", []):
        terms[PERSON_TERM + person] = StoryTerm(0, 0, True)
    return terms


def batch_features(records: Sequence[ArticleRecords]) -> set[str]:
    """Every feature of the given articles, to fetch their document frequencies."""
    return {k for r in records for k in _features(r, {})}


def lookup_terms(records: Sequence[ArticleRecords], doc_freq: DocFreq) -> set[str]:
    """The features new articles look up when `link` places them into events.

    Copies follow their original and look nothing up; the vectors are the ones `link`
    computes, since `doc_freq` stands for the whole store.
    """
    units = [r for r in records if r.article.duplicate_of in (None, r.article.id)]
    vectors = _vectors(units, [], {}, doc_freq)
    people = {PERSON_TERM + p for r in units for p in _facts(r).people}
    return people | {k for vec in vectors.values() for k in _top(vec, _INDEX_KEYS)}


def event_lookup_terms(result: LinkResult, new_ids: set[str]) -> set[str]:
    """The features the events founded by new articles looked up when placed into stories."""
    terms: set[str] = set()
    for story in result.stories:
        for ev in story.signature.get("events", []):
            if ev["founder"] in new_ids:
                terms.update(_top(ev["centroid"], _INDEX_KEYS))
                terms.update(PERSON_TERM + p for p in ev.get("facts", {}).get("people", []))
    return terms


def _title(rec: ArticleRecords | None) -> str:
    if rec is None:
        return ""
    if rec.article.title:
        return rec.article.title.strip()
    first = rec.article.text.strip().split("\n", 1)[0]
    return first[:117] + "..." if len(first) > 120 else first
