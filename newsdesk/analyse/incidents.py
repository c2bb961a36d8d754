"""Incidents: sentences that report violence or strategic developments, coded like ACLED.

Each candidate sentence goes through a cheap lexical pre-filter, then the event typer
(`typing_model.classify`), then checks that it reports something that happened (not a
plan, a threat, a hypothetical or a running total "since 2014"). Its arguments come from
the other stages' mentions: the actors from the dependency roles around the word that
typed the event (subject or "by"-agent: actor1; object, "with"/"against" partner:
actor2), the place from the sentence or the nearest one before it, the date from the
sentence or the publication date, the fatalities from the killed-count claims.

Mentions of the same incident within one article are merged here; merging across
articles belongs to the stories stage.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from newsdesk.analyse import casualties
from newsdesk.analyse.casualties import CasualtyMention, Toll
from newsdesk.analyse.typing_model import (
    EVENT_TYPES,
    MIN_SCORE,
    classify,
    cue_offsets,
    may_report_event,
    score,
)
from newsdesk.models import (
    LOCATION_FIELDS,
    ActorMention,
    Article,
    Claim,
    DateRef,
    Incident,
    PlaceMention,
    Precision,
    SourceToll,
    Span,
    on_ground,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SentSpan

_MODALS = {"will", "would", "could", "might", "may", "shall", "should", "can", "must", "'ll"}
_INTENT = {
    "plan", "plans", "planned", "planning", "threaten", "threatens", "threatened", "vow",
    "vowed", "vows", "intend", "intends", "intended", "aim", "aims", "expect", "expects",
    "expected", "prepare", "prepares", "preparing", "want", "wants", "seek", "seeks", "hope",
    "hopes", "warn", "warns", "warned", "urge", "urged", "called", "calls", "demand",
    "demanded", "refuse", "refused", "prevent", "prevented", "avoid", "ready", "supposed",
}
_REPORTING = {
    "said", "says", "say", "told", "added", "reported", "stated", "claimed", "announced",
    "confirmed", "according", "tweeted", "wrote", "noted", "explained", "accused", "believe",
    "believes", "insisted", "alleged", "estimated",
}
_KILLED = re.compile(r"\b(?:kill\w*|dead|deaths?|died|fatalit\w+|lives|bodies|slain|massacr\w*)")
_SPECIFICITY = {"district": 0, "city": 1, "town": 1, "village": 0, "admin2": 2, "admin1": 3,
                "country": 5}
_HISTORY_DAYS = 60
_SECOND_EVENT_SCORE = 3.0
_VIOLENT_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians"}
_GENERIC = re.compile(
    r"\b(?:rising|growing|increasing|record) (?:number|wave) of\b|\b(?:years|months|decades) of\b"
    r"|\btactics\b|\binfamous\b|\bscene of\b|\bhistory of\b|\bcampaign (?:against|to)\b",
    re.IGNORECASE,
)
_ALLY = {"allied", "alongside", "backed", "supported", "ally", "allies", "partners", "partner"}
_OTHER_CLAUSE = {"relcl", "acl", "advcl", "ccomp", "xcomp", "csubj", "conj", "parataxis"}
_AGGREGATE = re.compile(
    r"\b(?:since|alone|so far|in total|altogether|to date|(?:this|last) (?:month|year))\b",
    re.IGNORECASE,
)
_MODIFIER = re.compile(r"-(?:based|led|backed|born|funded)\b")
"""A place in "US-led coalition" or "London-based group" describes an actor, not a location."""
_FORCE_NOUN = re.compile(
    r"\s+(?:forces|troops|soldiers|military|army|navy|warplanes|jets|aircraft|drones|"
    r"officials?|envoy|commanders?|government|president)\b", re.IGNORECASE)
"""Neither does a place naming whose forces or officials they are ("US forces in Syria")."""
_FALLBACK_PRECISION: Precision = "week"
"""A report without a date of its own is about the days before it was published."""


@dataclass(slots=True)
class _Roles:
    actor1: ActorMention | None
    actor2: ActorMention | None


def extract_incidents(
    doc: Doc,
    article: Article,
    *,
    places: list[PlaceMention],
    actors: list[ActorMention],
    dates: list[DateRef],
    claims: list[Claim],
    toll: Toll | None = None,
) -> list[Incident]:
    """Code the incidents reported in one article, one per event however often repeated.

    `toll` is the report's count of killed and wounded from its victim phrases: the only
    incident of a report takes it whole; several incidents each take the part counted in
    their own sentences. A figure from a casualty claim stays the lower bound beside it.
    """
    found: list[Incident] = []
    places = on_ground(places)
    parties = [m for m in actors if m.inter is not None]  # monitors and media are not parties
    for sent in _paragraph_sentences(doc):
        text = article.text[sent.start_char:sent.end_char]  # = sent.text, without the walk
        if not may_report_event(text) or _is_subheading(sent):
            continue
        sent_dates = _within(dates, sent.start_char, sent.end_char)
        if _reports_no_incident(sent, sent_dates, claims):
            continue
        for rank, (event_type, sub_event_type, needs_verb) in enumerate(_event_types(text, sent)):
            anchor = _anchor(doc, sent, sub_event_type)
            if anchor is None or not _is_realis(anchor) or _is_instrument(anchor):
                continue
            if _in_name(anchor):
                continue
            # a second event in the sentence must be reported by a clause of its own
            if rank and not (_is_clause_verb(anchor) or (
                    not needs_verb and _is_clause_argument(anchor))):
                continue
            attached = [d for d in sent_dates if _attached(doc, anchor, d)]
            if _is_background(attached, article.published):
                continue
            incident = _incident(doc, sent, article, event_type, sub_event_type, anchor,
                                 places=places, actors=parties, dates=attached, claims=claims)
            if event_type == "Strategic developments" and not incident.actor1:
                continue  # "they sealed the deal": a development by nobody is a figure of speech
            found.append(incident)
    merged = _merge(found)
    if not merged and toll is not None and (toll.killed or toll.injured):
        merged = _from_victims(doc, article, toll, places=places, actors=parties, dates=dates,
                               claims=claims)
    for incident in merged:
        incident.id = incident_id(article.id, incident.evidence[0])
    parts = _share(toll, merged) if toll is not None and toll.mentions else [None] * len(merged)
    by_id = {c.id: c for c in claims}
    for incident, part in zip(merged, parts, strict=True):
        if part is not None:
            _count(incident, part)
        incident.tolls = _source_tolls(doc, article, incident, part,
                                       [by_id[c] for c in incident.claim_ids if c in by_id])
    return merged


def _reports_no_incident(sent: SentSpan, sent_dates: list[DateRef], claims: list[Claim]) -> bool:
    """A generic remark, a running total ("since 2014") or a tally of many incidents: the
    sentence may speak of violence but codes no one event, whether typed or counted."""
    return (bool(_GENERIC.search(sent.text))
            or any(ref.kind in ("since", "until") for ref in sent_dates)
            or _is_tally(sent, claims))


def _from_victims(doc: Doc, article: Article, toll: Toll, *, places: list[PlaceMention],
                  actors: list[ActorMention], dates: list[DateRef],
                  claims: list[Claim]) -> list[Incident]:
    """An incident coded from the first statement of people shot or killed, when no
    sentence typed an event: local reports name no armed group ("a man was shot and killed
    on Elm Street"), and without an incident their dead and wounded would reach no record.

    An attack, unless the report calls it an accident or a suicide: then a development of
    ACLED's "Other" kind, so its toll is kept without counting it as political violence.
    """
    anchors = []
    for m in toll.mentions:
        if m.in_title:
            continue  # the headline is not in the text: nothing there to code from
        at = m.trigger if m.trigger >= 0 else m.end - 1
        span = doc.char_span(at, at + 1, alignment_mode="expand")
        if span is not None:  # the word of killing or wounding: its clause says if it happened
            anchors.append((m, span[0]))
    accident = any(_ACCIDENT.search(anchor.sent.text) for _, anchor in anchors)
    for m, anchor in anchors:
        if m.perpetrator and not accident:
            continue
        sent = anchor.sent
        sent_dates = _within(dates, sent.start_char, sent.end_char)
        # a relative clause is no background here: "the man who was fatally shot" happened
        if not _is_realis(anchor, clauses=False) or _reports_no_incident(sent, sent_dates,
                                                                         claims):
            continue
        attached = [d for d in sent_dates if _attached(doc, anchor, d)]
        if _is_background(attached, article.published):
            continue
        kind = ("Strategic developments", "Other") if accident else (
            "Violence against civilians", "Attack")
        incident = _incident(doc, sent, article, *kind, anchor, places=places, actors=actors,
                             dates=attached, claims=claims)
        if accident:
            incident.notes = f"accident or suicide, not an attack: {incident.notes}"
        return [incident]
    return []


# an accident or a suicide, but not a suicide attack and not a murder-suicide
_ACCIDENT = re.compile(
    r"\baccident\w*|\bunintentional\w*|\bself-inflicted\b"
    r"|(?<!murder-)(?<!murder )\bsuicide\b(?! (?:bomb|attack|car|vest|belt|mission))", re.I)


def _share(toll: Toll, found: list[Incident]) -> list[Toll]:
    """Each incident's part of the report's toll: the only incident takes it all; else a
    statement goes to the incident(s) coded from its sentence or the nearest one before it
    ("three other soldiers were wounded in the attack" follows the attack it counts)."""
    if len(found) <= 1:
        return [toll] * len(found)
    starts = sorted({e.start for inc in found for e in inc.evidence})
    parts: list[list[CasualtyMention]] = [[] for _ in found]
    for m in toll.mentions:
        # the headline's toll is the lead event's: the first coded
        at = starts[0] if m.in_title else max((s for s in starts if s <= m.start),
                                              default=starts[0])
        for n, inc in enumerate(found):
            if any(e.start == at for e in inc.evidence):
                parts[n].append(m)
    return [casualties.tally(p) for p in parts]


def _count(incident: Incident, toll: Toll) -> None:
    """Killed and wounded from the victim phrases, beside the figures the claims gave."""
    if toll.killed is not None:
        lows = [x for x in (incident.fatalities_low, toll.killed) if x is not None]
        highs = [x for x in (incident.fatalities_high, toll.killed) if x is not None]
        incident.fatalities = max(toll.killed, incident.fatalities or 0)
        incident.fatalities_low, incident.fatalities_high = min(lows), max(highs)
    if toll.injured is not None:
        incident.injured = incident.injured_low = incident.injured_high = toll.injured
    if toll.killed is not None or toll.injured is not None:
        incident.civilians_killed, incident.civilians_injured = toll.civilians
        incident.combatants_killed, incident.combatants_injured = toll.combatants


def _source_tolls(doc: Doc, article: Article, incident: Incident, toll: Toll | None,
                  killed: list[Claim]) -> list[SourceToll]:
    """The incident's tolls as this report gives them: one row per claimant of a death
    figure ("the coalition says 603"), and one for the dead and wounded the report counts
    itself, credited to whoever the sentence stating them cites."""
    rows: dict[tuple[str | None, int, int], SourceToll] = {}
    for claim in killed:
        key = (claim.claimant, claim.sentence_start, claim.sentence_end)
        value = claim.low if claim.low is not None else claim.value
        if value is None or (key in rows and (rows[key].killed or 0) <= value):
            continue
        rows[key] = SourceToll(
            article.id, article.outlet, article.published, claim.claimant, int(value), None,
            claim.sentence_start, claim.sentence_end,
            article.text[claim.sentence_start:claim.sentence_end])
    if toll is not None and toll.mentions and (toll.killed or toll.injured):
        # the statement that counts the most, in the text rather than the headline
        strongest = max(toll.mentions, key=lambda m: (not m.in_title, m.kind == "killed",
                                                      m.count))
        if strongest.in_title:
            rows[(None, -1, -1)] = SourceToll(
                article.id, article.outlet, article.published, None, toll.killed,
                toll.injured, 0, len(article.title or ""), article.title or "", field="title")
        else:
            sent = doc.char_span(strongest.start, strongest.end, alignment_mode="expand")
            lo, hi = (sent.sent.start_char, sent.sent.end_char) if sent is not None else (
                strongest.start, strongest.end)
            hi = lo + len(article.text[lo:hi].rstrip())
            cited = [c.claimant for c in killed
                     if c.sentence_start <= strongest.start < c.sentence_end]
            claimant = cited[0] if cited else None
            rows[(claimant, lo, hi)] = SourceToll(
                article.id, article.outlet, article.published, claimant, toll.killed,
                toll.injured, lo, hi, article.text[lo:hi])
    return sorted(rows.values(), key=lambda r: r.start)


def _paragraph_sentences(doc: Doc) -> Iterator[SentSpan]:
    """The parser's sentences, cut again at blank lines.

    A paragraph break always ends a sentence in news text, but the parser sometimes runs
    a sentence on across it into a subheading and the next paragraph, and the merged
    sentence then borrows filters, actors and places from text that is not its own.
    """
    # the blank lines, found among the doc's few space tokens rather than by walking it
    breaks = [i for i in np.flatnonzero(doc.to_array("IS_SPACE")).tolist()
              if "\n\n" in doc[i].text]
    for sent in doc.sents:
        start = sent.start
        for i in breaks[bisect_left(breaks, sent.start):bisect_left(breaks, sent.end)]:
            if i > start:
                yield doc[start : i]
            start = i + 1
        if start < sent.end:
            yield doc[start : sent.end]


def _is_subheading(sent: SentSpan) -> bool:
    """A verbless line inside the article ("Final stages of Mosul battle") titles a section.

    The article's own title is kept: it is often the only statement of the event.
    """
    return sent.start_char > 0 and not any(t.pos_ in ("VERB", "AUX") for t in sent)


def _event_types(text: str, sent: SentSpan) -> list[tuple[str, str, bool]]:
    """The sentence's event, and a second one of another kind when it is attested too.

    "X are clashing with IS as fresh coalition air strikes pummelled other neighbourhoods"
    reports a battle and an air strike; ACLED codes both. The flag says the second event
    rests on a single cue, which must then be the verb of its own clause ("are clashing"),
    not a word describing an actor ("the coalition battling IS").
    """
    typed = classify(text, parsed=sent)
    if typed is None:
        return []
    event_type, sub_event_type, _ = typed
    found = [(event_type, sub_event_type, False)]
    scores = score(text)
    others = [(v, k) for k, v in scores.items() if EVENT_TYPES[k] != event_type]
    if others:
        value, other = max(others)
        if value >= MIN_SCORE and EVENT_TYPES[other] in _VIOLENT_TYPES:
            found.append((EVENT_TYPES[other], other, value < _SECOND_EVENT_SCORE))
    return found


def _is_clause_verb(anchor: Token) -> bool:
    """Whether the event word is a verb that heads a clause of its own."""
    return anchor.pos_ == "VERB" and anchor.dep_ in ("ROOT", "ccomp", "conj", "advcl", "xcomp")


def _is_clause_argument(anchor: Token) -> bool:
    """Whether the event word is a noun that a clause is about ("air strikes hit the town").

    A second event in a sentence must be one of these or a clause verb: the participle in
    "the coalition battling IS" and the modifier in "a combat position" describe actors
    and things, they do not report a second event.
    """
    return anchor.pos_ in ("NOUN", "PROPN") and anchor.dep_ in (
        "nsubj", "nsubjpass", "dobj", "attr", "ROOT")


def _in_name(anchor: Token) -> bool:
    """The event word is part of a name ("Raqa is Being Slaughtered Silently", "Operation
    Desert Storm"): a capitalised word inside a sentence that is not itself in title case."""
    if anchor.ent_type_ in ("ORG", "WORK_OF_ART", "EVENT", "LAW", "FAC"):
        return True
    words = [t for t in anchor.sent if t.is_alpha and not t.is_stop]
    title_case = sum(t.text[0].isupper() for t in words) >= 0.8 * len(words)
    return (not title_case and anchor.text[:1].isupper() and not anchor.is_sent_start
            and anchor.i > 0 and anchor.doc[anchor.i - 1].text[:1].isupper())


def _is_tally(sent: SentSpan, claims: list[Claim]) -> bool:
    """A sentence whose only death toll is a running or monthly total ("744 civilians were
    killed in coalition strikes in June alone") sums many incidents; it reports none."""
    killed = [c for c in claims if _in_sentence(c, sent) and _counts_killed(c)]
    return bool(killed) and all(_is_aggregate(c) for c in killed)


def _incident(doc: Doc, sent: SentSpan, article: Article, event_type: str, sub_event_type: str,
              anchor: Token, *, places: list[PlaceMention], actors: list[ActorMention],
              dates: list[DateRef], claims: list[Claim]) -> Incident:
    text = sent.text
    attribution = _attribution(sent)
    # "US-backed forces": the backer describes the force, it is not a party to the event.
    named = [m for m in _within(actors, sent.start_char, sent.end_char)
             if not _MODIFIER.match(article.text, m.end)]
    roles = _roles(anchor, [m for m in named if not _inside(m, attribution)] or named)
    candidates = [p for p in places if not _inside(p, attribution)
                  and not _MODIFIER.match(article.text, p.end)
                  and not _FORCE_NOUN.match(article.text, p.end)]
    in_clause = [p for p in _within(candidates, sent.start_char, sent.end_char)
                 if p.name is not None and _attached(doc, anchor, p)]
    place = _place(in_clause or candidates, sent.start_char, sent.end_char)
    event_date, end_precision = _date(dates, article)
    killed = [c for c in claims if _in_sentence(c, sent) and _counts_killed(c)
              and not _is_aggregate(c)]
    low, high = _fatalities(killed)
    evidence = Span(sent.start_char, sent.end_char, text)
    return Incident(
            id="",
            event_date=event_date,
            date_precision=end_precision,
            event_type=event_type,
            sub_event_type=sub_event_type,
            actor1=roles.actor1.name if roles.actor1 else None,
            actor2=roles.actor2.name if roles.actor2 else None,
            location=place.name if place else None,
            country_code=place.country_code if place else None,
            lat=place.lat if place else None,
            lon=place.lon if place else None,
            fatalities=low,
            article_ids=[article.id],
            outlets=[article.outlet] if article.outlet else [],
            notes=text.strip(),
            fatalities_low=low,
            fatalities_high=high,
            geonameid=place.geonameid if place else None,
            location_precision=place.precision if place else None,
            admin1=place.admin1 if place else None,
            actor1_id=roles.actor1.actor_id if roles.actor1 else None,
            actor2_id=roles.actor2.actor_id if roles.actor2 else None,
            evidence=[evidence],
            claim_ids=[c.id for c in killed],
        )


def incident_id(article_id: str, evidence: Span) -> str:
    """A stable id from the article and the first sentence the incident was read from."""
    key = f"{article_id}:{evidence.start}:{evidence.end}".encode()
    return "inc-" + hashlib.sha1(key).hexdigest()[:16]


_M = TypeVar("_M", ActorMention, PlaceMention, DateRef)


def _within(items: list[_M], lo: int, hi: int) -> list[_M]:
    return [m for m in items if m.start >= lo and m.end <= hi]


def _in_sentence(claim: Claim, sent: SentSpan) -> bool:
    return sent.start_char <= claim.start < sent.end_char


def _is_background(sent_dates: list[DateRef], published: str | None) -> bool:
    """Running totals ("since 2014", "in June alone") and history are not news of an incident.

    A sentence dated well before the report ("IS overran Raqqa in 2014") recalls the
    background of the story; monitors code such events from the reports of the time.
    """
    if not sent_dates:
        return False
    for ref in sent_dates:
        if ref.kind in ("since", "until"):
            return True
        last = ref.end_date or ref.date
        if published and last and _days_between(last, published) > _HISTORY_DAYS:
            return True
    if any(ref.precision == "year" for ref in sent_dates):
        return True  # an event clause dated only by its year recalls history ("in 2014")
    return all(
        ref.kind == "during" and ref.precision in ("month", "year", "range") for ref in sent_dates
    )


def _event_verb(anchor: Token) -> Token:
    """The verb of the clause the event word belongs to (itself when it is a verb)."""
    token = anchor
    while token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
        token = token.head
    return token


def _attached(doc: Doc, anchor: Token, mention: DateRef | PlaceMention) -> bool:
    """Whether a date or place belongs to the event's clause, judged by the dependency path.

    The path from the expression up the tree must reach the event word or its clause's
    verb (or a reporting verb above it: "..., the SDF said on Tuesday") without entering
    another clause: "the caliphate they declared in 2014" dates the declaration, not the
    battle in the main clause.
    """
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    verb = _event_verb(anchor)
    targets = {anchor.i, verb.i}
    head = verb
    while head.head.i != head.i:
        head = head.head
        if head.lower_ in _REPORTING:
            targets.add(head.i)
    token = span.root
    while token.i not in targets:
        entering = token.dep_ in _OTHER_CLAUSE and token.pos_ in ("VERB", "AUX")
        if entering or token.head.i == token.i:
            return False
        token = token.head
    return True


def _is_instrument(anchor: Token) -> bool:
    """ "backing the offensive with air strikes" names a means, not a strike that happened.

    So do the support of a force ("forces backed by coalition air strikes have since
    regained...") and the weapon not chosen ("artillery instead of air strikes").
    """
    left = anchor.left_edge.i
    if anchor.doc[max(0, left - 2) : left].text.lower() in ("instead of", "rather than"):
        return True
    if anchor.dep_ != "pobj":
        return False
    prep, governor = anchor.head, anchor.head.head
    if prep.lower_ == "by" and governor.lower_ in _ALLY:
        return True
    return (prep.lower_ == "with" and governor.pos_ == "VERB"
            and not may_report_event(governor.text))


def _is_aggregate(claim: Claim) -> bool:
    """A monthly or running total ("744 in June alone", "since 2014") is not one incident's."""
    if claim.date and claim.end_date and claim.end_date != claim.date:
        return True
    return bool(_AGGREGATE.search(claim.sentence))


def _days_between(earlier: str, later: str) -> int:
    try:
        return (date.fromisoformat(later[:10]) - date.fromisoformat(earlier[:10])).days
    except ValueError:
        return 0


def _is_unreal(token: Token, *, clauses: bool = True) -> bool:
    children = list(token.children)
    if any(c.dep_ == "neg" for c in children):
        return True
    if any(c.dep_ in ("aux", "auxpass") and c.lower_ in _MODALS for c in children):
        return True
    if token.lower_ in _INTENT:
        return True
    infinitive = any(c.dep_ == "aux" and c.lower_ == "to" for c in children)
    if infinitive and token.dep_ in ("xcomp", "acl", "advcl", "relcl", "ccomp"):
        return True
    if token.dep_ == "pcomp" and token.head.lower_ == "from" and token.tag_ == "VBG":
        return True  # "prevented IS from using car bombs", "refrained from shelling"
    if clauses and token.dep_ == "relcl":
        return True  # "the town they seized in 2014": background to the main clause
    if any(c.lower_ == "yet" and c.dep_ == "advmod" for c in children):
        return True  # "the toughest battles are yet to come"
    return any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in children)


def _is_realis(anchor: Token, *, clauses: bool = True) -> bool:
    """Whether the event word is asserted as having happened.

    Walks from the word that typed the event up to the sentence root: a negation, a modal
    ("would", "could"), a verb of intent ("plans to", "prevented from") or a purpose
    infinitive ("the operation to retake Mosul") on the way makes it unreal. With
    `clauses`, an event told in a relative clause is background too.
    """
    if clauses and anchor.dep_ == "acl" and anchor.tag_ == "VBN":
        return False  # "a pattern that ... territory ... is being seized": it describes a noun
    token = anchor
    while True:
        if _is_unreal(token, clauses=clauses):
            return False
        if token.head.i == token.i or token.lower_ in _REPORTING:
            return True
        token = token.head


def _attribution(sent: SentSpan) -> tuple[int, int] | None:
    """The stretch naming who said it ("Washington and the SDF said"), not where it happened."""
    for token in sent:
        if token.lower_ in _REPORTING and token.pos_ in ("VERB", "AUX"):
            for child in token.children:
                if child.dep_ in ("nsubj", "nsubjpass"):
                    return child.left_edge.idx, child.right_edge.idx + len(child.right_edge)
        if token.lower_ == "according" and token.i + 1 < len(token.doc):
            to = token.doc[token.i + 1]
            return token.idx, to.right_edge.idx + len(to.right_edge)
    return None


def _inside(mention: ActorMention | PlaceMention, span: tuple[int, int] | None) -> bool:
    return span is not None and span[0] <= mention.start and mention.end <= span[1]


def _anchor(doc: Doc, sent: SentSpan, sub_event_type: str) -> Token | None:
    """The token whose wording typed the event ("strikes", "clashing")."""
    for start, end in cue_offsets(sent.text, sub_event_type):
        span = doc.char_span(sent.start_char + start, sent.start_char + end,
                             alignment_mode="expand")
        if span is not None and len(span):
            return span.root
    return None


def _actor_under(token: Token, mentions: list[ActorMention]) -> ActorMention | None:
    lo = token.left_edge.idx
    hi = token.right_edge.idx + len(token.right_edge.text)
    inside = [m for m in mentions if m.start >= lo and m.end <= hi]
    if not inside:
        return None
    return min(inside, key=lambda m: abs(m.start - token.idx))


def _roles(anchor: Token, mentions: list[ActorMention]) -> _Roles:
    """Attacker and target from the dependency roles around the event's anchor word.

    For a verb: subject or passive agent is actor1, object or "with"/"against" partner
    actor2. For a noun ("air strikes by the coalition", "coalition strikes", "clashes
    between X and Y"), the "by" phrase or modifier is actor1. When the tree says nothing,
    the actors named in the sentence are taken in order.
    """
    if not mentions:
        return _Roles(None, None)
    first: ActorMention | None = None
    second: ActorMention | None = None
    if anchor:
        if anchor.dep_ == "amod":  # "improvised explosive devices": the devices carry the roles
            anchor = anchor.head
        verb = anchor if anchor.pos_ in ("VERB", "AUX") else None
        noun = None if verb is not None else anchor
        while noun is not None and noun.dep_ == "conj" and noun.head.pos_ in ("NOUN", "PROPN"):
            noun = noun.head  # "planted mines and devices": the first of the list is the object
        if noun is not None:
            for child in noun.children:
                if child.dep_ == "prep" and child.lower_ in ("by", "from"):
                    first = first or _pobj_actor(child, mentions)
                elif child.dep_ == "prep" and child.lower_ == "between":
                    pair = [_actor_under(t, mentions) for t in child.children if t.dep_ == "pobj"]
                    pair += [_actor_under(t, mentions) for t in child.subtree if t.dep_ == "conj"]
                    named = [m for m in pair if m is not None]
                    if named:
                        first = first or named[0]
                        second = second or next(
                            (m for m in named[1:] if m.actor_id != named[0].actor_id), None
                        )
                elif child.dep_ in ("compound", "amod", "poss", "nmod") and child.i < noun.i:
                    first = first or _actor_under(child, mentions)
            if noun.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj", "attr"):
                verb = noun.head if noun.dep_ != "pobj" else noun.head.head
            elif noun.dep_ == "conj" and noun.head.pos_ == "VERB":
                verb = noun.head  # an object the parser coordinated with its verb
        if verb is not None:
            skip = noun.i if noun is not None else -1
            # "IS militants used the wall ... and planted mines": conjoined verbs share a subject
            subject_of = verb.head if verb.dep_ == "conj" and not any(
                c.dep_ in ("nsubj", "nsubjpass") for c in verb.children) else verb
            for child in subject_of.children:
                if child.dep_ == "nsubj" and child.i != skip:
                    first = first or _actor_under(child, mentions)
            for child in verb.children:
                if child.dep_ == "agent":
                    first = first or _pobj_actor(child, mentions)
                elif child.dep_ in ("dobj", "nsubjpass") and child.i != skip:
                    second = second or _actor_under(child, mentions)
                elif child.dep_ == "prep" and child.lower_ in ("with", "against", "on"):
                    second = second or _pobj_actor(child, mentions)
    ordered = sorted(mentions, key=lambda m: m.start)
    # "the Syrian Elite Forces, fighters allied with the SDF": allies are not opponents.
    ordered = [m for m in ordered if not _is_ally(anchor.doc, m)] or ordered
    if first is None:
        first = next((m for m in ordered if second is None or m.actor_id != second.actor_id), None)
    if second is None and first is not None:
        second = next(
            (m for m in ordered if m.actor_id != first.actor_id and m.start > first.start), None
        )
    if second is not None and first is not None and second.actor_id == first.actor_id:
        second = None
    return _Roles(first, second)


def _is_ally(doc: Doc, mention: ActorMention) -> bool:
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None or not len(span):
        return False
    return any(t.lower_ in _ALLY for t in span.root.ancestors)


def _pobj_actor(prep: Token, mentions: list[ActorMention]) -> ActorMention | None:
    for obj in prep.children:
        if obj.dep_ == "pobj":
            return _actor_under(obj, mentions)
    return None


def _place(places: list[PlaceMention], lo: int, hi: int) -> PlaceMention | None:
    """The most specific resolved place in the sentence, else the nearest one before it."""
    resolved = [p for p in places if p.name is not None]
    inside = _within(resolved, lo, hi)
    if inside:
        return min(inside, key=lambda p: (_SPECIFICITY.get(p.feature or "", 1), p.start))
    before = [p for p in resolved if p.end <= lo]
    if not before:
        return None
    local = [p for p in before if p.feature != "country"]
    return max(local or before, key=lambda p: p.start)


def _date(sent_dates: list[DateRef], article: Article) -> tuple[str | None, Precision]:
    dated = [d for d in sent_dates if d.date is not None]
    if dated:
        best = min(dated, key=lambda d: (d.kind != "point", d.start))
        return best.date, best.precision
    if article.published:
        return article.published, _FALLBACK_PRECISION
    return None, "unknown"


def _counts_killed(claim: Claim) -> bool:
    return bool(_KILLED.search(claim.counted)) and not re.search(r"wound|injur", claim.counted)


def _fatalities(killed: list[Claim]) -> tuple[int | None, int | None]:
    """ACLED's conservative rule: the lowest figure reported, keeping the highest beside it."""
    lows = [v for c in killed if (v := c.low if c.low is not None else c.value) is not None]
    highs = [v for c in killed if (v := c.high if c.high is not None else c.value) is not None]
    if not lows:
        return None, None
    return int(min(lows)), int(max(highs)) if highs else None


def _compatible(a: Incident, b: Incident) -> bool:
    if a.sub_event_type != b.sub_event_type:
        return False
    if a.location and b.location and a.location != b.location:
        return False
    if a.event_date and b.event_date and a.event_date != b.event_date and (
        a.date_precision == "day" and b.date_precision == "day"
    ):
        return False
    ours = {x for x in (a.actor1_id, a.actor2_id) if x}
    theirs = {x for x in (b.actor1_id, b.actor2_id) if x}
    if a.event_type == "Battles":
        # Two half-known reports of one battle ("our fighters" / "clashing with IS") join.
        return len(ours) <= 1 or len(theirs) <= 1 or bool(ours & theirs)
    return not (a.actor1_id and b.actor1_id and a.actor1_id != b.actor1_id)


def fill_location(target: Incident, source: Incident) -> None:
    """Give an incident without a place the other report's place, every field of it
    together: a region from one report beside the coordinates of another is no place."""
    if target.location is None and source.location is not None:
        for attr in LOCATION_FIELDS:
            setattr(target, attr, getattr(source, attr))


def _merge(incidents: list[Incident]) -> list[Incident]:
    """Fold repeated mentions of one incident into the first, filling what it lacked."""
    merged: list[Incident] = []
    for inc in incidents:
        target = next((m for m in merged if _compatible(m, inc)), None)
        if target is None:
            merged.append(inc)
            continue
        for attr in ("actor1", "actor1_id", "actor2", "actor2_id"):
            if getattr(target, attr) is None and getattr(inc, attr) is not None:
                setattr(target, attr, getattr(inc, attr))
        fill_location(target, inc)
        if target.actor2_id is None and inc.actor1_id and inc.actor1_id != target.actor1_id:
            target.actor2, target.actor2_id = inc.actor1, inc.actor1_id
        if inc.date_precision == "day" and target.date_precision != "day":
            target.event_date, target.date_precision = inc.event_date, inc.date_precision
        lows = [x for x in (target.fatalities_low, inc.fatalities_low) if x is not None]
        highs = [x for x in (target.fatalities_high, inc.fatalities_high) if x is not None]
        target.fatalities_low = min(lows) if lows else None
        target.fatalities = target.fatalities_low
        target.fatalities_high = max(highs) if highs else None
        target.evidence.append(inc.evidence[0])
        target.claim_ids.extend(c for c in inc.claim_ids if c not in target.claim_ids)
    return merged
