"""Typed records that flow through the pipeline.

Every record that comes out of an article carries the article's id and the character
offsets of the text it was read from, so a person can always check the machine. The
field names follow the output contract in the README (`articles.jsonl`, `places.jsonl`
...): `to_dict()` is exactly what is written, one JSON object per line.

Records are plain slotted dataclasses, not pydantic models: they are created by the
hundred thousand in the per-article stage and pickled to Dask workers, so they must be
cheap. Validation happens at the edges (ingest, the actor registry, the web API).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Self, get_args, get_origin, get_type_hints

__all__ = [  # the records `newsdesk` re-exports as its public API
    "ActorMention", "Article", "ArticleRecords", "Claim", "ClaimGroup", "DateRef", "Incident",
    "InputError", "PlaceMention", "Quote", "SourceToll", "Story",
]

Precision = Literal["day", "week", "month", "year", "range", "unknown"]
"""How finely a resolved date is known (ACLED's time_precision 1/2/3 maps onto day/week/month)."""


_OMIT_NONE = "omit_none"
"""Field metadata key: leave the field out of `to_dict` while it is None.

For fields added after the output contract was fixed, so that files written without them
stay byte-identical."""


class Record:
    """The one `to_dict`/`from_dict` pair every record shares.

    `to_dict` is what is written (JSONL lines, store rows); `from_dict` reads it back,
    rebuilding nested records and lists of records from the field types. Keys that name
    no field are ignored: stored rows carry extra columns, and rows written by an older
    version may hold fields since removed.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        names, values, omitted = _layout(type(self))
        out = dict(zip(names, values(self), strict=True))
        for name, value in out.items():
            if type(value) not in _LEAVES:
                out[name] = _plain(value)
        for name in omitted:
            if out[name] is None:
                del out[name]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        hints = _hints(cls)
        return cls(**{name: _typed(hints[name], value) for name, value in data.items()
                      if name in hints})


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Types `_plain` returns as they are: checked first, since most values are one of them
(`to_dict` is called for every record the store saves and every line an export writes)."""


def _plain(value: Any) -> Any:
    """A field value as JSON-ready data: records become dicts, lists and dicts are copied,
    as `dataclasses.asdict` did when each record had its own `to_dict`."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [v if type(v) in _LEAVES else _plain(v) for v in value]
    if isinstance(value, dict):
        return {k: v if type(v) in _LEAVES else _plain(v) for k, v in value.items()}
    return value


@cache
def _layout(cls: type[Record]) -> tuple[
        tuple[str, ...], Callable[[Record], tuple[Any, ...]], tuple[str, ...]]:
    """The field names in order, a getter of every field's value as a tuple in that order,
    and the names left out of `to_dict` while None: made once per class, not per call
    (`dataclasses.fields` builds its tuple every time)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = tuple(f.name for f in fields)
    get = operator.attrgetter(*names)
    values = get if len(names) > 1 else lambda record: (get(record),)
    return names, values, tuple(f.name for f in fields if f.metadata.get(_OMIT_NONE))


@cache
def _hints(cls: type[Record]) -> dict[str, Any]:
    """Field name -> resolved type (the annotations are strings under `from __future__`)."""
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}  # type: ignore[arg-type]


def _typed(hint: Any, value: Any) -> Any:
    """`value` read back as `hint`: records and lists of records are rebuilt, the rest kept."""
    if value is None:
        return None
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint.from_dict(value)
    origin = get_origin(hint)
    if origin is list:
        (item,) = get_args(hint)
        return [_typed(item, v) for v in value]
    return value


@dataclass(slots=True)
class Span(Record):
    """A stretch of an article's text: `text == article.text[start:end]`."""

    start: int
    end: int
    text: str


@dataclass(slots=True)
class Article(Record):
    """A cleaned report: main text and metadata, before any analysis.

    `id` is derived from the content (see `ingest.article_id`) so the same input gets the
    same id on every run and every machine. `text` is the cleaned main text; every offset
    in every other record points into it.
    """

    id: str
    source: str
    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    outlet_source: str | None = None  # "input", "sidecar", "page", "url", "dateline"
    wire: str | None = None  # wire agency whose copy this is (AFP, Reuters...), if any
    republished: bool = False  # wire copy carried by a site other than the agency
    published: str | None = None  # YYYY-MM-DD, never guessed
    published_source: str | None = None  # "input", "sidecar", "html-meta", "text"
    dateline: str | None = None  # place in the dateline ("Beirut"), as written
    language: str | None = None
    author: str | None = None
    duplicate_of: str | None = None
    story_id: str | None = None
    removed: list[str] = field(default_factory=list)  # chrome lines cleaned away, for audit


@dataclass(slots=True)
class DateRef(Record):
    """A date expression resolved against the article's publication date."""

    article_id: str
    text: str
    start: int
    end: int
    date: str | None  # ISO date of the start of the span, None when it cannot be resolved
    end_date: str | None  # ISO date of the last day covered
    precision: Precision
    kind: Literal["point", "since", "during", "until"] = "point"


@dataclass(slots=True)
class PlaceMention(Record):
    """A place named in an article and the gazetteer entry it was resolved to."""

    article_id: str
    text: str
    start: int
    end: int
    name: str | None  # canonical name
    country_code: str | None  # ISO 3166-1 alpha-2
    lat: float | None
    lon: float | None
    geonameid: int | None
    feature: str | None = None  # "country", "admin1", "city", "district"...
    # "exact" (a town or facility), "parent" (a vague place or facility resolved to its
    # town), "admin1" (a first- or second-level region), "country", "region" (wider areas
    # and lines: seas, rivers, world regions, disputed areas)
    precision: str | None = None
    parent: str | None = None  # for vague places: "Old City" of which place
    score: float | None = None
    admin1: str | None = None  # the first-level region it lies in (ACLED's admin1)
    # what the mention names: "town", "district", "region", "country", "sea", "gulf",
    # "river", "island", "disputed area", "airport", "air base", "facility", "area"...;
    # "place" for a name the gazetteer lacks, resolved to the report's own area (parent);
    # "demonym" for a people's name ("Russian", "Syrians"): see `on_ground`
    kind: str | None = None
    dateline: bool = False  # the report's dateline ("BEIRUT (AFP) -"): where it was filed


def on_ground(places: Iterable[PlaceMention]) -> list[PlaceMention]:
    """The mentions that place something on the ground, for every consumer that locates.

    A demonym ("Russian strikes", "Syrians fled", kind "demonym") is kept as a place
    mention, resolved to its country, because it names one; but it says whose, not where:
    Russian strikes fall in Ukraine or Syria. Incident locations, claims' places, story
    facts, maps and exports therefore read places through this one filter.
    """
    return [p for p in places if p.kind != "demonym"]


@dataclass(slots=True)
class ActorMention(Record):
    """An armed or political actor named in an article, resolved to a canonical id."""

    article_id: str
    text: str
    start: int
    end: int
    actor_id: str
    name: str
    kind: str | None  # ACLED actor type, e.g. "Rebel group", "State forces"
    inter: int | None = None  # ACLED inter code 1-8
    country_code: str | None = None
    known: bool = True  # False: not in the registry, id derived from the normalised name


@dataclass(slots=True)
class Claim(Record):
    """A number someone asserts: what is counted, of whom, over what scope, says who."""

    id: str
    article_id: str
    sentence: str
    value: float | None
    low: float | None
    high: float | None
    counted: str
    subject: str | None
    scope: str | None
    claimant: str | None  # canonical; None when the outlet itself asserts it
    claimant_text: str | None
    start: int = 0  # offsets of the number expression in the article text
    end: int = 0
    sentence_start: int = 0
    sentence_end: int = 0
    number_text: str = ""
    qualifier: str | None = None  # "about", "at least", "up to", "more than"...
    unit: str | None = None  # for distances and percentages
    category: str = "other"  # "casualties", "force", "displacement", "other"
    claimant_id: str | None = None  # actor id when the claimant is a known actor
    date: str | None = None  # resolved date of the scope, if any
    end_date: str | None = None


@dataclass(slots=True)
class Quote(Record):
    """Words attributed to a speaker, direct ("...") or reported."""

    article_id: str
    speaker: str | None
    speaker_text: str | None
    role: str | None
    text: str
    direct: bool
    start: int = 0
    end: int = 0
    speaker_start: int | None = None
    speaker_end: int | None = None
    cue: str | None = None  # "said", "told", "tweeted"...
    id: str = ""


@dataclass(slots=True)
class SourceToll(Record):
    """Who reported which toll of an incident: one claimant in one report, and where.

    `claimant` is None when the outlet states the toll itself; `start`/`end` are the
    offsets of the sentence that states it in the report's `field`: its text, or its title
    when only the headline gives the toll.
    """

    article_id: str
    outlet: str | None
    published: str | None
    claimant: str | None
    killed: int | None
    injured: int | None
    start: int
    end: int
    sentence: str
    field: Literal["text", "title"] = "text"


@dataclass(slots=True)
class Incident(Record):
    """An event coded in ACLED's typology, from one or more articles."""

    id: str
    event_date: str | None
    date_precision: Precision
    event_type: str
    sub_event_type: str
    actor1: str | None
    actor2: str | None
    location: str | None
    country_code: str | None
    lat: float | None
    lon: float | None
    fatalities: int | None
    article_ids: list[str]
    outlets: list[str]
    notes: str
    fatalities_low: int | None = None
    fatalities_high: int | None = None
    geonameid: int | None = None
    location_precision: str | None = None
    admin1: str | None = None  # first-level region of the location (ACLED's admin1)
    actor1_id: str | None = None
    actor2_id: str | None = None
    evidence: list[Span] = field(default_factory=list)  # sentences it was coded from
    claim_ids: list[str] = field(default_factory=list)
    grade: str | None = None
    grade_reason: str | None = None
    independent_outlets: int | None = None
    status: str = "machine"  # review status: machine, accepted, edited, rejected, merged
    injured: int | None = None  # the wounded, best estimate; fatalities is the killed
    injured_low: int | None = None
    injured_high: int | None = None
    # of the killed and the wounded, those the reports call civilians or combatants
    civilians_killed: int | None = None
    combatants_killed: int | None = None
    civilians_injured: int | None = None
    combatants_injured: int | None = None
    tolls: list[SourceToll] = field(default_factory=list)  # each source's figures
    # the incident a reviewer merged this one into; absent from the outputs while None
    merged_into: str | None = field(default=None, metadata={_OMIT_NONE: True})


LOCATION_FIELDS = ("location", "country_code", "lat", "lon", "geonameid", "location_precision",
                   "admin1")
"""An incident's place: these fields belong together and move together."""

KEY_CATEGORIES = frozenset({"casualties", "force", "displacement"})
"""Claim categories a monitor reads the figures for; holes, gaps and directions come after."""


@dataclass(slots=True)
class ClaimGroup(Record):
    """Claims about the same quantity within a story, and whether they agree."""

    counted: str
    subject: str | None
    claims: list[str]
    values: list[dict[str, Any]]
    status: Literal["agreed", "contested", "single-source", "timeline", "different-scope"]
    independent_outlets: int
    grade: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class Story(Record):
    """Articles that report the same event or campaign, across outlets and days."""

    id: str
    title: str
    article_ids: list[str]
    outlets: list[str]
    first_published: str | None
    last_published: str | None
    claim_groups: list[ClaimGroup] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # explanations for the grouping
    brief_md: str | None = None
    brief_html: str | None = None
    # sub-events of a campaign story: {id, article_ids, first_published, last_published, why}
    events: list[dict[str, Any]] = field(default_factory=list)
    # what `stories.link` needs to let new articles join later without relinking old ones
    signature: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ArticleRecords(Record):
    """Everything the per-article stage extracts from one article.

    This is the unit that crosses process boundaries: the per-article stage returns it,
    the cross-article stage (duplicates, stories, claim groups) consumes a list of them.
    """

    article: Article
    places: list[PlaceMention] = field(default_factory=list)
    actors: list[ActorMention] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class InputError:
    """One input that could not be read, and why, in words a user can act on."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"
