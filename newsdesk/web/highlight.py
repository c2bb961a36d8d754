"""Article text with its extracted mentions highlighted, built from character offsets.

The text is untrusted (scraped pages carry markup and scripts), so it is never passed
through as HTML: it is cut at every mention boundary and each piece is escaped on its
own. Mentions may overlap (a place inside a quote, a number inside a claim sentence), so
the text is split into segments, each wrapped in one element that carries the classes of
every mention covering it; nothing is dropped and the visible text is the article's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape

KINDS = ("cite", "place", "actor", "claim", "quote")
"""Highlight kinds, in the order their labels appear in a segment's tooltip.

`cite` is the passage a brief's citation points at; its first segment carries the
`cited` anchor so the link lands on it.
"""


@dataclass(slots=True, frozen=True)
class Mark:
    """One stretch of the article to highlight, with the label shown on hover."""

    start: int
    end: int
    kind: str
    label: str


def highlight(text: str, marks: Iterable[Mark]) -> Markup:
    """Escaped HTML of `text` with every valid mark wrapped in a `<mark>` element.

    Marks whose offsets fall outside the text or are empty are ignored rather than
    trusted: the offsets come from a database the user may have edited.
    """
    valid = [m for m in marks if 0 <= m.start < m.end <= len(text) and m.kind in KINDS]
    cuts = sorted({0, len(text), *(m.start for m in valid), *(m.end for m in valid)})
    out: list[str] = []
    anchored = False
    for left, right in pairwise(cuts):
        piece = escape(text[left:right])
        covering = [m for m in valid if m.start <= left and right <= m.end]
        if not covering:
            out.append(piece)
            continue
        covering.sort(key=lambda m: KINDS.index(m.kind))
        kinds = sorted({m.kind for m in covering}, key=KINDS.index)
        classes = " ".join(f"hl-{k}" for k in kinds)
        title = " | ".join(dict.fromkeys(f"{m.kind}: {m.label}" for m in covering))
        anchor = ""
        if "cite" in kinds and not anchored:
            anchor, anchored = ' id="cited"', True
        out.append(
            f'<mark{anchor} class="hl {classes}" data-kinds="{" ".join(kinds)}" '
            f'title="{escape(title)}">{piece}</mark>'
        )
    return Markup("".join(out))


def article_marks(
    *,
    places: Iterable[dict],
    actors: Iterable[dict],
    claims: Iterable[dict],
    quotes: Iterable[dict],
) -> list[Mark]:
    """Marks for the records of one article, as the store returns them (contract dicts)."""
    marks: list[Mark] = []
    for p in places:
        where = p.get("name") or "unresolved"
        if p.get("country_code"):
            where += f" ({p['country_code']})"
        marks.append(Mark(p["start"], p["end"], "place", where))
    for a in actors:
        marks.append(Mark(a["start"], a["end"], "actor", f"{a.get('name')} [{a.get('actor_id')}]"))
    for c in claims:
        label = f"{c.get('counted')}: {_claim_value(c)}, per {c.get('claimant') or 'the outlet'}"
        marks.append(Mark(c.get("start") or 0, c.get("end") or 0, "claim", label))
    for q in quotes:
        marks.append(Mark(q.get("start") or 0, q.get("end") or 0, "quote", q.get("speaker") or "?"))
    return marks


def _claim_value(claim: dict) -> str:
    if claim.get("value") is not None:
        return f"{claim['value']:g}"
    low, high = claim.get("low"), claim.get("high")
    if low is not None or high is not None:
        return f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
    return "?"
