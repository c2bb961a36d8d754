"""The per-article stage: one article in, every record extracted from it out.

`analyze_article` is a pure function of (article, loaded resources), so the local executor
and the Dask workers run exactly the same code: resources are loaded once per process by
`load_resources` and the function touches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from newsdesk.analyse import actors, casualties, claims, dates, geocode, incidents, quotes
from newsdesk.analyse.nlp import parse, parse_many
from newsdesk.models import Article, ArticleRecords

if TYPE_CHECKING:
    from collections.abc import Sequence

    from spacy.language import Language
    from spacy.tokens import Doc

    from newsdesk.analyse.gazetteer import Gazetteer
    from newsdesk.analyse.registry import ActorRegistry


@dataclass(slots=True, frozen=True)
class Resources:
    """What the per-article stage needs loaded: the NLP model, gazetteer, actor registry."""

    nlp: Language
    gazetteer: Gazetteer
    registry: ActorRegistry


@cache
def load_resources() -> Resources:
    """Load the shared resources once per process (each Dask worker calls this too)."""
    from newsdesk.analyse.gazetteer import Gazetteer
    from newsdesk.analyse.nlp import load_nlp
    from newsdesk.analyse.registry import shared_registry
    from newsdesk.startup import long_lived

    with long_lived():
        return Resources(nlp=load_nlp(), gazetteer=Gazetteer.open(), registry=shared_registry())


@dataclass(slots=True, frozen=True)
class Parsed:
    """An article's text parsed, and its headline as casualty counting reads it (None for
    no headline, or, from `parse_batch`, one with no word a count starts from)."""

    text: Doc
    title: Doc | None


def parse_batch(articles: Sequence[Article], nlp: Language) -> list[Parsed]:
    """The articles' texts and headlines parsed a batch at a time (`nlp.parse_many`): the
    same `Doc`s as one `nlp()` each, in a fraction of the time for the short headlines,
    whose cost was mostly spaCy's per-call overhead.

    Only the headlines that casualty counting can read a count from are parsed
    (`casualties.may_count`, on the tokens alone): 10 of the 197 GeoWebNews headlines. The
    others get None, which `count_casualties` takes as no headline, as it would have found
    nothing in their parse."""
    texts = parse_many(nlp, [a.text for a in articles])
    heads = [casualties.headline_text(a.title) if a.title else "" for a in articles]
    counted = [bool(h) and casualties.may_count(nlp.make_doc(h)) for h in heads]
    titles = iter(parse_many(nlp, [h for h, c in zip(heads, counted, strict=True) if c]))
    return [Parsed(doc, next(titles) if c else None)
            for doc, c in zip(texts, counted, strict=True)]


def analyze_article(
    article: Article, res: Resources, parsed: Parsed | None = None
) -> ArticleRecords:
    """Extract places, actors, dates, claims, quotes and incidents from one article.

    `parsed` is the article already parsed (`parse_batch`, with which the executors parse
    a batch at once); without it the article is parsed here."""
    if parsed is None:
        parsed = Parsed(parse(res.nlp, article.text),
                        casualties.headline(res.nlp, article.title) if article.title else None)
    doc = parsed.text
    place_mentions = geocode.extract_places(doc, article, res.gazetteer)
    actor_mentions = actors.extract_actors(doc, article, res.registry)
    date_refs = dates.extract_dates(doc, article)
    claim_list = claims.extract_claims(
        doc, article, actors=actor_mentions, places=place_mentions, dates=date_refs,
        registry=res.registry,
    )
    quote_list = quotes.extract_quotes(doc, article, actors=actor_mentions, registry=res.registry)
    incident_list = incidents.extract_incidents(
        doc, article, places=place_mentions, actors=actor_mentions, dates=date_refs,
        claims=claim_list,
        toll=casualties.count_casualties(doc, parsed.title, article.text),
    )
    return ArticleRecords(
        article=article,
        places=place_mentions,
        actors=actor_mentions,
        dates=date_refs,
        claims=claim_list,
        quotes=quote_list,
        incidents=incident_list,
    )
