"""A brief per story, in Markdown and HTML, every sentence tied to the sentences it rests on.

The brief is extractive and template-based (no language model): what happened (the
story's incidents, or the lead of its first report), where, when, who, the key figures
with their claimants and outlets, the disagreements spelled out, a timeline, and numbered
citations giving article id, character offsets, outlet and title, so a reader can check
every line against the reports. Article text is untrusted: the HTML is rendered by Jinja2
with autoescape on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from newsdesk.models import KEY_CATEGORIES, ArticleRecords, ClaimGroup, Incident, Story

_TOP_NAMES = 6
_UNIT_NAMES = {"km2": "km²", "mi2": "sq mi"}
_POSTPOSED = {"or so", "or more", "or fewer"}  # qualifiers written after the number


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
    """Numbered references, one per distinct (article, start, end)."""

    def __init__(self, records: dict[str, ArticleRecords]) -> None:
        self.records = records
        self.items: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, int, int], int] = {}

    def cite(self, article_id: str, start: int, end: int) -> int | None:
        rec = self.records.get(article_id)
        if rec is None or not 0 <= start < end <= len(rec.article.text):
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


def write_briefs(
    stories: Sequence[Story], records_by_article: Mapping[str, ArticleRecords],
    incidents_of: Mapping[str, Sequence[Incident]],
) -> None:
    """Fill each story's brief; a story none of whose articles is at hand keeps the one it had.

    Linking only groups; the brief is a publication of the group, written after it.
    """
    for story in stories:
        members = {a: records_by_article[a] for a in story.article_ids if a in records_by_article}
        if members:
            story.brief_md, story.brief_html = write_brief(
                story, members, incidents=incidents_of.get(story.id, ()),
            )


def write_brief(
    story: Story, records_by_article: Mapping[str, ArticleRecords], *,
    incidents: Sequence[Incident] | None = None,
) -> tuple[str, str]:
    """Return the story's brief as (Markdown, HTML)."""
    recs = [records_by_article[a] for a in story.article_ids if a in records_by_article]
    recs.sort(key=lambda r: (r.article.published or "9999", r.article.id))
    cites = _Citations(records_by_article)
    incidents = list(incidents or [])
    happened = [_incident_line(i, cites) for i in incidents[:8]] or [
        line for line in (_lead_line(r, cites) for r in recs[:1]) if line
    ]
    facts = _facts(story, recs)
    category = {c.id: c.category for r in recs for c in r.claims}
    key = [any(category.get(cid) in KEY_CATEGORIES for cid in g.claims)
           for g in story.claim_groups]
    figures = [_figure_line(g, cites) for g, k in zip(story.claim_groups, key, strict=True) if k]
    other = [_figure_line(g, cites) for g, k in zip(story.claim_groups, key, strict=True)
             if not k]
    timeline = _timeline(story, recs, incidents, cites)
    data = {
        "title": story.title, "story_id": story.id, "facts": facts, "happened": happened,
        "figures": figures, "other_figures": other, "timeline": timeline,
        "citations": cites.items,
    }
    return _markdown(data), _template().render(**data)


# --- sections ----------------------------------------------------------------------------------


def _facts(story: Story, recs: Sequence[ArticleRecords]) -> list[tuple[str, str]]:
    places = Counter(p.name for r in recs for p in r.places if p.name)
    actors = Counter(a.name for r in recs for a in r.actors if a.name)
    when = story.first_published or "date unknown"
    if story.last_published and story.last_published != story.first_published:
        when = f"{story.first_published} to {story.last_published}"
    out = [
        ("Reports", f"{len(story.article_ids)} from "
                    f"{', '.join(story.outlets) or 'unknown outlets'}"),
        ("When", when),
    ]
    if places:
        out.append(("Where", ", ".join(n for n, _ in places.most_common(_TOP_NAMES))))
    if actors:
        out.append(("Who", ", ".join(n for n, _ in actors.most_common(_TOP_NAMES))))
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
    if inc.grade:
        text += f". Grade: {inc.grade}" + (f" ({inc.grade_reason})" if inc.grade_reason else "")
    ns = [cites.cite(a, s.start, s.end) for s in inc.evidence for a in inc.article_ids
          if _holds(cites.records.get(a), s.start, s.end, s.text)]
    return _Line([(text + ".", sorted({n for n in ns if n}))], inc.event_date)


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


def _number(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _display(value: dict[str, Any]) -> str:
    q = value.get("qualifier")
    lo, hi, v = value.get("low"), value.get("high"), value.get("value")
    if v is None and lo is not None and hi is not None:
        shown = f"between {_number(lo)} and {_number(hi)}"
    elif v is None:
        shown = _number(lo if lo is not None else hi)
    else:
        shown = _number(v)
    unit = value.get("unit")
    if unit:
        shown += "%" if unit == "%" else f" {_UNIT_NAMES.get(unit, unit)}"
    if q in _POSTPOSED:
        return f"{shown} {q}"
    return f"{q} {shown}" if q else shown


def _who(value: dict[str, Any]) -> str:
    return value.get("claimant") or value.get("outlet") or "an unnamed source"


def _cite_value(value: dict[str, Any], cites: _Citations) -> int | None:
    s, e = value.get("sentence_start", 0), value.get("sentence_end", 0)
    return cites.cite(value["article_id"], s, e) if e > s else None


def _bundle(values: Sequence[dict[str, Any]], cites: _Citations, *, by_scope: bool = False,
            ) -> list[tuple[str, str, str | None, list[int]]]:
    """Collapse values saying the same thing by the same source: (who, value, scope, cites)."""
    out: dict[tuple[str, Any, Any, str | None], tuple[str, list[int]]] = {}
    for v in values:
        key = (_who(v), v.get("value"), (v.get("low"), v.get("high")),
               v.get("scope") if by_scope else None)
        _, ns = out.setdefault(key, (_display(v), []))
        n = _cite_value(v, cites)
        if n and n not in ns:
            ns.append(n)
    return [(k[0], shown, k[3], ns) for k, (shown, ns) in out.items()]


def _refs(ns: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def _figure_line(group: ClaimGroup, cites: _Citations) -> _Line:
    what = group.counted + (f" ({group.subject})" if group.subject else "")
    parts: list[tuple[str, list[int]]] = []
    if group.status == "different-scope":
        parts.append((f"These {what} figures cover different periods or places: ", []))
        own = {_who(v) for v in group.values if v.get("confirmed")}
        for i, (who, shown, scope, ns) in enumerate(_bundle(group.values, cites, by_scope=True)):
            sep = "; " if i else ""
            mark = " (confirmed: the party responsible gives it)" if who in own else ""
            parts.append((f"{sep}{shown} {scope or '(scope not stated)'} according to {who}"
                          f"{mark}", ns))
    elif group.status == "contested":
        parts.append((f"Sources disagree on the number of {what}: ", []))
        for i, (who, figure, _, ns) in enumerate(_bundle(group.values, cites)):
            parts.append((f"{'; ' if i else ''}{who} puts it at {figure}", ns))
    elif group.status == "timeline":
        parts.append((f"The figure for {what} changed over time: ", []))
        for i, v in enumerate(group.values):
            n = _cite_value(v, cites)
            parts.append((f"{'; ' if i else ''}{_display(v)} on "
                          f"{v.get('published') or 'an unknown date'} according to {_who(v)}",
                          [n] if n else []))
    else:
        verb = "all report" if group.status == "agreed" else "reports"
        parts.append((f"{what[0].upper()}{what[1:]}: ", []))
        for i, (who, figure, _, ns) in enumerate(_bundle(group.values, cites)):
            parts.append((f"{'; ' if i else ''}{figure} according to {who}", ns))
        if group.status == "agreed":
            parts.append((f" ({verb} compatible figures)", []))
    parts.append((". " + (f"Grade: {group.grade}." if group.grade else ""), []))
    return _Line(parts)


def _timeline(story: Story, recs: Sequence[ArticleRecords], incidents: Sequence[Incident],
              cites: _Citations) -> list[_Line]:
    rows = []
    for r in recs:
        lead = _lead_line(r, cites)
        text = f"{r.article.outlet or 'Unknown outlet'} reports “{r.article.title or ''}”"
        rows.append(_Line([(text, lead.cites if lead else [])], r.article.published))
    rows.extend(_incident_line(inc, cites) for inc in incidents if inc.event_date)
    rows.sort(key=lambda line: (line.when or "9999", line.text))
    return rows


# --- rendering ---------------------------------------------------------------------------------


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("newsdesk.publish", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
    )


def _template() -> jinja2.Template:
    return _env().get_template("brief.html.j2")


def _md(text: str) -> str:
    """One line of untrusted text made safe for Markdown: no raw HTML, no link syntax."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"([<>\\`*_\[\]])", r"\\\1", text)


def _md_line(line: _Line) -> str:
    return "".join(f"{_md(t)}{' ' + _refs(ns) if ns else ''}" for t, ns in line.parts).strip()


def _markdown(data: dict[str, Any]) -> str:
    out = [f"# {_md(data['title'])}", ""]
    out += [f"- **{k}:** {_md(v)}" for k, v in data["facts"]]
    sections = (("What happened", data["happened"]), ("Key figures", data["figures"]),
                ("Other figures", data["other_figures"]))
    for heading, lines in sections:
        if lines:
            out += ["", f"## {heading}", ""]
            out += [f"- {_md_line(line)}" for line in lines]
    if data["timeline"]:
        out += ["", "## Timeline", ""]
        out += [f"- {line.when or 'undated'}: {_md_line(line)}" for line in data["timeline"]]
    if data["citations"]:
        out += ["", "## Sources", ""]
        for c in data["citations"]:
            out.append(f"{c['n']}. {_md(c['outlet'])}, “{_md(c['title'])}” "
                       f"({c['published'] or 'undated'}; article {c['article_id']}, "
                       f"chars {c['start']}–{c['end']}): “{_md(c['quote'])}”")
    return "\n".join(out) + "\n"
