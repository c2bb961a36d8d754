"""What the linking modules share: dates, the order of units, stop words, independence.

Independence: wire copy republished by several outlets counts once (the agency), a
duplicate counts as its original, and the claimant matters: five outlets quoting the same
ministry are one source. Independent sources are therefore the distinct claimants (or the
outlet, when the outlet itself asserts) after wire copies and duplicates are collapsed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date

from newsdesk.models import ArticleRecords, Claim


@functools.lru_cache(maxsize=4096)
def parse_date(d: str | None) -> date | None:
    if not d:
        return None
    try:
        return date.fromisoformat(d[:10])
    except ValueError:
        return None


def unit_order(rec: ArticleRecords) -> tuple[bool, str, str]:
    """Units in publication order (undated last), ties by id: the order linking is defined in."""
    pub = rec.article.published
    return (pub is None, pub or "", rec.article.id)


def source_of(rec: ArticleRecords, by_id: Mapping[str, ArticleRecords]) -> str:
    """The source an article counts as among the records at hand (`by_id`: a story's, a batch's).

    Wire copy counts as its agency, else the outlet. A duplicate (outlet B republishing
    outlet A's report) counts as its original's source, following a chain of copies to the
    first report: B's copy adds no witness that A did not. One record cannot say this, so
    the caller hands over the records it has. An original not at hand counts as its article
    id: the copies of one missing original then count once, and as none of their outlets.
    Linking grades a story over all its articles and a copy joins its original's story (a
    stored one too), so that fallback only meets a caller that passes part of a story.
    """
    art = rec.article
    seen = {art.id}
    while art.duplicate_of and art.duplicate_of not in seen:
        orig = by_id.get(art.duplicate_of)
        if orig is None:
            return art.duplicate_of
        art = orig.article
        seen.add(art.id)
    return art.wire or art.outlet or art.id


def claim_source(claim: Claim, rec: ArticleRecords | None,
                 by_id: Mapping[str, ArticleRecords]) -> str:
    if claim.claimant:
        return "claimant:" + claim.claimant.lower()
    return "outlet:" + (source_of(rec, by_id) if rec else claim.article_id)


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as words

    return frozenset(words)


STOP_WORDS = _stop_words()
