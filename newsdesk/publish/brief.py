"""A brief per story, in Markdown and HTML, every sentence tied to the sentences it rests on.

The brief is extractive and template-based (no language model): what happened (the
story's incidents, or the lead of its first report), where, when, who, one line of key
figures per claim group, a timeline, and numbered citations giving article id, character
offsets, outlet and title, so a reader can check every line against the reports. Article
text is untrusted: the HTML is rendered by Jinja2 with autoescape on.

A brief fits one screen however many reports feed it. A story of 200 reports (forty
versions of five, carried by wire copies and duplicates) must still read as five reports'
worth of facts, so:
- each claimant's figures in a claim group become one value or a range (lowest to highest
  over its reports, with the latest), with the number of reports and independent outlets;
- citations are collapsed: for each figure at most one citation per outlet (the wire agency
  for wire copy) and a few outlets at most; a report marked as a duplicate, or a wire copy
  whose agency's own report is at hand, is cited through that original, never itself;
- the timeline gives reports and incidents per day (per week or month when the story spans
  many days), the key figures over time per claimant, and undated reports once;
- the rest of the sources are listed under "show all sources": collapsed in the HTML,
  counted per outlet in the Markdown.
The status and grade words are the claim groups' own (`newsdesk.link.claim_groups`), the
ones the desk and the exports show.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import jinja2
import jinja2.bccache

from newsdesk.link.common import source_of
from newsdesk.models import (
    KEY_CATEGORIES,
    ArticleRecords,
    ClaimGroup,
    Incident,
    Story,
    on_ground,
)

log = logging.getLogger(__name__)

_TOP_NAMES = 6
_INCIDENT_LINES = 8
_POINTS_PER_LINE = 6  # points of a figure over time shown, the rest counted
BRIEF_CHARS = 6000  # one screen: a brief is written at the most detail that fits


@dataclass(slots=True, frozen=True)
class _Detail:
    """How much a brief shows: a story of five reports gets the first, one of hundreds
    the first that fits `BRIEF_CHARS`."""

    per_figure: int  # citations of one figure, one per outlet
    range_ends: int  # citations of a range: its lowest and highest (2), or its latest (1)
    per_other: int  # citations of a figure outside the key categories, or over time
    other_lines: int  # lines of other figures, the rest counted
    timeline_rows: int  # past this many days the timeline counts per week, then per month
    row_outlets: int  # outlets named in a timeline row
    title_chars: int  # a cited report's headline in the Sources list (0: left out)
    quote_chars: int  # a cited sentence in the Sources list


_DETAILS = (
    _Detail(per_figure=2, range_ends=2, per_other=1, other_lines=8, timeline_rows=14,
            row_outlets=3, title_chars=80, quote_chars=160),
    _Detail(per_figure=2, range_ends=2, per_other=1, other_lines=8, timeline_rows=14,
            row_outlets=3, title_chars=0, quote_chars=70),
    _Detail(per_figure=1, range_ends=2, per_other=0, other_lines=8, timeline_rows=14,
            row_outlets=2, title_chars=0, quote_chars=60),
    _Detail(per_figure=1, range_ends=2, per_other=0, other_lines=3, timeline_rows=14,
            row_outlets=0, title_chars=0, quote_chars=50),
    _Detail(per_figure=1, range_ends=1, per_other=0, other_lines=0, timeline_rows=14,
            row_outlets=0, title_chars=0, quote_chars=40),
)
_UNIT_NAMES = {"km2": "km²", "mi2": "sq mi"}
_POSTPOSED = {"or so", "or more", "or fewer"}  # qualifiers written after the number
_BASE_UNITS = {"km": 1000.0, "mi": 1609.344, "km2": 1e6, "mi2": 2_589_988.11}


@dataclass(slots=True)
class _Line:
    """One sentence of the brief, as parts each followed by the citations it rests on."""

    parts: list[tuple[str, list[int]]]
    when: str | None = None

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.parts)

    @property
    def cites(self) -> list[int]:
        return sorted({n for _, ns in self.parts for n in ns})


class _Citations:
    """Numbered references, one per distinct (article, start, end), and what may be cited.

    A report is cited through its original: a duplicate whose original is at hand, or a
    wire copy whose agency's own report is, is never cited itself.
    """

    def __init__(self, records: Mapping[str, ArticleRecords], detail: _Detail) -> None:
        self.records = records
        self.detail = detail
        self.items: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, int, int], int] = {}
        agencies = {r.article.outlet for r in records.values()
                    if r.article.outlet and not r.article.republished
                    and not _is_copy(r, records)}
        self._cited_elsewhere = {
            aid for aid, r in records.items()
            if _is_copy(r, records) or (r.article.republished and r.article.wire in agencies)
        }

    def cited(self, article_id: str, start: int, end: int) -> bool:
        return (article_id, start, end) in self._seen

    def citable(self, article_id: str) -> bool:
        return article_id in self.records and article_id not in self._cited_elsewhere

    def cite(self, article_id: str, start: int, end: int) -> int | None:
        rec = self.records.get(article_id)
        if rec is None or not self.citable(article_id) \
                or not 0 <= start < end <= len(rec.article.text):
            return None
        key = (article_id, start, end)
        if key not in self._seen:
            self.items.append({
                "n": len(self.items) + 1, "article_id": article_id, "start": start, "end": end,
                "outlet": rec.article.outlet or "unknown outlet", "title": rec.article.title or "",
                "url": rec.article.url, "published": rec.article.published,
                "quote": " ".join(rec.article.text[start:end].split()),
            })
            self._seen[key] = len(self.items)
        return self._seen[key]


def _is_copy(rec: ArticleRecords, records: Mapping[str, ArticleRecords]) -> bool:
    orig = rec.article.duplicate_of
    return bool(orig) and orig != rec.article.id and orig in records


def write_briefs(
    stories: Sequence[Story], records_by_article: Mapping[str, ArticleRecords],
    incidents_of: Mapping[str, Sequence[Incident]],
) -> None:
    """Fill each story's title and brief; a story none of whose articles is at hand keeps
    the ones it had.

    Linking only groups; the brief is a publication of the group, written after it, and the
    title is the group's most representative headline (`story_title`).
    """
    for story in stories:
        members = {a: records_by_article[a] for a in story.article_ids if a in records_by_article}
        if members:
            story.title = story_title(members.values()) or story.title
            story.brief_md, story.brief_html = write_brief(
                story, members, incidents=incidents_of.get(story.id, ()),
            )


def story_title(records: Iterable[ArticleRecords]) -> str | None:
    """The headline whose words are most shared by the story's other headlines.

    The founding report's headline is often a wire slug or missing, in which case linking
    fell back to a lede line; the most representative headline names what most reports
    name. Headlines that read as lede lines (a dateline, a full sentence) are only taken
    when there is nothing else; copies count once; ties go to the earliest report.
    """
    heads: dict[str, tuple[str | None, str]] = {}
    for r in sorted(records, key=lambda r: (r.article.published or "9999", r.article.id)):
        title = " ".join((r.article.title or "").split())
        if title and r.article.duplicate_of in (None, r.article.id):
            heads.setdefault(title.lower(), (r.article.published, title))
    if not heads:
        return None
    words = {k: set(re.findall(r"\w{3,}", k)) for k in heads}
    headlines_with = Counter(w for ws in words.values() for w in ws)

    def score(k: str) -> tuple[bool, float]:
        # how many other headlines each of its words is in, on average: linear in the
        # number of headlines, where comparing them pairwise would not be
        shared = sum(headlines_with[w] - 1 for w in words[k]) / (len(words[k]) or 1)
        return (_reads_as_lede(heads[k][1]), -shared)

    return heads[min(heads, key=score)][1]


def _reads_as_lede(title: str) -> bool:
    """Long, a full sentence, or opening on a dateline ("AIN ISSA, Syria: ...")."""
    return (len(title.split()) > 18 or title.endswith(".")
            or bool(re.match(r"[A-Z][A-Z .'-]+,[^:]{0,30}:", title)))


def write_brief(
    story: Story, records_by_article: Mapping[str, ArticleRecords], *,
    incidents: Sequence[Incident] | None = None,
) -> tuple[str, str]:
    """Return the story's brief as (Markdown, HTML), at the most detail that fits a screen."""
    recs = [records_by_article[a] for a in story.article_ids if a in records_by_article]
    recs.sort(key=lambda r: (r.article.published or "9999", r.article.id))
    for detail in _DETAILS:
        data = _brief_data(story, recs, list(incidents or []), detail)
        md = _markdown(data)
        if len(md) <= BRIEF_CHARS:
            break
    return md, _template().render(**data)


def _brief_data(story: Story, recs: Sequence[ArticleRecords], incidents: Sequence[Incident],
                detail: _Detail) -> dict[str, Any]:
    cites = _Citations({r.article.id: r for r in recs}, detail)
    happened = [_incident_line(i, cites) for i in incidents[:_INCIDENT_LINES]]
    if not happened:  # no incident: the lead of the first report that has one
        lead = next((line for r in recs if cites.citable(r.article.id)
                     if (line := _lead_line(r, cites)) is not None), None)
        happened = [lead] if lead is not None else []
    category = {c.id: c.category for r in recs for c in r.claims}
    key = [g for g in story.claim_groups if any(category.get(c) in KEY_CATEGORIES
                                                for c in g.claims)]
    other = [g for g in story.claim_groups if g not in key]
    figures = [_figure_line(g, cites) for g in key]
    other_lines = _other_lines(other, cites, detail.other_lines)
    over_time = [(g, line) for g in key if (line := _over_time(g, cites)) is not None]
    return {
        "title": story_title(recs) or story.title, "story_id": story.id,
        "facts": _facts(story, recs), "happened": happened, "figures": figures,
        "other_figures": other_lines,
        "other_more": len({_what(g) for g in other}) - len(other_lines),
        "timeline": _timeline(recs, incidents, detail),
        "over_time": [line for _, line in over_time],
        "chart": _chart(recs, incidents, [g for g, _ in over_time]),
        "undated": _undated(recs, incidents),
        "citations": cites.items, "all_sources": _all_sources(recs, cites),
        "outlet_counts": _outlet_counts(recs), "detail": detail,
    }


# --- sections ----------------------------------------------------------------------------------


def _facts(story: Story, recs: Sequence[ArticleRecords]) -> list[tuple[str, str]]:
    places = Counter(p.name for r in recs for p in on_ground(r.places) if p.name)
    actors = Counter(a.name for r in recs for a in r.actors if a.name)
    when = story.first_published or "date unknown"
    if story.last_published and story.last_published != story.first_published:
        when = f"{story.first_published} to {story.last_published}"
    outlets = _outlet_counts(recs)
    named = ", ".join(name for name, _ in outlets[:_TOP_NAMES])
    if len(outlets) > _TOP_NAMES:
        named += f" and {len(outlets) - _TOP_NAMES} more"
    by_id = {r.article.id: r for r in recs}
    copies = sum(1 for r in recs if _is_copy(r, by_id))
    reports = f"{len(story.article_ids)} from {len(outlets)} outlet" \
              f"{'s' if len(outlets) != 1 else ''} ({named or 'unknown outlets'})"
    if copies:
        reports += f"; {copies} are copies of others, cited through their originals"
    out = [("Reports", reports), ("When", when)]
    if places:
        out.append(("Where", ", ".join(n for n, _ in places.most_common(_TOP_NAMES))))
    if actors:
        out.append(("Who", ", ".join(n for n, _ in actors.most_common(_TOP_NAMES))))
    return out


def _outlet_counts(recs: Sequence[ArticleRecords]) -> list[tuple[str, int]]:
    counts = Counter(r.article.outlet or "unknown outlet" for r in recs)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _cite_once_per_outlet(spans: Iterable[tuple[str, int, int]], cites: _Citations,
                          limit: int) -> list[int]:
    """Citations of one fact: its first citable passage per outlet, `limit` outlets at most.

    Passages already cited come first, so facts read from the same sentence share a number.
    """
    spans = list(spans)
    spans.sort(key=lambda s: not cites.cited(*s))  # stable: otherwise in the order given
    out: list[int] = []
    outlets: set[str] = set()
    for aid, start, end in spans:
        if len(outlets) >= limit:
            break
        rec = cites.records.get(aid)
        if rec is None or not cites.citable(aid) or source_of(rec, cites.records) in outlets:
            continue
        n = cites.cite(aid, start, end)
        if n:
            outlets.add(source_of(rec, cites.records))
            if n not in out:
                out.append(n)
    return out


def _incident_line(inc: Incident, cites: _Citations) -> _Line:
    who = " and ".join(a for a in (inc.actor1, inc.actor2) if a)
    where = f" in {inc.location}" if inc.location else ""
    when = f" on {inc.event_date}" if inc.event_date else ""
    text = f"{inc.sub_event_type or inc.event_type}{where}{when}"
    if who:
        text += f" ({who})"
    if inc.fatalities is not None:
        text += f"; at least {inc.fatalities} killed"
    n_reports = len(inc.article_ids)
    if n_reports > 1:
        text += f"; {n_reports} reports"
    if inc.grade:
        text += f". Grade: {inc.grade}" + (f" ({_short(inc.grade_reason)})"
                                           if inc.grade_reason else "")
    order = {a: i for i, a in enumerate(cites.records)}
    spans = [(a, s.start, s.end) for a in sorted(inc.article_ids, key=lambda a: order.get(a, 0))
             for s in inc.evidence if _holds(cites.records.get(a), s.start, s.end, s.text)]
    return _Line([(text + ".", _cite_once_per_outlet(spans, cites, cites.detail.per_figure))],
                 inc.event_date)


def _short(reason: str) -> str:
    """A grade's reason without the list of its sources, which the Sources list gives."""
    return reason if len(reason) <= 80 else reason.split(" (", 1)[0]


def _holds(rec: ArticleRecords | None, start: int, end: int, text: str) -> bool:
    """Merged incidents pool evidence from several articles: find the one it came from."""
    return rec is not None and rec.article.text[start:end] == text


def _lead_line(rec: ArticleRecords, cites: _Citations) -> _Line | None:
    text = rec.article.text
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        if len(line.strip()) < 60 or (rec.article.title and line.strip() == rec.article.title):
            continue
        cut = re.search(r"[.!?](?=\s|$)", line)
        end = m.start() + (cut.end() if cut else len(line))
        start = m.start() + (len(line) - len(line.lstrip()))
        n = cites.cite(rec.article.id, start, end)
        said = f"{rec.article.outlet or 'A report'} reports: “{text[start:end]}”"
        return _Line([(said, [n] if n else [])])
    return None


# --- figures -----------------------------------------------------------------------------------


def _number(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _unit(value: dict[str, Any]) -> str:
    unit = value.get("unit")
    if not unit:
        return ""
    return "%" if unit == "%" else f" {_UNIT_NAMES.get(unit, unit)}"


def _display(value: dict[str, Any]) -> str:
    q = value.get("qualifier")
    lo, hi, v = value.get("low"), value.get("high"), value.get("value")
    if v is None and lo is not None and hi is not None:
        shown = f"between {_number(lo)} and {_number(hi)}"
    elif v is None:
        shown = _number(lo if lo is not None else hi)
    else:
        shown = _number(v)
    shown += _unit(value)
    if q in _POSTPOSED:
        return f"{shown} {q}"
    return f"{q} {shown}" if q else shown


def _size(value: dict[str, Any]) -> tuple[float, float]:
    """(lowest, highest) the value allows, in the group's base unit: 2.5 km and 2,500 m."""
    factor = _BASE_UNITS.get(value.get("unit") or "", 1.0)
    lo = value.get("low") if value.get("low") is not None else value.get("value")
    hi = value.get("high") if value.get("high") is not None else value.get("value")
    lo = hi if lo is None else lo
    hi = lo if hi is None else hi
    return (lo or 0.0) * factor, (hi or 0.0) * factor


def _latest(values: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return max(values, key=lambda v: (v.get("published") or "", v.get("article_id") or ""))


@dataclass(slots=True)
class _Claimant:
    """One claimant's figures in a claim group (within one scope, when scopes differ).

    Figures the outlets state themselves (no claimant) are one party, named by its outlets.
    """

    who: str
    scope: str | None
    values: list[dict[str, Any]]

    def figure(self, cites: _Citations, *, latest: bool = True, most: int | None = None,
               ) -> tuple[str, list[int]]:
        """Its value, or its range (with the latest), and at most `most` citations: a
        single figure's through as many outlets, a range's lowest and highest through one."""
        most = cites.detail.per_figure if most is None else most
        if len({_figure(v) for v in self.values}) == 1:  # "around 2,500" and "some 2,500"
            return _display(self.values[0]), self.cite(self.values[0], cites, most)
        low = min(self.values, key=lambda v: (_size(v)[0], _display(v)))
        high = max(self.values, key=lambda v: (_size(v)[1], _display(v)))
        if _qualified_alike(low, high):
            q = low.get("qualifier")
            lo = _number(low["low"] if low.get("value") is None else low["value"])
            hi = _number(high["high"] if high.get("value") is None else high["value"])
            text = f"{lo}–{hi}{_unit(high)}"
            text = (f"{text} {q}" if q in _POSTPOSED else f"{q} {text}") if q else text
        else:
            text = f"{_display(low)} to {_display(high)}"
        if latest:
            last = _latest(self.values)
            reports = f"{len({v['article_id'] for v in self.values})} reports"
            # the latest only where reports are dated: otherwise there is no latest
            text += (f" (latest {_display(last)} on {last['published']}; {reports})"
                     if last.get("published") else f" ({reports})")
        ends = (low, high) if cites.detail.range_ends > 1 else (_latest(self.values),)
        ns: list[int] = []
        for v in ends[:most]:
            ns += [n for n in self.cite(v, cites, 1) if n not in ns]
        return text, ns

    def cite(self, figure: dict[str, Any], cites: _Citations, limit: int) -> list[int]:
        """Passages giving the same figure as `figure`, one per outlet, `limit` at most."""
        spans = [(v["article_id"], v.get("sentence_start", 0), v.get("sentence_end", 0))
                 for v in sorted(self.values, key=_order) if _figure(v) == _figure(figure)]
        return _cite_once_per_outlet(spans, cites, limit)


_ROUGHLY = frozenset({"about", "around", "some", "approximately", "roughly", "an estimated",
                      "estimated", "or so", "close to", "circa", "nearly", "almost"})


def _figure(v: dict[str, Any]) -> tuple[Any, ...]:
    """What a value says, whatever its wording: "around 2,500" is "some 2,500"."""
    q = v.get("qualifier")
    return (v.get("value"), v.get("low"), v.get("high"), v.get("unit"),
            "~" if q in _ROUGHLY else q)


def _qualified_alike(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two point figures a range can be written between: "about 2,300–2,700"."""
    return (_figure(a)[3:] == _figure(b)[3:] and a.get("value") is not None
            and b.get("value") is not None)


def _order(v: dict[str, Any]) -> tuple[str, str]:
    return (v.get("published") or "9999", v.get("article_id") or "")


def _claimants(values: Sequence[dict[str, Any]], *, by_scope: bool = False) -> list[_Claimant]:
    """The values per claimant (and scope), in the order they were first reported."""
    out: dict[tuple[str | None, str | None], _Claimant] = {}
    for v in sorted(values, key=_order):
        scope = v.get("scope") if by_scope else None
        key = (v.get("claimant"), scope)
        out.setdefault(key, _Claimant(v.get("claimant") or "", scope, [])).values.append(v)
    for c in out.values():
        if not c.who:
            c.who = _reports_of(c.values)
    return list(out.values())


def _reports_of(values: Sequence[dict[str, Any]]) -> str:
    """Who states figures no claimant is given for: the outlet, or how many outlets."""
    outlets = Counter(v.get("outlet") or "an unnamed outlet" for v in values)
    if len(outlets) == 1:
        return next(iter(outlets))
    named = [o for o, _ in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))]
    if len(named) == 2:
        return " and ".join(named)
    return f"{named[0]}, {named[1]} and {len(named) - 2} more outlets"


def _refs(ns: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def _what(group: ClaimGroup) -> str:
    return group.counted + (f" ({group.subject})" if group.subject else "")


def _outlets(group: ClaimGroup) -> str:
    n = group.independent_outlets
    return f"{n} independent outlet{'s' if n != 1 else ''}"


def _figure_line(group: ClaimGroup, cites: _Citations) -> _Line:
    """One line per claim group: each claimant's value or range, the outlets, the grade."""
    what = _what(group)
    parts: list[tuple[str, list[int]]] = []
    if group.status == "different-scope":
        parts.append((f"These {what} figures cover different periods or places: ", []))
        own = {v.get("claimant") for v in group.values if v.get("confirmed")}
        for i, c in enumerate(_claimants(group.values, by_scope=True)):
            shown, ns = c.figure(cites)
            mark = " (confirmed: the party responsible gives it)" if c.who in own else ""
            parts.append((f"{'; ' if i else ''}{shown} {c.scope or '(scope not stated)'} "
                          f"according to {c.who}{mark}", ns))
        parts.append((f". Different scope, so not graded as one figure; {_outlets(group)}.",
                      []))
        return _Line(parts)
    if group.status == "contested":
        parts.append((f"Sources disagree on the number of {what}: ", []))
        for i, c in enumerate(_claimants(group.values)):
            shown, ns = c.figure(cites)
            parts.append((f"{'; ' if i else ''}{c.who} puts it at {shown}", ns))
    elif group.status == "timeline":
        parts.append((f"The figure for {what} changed over time: ", []))
        points = _points(group.values)
        for i, (day, c) in enumerate(_thin(points)):
            shown, ns = c.figure(cites, latest=False)
            parts.append((f"{'; ' if i else ''}{shown} on {day or 'an undated report'} "
                          f"according to {c.who}", ns))
        if len(points) > _POINTS_PER_LINE:
            parts.append((f" ({len(points)} points in all)", []))
    else:
        parts.append((f"{what[0].upper()}{what[1:]}: ", []))
        for i, c in enumerate(_claimants(group.values)):
            shown, ns = c.figure(cites)
            parts.append((f"{'; ' if i else ''}{shown} according to {c.who}", ns))
        if group.status == "agreed":
            parts.append((" (all report compatible figures)", []))
    parts.append((f". {_outlets(group)[0].upper()}{_outlets(group)[1:]}."
                   + (f" Grade: {group.grade}." if group.grade else ""), []))
    return _Line(parts)


def _points(values: Sequence[dict[str, Any]]) -> list[tuple[str | None, _Claimant]]:
    """Figures over time: per day and claimant, that day's values."""
    by_day: dict[tuple[str | None, str | None], list[dict[str, Any]]] = defaultdict(list)
    for v in sorted(values, key=_order):
        by_day[(v.get("published"), v.get("claimant"))].append(v)
    out = []
    for (day, _), vs in sorted(by_day.items(), key=lambda kv: kv[0][0] or "9999"):
        out.append((day, _claimants(vs)[0]))
    return out


def _thin(points: list[Any]) -> list[Any]:
    """The first and last points when there are too many to show."""
    if len(points) <= _POINTS_PER_LINE:
        return points
    half = _POINTS_PER_LINE // 2
    return points[:half] + points[-half:]


def _over_time(group: ClaimGroup, cites: _Citations) -> _Line | None:
    """A key figure over time, per claimant its first and latest day's figure, when several
    claimants gave it on more than one day: the fighters estimate as 2,500 (the coalition,
    one day) then 2,000 (its spokesman, later), two points by two sources. Figures of
    different scopes are not one quantity over time."""
    per_claimant: dict[str, list[tuple[str, _Claimant]]] = defaultdict(list)
    for day, c in _points(group.values):
        if day:
            per_claimant[c.who].append((day, c))
    if group.status == "different-scope" or (len(per_claimant) < 2
                                             and group.status != "timeline"):
        return None  # its key-figure line gives each claimant's range and latest
    shown = sorted((ps[i] for ps in per_claimant.values() for i in sorted({0, len(ps) - 1})),
                   key=lambda p: p[0])
    if len({day for day, _ in shown}) < 2:
        return None
    what = _what(group)
    parts: list[tuple[str, list[int]]] = [(f"{what[0].upper()}{what[1:]}: ", [])]
    for i, (day, c) in enumerate(shown):
        figure, ns = c.figure(cites, latest=False, most=cites.detail.per_other)
        parts.append((f"{' → ' if i else ''}{figure} ({c.who}, {day})", ns))
    days = {day for ps in per_claimant.values() for day, _ in ps}
    if len(days) > len({day for day, _ in shown}):
        parts.append((f" (given on {len(days)} days)", []))
    return _Line(parts)


def _other_lines(groups: Sequence[ClaimGroup], cites: _Citations, most: int) -> list[_Line]:
    """Figures outside the key categories, one line per quantity: distances from different
    points are separate groups that never contest each other, so they share a line. These
    lines cite fewer passages than the key figures; `most` lines, the rest counted."""
    by_what: dict[str, list[ClaimGroup]] = defaultdict(list)
    for g in sorted(groups, key=lambda g: (not any(v.get("unit") for v in g.values),
                                           -len(g.values))):  # measures, then counts
        by_what[_what(g)].append(g)
    out = []
    for what, gs in list(by_what.items())[:most]:
        values = [v for g in gs for v in g.values]
        parts: list[tuple[str, list[int]]] = [(f"{what[0].upper()}{what[1:]}: ", [])]
        for i, c in enumerate(_claimants(values)):
            shown, ns = c.figure(cites, most=cites.detail.per_other)
            parts.append((f"{'; ' if i else ''}{shown} according to {c.who}", ns))
        if len(gs) > 1:
            parts.append((f" ({len(gs)} separate figures, from different points)", []))
        elif gs[0].status == "contested":
            parts.append((" (contested)", []))
        elif gs[0].status == "agreed":
            parts.append((" (compatible figures)", []))
        out.append(_Line([*parts, (".", [])]))
    return out


# --- timeline and sources ----------------------------------------------------------------------


def _bucket(day: str, unit: str) -> str:
    if unit == "day":
        return day
    if unit == "month":
        return day[:7]
    d = date.fromisoformat(day[:10])
    return f"week of {date.fromisocalendar(*d.isocalendar()[:2], 1).isoformat()}"


def _timeline(recs: Sequence[ArticleRecords], incidents: Sequence[Incident], detail: _Detail,
              ) -> list[_Line]:
    """Reports and incidents by date on one axis, per day (or week, or month) when many."""
    days = sorted({r.article.published for r in recs if r.article.published}
                  | {i.event_date for i in incidents if i.event_date})
    unit = "day"
    for unit in ("day", "week", "month"):
        if len({_bucket(d, unit) for d in days}) <= detail.timeline_rows:
            break
    reports: dict[str, list[ArticleRecords]] = defaultdict(list)
    for r in recs:
        if r.article.published:
            reports[_bucket(r.article.published, unit)].append(r)
    events: dict[str, list[Incident]] = defaultdict(list)
    for inc in incidents:
        if inc.event_date:
            events[_bucket(inc.event_date, unit)].append(inc)
    out = []
    for when in sorted(set(reports) | set(events)):
        parts: list[tuple[str, list[int]]] = []
        rs = reports.get(when, [])
        if rs:
            outlets = _outlet_counts(rs)
            k = detail.row_outlets
            said = f"{len(rs)} report{'s' if len(rs) != 1 else ''}"
            if k:
                named = ", ".join(f"{o} ×{n}" if n > 1 else o for o, n in outlets[:k])
                more = f" and {len(outlets) - k} more outlets" if len(outlets) > k else ""
                said += f" ({named}{more})"
            elif len(outlets) > 1:
                said += f" from {len(outlets)} outlets"
            parts.append((said, []))
        for i, inc in enumerate(events.get(when, [])):
            sep = "; " if parts or i else ""
            parts.append((f"{sep}{inc.sub_event_type or inc.event_type}"
                          f"{' in ' + inc.location if inc.location else ''}", []))
        out.append(_Line(parts, when))
    return out


_CHART_WIDTH = 640
_BAR_HEIGHT = 40  # the reports row; the incidents row and each figure row below it
_ROW_HEIGHT = 48  # a figure's row: its label, then its points
_COLOURS = ("#1a5fb4", "#c01c28", "#26a269", "#e66100", "#813d9c", "#986a44")


def _chart(recs: Sequence[ArticleRecords], incidents: Sequence[Incident],
           groups: Sequence[ClaimGroup]) -> dict[str, Any] | None:
    """The timeline on one axis, for the HTML brief: reports per day as bars, dated
    incidents as marks, and the key figures given on several days as points per claimant
    (one per claimant and day, placed between the group's lowest and highest figure)."""
    days = sorted({r.article.published[:10] for r in recs if r.article.published}
                  | {i.event_date[:10] for i in incidents if i.event_date})
    if len(days) < 2:
        return None
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    span = max((last - first).days, 1)
    step = _CHART_WIDTH / (span + 1)

    def x(day: str) -> float:
        return round((date.fromisoformat(day[:10]) - first).days * step, 1)

    per_day = Counter(r.article.published[:10] for r in recs if r.article.published)
    most = max(per_day.values(), default=1)
    bars = [{"x": x(d), "w": round(max(step - 1, 1), 1), "h": round(_BAR_HEIGHT * n / most, 1),
             "title": f"{d}: {n} report{'s' if n != 1 else ''}"}
            for d, n in sorted(per_day.items())]
    marks = [{"x": round(x(i.event_date) + step / 2, 1),
              "title": f"{i.event_date}: {i.sub_event_type or i.event_type}"
                       f"{' in ' + i.location if i.location else ''}"}
             for i in incidents if i.event_date]
    rows = []
    for g in groups:
        sizes = [sum(_size(v)) / 2 for v in g.values if v.get("published")]
        low, high = min(sizes, default=0.0), max(sizes, default=0.0)
        who = {c.who: _COLOURS[n % len(_COLOURS)] for n, c in enumerate(_claimants(g.values))}
        points = []
        for day, c in _points([v for v in g.values if v.get("published")]):
            mid = sum(sum(_size(v)) / 2 for v in c.values) / len(c.values)
            y = 0.5 if high == low else (mid - low) / (high - low)
            shown, _ = c.figure(_Citations({}, _DETAILS[-1]), latest=False)  # text only
            points.append({"x": round(x(day or "") + step / 2, 1),
                           "y": round((1 - y) * (_ROW_HEIGHT - 24) + 18, 1),
                           "colour": who[c.who], "title": f"{c.who}: {shown} ({day})"})
        rows.append({"label": _what(g), "points": points,
                     "legend": [{"who": w, "colour": col} for w, col in who.items()]})
    top = _BAR_HEIGHT + 24
    return {"width": _CHART_WIDTH, "bar_height": _BAR_HEIGHT, "bars": bars, "marks": marks,
            "marks_y": _BAR_HEIGHT + 12, "rows": [dict(r, y=top + n * _ROW_HEIGHT)
                                                 for n, r in enumerate(rows)],
            "row_height": _ROW_HEIGHT, "height": top + len(rows) * _ROW_HEIGHT + 16,
            "first": days[0], "last": days[-1]}


def _undated(recs: Sequence[ArticleRecords], incidents: Sequence[Incident]) -> str | None:
    """Undated items said once ("3 undated reports"), never as a row per item."""
    n_reports = sum(1 for r in recs if not r.article.published)
    n_incidents = sum(1 for i in incidents if not i.event_date)
    said = [(n, f"{word}{'s' if n != 1 else ''}")
            for n, word in ((n_reports, "report"), (n_incidents, "incident")) if n]
    if not said:
        return None
    # "10 undated reports and 3 incidents": the word said once
    return " and ".join(f"{n} {'undated ' if i == 0 else ''}{w}" for i, (n, w) in enumerate(said))


def _all_sources(recs: Sequence[ArticleRecords], cites: _Citations) -> list[dict[str, Any]]:
    """Every report of the story, for the collapsed "show all sources" list."""
    return [{
        "article_id": r.article.id, "outlet": r.article.outlet or "unknown outlet",
        "title": r.article.title or "", "published": r.article.published, "url": r.article.url,
        "copy_of": r.article.duplicate_of if not cites.citable(r.article.id)
        and r.article.duplicate_of else None,
        "wire": r.article.wire if r.article.republished else None,
    } for r in recs]


# --- rendering ---------------------------------------------------------------------------------


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's bytecode cache in its default folder, which never fails a render: a cache
    entry that cannot be read or written (a full or read-only temporary directory) only
    costs compiling the template, as without a cache."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError):
            log.debug("template cache entry unreadable: %s", bucket.key, exc_info=True)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            log.debug("template cache entry not written: %s", bucket.key, exc_info=True)


@cache
def environment() -> jinja2.Environment:
    """The publish templates' Jinja2 environment (briefs and `report.html`).

    Compiled templates are kept in Jinja2's bytecode cache (`_jinja2-cache-<uid>` in the
    system's temporary directory, mode 700; each entry checked against its template's
    source): compiling the two templates was 0.06 CPU s of every process that writes a
    brief or a report. Where that folder cannot be made safely there is no cache.
    """
    try:
        bytecode_cache: jinja2.BytecodeCache | None = _TemplateCache()
    except (OSError, RuntimeError):  # Jinja2 refuses a folder it does not own, or cannot make
        log.debug("no template cache", exc_info=True)
        bytecode_cache = None
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsdesk.publish", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode_cache,
    )


def _template() -> jinja2.Template:
    return environment().get_template("brief.html.j2")


def _md(text: str) -> str:
    """One line of untrusted text made safe for Markdown: no raw HTML, no link syntax."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"([<>\\`*_\[\]])", r"\\\1", text)


def _md_line(line: _Line) -> str:
    return "".join(f"{_md(t)}{' ' + _refs(ns) if ns else ''}" for t, ns in line.parts).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _markdown(data: dict[str, Any]) -> str:
    out = [f"# {_md(data['title'])}", ""]
    out += [f"- **{k}:** {_md(v)}" for k, v in data["facts"]]
    sections = (("What happened", data["happened"]), ("Key figures", data["figures"]),
                ("Other figures", data["other_figures"]))
    for heading, lines in sections:
        if lines:
            out += ["", f"## {heading}", ""]
            out += [f"- {_md_line(line)}" for line in lines]
    if data["other_more"]:
        out.append(f"- {data['other_more']} more figures are in the story's claim table.")
    if data["timeline"] or data["undated"]:
        out += ["", "## Timeline", ""]
        out += [f"- {line.when}: {_md_line(line)}" for line in data["timeline"]]
        out += [f"- Figures over time: {_md_line(line)}" for line in data["over_time"]]
        if data["undated"]:
            out.append(f"- Also {data['undated']}.")
    if data["citations"]:
        out += ["", "## Sources", ""]
        detail = data["detail"]
        for c in data["citations"]:
            title = _clip(c["title"], detail.title_chars) if detail.title_chars else ""
            out.append(f"{c['n']}. {_md(c['outlet'])}{f', “{_md(title)}”' if title else ''} "
                       f"({c['published'] or 'undated'}; article {c['article_id']}, "
                       f"chars {c['start']}–{c['end']}): "
                       f"“{_md(_clip(c['quote'], detail.quote_chars))}”")
    counts = data["outlet_counts"]
    if sum(n for _, n in counts) > len(data["citations"]):
        listed = ", ".join(f"{_md(o)} {n}" for o, n in counts[:6])
        more = f" and {len(counts) - 6} more outlets" if len(counts) > 6 else ""
        out += ["", "## All sources", "",
                f"- Show all sources: {sum(n for _, n in counts)} reports ({listed}{more}), "
                f"listed with the story."]
    return "\n".join(out) + "\n"
