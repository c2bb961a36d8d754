"""Date expressions in news copy, resolved against the article's publication date.

Reports date events relative to when they were written ("on Tuesday", "last month"), so an
incident's date is only as good as this arithmetic. The rules follow news convention:
weekday names and month names without a year point back to the most recent such day or
month on or before publication; "early/mid/late" split a month into thirds of days and a
year or century into thirds. Relative expressions are left unresolved (`date` None,
precision "unknown") when the publication date is unknown: never guessed.

Recognition is regex first (one grammar, used both to find expressions in a text and to
parse one in `resolve`), plus spaCy's DATE entities as extra candidates, each of which must
parse in full. Numbers that are not dates ("2,500 fighters", "four months after the...")
never become dates because every pattern is anchored on a month, weekday, unit or
date-bearing preposition.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from newsdesk.casefold import case_blind, folded_pattern
from newsdesk.models import Article, DateRef, Precision

if TYPE_CHECKING:
    from collections.abc import Callable

    from spacy.tokens import Doc

Kind = Literal["point", "since", "during", "until"]

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
}
_PREP_KIND: dict[str, Kind] = {
    "since": "since",
    "from": "since",
    "until": "until",
    "till": "until",
    "by": "until",
    "before": "until",
    "during": "during",
    "throughout": "during",
    "for": "during",
    "over": "during",
    "in": "point",
    "on": "point",
    "of": "point",
    "after": "point",
    "as of": "point",
    "at": "point",
    "within": "during",
}
# A duration ("four months") takes only prepositions of extent; "by four months of
# fighting" is not a date, and "in 2 days" may be future or past, so it is skipped.
_DURATION_PREPS = {"for", "over", "during", "throughout", None}
_AMBIGUOUS_DURATION_PREPS = {"in", "within"}

# Month and weekday names must be capitalised, so "may" the verb and "march" the verb
# are never months.
_MONTH = (
    r"(?-i:(?P<month>January|February|March|April|May|June|July|August|September"
    r"|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?))"
)
_WEEKDAY = (
    r"(?-i:(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|(?:Mon|Tue|Tues|Wed|Thu|Thurs|Fri|Sat|Sun)\.?))"
)
_YEAR = r"(?P<year>(?:1[6-9]|20)\d{2})(?![\d,.]\d)"
_NUM = r"(?P<n>\d{1,3}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
_PART = (
    r"(?P<part>early|mid|late|(?:towards?\s+|at\s+|by\s+)?the\s+(?:very\s+)?"
    r"(?:beginning|start|middle|end|close)\s+of(?:\s+the\s+month\s+of)?)"
)
_UNIT = r"(?P<unit>day|week|month|year|decade)s?"
_MONTH_OF = r"(?:the\s+month\s+of\s+)?"
_PREP = (
    r"(?:(?P<prep>since|from|until|till|by|before|during|throughout|for|over|in|on|of|after"
    r"|as\s+of|at|within)\s+)"
)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A parsed date expression: the span of days it covers and how precisely."""

    date: date | None
    end_date: date | None
    precision: Precision
    kind: Kind = "point"


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    needs_prep: bool  # bare "June" or "2014" is too ambiguous without "in", "since"...


def _rule(name: str, body: str, *, needs_prep: bool = False) -> _Rule:
    return _Rule(name, re.compile(rf"(?:{body})(?![\w-])", re.IGNORECASE), needs_prep)


_RULES = [
    _rule("iso", r"(?P<iso>(?:1[6-9]|20)\d{2}-[01]\d-[0-3]\d)"),
    _rule("dmy", rf"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"),
    _rule("mdy", rf"{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?"),
    _rule("part_month", rf"{_PART}[\s-]+{_MONTH}(?:,?\s+{_YEAR})?"),
    _rule("part_year", rf"{_PART}[\s-]+(?:the\s+year\s+)?{_YEAR}"),
    _rule("month_year", rf"{_MONTH_OF}{_MONTH},?\s+{_YEAR}"),
    _rule(
        "month", rf"(?P<monthof>the\s+month\s+of\s+)?{_MONTH}(?P<alone>\s+alone)?", needs_prep=True
    ),
    _rule("year", rf"(?:the\s+year\s+)?{_YEAR}(?P<alone>\s+alone)?", needs_prep=True),
    _rule(
        "century",
        r"(?:the\s+)?(?:(?P<part>early|mid|late)[\s-]+)?(?P<century>\d{1,2})"
        r"(?:st|nd|rd|th)[\s-]+century",
    ),
    _rule(
        "decade", r"(?:the\s+)?(?:(?P<part>early|mid|late)[\s-]+)?(?P<decade>(?:1[6-9]|20)\d0)'?s"
    ),
    _rule(
        "weekday",
        rf"(?:(?P<last>last|this\s+past|past)\s+)?{_WEEKDAY}"
        r"(?:\s+(?:morning|afternoon|evening|night))?",
    ),
    _rule(
        "relday",
        r"(?P<relday>today|tonight|yesterday|tomorrow|overnight|last\s+night"
        r"|this\s+(?:morning|afternoon|evening)|the\s+day\s+before\s+yesterday)",
    ),
    _rule(
        "relperiod",
        r"(?P<which>last|this|past|previous|next|coming|earlier\s+this|later\s+this)"
        r"\s+(?P<unit>week|month|year|weekend)",
    ),
    _rule("weekend", r"the\s+weekend"),
    _rule("past_n", rf"(?:the\s+)?(?P<dir>past|last|previous|next|coming)\s+(?:{_NUM}\s+)?{_UNIT}"),
    _rule(
        "duration",
        r"(?:(?P<approx>nearly|almost|about|around|some|roughly|approximately"
        r"|more\s+than|over|at\s+least|less\s+than|up\s+to)\s+)?"
        rf"{_NUM}\s+{_UNIT}(?P<ago>\s+ago)?"
        r"(?!\s+(?:after|before|later|earlier|into|on\s+from|from|to\s+\w+))",
    ),
]
_PREP_RE = re.compile(rf"^{_PREP}", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# calendar arithmetic


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    y, m = divmod(total, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _shift(d: date, n: int, unit: str) -> date:
    """`d` moved by n units (negative: back); clamped to valid days."""
    if unit == "day":
        return d + timedelta(days=n)
    if unit == "week":
        return d + timedelta(weeks=n)
    months = {"month": 1, "year": 12, "decade": 120}[unit] * n
    return _add_months(d, months)


def _thirds(first: date, last: date, part: str | None) -> tuple[date, date]:
    """The early/mid/late third of a span (a month's days, a year's months, a century)."""
    if part is None:
        return first, last
    p = part.lower()
    days = (last - first).days + 1
    if first.day == 1 and last == _month_end(last.year, last.month) and first.month == last.month:
        cuts = (
            first,
            first.replace(day=10),
            first.replace(day=11),
            first.replace(day=20),
            first.replace(day=21),
            last,
        )
    elif first.month == 1 and last.month == 12 and first.year == last.year:
        y = first.year
        cuts = (first, date(y, 4, 30), date(y, 5, 1), date(y, 8, 31), date(y, 9, 1), last)
    else:
        third = days // 3
        cuts = (
            first,
            first + timedelta(days=third - 1),
            first + timedelta(days=third),
            last - timedelta(days=third),
            last - timedelta(days=third - 1),
            last,
        )
    if p.startswith("early") or any(w in p for w in ("beginning", "start")):
        return cuts[0], cuts[1]
    if p.startswith("mid") or "middle" in p:
        return cuts[2], cuts[3]
    if p.startswith("late"):
        return cuts[4], cuts[5]
    # "the end of", "towards the end of": the last quarter of a year, last third otherwise
    if first.month == 1 and last.month == 12 and first.year == last.year:
        return date(first.year, 10, 1), last
    return cuts[4], cuts[5]


def _month_num(text: str) -> int:
    return _MONTHS[text.lower()[:3]]


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBERS[text.lower()]


def _latest_month(m: int, pub: date) -> int:
    """The year of the most recent month `m` on or before publication."""
    return pub.year if m <= pub.month else pub.year - 1


# ---------------------------------------------------------------------------------------
# one handler per rule: (match, published) -> (start, end, precision) or None


Span3 = tuple[date | None, date | None, Precision]


def _h_iso(m: re.Match[str], pub: date | None) -> Span3:
    d = date.fromisoformat(m["iso"])
    return d, d, "day"


def _h_day(m: re.Match[str], pub: date | None) -> Span3:
    month, day = _month_num(m["month"]), int(m["day"])
    if m["year"]:
        d = date(int(m["year"]), month, day)
        return d, d, "day"
    if pub is None:
        return None, None, "unknown"
    d = date(pub.year, month, day)
    if d > pub:
        d = date(pub.year - 1, month, day)
    return d, d, "day"


def _h_part_month(m: re.Match[str], pub: date | None) -> Span3:
    month = _month_num(m["month"])
    if m["year"]:
        y = int(m["year"])
    elif pub is None:
        return None, None, "unknown"
    else:
        y = _latest_month(month, pub)
    first, last = _thirds(date(y, month, 1), _month_end(y, month), m["part"])
    if not m["year"] and pub is not None and first > pub:  # "mid-April" on April 1st
        first, last = _thirds(date(y - 1, month, 1), _month_end(y - 1, month), m["part"])
    return first, last, "range"


def _h_part_year(m: re.Match[str], pub: date | None) -> Span3:
    y = int(m["year"])
    first, last = _thirds(date(y, 1, 1), date(y, 12, 31), m["part"])
    return first, last, "range"


def _h_month(m: re.Match[str], pub: date | None) -> Span3:
    month = _month_num(m["month"])
    if m.groupdict().get("year"):
        y = int(m["year"])
    elif pub is None:
        return None, None, "unknown"
    else:
        y = _latest_month(month, pub)
    return date(y, month, 1), _month_end(y, month), "month"


def _h_year(m: re.Match[str], pub: date | None) -> Span3:
    y = int(m["year"])
    return date(y, 1, 1), date(y, 12, 31), "year"


def _h_century(m: re.Match[str], pub: date | None) -> Span3:
    c = int(m["century"])
    if not 1 <= c <= 21:
        return None, None, "unknown"
    start_year, part = (c - 1) * 100 + 1, (m["part"] or "").lower()
    offsets = {"early": (0, 32), "mid": (33, 66), "late": (67, 99)}.get(part, (0, 99))
    return date(start_year + offsets[0], 1, 1), date(start_year + offsets[1], 12, 31), "range"


def _h_decade(m: re.Match[str], pub: date | None) -> Span3:
    y = int(m["decade"])
    first, last = date(y, 1, 1), date(y + 9, 12, 31)
    part = (m["part"] or "").lower()
    if part == "early":
        last = date(y + 3, 12, 31)
    elif part == "mid":
        first, last = date(y + 3, 1, 1), date(y + 6, 12, 31)
    elif part == "late":
        first = date(y + 7, 1, 1)
    return first, last, "range"


def _h_weekday(m: re.Match[str], pub: date | None) -> Span3:
    if pub is None:
        return None, None, "unknown"
    wd = next(i for i, w in enumerate(_WEEKDAYS) if w.startswith(m["weekday"].lower()[:3]))
    back = (pub.weekday() - wd) % 7
    if m["last"] and back == 0:
        back = 7
    d = pub - timedelta(days=back)
    return d, d, "day"


def _h_relday(m: re.Match[str], pub: date | None) -> Span3:
    if pub is None:
        return None, None, "unknown"
    word = " ".join(m["relday"].lower().split())
    offset = {"yesterday": -1, "last night": -1, "tomorrow": 1, "the day before yesterday": -2}
    if word == "overnight":
        return pub - timedelta(days=1), pub, "range"
    d = pub + timedelta(days=offset.get(word, 0))
    return d, d, "day"


def _week_of(d: date) -> tuple[date, date]:
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def _h_relperiod(m: re.Match[str], pub: date | None) -> Span3:
    if pub is None:
        return None, None, "unknown"
    which = " ".join(m["which"].lower().split())
    unit = m["unit"].lower()
    step = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1}.get(which, 0)
    if unit == "weekend":
        sat = pub - timedelta(days=(pub.weekday() - 5) % 7) + timedelta(weeks=max(step, 0))
        if step < 0 and sat >= pub - timedelta(days=1):
            sat -= timedelta(weeks=1)
        return sat, sat + timedelta(days=1), "range"
    if unit == "week":
        first, last = _week_of(pub + timedelta(weeks=step))
        precision: Precision = "week"
    elif unit == "month":
        first = _add_months(pub.replace(day=1), step)
        last, precision = _month_end(first.year, first.month), "month"
    else:
        first, last, precision = date(pub.year + step, 1, 1), date(pub.year + step, 12, 31), "year"
    if which == "earlier this":
        return first, pub, "range"
    if which == "later this":
        return pub, last, "range"
    return first, last, precision


def _h_weekend(m: re.Match[str], pub: date | None) -> Span3:
    if pub is None:
        return None, None, "unknown"
    sat = pub - timedelta(days=(pub.weekday() - 5) % 7)
    return sat, sat + timedelta(days=1), "range"


def _h_past_n(m: re.Match[str], pub: date | None) -> Span3:
    if pub is None:
        return None, None, "unknown"
    n = _number(m["n"]) if m["n"] else 1
    if m["dir"].lower() in ("next", "coming"):
        return pub + timedelta(days=1), _shift(pub, n, m["unit"].lower()), "range"
    return _shift(pub, -n, m["unit"].lower()), pub, "range"


def _h_duration(m: re.Match[str], pub: date | None) -> Span3:
    if pub is None:
        return None, None, "unknown"
    n, unit = _number(m["n"]), m["unit"].lower()
    if n == 0:
        return None, None, "unknown"
    start = _shift(pub, -n, unit)
    if m["ago"]:
        if unit == "day":
            return start, start, "day"
        if unit == "week":
            return *_week_of(start), "week"
        if unit == "month":
            return start.replace(day=1), _month_end(start.year, start.month), "month"
        return date(start.year, 1, 1), date(start.year, 12, 31), "year"
    return start, pub, "range"


_HANDLERS: dict[str, Callable[[re.Match[str], date | None], Span3]] = {
    "iso": _h_iso,
    "dmy": _h_day,
    "mdy": _h_day,
    "part_month": _h_part_month,
    "part_year": _h_part_year,
    "month_year": _h_month,
    "month": _h_month,
    "year": _h_year,
    "century": _h_century,
    "decade": _h_decade,
    "weekday": _h_weekday,
    "relday": _h_relday,
    "relperiod": _h_relperiod,
    "weekend": _h_weekend,
    "past_n": _h_past_n,
    "duration": _h_duration,
}
_DURING_RULES = {"past_n", "duration"}


def _kind(rule: str, prep: str | None, m: re.Match[str]) -> Kind:
    if prep is not None and _PREP_KIND[prep] != "point":
        return _PREP_KIND[prep]
    groups = m.groupdict()
    if groups.get("alone") or groups.get("monthof"):
        return "during"
    if rule in _DURING_RULES and not groups.get("ago"):
        return "during"
    return "point"


def _parse(rule: _Rule, m: re.Match[str], prep: str | None, pub: date | None) -> Resolved | None:
    if rule.needs_prep and prep is None and not m.groupdict().get("monthof"):
        return None
    if rule.name in _DURING_RULES and prep not in _DURATION_PREPS:
        return None
    try:
        first, last, precision = _HANDLERS[rule.name](m, pub)
    except ValueError:  # "June 31", "2017-13-45": looks like a date, is not one
        return None
    kind = _kind(rule.name, prep, m)
    if kind == "since" and first is not None and pub is not None and first <= pub:
        last = pub
    return Resolved(first, last, precision, kind)


def resolve(expression: str, published: date | None) -> Resolved | None:
    """Parse one date expression against the publication date; None if it is not one.

    A recognised expression that needs the publication date when none is known comes back
    with `date` None and precision "unknown".
    """
    text = " ".join(expression.split()).strip(" ,.;:()")
    pm = _PREP_RE.match(text)
    prep = " ".join(pm["prep"].lower().split()) if pm else None
    body = text[pm.end() :] if pm else text
    for rule in _RULES:
        m = rule.pattern.fullmatch(body)
        if m is not None:
            return _parse(rule, m, prep, published)
    if prep is not None:  # "in June": the preposition is optional for most rules
        for rule in _RULES:
            m = rule.pattern.fullmatch(text)
            if m is not None:
                return _parse(rule, m, None, published)
    return None


# ---------------------------------------------------------------------------------------
# extraction


_FINDER = [re.compile(rf"(?<![\w-]){_PREP}?(?:{r.pattern.pattern})", re.IGNORECASE) for r in _RULES]


def _unnamed(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


_BODIES = "|".join(_unnamed(r.pattern.pattern) for r in _RULES)
_ANY_FINDER = re.compile(rf"(?<![\w-])(?={_unnamed(_PREP)}?(?:{_BODIES}))", re.IGNORECASE)
"""Where some finder can match: one pass over the text instead of one per finder. A finder
starts with a look-behind, so the regex engine tries it at every position of the text;
the finders are then tried only at these few positions (their group names dropped here,
as one pattern cannot repeat a name)."""


_ANY_FOLDED = folded_pattern(_ANY_FINDER)
"""Where some finder may match, the faster way (`folded_pattern`): at "may" or "march" the
verbs too, whose months are capitalised; the places it adds are harmless, each finder
being tried (`match`) at every place in `_find`."""


def _find(text: str) -> list[tuple[int, int]]:
    """The spans of each finder's `finditer` over `text`, finder by finder: a finder's
    next match is the first of the places where some finder may match (`_ANY_FOLDED`)
    that lies at or after the end of its last one."""
    starts = [m.start() for m in _ANY_FOLDED.finditer(case_blind(text))]
    spans: list[tuple[int, int]] = []
    for finder in _FINDER:
        end = 0
        for start in starts:
            if start >= end and (m := finder.match(text, start)) is not None:
                spans.append(m.span())
                end = m.end()
    return spans


def _published(article: Article) -> date | None:
    try:
        return date.fromisoformat(article.published) if article.published else None
    except ValueError:
        return None


def _without_prep(text: str, start: int, end: int, pub: date | None) -> tuple[int, Resolved | None]:
    """Retry a candidate without its leading preposition ("by nearly four months")."""
    pm = _PREP_RE.match(text[start:end])
    if pm is None or " ".join(pm["prep"].lower().split()) in _AMBIGUOUS_DURATION_PREPS:
        return start, None
    return start + pm.end(), resolve(text[start + pm.end() : end], pub)


def extract_dates(doc: Doc, article: Article) -> list[DateRef]:
    """Date expressions in `article`, resolved, longest first where they overlap.

    Candidates come from the grammar above and from spaCy's DATE entities; every candidate
    must parse in full, so NER's durations without a number ("months") are dropped.
    """
    text = article.text
    candidates = _find(text)
    for ent in doc.ents:
        if ent.label_ == "DATE" and "\n" not in ent.text:
            candidates.append((ent.start_char, ent.end_char))
    pub = _published(article)
    out: list[DateRef] = []
    taken: list[tuple[int, int]] = []
    for start, end in sorted(set(candidates), key=lambda se: (se[0] - se[1], se[0])):
        if any(a < end and start < b for a, b in taken):
            continue
        resolved = resolve(text[start:end], pub)
        if resolved is None:
            start, resolved = _without_prep(text, start, end, pub)
            if resolved is None:
                continue
        taken.append((start, end))
        out.append(
            DateRef(
                article_id=article.id,
                text=text[start:end],
                start=start,
                end=end,
                date=resolved.date.isoformat() if resolved.date else None,
                end_date=resolved.end_date.isoformat() if resolved.end_date else None,
                precision=resolved.precision,
                kind=resolved.kind,
            )
        )
    out.sort(key=lambda r: r.start)
    return out
