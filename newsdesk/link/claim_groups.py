"""Claim groups: a story's figures for the same quantity, and whether they agree."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence

from newsdesk.link.common import STOP_WORDS, claim_source, source_of, unit_order
from newsdesk.models import ArticleRecords, Claim, ClaimGroup, on_ground

_APPROX = {"about", "around", "some", "approximately", "roughly", "an estimated", "estimated",
           "or so", "close to", "circa", "almost", "nearly", "more or less", "perhaps"}
_AT_LEAST = {"at least", "more than", "over", "upwards of", "in excess of", "above",
             "no fewer than"}
_AT_MOST = {"up to", "at most", "fewer than", "less than", "under", "as many as", "no more than",
            "below"}
APPROX_TOLERANCE = 0.10  # "about 2,500" covers 2,250-2,750: reporters round to 2 figures
_CUMULATIVE = re.compile(r"kill|dead|death|died|injur|wound|casualt|displac|flee|fled|refugee",
                         re.I)


def group_claims(records: Sequence[ArticleRecords]) -> list[ClaimGroup]:
    """Group a story's claims about the same quantity and say whether they agree."""
    by_article = {r.article.id: r for r in records}
    items = sorted(
        ((c, by_article[c.article_id]) for r in records for c in r.claims
         if c.article_id in by_article and (c.value is not None or c.low is not None
                                            or c.high is not None)),
        key=lambda cr: (-len(_subject_keys(*cr)), unit_order(cr[1]), cr[0].id),
    )
    buckets: dict[tuple[str, str | None], list[list[tuple[Claim, ArticleRecords]]]] = {}
    for claim, rec in items:
        counted = _norm_counted(claim.counted)
        groups = buckets.setdefault((counted, _base_unit(claim.unit)[0]), [])
        if counted == "distance":  # "50 km north of Raqqa", "90 miles away": from different
            groups.append([(claim, rec)])  # points, so two distances never contest each other
            continue
        keys = _subject_keys(claim, rec)
        for group in groups:
            if all(_subjects_fit(keys, _subject_keys(c, r)) for c, r in group):
                group.append((claim, rec))
                break
        else:
            groups.append([(claim, rec)])
    out = [_claim_group(g, by_article) for groups in buckets.values() for g in groups]
    out.sort(key=lambda g: (
        {"contested": 0, "different-scope": 1, "timeline": 2, "agreed": 3}.get(g.status, 4),
        g.counted, g.claims[0],
    ))
    return out


def _norm_counted(counted: str) -> str:
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in re.findall(r"[a-z]+", counted.lower())]
    return " ".join(words)


def _subject_keys(claim: Claim, rec: ArticleRecords) -> frozenset[str]:
    """Subject words, with names resolved to place/actor ids so spellings compare equal."""
    if not claim.subject:
        return frozenset()
    # Claim subjects carry canonical names ("Islamic State in Ar Raqqah"), other
    # articles' subjects may carry the words as written: both resolve to the same ids.
    resolved = {}
    for p in on_ground(rec.places):
        if p.geonameid:
            for name in (p.text, p.name or ""):
                if name:
                    resolved[name.lower()] = f"p:{p.geonameid}"
    for a in rec.actors:
        resolved[a.text.lower()] = f"a:{a.actor_id}"
        resolved[a.name.lower()] = f"a:{a.actor_id}"
    subject = claim.subject.lower()
    keys = set()
    for text, key in sorted(resolved.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", subject):
            keys.add(key)
            subject = re.sub(rf"(?<!\w){re.escape(text)}(?!\w)", " ", subject)
    keys.update(w for w in re.findall(r"[a-z]{3,}", subject) if w not in STOP_WORDS)
    return frozenset(keys)


_VAGUE = frozenset({"city", "town", "village", "area", "region", "province", "country", "district",
                    "northern", "southern", "eastern", "western", "central", "north", "south",
                    "east", "west", "there", "here", "capital"})


def _subjects_fit(a: frozenset[str], b: frozenset[str]) -> bool:
    """Subjects fit unless they name different places or share nothing but vague words."""
    a, b = a - _VAGUE, b - _VAGUE
    if not a or not b:
        return True
    places_a = {k for k in a if k.startswith("p:")}
    places_b = {k for k in b if k.startswith("p:")}
    if places_a and places_b and not places_a & places_b:
        return False
    return bool(a & b)


_BASE_UNITS = {"km": ("m", 1000.0), "mi": ("m", 1609.344), "km2": ("m2", 1e6),
               "mi2": ("m2", 2_589_988.11)}


def _base_unit(unit: str | None) -> tuple[str | None, float]:
    """The unit figures are compared in, and the factor to it: 2.5 km and 2,500 m agree."""
    return _BASE_UNITS.get(unit or "", (unit, 1.0))


def _interval(claim: Claim) -> tuple[float, float]:
    q = (claim.qualifier or "").lower().strip()
    factor = _base_unit(claim.unit)[1]
    lo = claim.low if claim.low is not None else claim.value
    hi = claim.high if claim.high is not None else claim.value
    lo = 0.0 if lo is None else lo * factor
    hi = math.inf if hi is None else hi * factor
    if q in _AT_LEAST:
        return lo, math.inf
    if q in _AT_MOST:
        return 0.0, hi
    if q in _APPROX:
        return lo * (1 - APPROX_TOLERANCE), hi * (1 + APPROX_TOLERANCE)
    return lo, hi


def _scope_key(claim: Claim) -> str | None:
    if claim.date or claim.end_date:
        return f"{claim.date}/{claim.end_date}"
    if claim.scope:
        return " ".join(re.findall(r"\w+", claim.scope.lower()))
    return None


def _claim_group(group: list[tuple[Claim, ArticleRecords]],
                 by_article: Mapping[str, ArticleRecords]) -> ClaimGroup:
    group = sorted(group, key=lambda cr: (unit_order(cr[1]), cr[0].id))
    values = [{
        "claim_id": c.id, "value": c.value, "low": c.low, "high": c.high,
        "qualifier": c.qualifier, "unit": c.unit, "scope": c.scope, "claimant": c.claimant,
        "article_id": c.article_id, "outlet": r.article.outlet, "published": r.article.published,
        "number_text": c.number_text, "sentence": c.sentence,
        "sentence_start": c.sentence_start, "sentence_end": c.sentence_end,
        "confirmed": _self_reported(c, r),
    } for c, r in group]
    sources = sorted({claim_source(c, r, by_article) for c, r in group})
    outlets = sorted({source_of(r, by_article) for _, r in group})
    scopes = {k for k in (_scope_key(c) for c, _ in group) if k is not None}
    intervals = [_interval(c) for c, _ in group]
    consistent = max(i[0] for i in intervals) <= min(i[1] for i in intervals)
    first = group[0][0]
    if len(scopes) > 1:
        status, reason = "different-scope", f"the figures cover {len(scopes)} different scopes"
    elif consistent:
        status = "agreed" if len(sources) > 1 else "single-source"
        reason = (f"{len(sources)} independent sources agree" if len(sources) > 1
                  else "one source")
    elif _is_timeline(group, intervals):
        status, reason = "timeline", "the figure rises from one report date to the next"
    else:
        status, reason = "contested", "the figures cannot all hold for the same scope and time"
    grade: str | None
    if status == "different-scope":
        # figures of different periods or places are not one claim: none is graded for
        # the others; a party's own figure stays marked `confirmed` on its value
        grade = None
    elif status == "contested":
        grade = "contested"
    elif any(v["confirmed"] for v in values):
        grade, reason = "confirmed", reason + "; a party reports harm caused by its own side"
    else:
        grade = "fair" if len(sources) > 1 else "weak"
    reason += f" ({len(sources)} independent source{'s' if len(sources) != 1 else ''}: " \
              f"{', '.join(s.split(':', 1)[1] for s in sources)})"
    return ClaimGroup(
        counted=first.counted, subject=next((c.subject for c, _ in group if c.subject), None),
        claims=[c.id for c, _ in group], values=values, status=status,  # type: ignore[arg-type]
        independent_outlets=len(outlets), grade=grade, reason=reason,
    )


def _is_timeline(group: list[tuple[Claim, ArticleRecords]], intervals: list[tuple[float, float]],
                 ) -> bool:
    """Cumulative tolls reported on different days that only grow are a timeline."""
    if not all(_CUMULATIVE.search(c.counted) for c, _ in group):
        return False
    days = [r.article.published for _, r in group]
    if None in days or len(set(days)) < 2:
        return False
    ordered = sorted(zip(days, intervals, strict=True), key=lambda di: di[0])
    for (d0, i0), (d1, i1) in itertools.pairwise(ordered):
        if d0 == d1 and not (max(i0[0], i1[0]) <= min(i0[1], i1[1])):
            return False
        if i1[1] < i0[0]:
            return False
    return True


def _self_reported(claim: Claim, rec: ArticleRecords) -> bool:
    """A claimant reporting casualties from its own side's action (the coalition's strikes)."""
    if not claim.claimant_id or claim.category != "casualties":
        return False
    s0, s1 = claim.sentence_start, claim.sentence_end
    return any(
        a.actor_id == claim.claimant_id and s0 <= a.start < s1 and not (
            claim.start <= a.start < claim.end
        ) and rec.article.text[a.start:a.end] != claim.claimant_text
        for a in rec.actors
    )
