"""What the linking modules share: dates, the order of units, stop words, independence.

Independence: wire copy republished by several outlets counts once (the agency), a
duplicate counts as its original, and the claimant matters: five outlets quoting the same
ministry are one source. Independent sources are therefore the distinct claimants (or the
outlet, when the outlet itself asserts) after wire copies and duplicates are collapsed.
"""

from __future__ import annotations

import functools
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


def source_of(rec: ArticleRecords) -> str:
    """The outlet an article counts as: the wire agency for wire copy, else the outlet."""
    art = rec.article
    return art.wire or art.outlet or art.duplicate_of or art.id


def claim_source(claim: Claim, rec: ArticleRecords | None) -> str:
    if claim.claimant:
        return "claimant:" + claim.claimant.lower()
    return "outlet:" + (source_of(rec) if rec else claim.article_id)


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as words

    return frozenset(words)


STOP_WORDS = _stop_words()
