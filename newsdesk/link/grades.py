"""Corroboration grades of merged incidents.

Modelled on civilian-harm monitors' practice (Airwars):

  out the incident is itself a source for it (e.g. the coalition reports its own strike),
  or a claimant reports casualties caused by its own side;
* ``fair``       - two or more independent credible sources;
* ``weak``       - a single source;
* ``contested``  - competing claims of responsibility (incompatible perpetrators for the
  same incident) or of the facts (figures for the same quantity, scope and time that
  cannot all be true);
* ``discounted`` - those harmed were combatants, or another party is most likely
  responsible (said in the evidence itself).


Independent sources are counted as `newsdesk.link.common` says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsdesk.link.common import claim_source, source_of
from newsdesk.models import ArticleRecords, Incident

_ATTRIBUTION = re.compile(
    r"\b(said|says|stated|statement|announced|confirmed|acknowledged|admitted|reported|"
    r"claimed responsibility|took responsibility|told)\b", re.I,
)
_COMBATANTS = re.compile(
    r"\b(were|all|most) (?:of them )?(?:\w+ )?(fighters|militants|combatants|jihadists|soldiers)\b"
    r"|\bnot civilians\b|\bno civilians\b", re.I,
)
_OTHER_PARTY = re.compile(
    r"\b(another party|other party|was not (?:a |an )?(?:coalition|\w+) strike|"
    r"likely (?:carried out|responsible) by|blamed on)\b", re.I,
)


def grade_incident(inc: Incident, records_by_article: dict[str, ArticleRecords]) -> None:
    """Set `grade`, `grade_reason` and `independent_outlets` on a (merged) incident."""
    recs = [records_by_article[a] for a in inc.article_ids if a in records_by_article]
    outlets = sorted({source_of(r, records_by_article) for r in recs})
    # one key space: an outlet's own assertion is "outlet:X", replaced by the claimants of
    # the claims its reports attribute
    sources = {"outlet:" + o for o in outlets}
    claim_index = {c.id: (c, r) for r in recs for c in r.claims}
    for cid in inc.claim_ids:
        if cid in claim_index:
            claim, rec = claim_index[cid]
            sources.discard("outlet:" + source_of(rec, records_by_article))
            sources.add(claim_source(claim, rec, records_by_article))
    inc.independent_outlets = len(outlets)
    evidence = " ".join(s.text for s in inc.evidence)
    if "competing claim of responsibility" in (inc.notes or ""):
        inc.grade, inc.grade_reason = "contested", "competing claims of responsibility"
    elif re.search(r"civilian", evidence, re.I) and _COMBATANTS.search(evidence):
        inc.grade, inc.grade_reason = "discounted", "the sources say those harmed were combatants"
    elif _OTHER_PARTY.search(evidence):
        inc.grade = "discounted"
        inc.grade_reason = "the sources say another party is most likely responsible"
    elif _party_reports(inc, recs):
        inc.grade = "confirmed"
        inc.grade_reason = f"{inc.actor1}, a party to the incident, reports it itself"
    elif len(sources) >= 2:
        inc.grade = "fair"
        inc.grade_reason = f"{len(sources)} independent sources ({', '.join(outlets)})"
    else:
        inc.grade = "weak"
        inc.grade_reason = f"a single source ({', '.join(outlets) or 'unknown outlet'})"


def _party_reports(inc: Incident, recs: Sequence[ArticleRecords]) -> bool:
    """True when the perpetrator (actor1) is the one attributing the evidence sentence."""
    if not inc.actor1_id and not inc.actor1:
        return False
    for span in inc.evidence:
        if not _ATTRIBUTION.search(span.text):
            continue
        for rec in recs:
            if rec.article.text[span.start:span.end] != span.text:
                continue
            for a in rec.actors:
                if span.start <= a.start < span.end and (
                    a.actor_id == inc.actor1_id or a.name == inc.actor1
                ) and _ATTRIBUTION.search(rec.article.text[a.end:span.end][:80]):
                    return True
    return False
