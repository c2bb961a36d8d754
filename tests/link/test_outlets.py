"""Independent outlets: a republished copy counts as its original's source, never its own.

Outlet B republishing outlet A's report verbatim (found by dedup, not marked as wire copy)
is one witness, not two; so is a chain of such copies, and a copy of a wire agency's story
counts as the agency.
"""

from __future__ import annotations

from copies import OTHER, TEXT, report

from newsdesk.link.claim_groups import group_claims
from newsdesk.link.common import source_of
from newsdesk.link.grades import grade_incident
from newsdesk.models import ArticleRecords, Incident, Span


def _by_id(*recs: ArticleRecords) -> dict[str, ArticleRecords]:
    return {r.article.id: r for r in recs}


def _incident(recs: dict[str, ArticleRecords]) -> Incident:
    lead = TEXT[:TEXT.index(". ") + 1]
    return Incident(
        id="inc-1", event_date="2017-06-20", date_precision="day", event_type="Explosions/"
        "Remote violence", sub_event_type="Air/drone strike", actor1=None, actor2=None,
        location="Raqqa", country_code="SY", lat=35.95, lon=39.01, fatalities=14,
        article_ids=list(recs), outlets=sorted({r.article.outlet or "" for r in recs.values()}),
        notes="", evidence=[Span(0, len(lead), lead)],
        claim_ids=[c.id for r in recs.values() for c in r.claims],
    )


def test_verbatim_republication_counts_as_the_original_outlet():
    a = report("a", "Rudaw")
    b = report("b", "Kurdistan 24", duplicate_of="a")
    recs = _by_id(a, b)
    assert source_of(b, recs) == source_of(a, recs) == "Rudaw"
    group, = group_claims([a, b])
    assert group.independent_outlets == 1
    assert group.status == "single-source"
    inc = _incident(recs)
    grade_incident(inc, recs)
    assert inc.independent_outlets == 1
    assert inc.grade == "weak", inc.grade_reason
    assert inc.grade_reason == "a single source (Rudaw)"


def test_a_chain_of_copies_counts_as_its_first_report():
    a = report("a", "Rudaw")
    b = report("b", "Kurdistan 24", duplicate_of="a")
    c = report("c", "ARA News", duplicate_of="b")
    d = report("d", "Enab Baladi", OTHER)
    recs = _by_id(a, b, c, d)
    assert {source_of(r, recs) for r in (a, b, c)} == {"Rudaw"}
    assert source_of(report("a", "Rudaw", duplicate_of="a"), recs) == "Rudaw"  # no loop
    group, = group_claims([a, b, c, d])
    assert group.independent_outlets == 2
    assert group.status == "agreed"
    assert "2 independent sources" in group.reason
    inc = _incident(recs)
    grade_incident(inc, recs)
    assert (inc.independent_outlets, inc.grade) == (2, "fair")
    assert inc.grade_reason == "2 independent sources (Enab Baladi, Rudaw)"


def test_a_copy_of_a_wire_story_counts_as_the_agency():
    afp = report("afp", "AFP")
    carried = report("yahoo", "Yahoo News", wire="AFP", republished=True)
    copy = report("copy", "Syria Direct", duplicate_of="yahoo")
    recs = _by_id(afp, carried, copy)
    assert {source_of(r, recs) for r in recs.values()} == {"AFP"}
    group, = group_claims(list(recs.values()))
    assert group.independent_outlets == 1
    # without the agency's own report the copy still counts as the agency
    recs = _by_id(carried, copy)
    assert source_of(copy, recs) == "AFP"
    assert group_claims(list(recs.values()))[0].independent_outlets == 1


def test_copies_of_an_original_not_at_hand_count_once():
    b = report("b", "Kurdistan 24", duplicate_of="a")
    c = report("c", "ARA News", duplicate_of="a")
    d = report("d", "Enab Baladi", OTHER)
    recs = _by_id(b, c, d)
    assert source_of(b, recs) == source_of(c, recs) == "a"
    assert group_claims([b, c, d])[0].independent_outlets == 2

