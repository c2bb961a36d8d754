"""Places named in an article, found and resolved to gazetteer entries offline.

Recognition combines the NER tags with the gazetteer, because the small spaCy model tags
many Syrian and Iraqi towns as ORG or PERSON: a non-place tag is accepted only when the
gazetteer knows the name well and the text reads like a place ("the town of X", "in X",
"X, Syria"). Resolution weighs the evidence an analyst uses: how well the spelling matches,
the article's country focus (countries and demonyms it names), other places resolved in
the same article, admin context ("X, Syria"; "Deir Ezzor province"), feature type and
population. Vague places ("the Old City", "west Mosul") and suburbs the gazetteer lacks
resolve to the place they belong to, with `precision="parent"`; so do other names the
gazetteer lacks, to the town the article's places gather round (kind "place"). Demonyms ("Russian
strikes") are mentions of their own kind, "demonym", resolved to their country; consumers
that locate events skip them (`models.on_ground`). The outlet's home town and country-code
domain count as context, as a local paper names its neighbours bare.

`resolve_mentions` works on plain text and spans, so `bench/geoparsing.py` scores the same
resolver with gold place names.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from newsdesk.analyse.gazetteer import Candidate, Gazetteer, Place, distance_km, normalize_name
from newsdesk.casefold import case_blind, folded_pattern, word_spans
from newsdesk.ingest.metadata import outlet_home, url_host
from newsdesk.models import Article, PlaceMention

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

# Words that make a name a region (prefer admin-1) or a settlement (prefer a city).
_REGION_WORDS = {"province", "governorate", "state", "region", "oblast", "county",
                 "prefecture", "district", "department", "territory", "parish", "borough"}
_ADMIN2_WORDS = {"county", "parish", "borough"}
_SETTLEMENT_WORDS = {"city", "town", "village", "suburb", "district", "neighbourhood",
                     "neighborhood", "quarter", "camp"}
# Cue words before a name that mean "this is a small place inside the one named nearby".
_INNER_CUES = re.compile(
    r"\b(suburbs?|neighbou?rhoods?|distric?ts?|quarters?|outskirts|areas?)\s+(of\s+)?$", re.I)
_PLACE_CUES = re.compile(
    r"(\b(in|near|outside|at|from|into|to|towards?|around|across|north|south|east|"
    r"west|reach|entered|captured|seized|retook|besieged)|\b(city|town|village|province|"
    r"governorate|region|suburb|neighbou?rhood|district|area|capital)\s+of)\s+(the\s+)?$",
    re.I)
_PLACE_CUES_BLIND = folded_pattern(_PLACE_CUES)
"""`_PLACE_CUES` for `_cued`: searched in the 30 characters before each of some 13,000
names over the 200 GeoWebNews texts, it tried each `\b`-led alternative at every one of
them, case-blind (0.084 CPU s); lower-cased over the folded slice, 0.031."""
_DIRECTIONS = (r"(north|south|east|west|central|northern|southern|eastern|western|"
               r"north-?eastern|north-?western|south-?eastern|south-?western|northeast|"
               r"northwest|southeast|southwest)")
_DIRECTION_BEFORE = re.compile(_DIRECTIONS + r"\s+$", re.I)
_VAGUE = re.compile(
    r"\b(?:the\s+)?(old\s+city|city\s+cent(?:re|er)|old\s+town|downtown|outskirts|"
    r"countryside|suburbs|inner\s+city|old\s+quarter)\b", re.I)
# A comma and a capital after a name: "Tabqa, Syria".
_COMMA_CAPITAL = re.compile(r",\s*[A-Z]")
# A title before a name makes it a person's ("Governor Denver", "Sheikh Hamdan").
_TITLE_BEFORE = re.compile(
    r"\b(?:President|Premier|Mr|Mrs|Ms|Dr|Sen|Senator|Rep|Gov|Governor|Gen|General|Col|"
    r"Colonel|Sheikh|King|Queen|Prince|Princess|Pope|Imam|Minister|Chancellor|Judge|"
    r"Coach|Captain|Capt|Sgt|Lt)\.?\s+$")
# Capitalised words that are very often not places when a sentence starts with them.
_COMMON = frozenset(
    [
        "most", "of", "many", "mobile", "reading", "may", "march", "june", "august",
        "the", "a", "an", "this", "that", "these", "those", "he", "she", "it", "they",
        "we", "you", "i", "his", "her", "its", "their", "our", "one", "two", "three",
        "some", "all", "any", "every", "each", "but", "and", "or", "if", "when",
        "while", "after", "before", "during", "since", "until", "as", "at", "in", "on",
        "by", "for", "with", "from", "to", "into", "over", "under", "about", "between",
        "against", "through", "across", "mr", "mrs", "ms", "dr", "president", "general",
        "minister", "army", "police", "forces", "state", "city", "town", "province",
        "government", "west", "east", "north", "south", "central", "new", "old",
        "great", "little", "big", "said", "says", "according", "monday", "tuesday",
        "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
        "april", "july", "september", "october", "november", "december", "islamic",
        "democratic", "syrian", "iraqi", "kurdish", "arab"
    ]
)
# Words that make a name an institution or venue, not a place in its own right.
_INSTITUTION_WORDS = frozenset(
    [
        "university", "college", "school", "academy", "institute", "hospital", "clinic",
        "bank", "embassy", "consulate", "council", "commission", "ministry", "office",
        "church", "cathedral", "mosque", "temple", "airport", "station", "stadium",
        "center", "centre", "tower", "hotel", "court", "prison", "club", "fc", "museum",
        "company", "corporation", "agency", "department", "police", "sheriff's",
        "federal", "national", "international", "world", "cup", "general", "medical",
        # feature words: the name before them is the feature's, not a town's
        "point", "river", "lake", "valley", "bay", "harbor", "harbour", "park", "island",
        "falls", "township", "hills", "heights", "beach", "creek", "mountain", "mount",
        # compass words: "Eastern Ghouta" is not the Eastern Region of Ghana
        "north", "south", "east", "west", "northern", "southern", "eastern", "western",
        "central", "upper", "lower",
    ]
)
# Feature words at the end of a name, and the gazetteer features they ask for ("Euphrates
# River", "Gulf of Aden" is found by its first word below, "Hmeimim air base").
_WATER = frozenset({"sea", "gulf", "bay", "strait", "channel", "ocean", "sound", "fjord",
                    "lagoon"})
_FEATURE_WORDS: dict[str, frozenset[str]] = {
    "river": frozenset({"river"}), "sea": _WATER, "ocean": _WATER, "strait": _WATER,
    "straits": _WATER, "gulf": _WATER, "bay": _WATER | {"admin2"},
    "lake": frozenset({"lake", "reservoir"}),
    "island": frozenset({"island", "island_group", "atoll"}),
    "islands": frozenset({"island", "island_group", "atoll"}),
    "desert": frozenset({"desert", "region", "plain"}),
    "mountains": frozenset({"range", "peak", "plateau"}),
    "airport": frozenset({"airport", "airbase"}), "airfield": frozenset({"airport", "airbase"}),
    "airbase": frozenset({"airbase", "airport"}), "air base": frozenset({"airbase", "airport"}),
    "port": frozenset({"port"}), "harbour": frozenset({"port"}), "harbor": frozenset({"port"}),
    "dam": frozenset({"dam"}),
}
_FEATURE_LEAD = {"gulf": _WATER, "strait": _WATER, "straits": _WATER, "sea": _WATER,
                 "bay": _WATER, "lake": frozenset({"lake", "reservoir"}),
                 "isle": frozenset({"island"})}
# Facilities that lie in a town: unknown to the gazetteer, they stand for the town.
_FACILITY_KINDS = frozenset({"airport", "airbase", "port", "dam"})
_FACILITY_AFTER = re.compile(
    r"\s+(?:international\s+)?(airport|air\s?base|airfield|port|harbou?r|dam)\b", re.I)
# Landmark words: a name ending in one is a structure or area inside a town ("Rafiqah Wall").
_LANDMARK_WORDS = frozenset({"wall", "gate", "bridge", "square", "citadel", "castle",
                             "mosque", "market", "souk", "roundabout", "palace", "hospital"})
# A dateline: a line that opens with a place, maybe its country, then the agency and a dash.
# Names of peoples who live under several states: a hint of the article's country, never a
# country named ("Kurdish fighters" may be Syrian, Iraqi or Turkish).
_PEOPLES = frozenset({"arab", "arabs", "kurdish", "kurd", "kurds", "soviet", "soviets"})
# Words of newspapers' names around the town they are named for ("The Columbus Dispatch",
# "Springfield News-Sun", "This is Oxfordshire"), and web addresses' own words.
_MASTHEAD_WORDS = frozenset({
    "the", "this", "is", "of", "daily", "weekly", "sunday", "evening", "morning", "online",
    "news", "newspaper", "newspapers", "times", "post", "herald", "gazette", "journal",
    "tribune", "telegram", "telegraph", "dispatch", "press", "free", "star", "sun", "mail",
    "mercury", "chronicle", "courier", "courant", "register", "record", "recorder",
    "review", "sentinel", "beacon", "item", "citizen", "advocate", "monitor", "leader",
    "ledger", "enquirer", "inquirer", "examiner", "observer", "standard", "statesman",
    "republican", "democrat", "independent", "guardian", "globe", "bulletin", "echo",
    "express", "reporter", "messenger", "intelligencer", "local", "state", "city", "county",
    "community", "today", "live", "now", "tv", "radio", "media", "com", "www", "web",
})
# Country-code domains sold worldwide as words or initials: no country's outlets.
_VANITY_TLDS = frozenset({"co", "io", "tv", "me", "fm", "ly", "ai", "am", "cc", "ws", "to",
                          "gg", "la", "nu", "tk", "eu", "su"})
_DATELINE = re.compile(
    r"^[ \t]*([A-Z][A-Za-z'’.-]+(?:[ -][A-Z][A-Za-z'’.-]+){0,2})"
    r"(?:,\s*[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)?\s*\([A-Z][\w .&-]{1,20}\)\s*[-—–]", re.M)
# Title-case words that cue a place in a headline ("Jets Bomb Units Near Tabqa").
_CUE_WORDS = frozenset({"near", "in", "at", "from", "to", "into", "outside", "around",
                        "across", "of", "as", "and", "the", "on", "for", "over"})
# Features that are areas or lines wider than a town: ACLED's geo_precision 3.
_AREAS = frozenset({"continent", "region", "river", "lake", "reservoir", "island",
                    "island_group", "atoll", "range", "plateau", "desert", "peninsula",
                    "plain", "valley", "disputed_area", "coast", "delta", "basin", "playa",
                    "depression", "lowland", "tundra", "wetland", "isthmus", "gorge"}) | _WATER \
    | {"sea"}
# Mention kinds by gazetteer feature; the rest keep the feature's own word.
_KINDS = {"city": "town", "admin1": "region", "admin2": "district", "region": "region",
          "continent": "continent", "country": "country", "airbase": "air base",
          "disputed_area": "disputed area", "island_group": "island", "atoll": "island",
          "reservoir": "lake", "range": "mountains", "peak": "mountain", "plateau": "mountains"}
# What an institution or venue can lie in: not a river or a peak of the name.
_HOSTS = frozenset({"city", "admin1", "admin2", "country", "continent", "region"})
_FACILITY_NAMES = {"airport": "airport", "airfield": "airport", "airbase": "air base",
                   "air base": "air base", "port": "port", "harbour": "port", "harbor": "port",
                   "dam": "dam"}
# What a name read as lying in a town is ("Mosul University", "Tabqa airport").
_WITHIN_KINDS = frozenset({*_FACILITY_NAMES.values(), "facility"})
_PROXIMITY_KM = 300.0
# What only states and countries have: "the New York border", "Ohio's governor".
_REGION_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:border|borders|governor|legislature|attorney\s+general|lawmakers|"
    r"senators?|state\s+line)\b", re.I)
# Other places of a city's namesake region this far from the city make it the region.
_UPSTATE_KM = 100.0
# Another name's reading within about this distance makes a town's reading likelier.
_NEIGHBOUR_KM = 25.0
# The article's area: the town with the most other names resolved this near it.
_FOCUS_KM = 100.0
# A river that passes this near the article's town is named for the stretch beside it.
_STRETCH_KM = 50.0
# A loosely spelt reading of a small town this far from that town, or a venue named for
# one, is no better than the town itself; a town this large is written many ways ("Raqa")
# and lends its name to venues in it ("Mosul University"): it keeps its reading.
_FAR_KM = 300.0
_SMALL_TOWN = 100_000
# "N.Y.", "Calif.", "Wash.": abbreviated names, which news gives to states and provinces.
_ABBREVIATION = re.compile(r"(?:[A-Z]\.){2,3}|[A-Z][a-z]{1,4}\.")
# Newspapers' title words after a place name: "The Washington Post", "the Boston Globe".
_PAPER_AFTER = re.compile(
    r"\s+(?:Post|Times|Herald|Gazette|Tribune|Journal|Chronicle|Courier|Dispatch|Star|Sun|"
    r"Observer|Examiner|Inquirer|Enquirer|Globe|Sentinel|Register|Record)\b")
# Capitals alone, two or three: an acronym ("SA", "WA", "UAE").
_ACRONYM = re.compile(r"[A-Z]{2,3}")
# A spelling match this weak (two or more letters off) on an alternate name is a stretch.
_LOOSE = 0.75
# Below this score a resolution rests on a far-fetched reading (an alternate name of a
# distant town, no support from the article): better unresolved than wrong.
_MIN_SCORE = 1.5


@dataclass(slots=True)
class Resolution:
    """The place a span was resolved to: exact, or its parent when the span is vague."""

    place: Place
    score: float
    precision: str = "exact"  # "exact", "parent", "admin1", "country" or "region"
    parent: str | None = None
    kind: str | None = None  # what the mention names: "town", "river", "airport"...
    guessed: bool = False  # a name the gazetteer lacks, put in the article's area


def _clean(name: str) -> tuple[str, str | None]:
    """Strip articles, possessives and type words; say which type word was there.

    County-like words stay in the name ("Laurel County"), because the gazetteer indexes
    second-level regions under their full names and the bare name is usually a town
    elsewhere.
    """
    words = name.replace("’", "'").split()
    if words and words[0].lower() == "the":
        words = words[1:]
    if words and words[-1].endswith("'s"):
        words[-1] = words[-1][:-2]
    kind = None
    tail = " ".join(words[-2:]).lower() if len(words) > 2 else ""
    if tail == "air base":
        return " ".join(words), "air base"
    if len(words) > 1 and words[-1].lower() in _FEATURE_WORDS:
        return " ".join(words), words[-1].lower()
    if len(words) > 1 and words[0].lower() in _FEATURE_LEAD:
        return " ".join(words), "lead:" + words[0].lower()
    if len(words) > 1 and words[-1].lower() in _ADMIN2_WORDS:
        return " ".join(words), "admin2"
    if len(words) > 1 and words[-1].lower() in _REGION_WORDS | _SETTLEMENT_WORDS:
        kind = "admin1" if words[-1].lower() in _REGION_WORDS else "city"
        words = words[:-1]
    if len(words) > 2 and words[0].lower() in _SETTLEMENT_WORDS and words[1].lower() == "of":
        kind, words = "city", words[2:]
    return " ".join(words), kind


def _cued(before: str) -> bool:
    """Whether the text `before` a name ends with a word that makes it a place ("near",
    "the city of"), as `_PLACE_CUES` finds it."""
    return _PLACE_CUES_BLIND.search(case_blind(before)) is not None


def _lookup(gazetteer: Gazetteer, name: str, kind: str | None, written: str
            ) -> list[Candidate]:
    """Candidates for a cleaned name; a county the gazetteer lacks falls back to its name.

    A type word that belongs to the name ("Kansas City", "Mexico City", "Quebec City")
    is kept when the gazetteer knows the whole name: it is not Kansas the state.
    """
    if not name:
        return []
    if _ACRONYM.fullmatch(written):
        # "SA", "WA": an acronym is some place's own abbreviation ("S.C.") or none; it is
        # no near spelling of a name (Shanghai's "Sha") nor one without its article ("Sa'er")
        return [c for c in gazetteer.candidates(name, limit=25)
                if c.matched_name.replace(" ", "") == name.lower()]
    whole = re.sub(r"^[Tt]he\s+|['’]s$", "", written)
    if kind == "city" and whole != name:
        exact = [c for c in gazetteer.candidates(whole, limit=25) if c.exact]
        if exact:
            return exact
    cands = gazetteer.candidates(name, limit=25)
    if kind == "admin2" and not any(c.exact for c in cands):
        cands = cands + gazetteer.candidates(name.rsplit(" ", 1)[0], limit=25)
    elif kind in _FEATURE_WORDS and not any(c.exact for c in cands):
        # "Socotra Island", "Neches River": the feature under its bare name
        wanted = _wanted(kind)
        cands = cands + [c for c in gazetteer.candidates(name.rsplit(" ", 1)[0], limit=25)
                         if c.place.feature in wanted]
    elif kind is None and not any(c.exact for c in cands):
        # "Miami-Dade", "Cuyahoga": a county named without its type word
        cands = cands + [c for c in gazetteer.candidates(name + " County", limit=5)
                         if c.exact and c.place.feature == "admin2"]
    return cands


def _primary(c: Candidate) -> bool:
    return normalize_name(c.place.name) == c.matched_name  # memoised in the gazetteer


def _prior(c: Candidate, kind: str | None, rival_primary: bool = False) -> float:
    """Evidence from the name alone: spelling, size, and the kind of place named.

    A name that is the place's own (primary) name counts for more than one of its many
    alternate names, which in GeoNames include old, local and misspelt forms (Reading is
    an alternate name of Redding; Iraq of Arak). `rival_primary`: some other candidate
    bears the name as its own; an exact alternate-name match is then the weaker reading,
    while a transliteration (Raqa for Raqqa) that no place bears as its own stays strong
    unless the spelling only loosely matches (Daesh for Da Shu).
    """
    p = c.place
    score = 4.0 * (c.match - 1.0) + 0.45 * math.log10(p.population + 10)
    if c.exact:
        # a city shares its name with its region (Raqqa, Deir ez-Zor): news means the city
        score += {"continent": 2.0, "region": 2.0, "sea": 2.0, "country": 2.0,
                  "disputed_area": 2.0}.get(p.feature, 0.0)
        if p.capital and (_primary(c) or c.within or not rival_primary):
            # "Washington" is the capital before the state, "London" the UK's; but an old
            # name of a capital (Philadelphia for Amman) is no claim on a city that bears it
            score += 1.0
    if p.feature == "city" and not _primary(c) and (c.match < _LOOSE or rival_primary):
        score -= 0.8
    if kind is not None:
        score += 1.5 if p.feature in _wanted(kind) else -0.5
    elif p.feature == "admin2" and p.name.split()[-1].lower() in _ADMIN2_WORDS:
        score -= 1.0  # "Laurel" means a town more often than Laurel County; bare Kent is Kent
    if c.demonym:
        score -= 0.3
    return score


def _wanted(kind: str) -> frozenset[str]:
    """The gazetteer features a type word asks for ("river": rivers, "gulf": waters)."""
    if kind.startswith("lead:"):
        return _FEATURE_LEAD[kind[5:]]
    return _FEATURE_WORDS.get(kind, frozenset({kind}))


def _facility_fallback(gazetteer: Gazetteer, name: str, kind: str | None,
                       cands: list[Candidate]) -> list[Candidate]:
    """"Mosul airport" is the airport when the gazetteer has it, else a place in Mosul.

    A facility is only ever the one the name says: "Kharkiv airport" is no other airport
    with a similar name. Unknown, the town named before the facility word stands for it.
    """
    if kind is None or kind.startswith("lead:") or not _wanted(kind) & _FACILITY_KINDS:
        return cands
    own = [c for c in cands if c.place.feature in _wanted(kind) and c.match >= 0.9]
    if own:
        return own
    town = re.sub(r"\s+(international\s+)?(airport|air\s?base|airfield|port|harbou?r|dam)$",
                  "", name, flags=re.I)
    return [replace(c, within=True) for c in gazetteer.candidates(town, limit=25)
            if c.exact and c.place.feature in ("city", "admin2")] if town else []


def _inner_place(gazetteer: Gazetteer, name: str) -> tuple[tuple[str, str | None],
                                                            list[Candidate]]:
    """The place named inside a venue or institution the gazetteer lacks, as its parent.

    "Colorado State University" lies in Colorado, "Dubai World Trade Centre" in Dubai:
    runs of capitalised words that are neither institution words nor common words are
    tried longest first, and only a close spelling match counts.
    """
    words = name.split()
    runs: list[list[str]] = [[]]
    for w in words:
        bare = w.strip(".,'’").lower()
        if w[:1].isupper() and bare not in _INSTITUTION_WORDS | _LANDMARK_WORDS \
                and bare not in _COMMON:
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    subs = [" ".join(run[a:b]) for run in runs for a in range(len(run))
            for b in range(a + 1, len(run) + 1)]
    for sub in sorted(subs, key=lambda t: -len(t.split())):
        if sub == name:
            continue
        found = [replace(c, within=True) for c in gazetteer.candidates(sub, limit=25)
                 if c.exact and c.place.feature in _HOSTS]
        if found:
            return (sub, None), found
    return (name, None), []


def _hint_places(text: str, end: int, gazetteer: Gazetteer) -> list[Place]:
    """Places named right after a comma ("Tabqa, Syria"; "Springfield, Ill.")."""
    m = re.match(r",\s*((?:[A-Z][\w.'&-]*\s?){1,3})", text[end:end + 40])
    if not m:
        return []
    out = []
    for c in gazetteer.candidates(m.group(1).strip(" "), limit=10) or \
            gazetteer.candidates(m.group(1).strip(" ."), limit=10):
        if c.exact and c.place.feature in ("country", "admin1"):
            out.append(c.place)
    return out


_ADJECTIVE_BEFORE = re.compile(
    r"\b([A-Z][a-z]+)\s+(?:border\s+|coastal\s+|northern\s+|southern\s+|eastern\s+|"
    r"western\s+)?(?:town|city|village|province|capital|port|region|district)\s+of\s+$")


def _adjective_hints(text: str, start: int, gazetteer: Gazetteer) -> list[Place]:
    """The country of "the Syrian town of X", "the Canadian city of London"."""
    m = _ADJECTIVE_BEFORE.search(text[max(0, start - 60):start])
    if not m:
        return []
    return [c.place for c in gazetteer.candidates(m.group(1), limit=5)
            if c.demonym and c.exact and c.place.feature == "country"][:1]


def _shares(cs: list[Candidate], kind: str | None) -> tuple[dict[str, float],
                                                            dict[tuple[str, str], float]]:
    """How one mention's plausible readings split over countries and first-level regions."""
    by_cc: dict[str, float] = defaultdict(float)
    by_a1: dict[tuple[str, str], float] = defaultdict(float)
    if not cs:
        return by_cc, by_a1
    rival = any(_primary(c) and c.exact for c in cs)
    priors = [_prior(c, kind, rival) for c in cs]
    top = max(priors)
    weights = [math.exp(2 * (p - top)) for p in priors]
    total = sum(weights)
    for c, w in zip(cs, weights, strict=True):
        if c.place.country_code:  # seas, rivers and world regions lie in no one country
            by_cc[c.place.country_code] += w / total
        if c.place.admin1 and c.place.feature != "country":
            by_a1[(c.place.country_code, c.place.admin1)] += w / total
    return by_cc, by_a1


def outlet_towns(gazetteer: Gazetteer, outlet: str | None, url: str | None,
                 country: str | None = None) -> list[str]:
    """The place names an outlet is named for: "The Columbus Dispatch", "Paris Beacon",
    columbustelegram.com, thisisoxfordshire.co.uk, chronicle.augusta.com. From the name when
    it gives one, else from the web address's labels; the names, not places: which
    Columbus is the article's to decide (`resolve_mentions`' `home`). `country`, where the
    outlet's home country is known, must hold a place of that name: a word of a national
    outlet's address is often a place abroad (sana.sy is no paper of Sana'a, dailysabah.com
    of Sabah)."""
    # acronyms ("SANA", "TASS", "USA Today") are agencies' and papers' own names
    labels = [" ".join(w for w in outlet.split() if not w.isupper())] if outlet else []
    if url:
        host = url_host(url)
        parts = host.split(".")[:-1]  # the top-level domain, then "co" of co.uk
        labels += [p for p in parts if len(p) > 3 and p not in _MASTHEAD_WORDS]
    for label in labels:
        found = _masthead_places(gazetteer, re.sub(r"[^a-z]", "", label.casefold()), country)
        if found:
            return found
    return []


def outlet_country(url: str | None) -> str | None:
    """The country of a web address's country-code domain (lfpress.ca, independent.ie,
    thisisoxfordshire.co.uk), where an outlet is at home; None for .com and the codes sold
    as words (.tv, .io, .me)."""
    host = url_host(url or "")
    tld = host.rsplit(".", 1)[-1]
    if len(tld) != 2 or "." not in host or tld in _VANITY_TLDS:
        return None
    return "GB" if tld == "uk" else tld.upper()


def _masthead_places(gazetteer: Gazetteer, glued: str, country: str | None) -> list[str]:
    """Strip newspaper words from either end of a glued name until a place is left
    ("springfieldnewssun": "springfieldnews", "springfield"); "and" joins two places. A
    place is tried before any stripping, so that Sunderland keeps its "sun"."""
    while len(glued) >= 4 and glued not in _MASTHEAD_WORDS:  # Star, Texas is no paper's home
        exact = [c for c in gazetteer.candidates(glued, limit=5) if c.exact]
        if any(c.demonym for c in exact):
            return []  # "Arab News", "The Oregonian": a people's name, not a town
        if any(not c.within and country in (None, c.place.country_code) for c in exact):
            return [glued]
        if "and" in glued[3:-3]:
            head, _, tail = glued.partition("and")
            both = (_masthead_places(gazetteer, head, country)
                    + _masthead_places(gazetteer, tail, country))
            if both:
                return both
        ends = [w for w in _MASTHEAD_WORDS if len(w) < len(glued)
                and (glued.startswith(w) or glued.endswith(w))]
        if not ends:
            return []
        w = max(ends, key=len)
        glued = glued[len(w):] if glued.startswith(w) else glued[:-len(w)]
    return []


def resolve_mentions(text: str, spans: Sequence[tuple[int, int]], gazetteer: Gazetteer,
                     *, extra_countries: Sequence[str] = (), home: Sequence[str] = ()
                     ) -> list[Resolution | None]:
    """Resolve each `text[start:end]` to a place, using the whole text as context.

    `extra_countries` are country codes known from elsewhere (demonyms, the dateline) that
    add to the article's country focus. The focus a mention sees leaves out the votes of
    its own name, so that "Georgia" in a story about Atlanta is not pulled abroad by its
    own reading as a country; local news also has a state focus (its first-level region).
    `home`: the names of the place the outlet is named for (`outlet_towns`); a local paper
    names its own town's neighbours bare, so the home's readings count as the article's.
    """
    names = [_clean(text[s:e]) for s, e in spans]
    for i, (_, e) in enumerate(spans):
        after = re.match(r"\s+(\w+)", text[e:e + 20])
        if names[i][1] is None and after and after.group(1).lower() in _REGION_WORDS:
            names[i] = (names[i][0], "admin1")  # "Deir Ezzor province"
    cands = [_lookup(gazetteer, n, kind, text[s:e]) for (n, kind), (s, e) in zip(names, spans,
                                                                                strict=True)]
    for i, (_, e) in enumerate(spans):
        # "The Washington Post", "the Boston Globe": a paper is named for its city, not for
        # the state or a village of the name; a name no city of size bears keeps its
        # readings ("The Texas Tribune")
        paper = _PAPER_AFTER.match(text, e)
        if names[i][1] is None and paper and any(
                c.exact and c.place.feature == "city" and c.place.population >= _SMALL_TOWN
                for c in cands[i]):
            names[i] = (names[i][0], "city")
    for i, cs in enumerate(cands):
        cands[i] = _facility_fallback(gazetteer, names[i][0], names[i][1], cs)
        if not cands[i]:
            # "Colorado State University", "Bank of Japan": the place inside
            names[i], cands[i] = _inner_place(gazetteer, names[i][0])
    hints = [_hint_places(text, e, gazetteer) + _adjective_hints(text, s, gazetteer)
             for s, e in spans]
    own = [normalize_name(n) for n, _ in names]
    ends = {e for _, e in spans}
    regional = [_region_slot(text, s, ends) or bool(_ABBREVIATION.fullmatch(text[s:e]))
                or bool(_REGION_AFTER.match(text, e)) for s, e in spans]
    rivals = [any(_primary(c) and c.exact for c in cs) for cs in cands]

    focus: dict[str, float] = defaultdict(float)
    state: dict[tuple[str, str], float] = defaultdict(float)
    mine_cc: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    mine_a1: dict[str, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
    for cc in extra_countries:
        focus[cc] += 1.0
    for i, cs in enumerate(cands):
        by_cc, by_a1 = _shares(cs, names[i][1])
        for h in hints[i]:  # "Springfield, Ill." names the state outright
            if h.admin1:
                by_a1[(h.country_code, h.admin1)] += 1.0
        for cc, v in by_cc.items():
            focus[cc] += v
            mine_cc[own[i]][cc] += v
        for a1, v in by_a1.items():
            state[a1] += v
            mine_a1[own[i]][a1] += v

    # Scoring is memoised per distinct reading (written name, cleaned name and type word,
    # comma hints) and weighs distances to distinct anchor places only: a long report names
    # the same few places hundreds of times, and pairwise scoring was quadratic in mentions.
    cc_cache: dict[str, tuple[dict[str, float], float]] = {}

    def cc_votes_of(name: str) -> tuple[dict[str, float], float]:
        hit = cc_cache.get(name)
        if hit is None:
            votes = {k: v - mine_cc[name].get(k, 0.0) for k, v in focus.items()}
            hit = cc_cache[name] = (votes, max(votes.values(), default=0.0))
        return hit

    # Spatial coherence: the readings of the article's other names that lie close by. A
    # local report's towns are neighbours (Athens and Madisonville, Tennessee), which the
    # country and state votes, split over every namesake, miss.
    readings_of: dict[str, list[Place]] = {}
    for i, cs in enumerate(cands):
        if own[i] not in readings_of:
            readings_of[own[i]] = [c.place for c in cs if _coheres(c)]
    homes = {normalize_name(n).replace(" ", "") for n in home}
    for name in home:
        hs = [c for c in gazetteer.candidates(name, limit=25) if c.exact
              and not c.demonym and not c.within]
        norm = "home:" + normalize_name(name)
        readings_of[norm] = [c.place for c in hs if _coheres(c)]
        by_cc, by_a1 = _shares(hs, None)  # and it votes like one more mention of the town
        for cc, v in by_cc.items():
            focus[cc] += v
        for a1, v in by_a1.items():
            state[a1] += v
    coherence = _Coherence(readings_of)

    def score(i: int, c: Candidate) -> float:
        """The evidence for a reading but its nearness to the anchors, which comes last."""
        p = c.place
        cc_votes, top_cc = cc_votes_of(own[i])
        s = _prior(c, names[i][1], rivals[i])
        if _coheres(c):
            # the outlet's own town, named bare, is the one among the article's places
            s += coherence.near(own[i], p) * (2.0 if own[i].replace(" ", "") in homes else 1.0)
        if top_cc > 0:
            s += 2.0 * max(0.0, cc_votes.get(p.country_code, 0.0)) / top_cc
        if p.admin1:  # a state named in a story about its towns is that state too
            votes = state.get((p.country_code, p.admin1), 0.0) - \
                mine_a1[own[i]].get((p.country_code, p.admin1), 0.0)
            s += 1.5 * min(1.0, max(0.0, votes) / 2.0)
        if regional[i] and p.feature in ("admin1", "country"):
            s += 2.0  # "Albany, N.Y.", "Ohio's governor": a state or country
        for h in hints[i]:
            same_region = h.feature == "country" or h.admin1 == p.admin1
            if h.country_code == p.country_code and same_region:
                s += 3.0
        return s

    readings = [(text[s:e], names[i], tuple(h.key for h in hints[i]))
                for i, (s, e) in enumerate(spans)]
    # a reading's candidates are scored once, for both passes: the second adds only their
    # nearness to the anchors, last, so each sum is the one a full rescoring makes
    scores: dict[tuple, list[float]] = {}
    first_by: dict[tuple, Candidate] = {}
    first: list[Candidate | None] = []
    for i, cs in enumerate(cands):
        if cs and readings[i] not in first_by:
            values = scores[readings[i]] = [score(i, c) for c in cs]
            first_by[readings[i]] = cs[max(range(len(cs)), key=values.__getitem__)]
        first.append(first_by[readings[i]] if cs else None)
    # each town a mention reads as first, with the names that read so: a mention's anchors
    # are the towns read by other names than its own. A national capital is none: named
    # bare it is as often its government ("Washington warned Moscow"), which says nothing
    # of where the article's other places lie (it made Cambridge the one in Maryland)
    named_by: dict[int, tuple[Place, set[str]]] = {}
    for j, c in enumerate(first):
        if c is not None and c.place.feature == "city" and not c.place.capital:
            named_by.setdefault(c.place.key, (c.place, set()))[1].add(own[j])
    best_by: dict[tuple, tuple[Candidate, float]] = {}
    results: list[Resolution | None] = []
    for i, cs in enumerate(cands):
        if not cs:
            results.append(None)
            continue
        if readings[i] not in best_by:
            anchors = [p for p, by in named_by.values() if by - {own[i]}]
            values = scores[readings[i]]
            if anchors:  # a region's centre says little about nearness: towns only
                values = [v + _nearness(c.place, anchors) if c.place.feature == "city" else v
                          for c, v in zip(cs, values, strict=True)]
            k = max(range(len(cs)), key=values.__getitem__)  # the first best, as `max(cs)`
            best_by[readings[i]] = (cs[k], round(values[k], 3))
        best, value = best_by[readings[i]]
        results.append(Resolution(best.place, value,
                                  "parent" if best.within else _precision(best.place),
                                  best.place.name if best.within else None,
                                  _kind(best.place, names[i][1], best.within)))
    _apply_namesakes(text, spans, names, cands, regional, own, results)
    _apply_inner_cues(text, spans, results)
    _apply_landmarks(text, spans, names, results)
    focus = _focus(own, cands, results)
    _apply_focus(focus, cands, results)
    _apply_stretch(gazetteer, focus, results)
    return results


def _nearness(p: Place, anchors: Sequence[Place]) -> float:
    """What a town's reading gains from the nearest of the towns the article's other names
    read as first (`resolve_mentions`' anchors)."""
    d = min(distance_km(p.lat, p.lon, a.lat, a.lon) for a in anchors)
    return 1.5 * math.exp(-d / _PROXIMITY_KM)


class _Coherence:
    """How many of the article's other names have a reading near a place (each counts
    exp(-d / _NEIGHBOUR_KM), at most 2 in all), memoised per name and place.

    One array holds every reading of every name, sorted by name, so that a place is
    compared with all of them at once; distances are planar (exact enough at the tens of
    km that count, and a long report names hundreds of places).
    """

    def __init__(self, readings_of: dict[str, list[Place]]) -> None:
        names = [n for n, pts in readings_of.items() if pts]
        self._index = {n: k for k, n in enumerate(names)}
        pts = [(p.lat, p.lon) for n in names for p in readings_of[n]]
        self._lat = np.radians(np.array([q[0] for q in pts], dtype=float))
        self._lon = np.radians(np.array([q[1] for q in pts], dtype=float))
        sizes = [len(readings_of[n]) for n in names]
        self._starts = np.cumsum([0, *sizes[:-1]]).astype(int) if names else np.array([], int)
        self._cache: dict[tuple[str, int], float] = {}

    def near(self, name: str, p: Place) -> float:
        hit = self._cache.get((name, p.key))
        if hit is not None:
            return hit
        if len(self._starts) == 0:
            return 0.0
        lat, lon = math.radians(p.lat), math.radians(p.lon)
        dlon = (self._lon - lon + math.pi) % (2 * math.pi) - math.pi
        d = 6371.0 * np.hypot(self._lat - lat, dlon * math.cos(lat))
        nearest = np.minimum.reduceat(d, self._starts)
        weight = np.exp(-nearest / _NEIGHBOUR_KM)
        mine = self._index.get(name)
        total = float(weight.sum() - (weight[mine] if mine is not None else 0.0))
        hit = self._cache[(name, p.key)] = min(2.0, total)
        return hit


def _coheres(c: Candidate) -> bool:
    """A reading that takes part in spatial coherence: a town or county under its own
    name (an alternate name, "Montana" for Montana City, is no evidence of nearness)."""
    return c.exact and not c.within and _primary(c) and \
        c.place.feature in ("city", "admin2")


def _region_slot(text: str, start: int, ends: set[int]) -> bool:
    """The name follows another place and a comma ("Albany, New York", "Paris, Texas"):
    it names the region or country that place lies in."""
    m = re.search(r",\s*$", text[max(0, start - 3):start])
    return bool(m) and (max(0, start - 3) + m.start()) in ends


def _listed_with_regions(text: str, spans: Sequence[tuple[int, int]], i: int,
                         results: Sequence[Resolution | None]) -> bool:
    """The mention stands in a list whose neighbour is a state or province ("Ohio,
    Connecticut and New York"): a list names things of one kind."""
    s, e = spans[i]
    for j in (i - 1, i + 1):
        if not 0 <= j < len(spans) or results[j] is None:
            continue
        gap = text[spans[j][1]:s] if j < i else text[e:spans[j][0]]
        if re.fullmatch(r"\s*(,|and|or|,\s*and|,\s*or)\s*", gap) and \
                results[j].place.feature == "admin1" and results[j].precision != "parent":
            return True
    return False


def _apply_namesakes(text: str, spans: Sequence[tuple[int, int]],
                     names: list[tuple[str, str | None]], cands: list[list[Candidate]],
                     regional: list[bool], own: list[str],
                     results: list[Resolution | None]) -> None:
    """A bare name shared by a city and the first-level region around it ("New York",
    "Raqqa") is the city, unless the article's other places in that region all lie far
    from the city (upstate news: the state) or the name is written as the region's (a type
    word, an abbreviation, after "Town, "). A town under 100,000 that bears the name of
    another first-level region of its own country (Florida, New York; Kansas, Oklahoma;
    Wales, England) is not what the bare name means: the region is."""
    for i, r in enumerate(results):
        if r is None or names[i][1] is not None or regional[i]:
            continue
        exact = [c.place for c in cands[i] if c.exact and not c.within
                 and not c.demonym]
        if r.place.feature == "city" and r.precision == "exact" and \
                r.place.population < _SMALL_TOWN:
            region = next((a for a in exact if a.feature == "admin1" and a.country_code ==
                           r.place.country_code and a.admin1 != r.place.admin1), None)
            if region is not None:
                results[i] = Resolution(region, r.score, _precision(region), None,
                                        _kind(region, None, False))
                continue
        pair = next(((a, c) for a in exact if a.feature == "admin1" for c in exact
                     if c.feature == "city" and c.population >= a.population / 10
                     and (c.country_code, c.admin1) == (a.country_code, a.admin1)), None)
        if pair is None or r.place not in pair:
            continue
        region, city = pair
        if _listed_with_regions(text, spans, i, results):
            results[i] = Resolution(region, r.score, _precision(region), None,
                                    _kind(region, None, False))
            continue
        others = [o.place for j, o in enumerate(results) if o is not None and own[j] != own[i]
                  and o.place.feature in ("city", "admin2") and o.precision != "parent"
                  and (o.place.country_code, o.place.admin1) == (region.country_code,
                                                                 region.admin1)]
        far = bool(others) and min(distance_km(city.lat, city.lon, o.lat, o.lon)
                                   for o in others) > _UPSTATE_KM
        chosen = region if far else city
        if chosen is not r.place:
            results[i] = Resolution(chosen, r.score, _precision(chosen), None,
                                    _kind(chosen, None, False))


def _precision(p: Place) -> str:
    """How wide the place is, in the words ACLED's geo_precision is mapped from."""
    if p.feature in ("admin1", "admin2"):
        return "admin1"
    if p.feature == "country":
        return "country"
    return "region" if p.feature in _AREAS else "exact"


def _kind(p: Place, kind: str | None, within: bool) -> str:
    """What kind of place a mention names: its place's, or the facility's inside it."""
    if within:
        return _FACILITY_NAMES.get(kind or "", "facility")
    if p.feature in _FACILITY_KINDS and kind in _FACILITY_NAMES:
        return _FACILITY_NAMES[kind]  # "Hmeimim air base" is Latakia's airport's air base
    return _KINDS.get(p.feature, p.feature.replace("_", " "))


def _landmark(name: str) -> bool:
    words = name.split()
    return len(words) > 1 and words[-1].lower() in _LANDMARK_WORDS


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around a span, by full stops and blank lines: cheap, and enough to
    tell which town a landmark belongs to."""
    head = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    tail = min((i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0),
               default=len(text))
    return head + 1, tail


def _host(text: str, start: int, end: int, spans: Sequence[tuple[int, int]],
          results: Sequence[Resolution | None]) -> Resolution | None:
    """The town a landmark or part of a town belongs to: the nearest town named in its
    sentence, else the last one named before it."""
    lo, hi = _sentence_bounds(text, start, end)
    towns = [((s2, e2), r) for (s2, e2), r in zip(spans, results, strict=True)
             if r is not None and r.place.feature == "city" and r.precision == "exact"]
    near = [(min(abs(s2 - end), abs(start - e2)), r) for (s2, e2), r in towns
            if lo <= s2 and e2 <= hi and (s2, e2) != (start, end)]
    if near:
        return min(near, key=lambda t: t[0])[1]
    before = [(e2, r) for (_, e2), r in towns if e2 <= start]
    return max(before, key=lambda t: t[0])[1] if before else None


def _apply_landmarks(text: str, spans: Sequence[tuple[int, int]],
                     names: list[tuple[str, str | None]],
                     results: list[Resolution | None]) -> None:
    """"Rafiqah Wall", "Nuri Mosque": a structure the gazetteer lacks is in its town."""
    for i, (s, e) in enumerate(spans):
        if results[i] is not None or not _landmark(names[i][0]):
            continue
        host = _host(text, s, e, spans, results)
        if host is not None:
            results[i] = Resolution(host.place, host.score, "parent", host.place.name,
                                    "facility")


def _apply_inner_cues(text: str, spans: Sequence[tuple[int, int]],
                      results: list[Resolution | None]) -> None:
    """A "suburb of X" far from the place named beside it is that place's suburb instead.

    Gazetteers lack most suburbs and neighbourhoods, and a same-named town elsewhere in
    the country (Darayya near Damascus for a suburb of Raqqa) is worse than the city.
    """
    for i, (s, e) in enumerate(spans):
        if not _INNER_CUES.search(text[max(0, s - 40):s]):
            continue
        sentence_end = text.find(".", e)
        sentence_end = len(text) if sentence_end < 0 else sentence_end
        anchor = next((results[j] for j, (s2, _) in enumerate(spans)
                       if e < s2 < sentence_end and results[j] is not None
                       and results[j].place.feature == "city"), None)
        if anchor is None:
            continue
        mine = results[i]
        if mine is None or distance_km(mine.place.lat, mine.place.lon,
                                       anchor.place.lat, anchor.place.lon) > 30:
            results[i] = Resolution(anchor.place, anchor.score, "parent", anchor.place.name,
                                    "neighbourhood")


def _focus(own: Sequence[str], cands: Sequence[list[Candidate]],
           results: Sequence[Resolution | None]) -> Resolution | None:
    """The town the article's places gather round: the resolved town with the most other
    names resolved within _FOCUS_KM of it, then the most mentions, then one read under its
    exact spelling, then the largest. Without a town, the state, province or county named
    most often (first named first), else the country (ACLED codes a place it cannot find at
    its region); None without any."""
    towns: dict[str, Resolution] = {}
    count: dict[str, int] = defaultdict(int)
    exact: dict[str, bool] = {}
    for name, cs, r in zip(own, cands, results, strict=True):
        if r is not None and r.place.feature == "city" and r.precision == "exact":
            towns.setdefault(name, r)
            count[name] += 1
            exact[name] = any(c.exact and c.place.key == r.place.key for c in cs)

    def weight(name: str) -> tuple[int, int, bool, int]:
        p = towns[name].place
        return (sum(distance_km(p.lat, p.lon, o.place.lat, o.place.lon) <= _FOCUS_KM
                    for other, o in towns.items() if other != name), count[name],
                exact[name], p.population)

    if towns:
        return towns[max(towns, key=weight)]
    for wide in (("admin1", "admin2"), ("country",)):
        areas = Counter(r.place.key for r in results if r is not None
                        and r.precision != "parent" and r.place.feature in wide)
        if areas:
            most = areas.most_common(1)[0][0]  # ties go to the first named
            return next(r for r in results if r is not None and r.place.key == most)
    return None


def _apply_focus(focus: Resolution | None, cands: Sequence[list[Candidate]],
                 results: list[Resolution | None]) -> None:
    """A name the gazetteer lacks (a hamlet, an estate, a neighbourhood) is a place in the
    article's own area: it resolves to the town the article's places gather round (else
    its region, `_focus`), with precision "parent", as ACLED codes an unknown village at
    the nearest known town. So
    does a name known only by a loose spelling of a small town far from that area: a near
    miss of a distant village's name is likelier a local place that the gazetteer lacks,
    while a large town's is how news transliterates it ("Raqa" in a report on Mosul). And
    so does a venue, port or airport read as lying in a small town far away because it
    bears the town's name ("Carnegie Hall" in a report on New York is not in Carnegie,
    Pennsylvania; Pearl Harbor in one on Honolulu not in Pearl, Mississippi).
    Guessed, it is shown only where the text reads the name as a place (`extract_places`).
    """
    if focus is None:
        return
    for i, r in enumerate(results):
        if r is not None:
            loose = r.precision == "exact" and not any(c.exact for c in cands[i])
            if not ((loose or r.kind in _WITHIN_KINDS) and r.place.feature == "city"
                    and r.place.population < _SMALL_TOWN
                    and distance_km(r.place.lat, r.place.lon, focus.place.lat,
                                    focus.place.lon) > _FAR_KM):
                continue
        # a reading too weak to be a place at all ("Daesh") stays too weak
        score = min(r.score, _MIN_SCORE) if r is not None else _MIN_SCORE
        results[i] = Resolution(focus.place, score, "parent", focus.place.name, "place",
                                guessed=True)


def _apply_stretch(gazetteer: Gazetteer, focus: Resolution | None,
                   results: list[Resolution | None]) -> None:
    """A river that passes the article's town is the stretch beside it: "crossed the
    Euphrates north of Deir ez-Zor" is on the Euphrates near Deir ez-Zor, not at its mouth
    (the river's own point, GeoNames' convention) 500 km downstream. A river that passes
    no nearer than _STRETCH_KM keeps its point, as it does where the article's area is a
    region, whose point is no place on the river."""
    if focus is None or focus.place.feature != "city":
        return
    f = focus.place
    for i, r in enumerate(results):
        if r is None or r.place.feature != "river" or r.precision == "parent":
            continue
        course = gazetteer.course(r.place)
        if not course:
            continue
        lat, lon = min(course, key=lambda q: distance_km(q[0], q[1], f.lat, f.lon))
        if distance_km(lat, lon, f.lat, f.lon) <= _STRETCH_KM:
            results[i] = replace(r, place=replace(r.place, lat=lat, lon=lon))


def _strong(cands: list[Candidate], focus_cc: set[str]) -> bool:
    """The gazetteer clearly supports reading a non-place NER tag as a place."""
    return any(c.match >= 0.8 and (c.place.country_code in focus_cc or c.place.population
                                   >= 100_000 or c.place.feature != "city") for c in cands)


def _candidate_spans(doc: Doc, text: str, gazetteer: Gazetteer, offsets: _Offsets
                     ) -> tuple[dict[tuple[int, int], bool], set[str]]:
    """Spans that may name places (True: read as a place even if unresolved), and the
    countries implied by demonyms and country names. `text` is the doc's text, passed in:
    `doc.text` joins every token again at each call; `offsets` are its `_offsets`."""
    spans: dict[tuple[int, int], bool] = {}
    countries: set[str] = set()
    taken: set[int] = set()
    pending: list[Span] = []
    # a span's text is read in `text`: `Span.text` joins its tokens again at each call
    for ent in (_within_paragraph(ent, text) for ent in doc.ents):
        name = text[ent.start_char:ent.end_char].strip()
        if ent.label_ == "NORP":
            for c in gazetteer.candidates(name.removesuffix("s"), limit=3):
                if c.demonym or c.place.feature == "country":
                    countries.add(c.place.country_code)
            continue
        if ent.label_ in ("GPE", "LOC", "FAC"):
            for c in gazetteer.candidates(_clean(name)[0], limit=3):
                if c.place.feature == "country" and c.exact:
                    countries.add(c.place.country_code)
        pending.append(ent)
    rejected: list[Span] = []
    for ent in pending:
        start, end, label = ent.start_char, ent.end_char, ent.label_
        written = text[start:end]
        before = text[max(0, start - 30):start]
        if _TITLE_BEFORE.search(before):
            continue  # "Governor Denver", "Mr Grant": a person, whatever the NER says
        cued = _cued(before) or bool(_COMMA_CAPITAL.match(text, end, end + 3))
        the = text.endswith("the ", 0, start)
        # The gazetteer is asked only where its answer can count (an uncached lookup reads
        # every spelling that shares the name's key): an uncued date, sum or person is no
        # place whatever it finds, unless an acronym (`_plausible`).
        asked = label in ("GPE", "LOC", "FAC", "ORG") or cued or (the and label == "PERSON") \
            or (len(written) <= 5 and written.isupper())
        cands = _lookup(gazetteer, *_clean(written), written) if asked else []
        if not _plausible(written, cands):
            continue
        if label in ("GPE", "LOC"):
            ok = bool(cands)
        elif label == "FAC":
            ok = any(c.exact for c in cands)
        elif label == "ORG" and _polity(cands):
            ok = True  # "Pakistan said", "Washington warned": a polity tagged as its government
        elif label in ("ORG", "PERSON") and the and any(
                c.exact and c.place.feature in _AREAS for c in cands):
            ok = True  # "crossed the Euphrates": a river, sea or region is named with "the"
        else:  # ORG, PERSON...: the model's tag is overruled only on strong evidence
            ok = cued and _strong(cands, countries)
        if ok:
            spans[(start, end)] = cued and label in ("GPE", "LOC")
            taken.update(range(ent.start, ent.end))
        elif label != "PERSON":
            rejected.append(ent)
    # One sense per discourse: once "Raqa" reads as a place ("the city of Raqa"), its other
    # mentions in the article are the place too, whatever the NER made of them ("Syria's
    # Raqa" tagged ORG in the headline). People are left alone: "Kelly" the aide is not
    # Kelly the town because the town was named once.
    accepted = {name.casefold() for (s, e), cued in spans.items() if cued
                and (name := _clean(text[s:e])[0])
                and any(c.match >= _LOOSE and not c.within and not c.demonym
                        for c in gazetteer.candidates(name, limit=10))}
    for ent in rejected:
        if _clean(text[ent.start_char:ent.end_char])[0].casefold() in accepted:
            spans[(ent.start_char, ent.end_char)] = False
            taken.update(range(ent.start, ent.end))
    blind = case_blind(text) if accepted else text
    for name in accepted:  # and the mentions the NER left untagged ("jihadist bastion Raqa")
        for start, end in word_spans(text, [name], blind=blind):
            span = doc.char_span(start, end)
            if span is not None and span.text[:1].isupper() and not any(
                    t.i in taken or t.ent_type_ for t in span):
                spans[(start, end)] = False
                taken.update(range(span.start, span.end))
    for span in _untagged_spans(doc, text, gazetteer, taken, countries, offsets):
        spans[span] = False
    return spans, countries


def _within_paragraph(ent: Span, text: str) -> Span:
    """An entity never runs across a blank line: "Raqa\n\nBeirut" is a headline's last
    word and a dateline, which the NER joined into one facility. `text` is the doc's."""
    cut = text.find("\n\n", ent.start_char, ent.end_char) - ent.start_char
    if cut <= 0:
        return ent
    head = ent.doc.char_span(ent.start_char, ent.start_char + cut, label=ent.label_,
                             alignment_mode="contract")
    return head if head is not None and len(head) else ent


def _polity(cands: list[Candidate]) -> bool:
    """The name is, exactly, a country, first-level region, world region, sea or capital."""
    return any(c.exact and not c.demonym and not c.within and (
        c.place.feature in ("country", "admin1", "region", "sea") or c.place.capital)
        for c in cands)


def _plausible(name: str, cands: list[Candidate]) -> bool:
    words = name.split()
    if len(name) <= 5 and name.isupper():
        # acronyms are mostly organisations (IS, SDF, AFP); accept only country codes
        return any(c.place.feature == "country" and c.exact for c in cands)
    return bool(words) and not all(w.lower() in _COMMON for w in words)


def _untagged_spans(doc: Doc, text: str, gazetteer: Gazetteer, taken: set[int],
                    countries: set[str], offsets: _Offsets) -> list[tuple[int, int]]:
    """Capitalised names the NER missed, kept only with a place cue and a gazetteer match;
    `text` is the doc's, `offsets` its `_offsets`."""
    out: list[tuple[int, int]] = []
    # Tokens' first letters are read in `text` at their offsets, and only the capitalised
    # tokens are visited: a `Token` (each `doc[i]` makes one) is made for those alone.
    starts, ends, upper = offsets
    after = 0  # the first token not yet inside a name read
    for i in upper:
        if i < after or i in taken:
            continue
        tok = doc[i]
        if tok.is_sent_start or tok.is_stop or tok.lower_ in _CUE_WORDS:
            continue
        j = i
        while j + 1 < len(starts) and j + 1 not in taken \
                and (text[starts[j + 1]].isupper() or text[starts[j + 1]:ends[j + 1]] == "-") \
                and doc[j + 1].lower_ not in _CUE_WORDS:
            j += 1
        start, end = starts[i], ends[j]
        name = text[start:end]
        before = text[max(0, start - 30):start]
        if _landmark(name) and _plausible(name, []):  # "Rafiqah Wall": its town decides
            out.append((start, end))
        elif _cued(before) and _plausible(name, []):
            cands = gazetteer.candidates(_clean(name)[0], limit=10)
            if _strong([c for c in cands if c.exact], countries):
                out.append((start, end))
        after = j + 1
    return out


_Offsets = tuple[list[int], list[int], list[int]]


def _offsets(doc: Doc, text: str) -> _Offsets:
    """Each token's start and end in `text` (the doc's), and the tokens whose first letter
    is a capital, from arrays: `doc[i]` makes a `Token` at each call, a list of pairs a
    small list per token, and most tokens are lower case. A first letter is read by its
    code point, which decides the ASCII ones; `str.isupper` decides the rest."""
    columns = doc.to_array(["IDX", "LENGTH"])
    first = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)[
        columns[:, 0]]
    upper = (first >= ord("A")) & (first <= ord("Z"))
    for i in np.flatnonzero(first > 0x7F).tolist():
        upper[i] = text[columns[i, 0]].isupper()
    return (columns[:, 0].tolist(), (columns[:, 0] + columns[:, 1]).tolist(),
            np.flatnonzero(upper).tolist())


def _vague_spans(text: str, spans: list[tuple[int, int]], resolved: list[Resolution | None]
                 ) -> list[tuple[int, int, Resolution]]:
    """"west Mosul", "Mosul's Old City", "the Old City": vague places, tied to a parent."""
    out: list[tuple[int, int, Resolution]] = []
    for (s, e), r in zip(spans, resolved, strict=True):
        m = _DIRECTION_BEFORE.search(text[max(0, s - 20):s])
        if r is not None and m:
            start = max(0, s - 20) + m.start()
            out.append((start, e, Resolution(r.place, r.score, "parent", r.place.name,
                                             "area")))
    for m in _VAGUE.finditer(text):
        r = _host(text, m.start(), m.end(), spans, resolved)
        if r is not None:
            out.append((m.start(), m.end(), Resolution(r.place, r.score, "parent",
                                                       r.place.name, "area")))
    return out


def _admin1_name(gazetteer: Gazetteer, p: Place) -> str | None:
    """The first-level region a place lies in, by name (itself for a region)."""
    if p.feature == "admin1":
        return p.name
    if p.feature in ("city", "admin2") and p.admin1:
        region = gazetteer.region(p.country_code, p.admin1)
        return region.name if region else None
    return None


def _mention(article: Article, start: int, end: int, r: Resolution | None,
             gazetteer: Gazetteer) -> PlaceMention:
    p = r.place if r else None
    return PlaceMention(
        article_id=article.id, text=article.text[start:end], start=start, end=end,
        name=p.name if p else None, country_code=(p.country_code or None) if p else None,
        lat=p.lat if p else None, lon=p.lon if p else None,
        geonameid=p.geonameid if p else None, feature=p.feature if p else None,
        precision=r.precision if r else None, parent=r.parent if r else None,
        score=r.score if r else None, admin1=_admin1_name(gazetteer, p) if p else None,
        kind=r.kind if r else None)


def _with_facilities(text: str, found: dict[tuple[int, int], bool], gazetteer: Gazetteer
                     ) -> dict[tuple[int, int], bool]:
    """"Kharkiv airport", "Hodeidah port": the NER tags the town (or, for "Hmeimim air
    base", takes it for a people); the span takes the facility word too, so that the
    facility, not the town, is resolved."""
    out: dict[tuple[int, int], bool] = {}
    for (s, e), cued in found.items():
        m = _FACILITY_AFTER.match(text, e)
        out[(s, m.end()) if m else (s, e)] = cued or bool(m)
    for m in re.finditer(r"\b[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+){0,2}(?=" +
                         _FACILITY_AFTER.pattern + ")", text):
        end = _FACILITY_AFTER.match(text, m.end()).end()
        if any(s < end and m.start() < e for s, e in out):
            continue
        name, kind = _clean(text[m.start():end])
        if _facility_fallback(gazetteer, name, kind, gazetteer.candidates(name, limit=10)):
            out[(m.start(), end)] = True
    return out


def _datelines(text: str, found: dict[tuple[int, int], bool]) -> set[tuple[int, int]]:
    """Datelines' places ("BEIRUT (AFP) -", "Beirut, Lebanon (AFP) -"), also where the
    NER missed them or joined them to the headline."""
    out = set()
    for m in _DATELINE.finditer(text[:3000]):
        span = m.span(1)
        for s, e in [k for k in found if k[0] < span[1] and span[0] < k[1]]:
            del found[(s, e)]
        out.add(span)
    return out


def _demonym(gazetteer: Gazetteer, name: str) -> Place | None:
    """The country (or continent, or nation of the UK) whose people `name` names, exactly
    as written: "Russian", "Syrians", "North Korean", "European"; None for any other name
    and for the peoples of several states (`_PEOPLES`)."""
    norm = normalize_name(name)
    if norm in _PEOPLES or norm not in gazetteer.demonyms():
        return None
    return next((c.place for c in gazetteer.candidates(name, limit=5)
                 if c.demonym and c.matched_name == norm), None)


def _demonym_spans(doc: Doc, text: str, gazetteer: Gazetteer,
                   found: dict[tuple[int, int], bool], offsets: _Offsets
                   ) -> dict[tuple[int, int], Place]:
    """Demonyms anywhere in the text, also inside organisations' names ("Russian Defence
    Ministry") and where the NER tagged them as a place; a span already read as a place
    that merely begins with one ("Indian Ocean") is left alone. `text` is the doc's,
    `offsets` its `_offsets`."""
    out: dict[tuple[int, int], Place] = {}
    busy = sorted(found)
    # read from arrays and `text`, visiting the capitalised words only, as `_untagged_spans`
    starts, ends, upper = offsets
    alpha = doc.to_array("IS_ALPHA")
    capital = {i for i in upper if alpha[i]}
    after = 0  # the first token not yet inside a demonym found
    for i in upper:  # in text order
        if i < after or i not in capital:
            continue
        for width in (2, 1):  # "North Korean", "Sri Lankan" before "Korean"
            if width == 2 and i + 1 not in capital:
                continue
            start, end = starts[i], ends[i + width - 1]
            place = _demonym(gazetteer, text[start:end])
            if place is None:
                continue
            if any(s < end and start < e and (s, e) != (start, end) for s, e in busy):
                continue  # part of a longer place name
            out[(start, end)] = place
            after = i + width
            break
    return out


def extract_places(doc: Doc, article: Article, gazetteer: Gazetteer) -> list[PlaceMention]:
    """Every place named in the article, resolved with the article as context; demonyms
    as mentions of their own kind ("demonym"), resolved to their country."""
    # read once: both the untagged names and the demonyms walk the capitalised tokens
    offsets = _offsets(doc, article.text)
    found, countries = _candidate_spans(doc, article.text, gazetteer, offsets)
    found = _with_facilities(article.text, found, gazetteer)
    datelines = _datelines(article.text, found)
    found.update(dict.fromkeys(datelines, True))
    demonyms = _demonym_spans(doc, article.text, gazetteer, found, offsets)
    for span in demonyms:
        found.pop(span, None)
    spans = sorted(found)
    if (home_cc := outlet_country(article.url)) is not None:
        countries.add(home_cc)
    known_cc = home_cc or (outlet_home(article.outlet)[0] if article.outlet else None)
    towns = outlet_towns(gazetteer, article.outlet, article.url, known_cc)
    resolved = resolve_mentions(article.text, spans, gazetteer, extra_countries=sorted(countries),
                                home=towns)
    kept: list[tuple[int, int]] = []
    kept_res: list[Resolution | None] = []
    for span, r in zip(spans, resolved, strict=True):
        if r is not None and r.score < _MIN_SCORE:
            continue  # a name that is a place only by a far-fetched reading ("Daesh")
        weak = r is None or r.guessed
        if weak and not found[span]:
            continue
        kept.append(span)
        kept_res.append(r)
    vague = _vague_spans(article.text, kept, kept_res)
    covered = {(s, e) for s, e, _ in vague}
    mentions = [_mention(article, s, e, r, gazetteer) for s, e, r in vague]
    for (s, e), r in zip(kept, kept_res, strict=True):
        if any(vs <= s and e <= ve for vs, ve in covered):
            continue
        mentions.append(_mention(article, s, e, r, gazetteer))
    for (s, e), place in demonyms.items():
        mentions.append(_mention(article, s, e, Resolution(place, 1.0, _precision(place), None,
                                                           "demonym"), gazetteer))
    for m in mentions:
        m.dateline = (m.start, m.end) in datelines
    return sorted(mentions, key=lambda m: m.start)
