"""Armed and political actors named in an article, resolved through the actor registry.

Names come from `registry.ActorRegistry` (longest match wins); descriptions ("the
jihadists", "the coalition") are resolved by the article's other mentions and its dominant
country; ORG/NORP entities the registry does not know become unknown actors with an id
derived from the name.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from typing import TYPE_CHECKING

from newsdesk.analyse.registry import INTER_KINDS, Actor, ActorRegistry, normalise, slugify
from newsdesk.models import ActorMention, Article

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

# Head words that make an unknown ORG entity plausibly an armed or political body rather
# than a place the small model mislabels as ORG (it tags "Raqa" and "Kobane" as ORG).
_ORG_HEADS = {
    "army",
    "forces",
    "force",
    "brigade",
    "brigades",
    "battalion",
    "battalions",
    "regiment",
    "division",
    "corps",
    "front",
    "movement",
    "party",
    "council",
    "ministry",
    "command",
    "service",
    "guard",
    "guards",
    "units",
    "unit",
    "militia",
    "militias",
    "group",
    "groups",
    "organisation",
    "organization",
    "union",
    "league",
    "alliance",
    "coalition",
    "authority",
    "police",
    "government",
    "agency",
    "committee",
    "commission",
    "network",
    "collective",
    "mission",
    "jaish",
    "jabhat",
    "harakat",
    "liwa",
    "kataib",
    "ansar",
    "saraya",
    "cartel",
    "gang",
    "tribe",
    "tribes",
    "administration",
    "parliament",
    "observatory",
    "office",
}
_STATE_HEADS = {"ministry", "police", "government", "administration", "parliament"}
_RANKS = {"col", "gen", "maj", "lt", "capt", "sgt", "brig", "adm", "cpl", "col.", "gen.", "maj."}


# ---------------------------------------------------------------------------------------
# extraction


def _in_caps_run(doc: Doc, start: int, end: int) -> bool:
    """True inside an all-capitals headline ("RAQA IS BEING..."), where "IS" is a verb."""

    def caps(i: int) -> bool:
        return 0 <= i < len(doc) and doc[i].is_alpha and doc[i].is_upper and len(doc[i]) > 1

    return caps(start - 1) and caps(end)


def _dominant_country(countries: list[Span]) -> str | None:
    counts = Counter(s.label_[2:] for s in countries)
    if not counts:
        return None
    first = {s.label_[2:]: s.start for s in reversed(countries)}
    return min(counts, key=lambda c: (-counts[c], first[c]))


def _unknown_actor(span: Span, registry: ActorRegistry, article: Article) -> ActorMention | None:
    """An ORG/NORP entity not in the registry, if it looks like an actor at all."""
    tokens = [t for t in span if not (t.is_punct and t.i in (span.start, span.end - 1))]
    while tokens and tokens[0].lower_ in {"the", "a", "an"}:
        tokens = tokens[1:]
    while tokens and (tokens[-1].lower_.rstrip(".") in _RANKS or tokens[-1].tag_ == "POS"):
        tokens = tokens[:-1]
    if not tokens or any("\n" in t.text_with_ws.rstrip(" ") for t in tokens[:-1]):
        return None
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
    text = article.text[start:end]
    if registry.is_not_actor(text) or registry.match(text) is not None:
        return None
    words = {t.lower_ for t in tokens}
    if span.label_ == "NORP":
        if len(tokens) != 1 or tokens[0].tag_ not in ("NNPS", "NNS"):
            return None  # "Kurdish", "Syrian": adjectives of a noun, not actors
    elif not (words & _ORG_HEADS) and not (
        len(tokens) == 1 and tokens[0].is_upper and len(tokens[0]) >= 2
    ):
        return None
    state = bool(words & _STATE_HEADS)
    return ActorMention(
        article_id=article.id,
        text=text,
        start=start,
        end=end,
        actor_id=f"x-{slugify(text)}",
        name=normalise(text),
        kind=INTER_KINDS[1] if state else None,
        inter=1 if state else None,
        known=False,
    )


def _resolve(
    cls: str,
    span: Span,
    explicit: list[tuple[Span, Actor]],
    dominant: str | None,
    registry: ActorRegistry,
    sent_starts: list[int],
) -> Actor | None:
    """Which actor a description means in this article; None rather than a guess."""
    if cls == "state-military":
        return registry.state_forces(dominant) if dominant else None
    members = [(s, a) for s, a in explicit if cls in a.classes]
    if members:
        here = bisect_right(sent_starts, span.start)
        sentence = [a for s, a in members if bisect_right(sent_starts, s.start) == here]
        pool = sentence or [a for _, a in members]
        counts = Counter(a.id for a in pool)
        first = {a.id: i for i, a in reversed(list(enumerate(pool)))}
        best = min(counts, key=lambda i: (-counts[i], first[i]))
        return registry.actors[best]
    if dominant:
        local = [
            a
            for a in registry.actors.values()
            if cls in a.classes and (dominant in a.theatres or a.country == dominant)
        ]
        if len(local) == 1:
            return local[0]
    return None


def extract_actors(doc: Doc, article: Article, registry: ActorRegistry) -> list[ActorMention]:
    """Actor mentions in `article` (whose text `doc` was parsed from), in text order.

    Names come first (longest match wins), then descriptions resolved against the names
    and the article's dominant country, then ORG/NORP entities the registry does not know.
    """
    from spacy.tokens import Span
    from spacy.util import filter_spans

    m = registry.matchers(doc.vocab)
    spans = []
    for matcher in (m.orth, m.lower):
        for match_id, start, end in matcher(doc):
            label = m.labels[match_id]
            if matcher is m.orth and end - start == 1 and _in_caps_run(doc, start, end):
                continue
            spans.append(Span(doc, start, end, label=label))
    spans = filter_spans(spans)
    countries = [
        s
        for s in spans
        if s.label_.startswith("C:") and not (s.end < len(doc) and doc[s.end].text in "-‐")
    ]
    dominant = _dominant_country(countries)
    explicit = [(s, registry.actors[s.label_[2:]]) for s in spans if s.label_.startswith("A:")]
    # read only by descriptions' resolution; most articles have none
    described = any(s.label_.startswith("D:") for s in spans)
    sent_starts = ([s.start for s in doc.sents]
                   if described and doc.has_annotation("SENT_START") else [])
    out: list[ActorMention] = []
    for s in spans:
        if s.label_.startswith("A:"):
            actor = registry.actors[s.label_[2:]]
        elif s.label_.startswith("D:"):
            desc = registry.descriptions[s.label_[2:]]
            if s.end < len(doc) and doc[s.end].lower_ in desc.not_before:
                continue
            actor = _resolve(desc.cls, s, explicit, dominant, registry, sent_starts)
            if actor is None:
                continue
        else:
            continue
        out.append(
            ActorMention(
                article_id=article.id,
                text=s.text,
                start=s.start_char,
                end=s.end_char,
                actor_id=actor.id,
                name=actor.name,
                kind=actor.kind,
                inter=actor.inter,
                country_code=actor.country,
            )
        )
    taken = [(s.start, s.end) for s in spans]
    for ent in doc.ents:
        if ent.label_ not in ("ORG", "NORP"):
            continue
        if any(a < ent.end and ent.start < b for a, b in taken):
            continue
        mention = _unknown_actor(ent, registry, article)
        if mention is not None:
            out.append(mention)
    out.sort(key=lambda x: (x.start, x.end))
    return out
