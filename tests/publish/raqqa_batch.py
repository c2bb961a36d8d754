"""The 200-report batch of issue 17: the example's five reports, 40 versions of each.

Running the whole pipeline on 200 reports takes minutes on two cores, so the batch is
derived from the five reports analysed once (the session's `raqqa_records`): each version
edits the article id, the outlet, the date and the figures of the original's records, and
writes the new figures into the text at the same length, so every offset, sentence and
evidence span still holds. Everything is a function of the version number: the batch is the
same on every run.

Per original, of its 40 versions (k = 0..39):
- k % 5 == 0: the original outlet's own updates, figures varied (k == 0 is the report itself;
  k == 35 is undated, and so is its wire copy, k == 38);
- k % 5 in (1, 2): rewrites by other outlets, figures varied;
- k % 5 == 3: a wire copy of version k - 3 carried by another site (republished, and marked
  `duplicate_of` it, as dedup marks near-identical copies);
- k % 5 == 4: a duplicate of version k - 2 on another site.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from newsdesk.models import ArticleRecords

VERSIONS = 40
_OUTLETS = ("Reuters", "AP", "BBC", "Al-Monitor", "The National", "Rudaw", "Asharq Al-Awsat")
_DIGITS = re.compile(r"\d[\d,]*")


def build_batch(originals: Mapping[str, ArticleRecords]) -> list[ArticleRecords]:
    """The 200 reports (5 originals x 40 versions), deterministic."""
    out: list[ArticleRecords] = []
    for i, key in enumerate(sorted(originals)):
        orig = originals[key]
        ids = [orig.article.id if k == 0 else _id(orig.article.id, k) for k in range(VERSIONS)]
        for k in range(VERSIONS):
            if k % 5 == 3:
                source = k - 3
            elif k % 5 == 4:
                source = k - 2
            else:
                source = k
            rec = _version(orig, i, source, ids[source])
            if source != k:
                rec = _copy(rec, ids[k], k, i, ids[source], wire=k % 5 == 3)
            out.append(rec)
    return out


def _id(article_id: str, k: int) -> str:
    return hashlib.sha1(f"{article_id}/{k}".encode()).hexdigest()[:16]


def _published(i: int, k: int) -> str | None:
    if k == 35:
        return None
    return (date(2017, 7, 1) + timedelta(days=i + k // 5)).isoformat()


def _outlet(orig: ArticleRecords, i: int, k: int) -> str | None:
    return orig.article.outlet if k % 5 == 0 else _OUTLETS[(i + k) % len(_OUTLETS)]


def _vary(value: float, i: int, k: int) -> float:
    """Up to 8 % either way, in the figure's own rounding (2,500 -> 2,650; 603 -> 555)."""
    if k == 0:
        return value
    step = ((k * 7 + i * 3) % 9 - 4) * 0.02
    grain = max(1, 10 ** (len(str(int(value))) - 2) // 2)
    return float(round(value * (1 + step) / grain) * grain)


def _version(orig: ArticleRecords, i: int, k: int, new_id: str) -> ArticleRecords:
    """Version k of an original: new id, outlet and date, and its figures varied."""
    text = orig.article.text
    old = orig.article.id
    edits: dict[str, float] = {}
    chars = list(text)
    for c in orig.claims:
        if c.value is None or c.value < 10 or not float(c.value).is_integer():
            continue
        m = next((m for m in _DIGITS.finditer(text, c.start, c.end)
                  if int(m.group().replace(",", "")) == c.value), None)
        if m is None:
            continue
        new = _vary(c.value, i, k)
        shown = f"{int(new):,}" if "," in m.group() else str(int(new))
        if len(shown) == len(m.group()):  # same length: every offset still holds
            chars[m.start():m.end()] = shown
            edits[c.id] = new
    new_text = "".join(chars)

    def moved(obj: Any) -> Any:
        changes: dict[str, Any] = {}
        if getattr(obj, "article_id", None) == old:
            changes["article_id"] = new_id
        start, end = getattr(obj, "start", None), getattr(obj, "end", None)
        if isinstance(start, int) and isinstance(end, int) and \
                getattr(obj, "text", None) == text[start:end]:
            changes["text"] = new_text[start:end]
        return dataclasses.replace(obj, **changes) if changes else obj

    claims = []
    for c in orig.claims:
        c = moved(c)
        changes: dict[str, Any] = {
            "id": c.id if new_id == old else f"{c.id}-{new_id}",
            "sentence": new_text[c.sentence_start:c.sentence_end]
            if c.sentence == text[c.sentence_start:c.sentence_end] else c.sentence,
        }
        if c.id in edits:
            changes.update(value=edits[c.id], low=edits[c.id], high=edits[c.id])
        claims.append(dataclasses.replace(c, **changes))
    claim_ids = {c.id: n.id for c, n in zip(orig.claims, claims, strict=True)}
    incidents = [dataclasses.replace(
        inc, id=inc.id if new_id == old else f"{inc.id}-{new_id}", article_ids=[new_id],
        claim_ids=[claim_ids.get(c, c) for c in inc.claim_ids],
        evidence=[moved(s) for s in inc.evidence],
        tolls=[dataclasses.replace(t, article_id=new_id) for t in inc.tolls],
    ) for inc in orig.incidents]
    article = dataclasses.replace(
        orig.article, id=new_id, text=new_text, outlet=_outlet(orig, i, k),
        published=_published(i, k), wire=orig.article.wire if k % 5 == 0 else None,
        duplicate_of=None,
    )
    return ArticleRecords(
        article=article, places=[moved(p) for p in orig.places],
        actors=[moved(a) for a in orig.actors], dates=[moved(d) for d in orig.dates],
        claims=claims, quotes=[moved(q) for q in orig.quotes], incidents=incidents,
    )


def _copy(rec: ArticleRecords, new_id: str, k: int, i: int, original: str, *, wire: bool,
          ) -> ArticleRecords:
    """A copy of another version on another site, marked as its duplicate."""
    source = rec.article
    wire_name = source.wire or source.outlet if wire else None
    article = dataclasses.replace(
        source, id=new_id, outlet=f"site{k}-{i}.example", wire=wire_name, republished=wire,
        duplicate_of=original,
    )
    return dataclasses.replace(_version(rec, i, 0, new_id), article=article)
