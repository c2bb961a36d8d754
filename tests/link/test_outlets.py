"""Independent outlets: a republished copy counts as its original's source, never its own.

Outlet B republishing outlet A's report verbatim (found by dedup, not marked as wire copy)
is one witness, not two; so is a chain of such copies, and a copy of a wire agency's story
counts as the agency.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from copies import OTHER, TEXT, report
from raqqa import AFP_BREACH, load_records

from newsdesk.link.claim_groups import group_claims
from newsdesk.link.common import source_of
from newsdesk.link.grades import grade_incident
from newsdesk.models import ArticleRecords, Incident, Span
from newsdesk.pipeline import link_stored
from newsdesk.store import Store


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



def test_a_new_copy_of_a_stored_report_adds_no_outlet(data_dir: Path, tmp_path: Path) -> None:
    """Incremental linking grades the story over its stored articles too, so a copy arriving
    in a later run counts as the stored original it republishes."""
    records = load_records(data_dir)
    afp = next(r for r in records if r.article.id == AFP_BREACH)
    art = dataclasses.replace(afp.article, id="gulf-copy", source="gulf.html",
                              outlet="Gulf Today", published="2017-07-06", wire=None,
                              republished=False, duplicate_of=None,
                              text=afp.article.text + " Read more latest news")

    def moved(item: Any) -> Any:
        ids = {"id": f"gulf-{item.id}"} if hasattr(item, "id") else {}
        return dataclasses.replace(item, article_id=art.id, **ids)

    copy = ArticleRecords(article=art, places=[moved(p) for p in afp.places],
                          actors=[moved(a) for a in afp.actors],
                          claims=[moved(c) for c in afp.claims])
    assert copy.claims
    with Store.open(tmp_path / "copy.db") as store:
        for rec in records:
            store.save_records(rec)
        link_stored(store)
        store.save_records(copy)
        link_stored(store, new_ids=[art.id])
        assert next(store.iter_articles(ids=[art.id])).duplicate_of == AFP_BREACH
        after = next(s for s in store.story_records() if AFP_BREACH in s.article_ids)
    assert art.id in after.article_ids
    assert any(c.startswith("gulf-") for g in after.claim_groups for c in g.claims)
    # a copy's claim counts as the claim it copies, its article as the original's outlet
    outlet_of = {c.id: r.article.wire or r.article.outlet for r in records for c in r.claims}
    for g in after.claim_groups:
        outlets = {outlet_of[c.removeprefix("gulf-")] for c in g.claims}
        assert g.independent_outlets == len(outlets), g.to_dict()
