"""Numeric claims: a figure, what it counts, of whom, over what scope, and who says so.

Monitors compare figures across reports ("about 2,500 fighters per the coalition, around
2,000 per its spokesman"), so each claim is normalised just enough to be grouped:
`counted` is a short lemma-like phrase built from the counted noun and the event verb
around it ("civilians killed", "fighters", "members trained", "wall length"), `subject`
names whose or where ("IS in Raqqa"), and `claimant` is the canonical speaker that
`attribution.find_attributions` resolved for the clause the number sits in (None when the
outlet asserts it itself).

The pipeline excludes spaCy's lemmatizer, so "lemmas" here are surface-form tables: small
closed lexicons of conflict vocabulary, which is also what makes the output stable.
Number expressions come from `numbers.find_quantities` on each sentence that has a digit
or a number word; the parse is only walked around those.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsdesk.analyse.attribution import Attribution, Registry, Speaker, find_attributions
from newsdesk.analyse.numbers import Quantity, find_quantities
from newsdesk.casefold import word_spans
from newsdesk.models import ActorMention, Article, Claim, DateRef, PlaceMention, on_ground

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_COUNT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                "eighty", "ninety", "hundred", "thousand", "million", "dozen", "score")
_DIGIT = re.compile(r"\d")
_COUNT_WORD = re.compile(
    rf"\b(?=[{''.join(sorted({w[0] for w in _COUNT_WORDS}))}])(?:{'|'.join(_COUNT_WORDS)})s?\b",
    re.IGNORECASE,
)
"""A sentence is read for figures only if it holds a digit (`_DIGIT`) or one of these words.
The look-ahead for their first letters is implied by the words; it lets the regex engine
pass over every other word start at one test instead of trying the 25 words (the same
answer, in under half the time). Two searches: a single character class leads the first,
which the engine then scans for without trying the words at every position."""
_FIGHTERS = {
    "fighter", "fighters", "militant", "militants", "jihadist", "jihadists", "insurgent",
    "insurgents", "terrorist", "terrorists", "gunman", "gunmen", "combatant", "combatants",
    "extremist", "extremists", "rebel", "rebels", "militiamen", "militiaman", "jihadis",
}
_TROOPS = {"troops", "soldiers", "soldier", "servicemen", "marines", "personnel"}
_PEOPLE = {"people", "persons", "person"}
_CASUALTY_NOUNS = {"deaths": "killed", "dead": "killed", "fatalities": "killed",
                   "casualties": "casualties", "injuries": "injured", "wounded": "injured",
                   "bodies": "killed"}
_DISPLACED_NOUNS = {"refugees", "displaced", "evacuees", "idps"}
# Short event words, matched whole, and stems of longer ones -> the participle `counted` uses.
_EVENT_WORDS = {
    "die": "killed", "died": "killed", "dies": "killed", "dying": "killed", "dead": "killed",
    "slain": "killed", "hurt": "injured", "fled": "displaced", "flee": "displaced",
    "fleeing": "displaced", "held": "controlled", "hold": "controlled", "holds": "controlled",
    "missing": "missing",
}
_EVENT_STEMS = [
    ("kill", "killed"), ("murder", "killed"), ("massacr", "killed"), ("wound", "injured"),
    ("injur", "injured"), ("displac", "displaced"), ("evacuat", "evacuated"), ("rescu", "rescued"),
    ("trap", "trapped"), ("besieg", "trapped"), ("arrest", "arrested"), ("detain", "detained"),
    ("captur", "captured"), ("abduct", "abducted"), ("kidnap", "abducted"),
    ("execut", "executed"), ("behead", "executed"), ("train", "trained"),
    ("mobilis", "mobilised"), ("mobiliz", "mobilised"), ("deploy", "deployed"),
    ("recruit", "recruited"), ("surrender", "surrendered"), ("control", "controlled"),
]
_CASUALTY_EVENTS = {"killed", "injured", "executed", "casualties", "missing", "abducted"}
_FORCE_EVENTS = {"trained", "mobilised", "deployed", "recruited", "surrendered", "captured"}
_DISPLACEMENT_EVENTS = {"displaced", "evacuated", "rescued", "trapped"}
_MEASURED = re.compile(
    r"(?:\s*\([^)]{0,40}\))?\s+(?:((?:[A-Z][\w'-]*\s+)*[A-Z][\w'-]*)|([a-z]+))\b")
"""The thing a length measures, written after it: "2.5 kilometre (one and a half mile)
Rafiqah Wall", "300 metre tunnel"; its last word names what is measured."""
_NOT_MEASURED = frozenset(
    {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
     "from", "away", "outside", "inside", "long", "wide", "high", "deep", "to", "of", "in",
     "on", "at", "and", "or", "by", "along", "across", "into", "beyond", "behind", "ahead",
     "further", "farther", "closer", "nearer", "the", "a", "an", "stretch", "radius"})
_TIME_UNITS = re.compile(
    r"^[\s-]*(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|"
    r"century|times|o'clock|a\.m\.|p\.m\.|am|pm|GMT)\b", re.IGNORECASE)
_SKIP_ENTS = {"DATE", "TIME", "ORDINAL", "MONEY"}
_SCOPE_PREPS = {"in", "since", "during", "over", "throughout", "for", "from", "by", "until"}
# A place further than this after the number rarely says where the figure applies.
_PLACE_WINDOW = 160
# The number's clause ends at a relative clause, a dash, or a quotation mark (a figure
# inside a quote says nothing about the places in the attribution after it).
_CLAUSE_STOP = re.compile(r",\s+(?:where|which|who|while|as|but)\b|;|\s[—–]\s|[\"“”]")
# Words between a number and "militants" that make them somebody's ("of their militants").
_NOT_ADJECTIVES = {"of", "the", "their", "its", "his", "her", "these", "those", "whose"}
_CITY_ANAPHOR = re.compile(r"\bthe\s+(?:[a-z]+\s+)?(?:city|town)\b")
_SCOPE_FILLER = {"the", "month", "week", "year", "of", "past", "last", "first", "this"}


@dataclass(slots=True)
class _Context:
    """What every claim of one article is read against."""

    doc: Doc
    article: Article
    actors: list[ActorMention]
    places: list[PlaceMention]
    dates: list[DateRef]
    attributions: list[Attribution]
    registry: Registry | None
    # Canonical names of place words the geocoder resolved somewhere in the article, so a
    # mention it missed elsewhere ("Raqa" tagged ORG) still names the same place.
    # They are found by `word_spans`, not a pattern of them: each article's would be new
    # to `re`'s cache (142 patterns over the 200 GeoWebNews texts, 0.017 CPU s with `re`).
    surfaces: dict[str, str]


def extract_claims(
    doc: Doc,
    article: Article,
    *,
    actors: list[ActorMention],
    places: list[PlaceMention],
    dates: list[DateRef],
    registry: Registry | None,
) -> list[Claim]:
    """Every figure in the article that counts something, with its claimant and scope."""
    places = on_ground(places)
    surfaces = {p.text: p.name for p in places if p.name and p.text[:1].isupper()}
    ctx = _Context(
        doc, article, actors, sorted(places, key=lambda p: p.start), dates,
        find_attributions(doc, article, actors=actors, registry=registry), registry,
        surfaces,
    )
    text = article.text
    out: list[Claim] = []
    for sent in doc.sents:
        sent_text = text[sent.start_char:sent.end_char]  # = sent.text, without the walk
        if not (_DIGIT.search(sent_text) or _COUNT_WORD.search(sent_text)):
            continue
        for q in find_quantities(sent_text, offset=sent.start_char):
            if _not_a_claim(doc, text, q):
                continue
            s_start, s_end = _sentence_bounds(text, sent.start_char, sent.end_char, q.start)
            claim = _claim(ctx, q, s_start, s_end)
            if claim is not None:
                out.append(claim)
    return out


def _sentence_bounds(text: str, start: int, end: int, at: int) -> tuple[int, int]:
    """The parser's sentence, cut to the paragraph line holding the number and trimmed."""
    line_start = text.rfind("\n", start, at) + 1 or start
    line_start = max(line_start, start)
    line_end = text.find("\n", at, end)
    line_end = end if line_end == -1 else line_end
    while line_start < line_end and text[line_start].isspace():
        line_start += 1
    while line_end > line_start and text[line_end - 1].isspace():
        line_end -= 1
    return line_start, line_end


_NOT_A_COUNT = re.compile(
    r"\s*(?:-\s*)?(?:blocks?\b|caliber|calibre|mm\b|-?gauge\b)"
    r"|\s+(?:[NSEW]\.?\s+)?[A-Z][a-z]+\s+(?:St|Street|Ave|Avenue|Rd|Road|Dr|Drive|Blvd|Boulevard"
    r"|Ln|Lane|Way|Ct|Court|Pl|Place|Pkwy|Parkway|Hwy|Highway|Terrace|Circle)\b"
)
"""What follows a number that is an address, a calibre or a gauge, not a count of anything."""
_STREET_NAME = re.compile(r"\s+[A-Z][a-z]+(?:,|\.(?:\s|$))")
_AT = re.compile(r"\b(?:[Oo]n|[Aa]t|[Nn]ear|[Ff]rom|[Tt]o)\s+$")
_PHONE = re.compile(r"\(?\b\d{3}\)?[-.\s]\d{3}[-.]\d{4}\b|\b\d-\d{3}-\d{3}-\d{4}\b")


def _in_link(text: str, start: int, end: int) -> bool:
    """Whether the number is part of a web address or a path: the word around it (up to
    white space) holds "://", "www." or a slash."""
    lo = start
    while lo > 0 and not text[lo - 1].isspace():
        lo -= 1
    hi = end
    while hi < len(text) and not text[hi].isspace():
        hi += 1
    word = text[lo:hi]
    return "://" in word or "www." in word or "/" in text[max(lo, start - 1):start]


def _not_a_claim(doc: Doc, text: str, q: Quantity) -> bool:
    """Dates, times, years, durations, list numbers and pronoun "one" are not claims."""
    span = doc.char_span(q.start, q.end, alignment_mode="expand")
    if span is None or any(t.ent_type_ in _SKIP_ENTS for t in span):
        return True
    if q.unit is None and q.value is not None:
        if q.value == 1 and not q.qualifier:
            return True
        if re.fullmatch(r"\d{4}", q.text) and 1800 <= q.value <= 2100:
            return True
    after = text[q.end:q.end + 20]
    if q.unit is None and (_TIME_UNITS.match(after) or re.match(r"-[a-z]", after)):
        return not after.startswith("-strong")
    if _NOT_A_COUNT.match(after) or _PHONE.search(text, max(0, q.start - 6), q.end + 9):
        return True  # "the 4200 block", "6100 Tullis Drive", ".40-caliber", 555-0142
    if _in_link(text, q.start, q.end):
        return True  # "http://wral.com/15226583": a page's number, not 15 million dead
    if re.search(r"\bvot(?:e|ed|es|ing)\s+$", text[max(0, q.start - 10):q.start]):
        return True  # "voted 7-2"
    if (q.value is not None and q.value >= 100 and _STREET_NAME.match(after)
            and _AT.search(text, max(0, q.start - 6), q.start)):
        return True  # "on 11700 Robertson, ...": a house number and its street
    before = text[max(0, q.start - 2):q.start]
    # "(61)" after a heading, "#3", "No. 5": a label, not a quantity.
    return (before.endswith("(") and after.startswith(")")) or before.endswith(("#", "No. "))


def _claim(ctx: _Context, q: Quantity, s_start: int, s_end: int) -> Claim | None:
    doc, article = ctx.doc, ctx.article
    span = doc.char_span(q.start, q.end, alignment_mode="expand")
    assert span is not None  # checked by _not_a_claim
    noun, group_tokens = _counted_noun(doc, span.end, s_end)
    verb = _event_verb(noun, span)
    counted = _counted(q, noun, verb, article.text)
    if counted is None:
        return None
    text = article.text
    att = _attribution(ctx.attributions, q.start, s_start, s_end)
    speaker = att.speaker if att else None
    group = _group(ctx, group_tokens, noun, q, speaker)
    place = _place(ctx, q.end, s_end)
    subject = " in ".join(p for p in (group, place) if p)
    scope, date = _scope(doc, text, ctx.dates, q, s_start, s_end, ctx.attributions)
    key = f"{article.id}:{q.start}:{q.end}"
    return Claim(
        id="c_" + hashlib.sha1(key.encode()).hexdigest()[:16],
        article_id=article.id,
        sentence=text[s_start:s_end],
        value=q.value,
        low=q.low,
        high=q.high,
        counted=counted,
        subject=subject or None,
        scope=scope,
        claimant=speaker.name if speaker else None,
        claimant_text=speaker.text if speaker else None,
        start=q.start,
        end=q.end,
        sentence_start=s_start,
        sentence_end=s_end,
        number_text=q.text,
        qualifier=q.qualifier,
        unit=q.unit,
        category=_category(counted),
        claimant_id=speaker.actor_id if speaker else None,
        date=date.date if date else None,
        end_date=date.end_date if date else None,
    )


def _counted_noun(doc: Doc, i: int, s_end: int) -> tuple[list[Token], list[Token]]:
    """The counted noun after the number ("IS jihadists", "of our fighters", "air strikes").

    Returns the noun's tokens and the name-like tokens met on the way (the group).
    """
    group: list[Token] = []
    noun: list[Token] = []
    j = i
    while j < len(doc) and doc[j].idx < s_end and j < i + 8:
        tok = doc[j]
        low = tok.lower_
        if tok.is_space or tok.lower_ in ("of", "the", "our", "their", "its", "his", "her",
                                           "these", "those", "or", "so", "additional"):
            if noun:
                break
            j += 1
            continue
        capital = tok.text[:1].isupper() or tok.ent_type_ in ("ORG", "NORP", "GPE")
        if tok.pos_ in ("NOUN", "PROPN", "ADJ", "VERB", "AUX") and capital and not noun:
            group.append(tok)
        elif tok.pos_ == "NOUN" or (low in _FIGHTERS | _TROOPS | _PEOPLE and not noun):
            noun.append(tok)
        elif tok.pos_ == "ADJ" and not noun and tok.dep_ in ("amod", "compound"):
            pass  # "diehard jihadists", "foreign fighters"
        else:
            break
        j += 1
    return noun, group


def _event_verb(noun: list[Token], span: object) -> str | None:
    """The event the counted noun takes part in: "civilians [were] killed", "trained 9,000"."""
    candidates: list[Token] = []
    for tok in [*noun[-1:], *list(span)]:  # type: ignore[call-overload]
        if tok.dep_ in ("nsubj", "nsubjpass", "dobj", "attr", "pobj", "nummod", "appos"):
            head = tok.head
            while head.dep_ in ("prep", "nummod", "pobj") and head.head is not head:
                head = head.head
            candidates.append(head)
            # "civilians are still trapped": the participle hangs off the copula
            candidates += [c for c in head.children if c.dep_ in ("acomp", "xcomp", "oprd")]
        candidates += [c for c in tok.children if c.dep_ in ("acl", "relcl", "amod")]
    for cand in candidates:
        if cand.pos_ not in ("VERB", "ADJ", "AUX") and cand.tag_ not in ("VBN", "VBG"):
            continue
        event = _event(cand.lower_)
        if event:
            return event
    return None


def _event(word: str) -> str | None:
    if word in _EVENT_WORDS:
        return _EVENT_WORDS[word]
    for stem, event in _EVENT_STEMS:
        if word.startswith(stem):
            return event
    return None


def _counted(q: Quantity, noun: list[Token], verb: str | None, text: str) -> str | None:
    """The normalised "what is counted" phrase, or None when nothing is counted."""
    if q.unit == "%":
        return f"percent {verb}" if verb else "percent"
    if q.unit in ("km2", "mi2"):
        return "area"
    if q.unit in ("m", "km", "mi"):
        if noun and "-" in q.text:
            return f"{noun[-1].lower_} length"  # "a 25-metre section"
        measured = _MEASURED.match(text, q.end)
        head = (measured.group(1) or measured.group(2)).split()[-1].lower() if measured else ""
        if head and head not in _NOT_MEASURED:
            return f"{head} length"  # "the 2.5 kilometre (one and a half mile) Rafiqah Wall"
        return "distance"  # "50 kilometers north of Raqqa": how far, not how long
    if not noun:
        return verb
    words = [t.lower_ for t in noun]
    head = words[-1]
    if head in _FIGHTERS:
        words = ["fighters"]
    elif head in _TROOPS:
        words = ["troops"]
    elif head in _PEOPLE:
        words = ["people"]
    elif head in _CASUALTY_NOUNS:
        return _CASUALTY_NOUNS[head]
    elif head in _DISPLACED_NOUNS:
        return "displaced"
    phrase = " ".join(words)
    return f"{phrase} {verb}" if verb and verb != "controlled" else phrase


def _category(counted: str) -> str:
    words = set(counted.split())
    if words & _CASUALTY_EVENTS:
        return "casualties"
    if words & _DISPLACEMENT_EVENTS or "displaced" in words:
        return "displacement"
    if words & (_FORCE_EVENTS | {"fighters", "troops"}):
        return "force"
    return "other"


def _group(
    ctx: _Context, tokens: list[Token], noun: list[Token], q: Quantity, speaker: Speaker | None
) -> str | None:
    """Whose: the actor named between the number and the noun ("IS", "SDF", "Daesh").

    Unnamed, "our fighters" are the speaker's, and "militants" or "jihadists" the group
    those words stand for in this article (the registry's descriptions, resolved against
    the article's actor mentions), so that "a few hundred militants left in Mosul" and
    "the 200 or so IS fighters" count the same people.
    """
    registry = ctx.registry
    if tokens:
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
        for a in ctx.actors:
            if a.start < end and start < a.end:
                return a.name
        text = ctx.article.text[start:end]
        if registry is not None and (actor := registry.match(text)) is not None:
            return actor.name
        return text
    if not noun or registry is None:
        return None
    lead = ctx.article.text[q.end:noun[0].idx].lower().split()
    if "our" in lead:
        own = registry.get(speaker.actor_id) if speaker and speaker.actor_id else None
        return own.name if own is not None else None
    if noun[-1].lower_ in _FIGHTERS and not set(lead) & _NOT_ADJECTIVES:
        actor = registry.affiliation(noun[-1].lower_, context=ctx.actors)
        return actor.name if actor is not None else None
    return None


def _place(ctx: _Context, after: int, s_end: int) -> str | None:
    """Where: the first place named in the number's clause, with any "X and Y" partner.

    Names are the gazetteer's canonical ones, so "Raqa" and "Raqqa" group together, and
    sorted so that "Iraq and Syria" and "Syria and Iraq" do too. A place behind
    "including" describes the counted people, not where the figure applies. "The city"
    is the last city named before it.
    """
    text = ctx.article.text
    limit = min(s_end, after + _PLACE_WINDOW)
    if stop := _CLAUSE_STOP.search(text, after, limit):
        limit = stop.start()
    found = [(p.start, p.end, p.name) for p in ctx.places
             if after <= p.start < limit and p.name]
    if ctx.surfaces:
        found += [(s, e, ctx.surfaces[text[s:e]])
                  for s, e in word_spans(text, ctx.surfaces, after, limit)
                  if not any(fs <= s < fe for fs, fe, _ in found)]
    found.sort()
    if not found:
        anaphor = _CITY_ANAPHOR.search(text, after, limit)
        if anaphor is None or "including" in text[after:anaphor.start()]:
            return None
        city = next((p for p in reversed(ctx.places)
                     if p.end <= anaphor.start() and p.name and p.feature == "city"), None)
        return city.name if city else None
    if "including" in text[after:found[0][0]]:
        return None
    names = [found[0][2]]
    for prev, nxt in itertools.pairwise(found):
        if text[prev[1]:nxt[0]] not in (" and ", ", "):
            break
        names.append(nxt[2])
    return " and ".join(sorted(dict.fromkeys(names)))


def _scope(
    doc: Doc, text: str, dates: list[DateRef], q: Quantity, s_start: int, s_end: int,
    attributions: list[Attribution],
) -> tuple[str | None, DateRef | None]:
    """Time scope as written ("since 2014", "in the month of June alone"), or place scope."""
    cue_dates = {a.cue_start for a in attributions}
    candidates = [
        d for d in dates
        if s_start <= d.start < s_end and d.start > q.start
        and not any(0 <= d.start - c < 20 for c in cue_dates)
    ]
    if candidates:
        d = min(candidates, key=lambda d: d.start)
        start = _scope_start(text, q.end, d.start)
        end = d.end
        if text[end:end + 6] == " alone":
            end += 6
        return text[start:end], d
    span = doc.char_span(q.end, s_end, alignment_mode="contract")
    if span is None:
        return None, None
    for tok in span:
        if tok.lower_ == "in" and tok.dep_ == "prep":
            objs = [c for c in tok.children if c.dep_ == "pobj"]
            if objs and any(t.ent_type_ in ("GPE", "LOC", "FAC") for t in objs[0].subtree):
                scope = text[tok.idx: objs[0].right_edge.idx + len(objs[0].right_edge)]
                return scope.split(",")[0], None  # not the relative clause after it
    return None, None


def _scope_start(text: str, floor: int, start: int) -> int:
    """Walk back from a date over "the month of" to its preposition; "since" reaches far."""
    since = text.rfind(" since ", floor, start)
    if since != -1:
        return since + 1
    words = list(re.finditer(r"\S+", text[floor:start]))
    for m in reversed(words[-5:]):
        w = m[0].lower()
        if w in _SCOPE_PREPS:
            return floor + m.start()
        if w not in _SCOPE_FILLER:
            break
    return start


def _attribution(
    attributions: list[Attribution], at: int, s_start: int, s_end: int
) -> Attribution | None:
    """Who claims the number: the speech it sits in, else a cue in its sentence."""
    holding = [a for a in attributions if a.start <= at < a.end and a.speaker is not None]
    if holding:
        return min(holding, key=lambda a: a.end - a.start)
    near = [a for a in attributions
            if s_start <= a.cue_start < s_end and a.speaker is not None and not a.stance]
    return min(near, key=lambda a: abs(a.cue_start - at)) if near else None
