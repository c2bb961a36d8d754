"""Briefs and report.html at the size of a real story (issue 17): 200 reports of one event.

The batch is the example's five reports, 40 versions each with figures varied, with wire
copies and duplicates among them (`raqqa_batch`). Running the whole pipeline on 200
reports is too slow for the suite on two cores, so the five are analysed once (the session's
`raqqa_records`) and the versions are derived from their records; linking, claim groups,
briefs and the report then run for real on all 200.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest
from raqqa_batch import VERSIONS, build_batch

from newsdesk.link import stories
from newsdesk.link.common import source_of
from newsdesk.models import KEY_CATEGORIES, ArticleRecords, Story
from newsdesk.publish.brief import BRIEF_CHARS, write_briefs
from newsdesk.publish.report import TOP_STORIES, write_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def batch(raqqa_records: dict) -> tuple[list[ArticleRecords], stories.LinkResult]:
    records = build_batch(raqqa_records)
    result = stories.link(records)
    write_briefs(result.stories, {r.article.id: r for r in records}, result.incidents_of)
    return records, result


def _big(result: stories.LinkResult) -> Story:
    return max(result.stories, key=lambda s: len(s.article_ids))


def _cited(md: str) -> list[tuple[int, str, int, int]]:
    return [(int(n), aid, int(a), int(b)) for n, aid, a, b in re.findall(
        r"^(\d+)\. .*?; article (\S+), chars (\d+)–(\d+)\)", md, re.M)]


def test_batch_is_five_reports_forty_times_with_figures_varied(batch):
    records, _ = batch
    assert len(records) == 5 * VERSIONS == 200
    assert len({r.article.id for r in records}) == 200
    for r in records:  # the varied figures are written into the text at the same length
        for c in r.claims:
            assert r.article.text[c.sentence_start:c.sentence_end] == c.sentence
    coalition = {c.value for r in records for c in r.claims
                 if c.counted == "fighters" and c.claimant == "Global Coalition Against Daesh"
                 and c.value is not None}
    assert 2500 in coalition and len(coalition) >= 5
    assert sum(1 for r in records if r.article.duplicate_of) == 2 * 5 * VERSIONS // 5
    # version 35 of each is undated, and so is its wire copy (version 38)
    assert sum(1 for r in records if not r.article.published) == 10


def test_brief_batch_fits_one_screen(batch):
    _, result = batch
    assert len(_big(result).article_ids) == 200
    for story in result.stories:
        assert story.brief_md is not None and len(story.brief_md) <= BRIEF_CHARS, story.id
    md = _big(result).brief_md
    assert "## All sources" in md and "Show all sources: 200 reports" in md
    assert "Show all sources (200 reports)" in _big(result).brief_html


def test_brief_batch_never_cites_a_duplicate_or_a_wire_copy(batch):
    records, result = batch
    by_id = {r.article.id: r for r in records}
    md = _big(result).brief_md
    cited = _cited(md)
    assert len(cited) >= 8
    for _, aid, _, _ in cited:
        assert not by_id[aid].article.duplicate_of, aid
        assert not by_id[aid].article.republished, aid
    html = _big(result).brief_html
    html_cited = re.findall(r'-c\d+" value="\d+">.*?article <code>(\w+)</code>', html)
    assert {aid for _, aid, _, _ in cited} == set(html_cited)


def test_brief_batch_one_key_figure_line_per_claim_group(batch):
    records, result = batch
    story = _big(result)
    by_id = {r.article.id: r for r in records}
    category = {c.id: c.category for r in records for c in r.claims}
    key_groups = [g for g in story.claim_groups
                  if any(category[c] in KEY_CATEGORIES for c in g.claims)]
    key = story.brief_md.split("## Key figures")[1].split("\n## ")[0]
    lines = [x for x in key.splitlines() if x.startswith("- ") and "more figures" not in x]
    assert len(lines) == len(key_groups) >= 5
    fighters = next(x for x in lines if "fighters (Islamic State in Ar Raqqah)" in x)
    # each claimant once, as a range with the latest, not 40 bundles of footnotes
    assert fighters.count("Global Coalition Against Daesh puts it at") == 1
    assert fighters.count("Ryan Dillon puts it at") == 1
    assert re.search(r"Global Coalition Against Daesh puts it at about 2,\d00–2,\d00 "
                     r"\(latest about 2,\d\d0 on 2017-07-\d\d; 80 reports\)", fighters)
    assert "independent outlets. Grade: contested." in fighters
    # one citation per outlet per figure: no line cites the same passage twice through
    # two outlets, nor two copies of one outlet's figure
    cites = {n: (aid, a, b) for n, aid, a, b in _cited(story.brief_md)}
    for line in lines:
        shown = [cites[int(n)] for n in re.findall(r"\[(\d+)\]", line)]
        quoted = Counter((source_of(by_id[aid], by_id), by_id[aid].article.text[a:b])
                         for aid, a, b in shown)
        assert max(quoted.values(), default=1) == 1, line
        assert len(shown) <= 8, line
    # trivial counts stay in the record, out of the key figures
    assert {"holes", "directions", "campaigns", "portions"} <= {
        g.counted for g in story.claim_groups}
    assert not re.search(r"Holes|Directions|Campaigns|Portions", key)


def test_brief_batch_timeline_by_day_with_undated_said_once(batch):
    _, result = batch
    md = _big(result).brief_md
    timeline = md.split("## Timeline")[1].split("\n## ")[0]
    days = re.findall(r"^- (2017-07-\d\d): (\d+) reports?", timeline, re.M)
    assert [d for d, _ in days] == [f"2017-07-{n:02d}" for n in range(1, 13)]
    assert sum(int(n) for _, n in days) == 190
    over = next(x for x in timeline.splitlines() if "Figures over time" in x)
    assert "(Global Coalition Against Daesh, 2017-07-0" in over and "(Ryan Dillon, 2017-07-" in over
    assert " → " in over
    assert timeline.count("undated") == 1 and "10 undated reports" in timeline
    assert "?" not in timeline


def test_report_batch_is_bounded_and_links_the_other_stories(batch, tmp_path: Path):
    records, result = batch
    big = _big(result)
    # a run of many stories: the big one and 30 one-report stories beside it
    originals = [r for r in records if not r.article.duplicate_of]
    small = [dataclasses.replace(big, id=f"st-small-{n:02d}", title=f"Small story {n}",
                                 article_ids=[originals[n].article.id], claim_groups=[],
                                 brief_md=None, brief_html=None)
             for n in range(30)]
    path = write_report(tmp_path / "report.html", [*small, big], records, result.incidents)
    html = path.read_text("utf-8")
    assert len(html.encode()) <= 600_000
    sections = re.findall(r'<section class="story" id="story-([^"]+)"', html)
    assert len(sections) == TOP_STORIES and sections[0] == big.id
    other = html.split('id="other-stories"')[1]
    assert other.count("<tr><td>Small story") == 30 + 1 - TOP_STORIES
    by_id = {r.article.id: r for r in records}
    for aid in re.findall(r'-c\d+" value="\d+">.*?article <code>(\w+)</code>', html):
        assert not by_id[aid].article.duplicate_of
    claims = html.split('<table class="claims">')[1].split("</table>")[0]
    assert claims.count("<tr>") - 1 <= 2 * len(big.claim_groups)
