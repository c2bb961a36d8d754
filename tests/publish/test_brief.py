"""Briefs: disagreements spelled out, citations that point at real sentences, escaping."""

from __future__ import annotations

import dataclasses
import re

from copies import OTHER, report
from raqqa import AFP_BREACH, GULF, load_records

from newsdesk.link import stories
from newsdesk.link.claim_groups import group_claims
from newsdesk.models import ArticleRecords, Story
from newsdesk.publish.brief import story_title, write_brief


def _story(data_dir):
    records = load_records(data_dir)
    result = stories.link(records)
    story = next(s for s in result.stories if "001_b5309f86b7870f1b" in s.article_ids)
    return story, {r.article.id: r for r in records}


def _citations(md: str) -> dict[int, tuple[str, int, int]]:
    return {int(n): (aid, int(a), int(b)) for n, aid, a, b in re.findall(
        r"^(\d+)\. .*?article (\S+), chars (\d+)–(\d+)\)", md, re.M)}


def test_brief_spells_out_contested_fighters_with_citations(data_dir):
    story, recs = _story(data_dir)
    md, _ = write_brief(story, recs)
    line = next(x for x in md.splitlines() if "disagree" in x and "fighters" in x)
    assert re.search(r"US-led coalition puts it at around 2,500 (\[\d+\]){2}", line)
    assert re.search(r"Ryan Dillon puts it at around 2,000 \[\d+\]", line)
    cites = _citations(md)
    for n in map(int, re.findall(r"\[(\d+)\]", line)):
        aid, start, end = cites[n]
        assert re.search(r"2,[05]00", recs[aid].article.text[start:end])


def test_brief_says_civilian_death_figures_cover_different_periods(data_dir):
    story, recs = _story(data_dir)
    md, html = write_brief(story, recs)
    line = next(x for x in md.splitlines() if "different periods" in x)
    assert "603 since 2014 according to US-led coalition" in line
    assert "744 in the month of June alone according to Airwars" in line
    assert "different periods" in html and 'href="#' in html
    # one vocabulary with the desk and the exports: figures of different scopes are not
    # graded as one claim; a party's own figure is marked confirmed beside it alone
    assert "Grade:" not in line
    assert line.count("confirmed") <= 1
    assert "Airwars (confirmed" not in line


def test_brief_citations_offsets_match_article_text(data_dir):
    story, recs = _story(data_dir)
    md, _ = write_brief(story, recs)
    quotes = dict(re.findall(r"^(\d+)\. .*\): “(.*)”$", md, re.M))
    cites = _citations(md)
    assert len(cites) >= 10
    for n, (aid, start, end) in cites.items():
        quoted = " ".join(recs[aid].article.text[start:end].split())
        shown = re.sub(r"\\(.)", r"\1", quotes[str(n)])
        # a long sentence is clipped so that the brief fits a screen
        assert shown == quoted or (shown.endswith("…") and quoted.startswith(shown[:-1]))


def test_brief_escapes_untrusted_text(data_dir):
    story, recs = _story(data_dir)
    evil_title = '<script>alert(1)</script><img src=x onerror="x()">'
    for aid in story.article_ids:  # every headline hostile, so the story's title is too
        evil = dataclasses.replace(recs[aid].article, title=evil_title)
        recs = {**recs, aid: ArticleRecords(article=evil, places=recs[aid].places)}
    md, html = write_brief(dataclasses.replace(story, title=evil_title), recs)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in md


def test_brief_key_figures_first_and_measurements_never_contested(raqqa_records):
    """On the real pipeline's Raqqa records: casualty, force and displacement figures lead
    the brief; counts of holes and gaps come after; 2.5 km and 2,500 m of wall agree, and
    two distances from different places are not a disagreement."""
    records = list(raqqa_records.values())
    # the breach of the Old City wall (AFP, Middle East Eye, Arab News in July 2017); with
    # the example's dates known, the April and September reports are stories of their own
    breach = raqqa_records["001"].article.id
    story = next(s for s in stories.link(records).stories if breach in s.article_ids)
    assert len(story.article_ids) == 3
    md, html = write_brief(story, {r.article.id: r for r in records})
    key, other = md.split("## Key figures")[1].split("## Other figures")
    assert "fighters" in key and "civilians killed" in key and "Civilians trapped" in key
    # trivial counts (holes, directions, campaigns, portions) stay in the record, out of
    # the key figures; measures with their units come first among the other figures
    assert "Holes" not in key and "Directions" not in key and "Campaigns" not in key
    assert {"holes", "directions"} <= {g.counted for g in story.claim_groups}
    # the Rafiqah Wall is a place mention now, so the wall's figures are Raqqa's; the
    # campaigns may fall past the listed figures into the claim table
    assert "- Wall length (Ar Raqqah)" in other
    assert other.index("- Wall length") < other.index("- Directions")
    assert not [x for x in md.splitlines() if "disagree" in x and "istance" in x]
    wall = next(x for x in other.splitlines() if x.startswith("- Wall length"))
    assert "2.5 km" in wall and "2,500 m" in wall and "compatible" in wall
    assert "<h4>Other figures</h4>" in html


def test_brief_timeline_gives_figures_over_time_and_undated_reports_once(data_dir):
    """The fighters estimate as two points by two sources, in date order; the two undated
    reports said once, never as rows dated "?"."""
    records = load_records(data_dir)
    result = stories.link(records)
    story = next(s for s in result.stories if "001_b5309f86b7870f1b" in s.article_ids)
    md, html = write_brief(story, {r.article.id: r for r in records},
                           incidents=result.incidents_of[story.id])
    timeline = md.split("## Timeline")[1].split("## Sources")[0]
    rows = [x for x in timeline.splitlines() if x.startswith("- 2017-")]
    assert [r[2:12] for r in rows] == ["2017-07-04", "2017-07-09"]
    assert "2 reports (AFP, Middle East Eye)" in rows[0] and "Air/drone strike" in rows[0]
    over = next(x for x in timeline.splitlines() if "Figures over time" in x)
    assert re.search(r"around 2,500 \(US-led coalition, 2017-07-04\) \[\d+\] → "
                     r"around 2,000 \(Ryan Dillon, 2017-07-09\) \[\d+\]", over)
    assert timeline.count("undated") == 1 and "2 undated reports" in timeline
    assert "?" not in timeline
    assert "2 undated reports" in html
    # and on one axis in the HTML: a bar per day of reports, a mark per dated incident,
    # a point per claimant and day of the fighters estimate
    chart = html.split('<svg class="timeline-chart"')[1].split("</svg>")[0]
    assert chart.count("<rect") - chart.count('fill="#f0f0f0"') == 2
    assert chart.count('fill="#c01c28"><title>2017-07-04: ') == 2
    assert re.findall(r"<title>(US-led coalition|Ryan Dillon): around (2,[05]00) \((2017-07-0\d)\)",
                      chart) == [("US-led coalition", "2,500", "2017-07-04"),
                                 ("Ryan Dillon", "2,000", "2017-07-09")]


def test_brief_story_title_is_the_most_representative_headline(data_dir):
    """A headline that is a lede line (the Gulf daily's 'AIN ISSA, Syria: ...') is not the
    title; the headline sharing most words with the others is."""
    records = load_records(data_dir)
    assert story_title(records) == "US-backed forces breach wall in Syria IS stronghold Raqqa"
    assert story_title([r for r in records if r.article.id == GULF]) is not None
    lede_only = [r for r in records if r.article.id in (GULF, AFP_BREACH)]
    assert story_title(lede_only) == records[1].article.title


def test_brief_cites_a_wire_copy_through_the_agency_report(data_dir):
    """A site's copy of AFP's report, not marked as a duplicate, is cited through AFP's own
    report, never itself; it still counts among the story's reports."""
    story, recs = _story(data_dir)
    afp = recs[AFP_BREACH]
    # its id sorts before the agency's, so it would be the first passage of every figure
    copy = dataclasses.replace(afp.article, id="000-copy-of-afp", outlet="Yahoo News",
                               wire="AFP", republished=True)
    recs = {**recs, copy.id: dataclasses.replace(afp, article=copy, claims=[
        dataclasses.replace(c, id=c.id + "-copy", article_id=copy.id) for c in afp.claims])}
    ids = [*story.article_ids, copy.id]
    story = dataclasses.replace(story, article_ids=ids,
                                claim_groups=group_claims([recs[a] for a in ids]))
    assert any(v["article_id"] == copy.id for g in story.claim_groups for v in g.values)
    md, html = write_brief(story, recs)
    cited = {aid for aid, _, _ in _citations(md).values()}
    assert AFP_BREACH in cited and copy.id not in cited
    assert copy.id not in html.split("Show all sources")[0]
    assert f"**Reports:** {len(story.article_ids)} from" in md


def test_brief_counts_and_cites_a_republished_copy_as_its_original():
    # Kurdistan 24 and ARA News both republish Rudaw's report (dedup marks them); with
    # Rudaw's own report at hand they are cited through it, without it the two copies
    # are still one witness: the figure cites one of them and Enab Baladi's own report
    rudaw = report("a", "Rudaw")
    copies = [report("b", "Kurdistan 24", duplicate_of="a"),
              report("c", "ARA News", duplicate_of="a")]
    own = report("d", "Enab Baladi", OTHER)
    for recs in ([rudaw, *copies, own], [*copies, own]):
        story = Story(id="s1", title="Air strikes hit a bakery in Raqqa",
                      article_ids=[r.article.id for r in recs],
                      outlets=sorted({r.article.outlet or "" for r in recs}),
                      first_published="2017-06-21", last_published="2017-06-21",
                      claim_groups=group_claims(recs))
        md, _ = write_brief(story, {r.article.id: r for r in recs})
        line = next(x for x in md.splitlines() if x.lstrip("- ").startswith("Civilians killed"))
        assert "2 independent outlets" in line, line
        cited = {aid for aid, _, _ in _citations(md).values()}
        assert "d" in cited and len(cited & {"a", "b", "c"}) == 1, (cited, md)
