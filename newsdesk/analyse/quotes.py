"""Quotes: direct quotes and reported speech, as `Quote` records with their speakers.

The speech itself (quotation marks, cues, speakers) is found by `attribution`; this module
turns each act of speech into one record, with a stable id.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from newsdesk.analyse.attribution import Registry, find_attributions
from newsdesk.models import ActorMention, Article, Quote

if TYPE_CHECKING:
    from spacy.tokens import Doc


def extract_quotes(
    doc: Doc, article: Article, *, actors: list[ActorMention], registry: Registry | None
) -> list[Quote]:
    """Direct quotes and reported speech with resolved speakers, in text order.

    A short quoted fragment inside a reported clause of the same cue ('said the jihadists
    are breathing their "last gasps"') is one act of speech: only the clause is kept.
    """
    out: list[Quote] = []
    text = article.text
    attributions = find_attributions(doc, article, actors=actors, registry=registry)
    clauses = {(a.cue_start, a.start, a.end) for a in attributions if not a.direct}
    for att in attributions:
        if att.speaker is None and not att.direct:
            continue
        if att.direct and att.cue is not None and any(
            c == att.cue_start and s <= att.start and att.end <= e for c, s, e in clauses
        ):
            continue
        spk = att.speaker
        key = f"{article.id}:{att.start}:{att.end}:{int(att.direct)}"
        out.append(Quote(
            article_id=article.id,
            speaker=spk.name if spk else None,
            speaker_text=spk.text if spk else None,
            role=spk.role if spk else None,
            text=text[att.start:att.end],
            direct=att.direct,
            start=att.start,
            end=att.end,
            speaker_start=spk.start if spk else None,
            speaker_end=spk.end if spk else None,
            cue=att.cue,
            id="q_" + hashlib.sha1(key.encode()).hexdigest()[:16],
        ))
    return out
