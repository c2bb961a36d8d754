"""Numeric claims on the Raqqa reports, end to end through the real per-article stage.

The corpus is analysed once per module with the real registry, gazetteer and dates, so
these tests check what a user reads in claims.jsonl: value, bounds, what is counted,
whose and where, the scope and who claims it.
"""

from __future__ import annotations

import re

import pytest

from newsdesk.analyse.article import analyze_article, load_resources
from newsdesk.analyse.claims import _COUNT_WORD, _DIGIT
from newsdesk.models import ArticleRecords, Claim

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def raqqa(raqqa_records: dict[str, ArticleRecords]) -> dict[str, ArticleRecords]:
    return raqqa_records


def _find(records: ArticleRecords, number_text: str) -> Claim:
    found = [c for c in records.claims if c.number_text == number_text]
    assert found, [c.number_text for c in records.claims]
    return found[0]


def _canonical(rec: ArticleRecords, surface: str) -> str:
    """The gazetteer's name for a place as the geocoder resolved it in this article."""
    names = {p.name for p in rec.places if p.text == surface and p.name}
    assert len(names) == 1, names
    return names.pop()


def test_claims_offsets_point_into_the_text(raqqa):
    for rec in raqqa.values():
        text = rec.article.text
        for c in rec.claims:
            assert c.article_id == rec.article.id
            assert text[c.start:c.end] == c.number_text
            assert text[c.sentence_start:c.sentence_end] == c.sentence


def test_claims_fighters_defending_raqqa_share_counted_and_subject(raqqa):
    about = _find(raqqa["001"], "around 2,500")
    some = _find(raqqa["003"], "some 2,500")
    dillon = _find(raqqa["002"], "around 2,000")
    assert (about.value, about.low, about.high, about.qualifier) == (2500, 2500, 2500, "about")
    assert dillon.value == 2000 and dillon.qualifier == "about"
    # "IS jihadists ... defending Raqa" (Raqa tagged ORG), "IS militants ... defending the
    # city", "Daesh militants in the northern city": one quantity to compare.
    assert about.counted == some.counted == dillon.counted == "fighters"
    assert about.subject == f"Islamic State in {_canonical(raqqa['001'], 'Raqa')}"
    assert some.subject == f"Islamic State in {_canonical(raqqa['003'], 'Raqqa')}"
    assert dillon.subject == f"Islamic State in {_canonical(raqqa['002'], 'Raqqa')}"
    # story-level grouping keys on (counted, subject): needs one canonical name for Raqqa
    assert about.subject == some.subject == dillon.subject
    assert about.category == "force"
    assert about.claimant_id == some.claimant_id == "us-led-coalition"
    assert about.claimant_text == "The coalition"
    # a US Army colonel in a report about the coalition's campaign speaks for the coalition
    assert (dillon.claimant, dillon.claimant_id) == ("Ryan Dillon", "us-led-coalition")


def test_claims_civilians_killed_with_different_scopes(raqqa):
    c603, c744 = _find(raqqa["002"], "603"), _find(raqqa["002"], "744")
    assert c603.counted == c744.counted == "civilians killed"
    assert c603.category == "casualties"
    places = sorted([_canonical(raqqa["002"], "Iraq"), _canonical(raqqa["002"], "Syria")])
    assert c603.subject == c744.subject == " and ".join(places)
    assert c603.scope == ("since the air campaign against the militants was launched "
                          "towards the end of 2014")
    assert (c603.date, c603.end_date) == ("2014-10-01", "2014-12-31")
    assert c603.claimant_id == "us-led-coalition"
    assert c744.scope == "in the month of June alone"
    assert (c744.claimant, c744.claimant_id) == ("Airwars", "airwars")


def test_claims_civilians_trapped_per_un(raqqa):
    tens = _find(raqqa["001"], "tens of thousands")
    assert (tens.value, tens.low, tens.high) == (None, 20_000, 99_999)
    upto = _find(raqqa["003"], "up to 100,000")
    assert (upto.value, upto.low, upto.high, upto.qualifier) == (100_000, None, 100_000, "up to")
    for c in (tens, upto):
        assert c.counted == "civilians trapped" and c.category == "displacement"
        assert c.claimant_id == "un"
    assert tens.subject == _canonical(raqqa["001"], "Raqa")  # "in Raqa"
    assert upto.subject == _canonical(raqqa["003"], "Raqqa")  # "in the city"


def test_claims_trained_and_mobilised(raqqa):
    trained = _find(raqqa["000"], "9,000")
    assert trained.counted == "members trained" and trained.value == 9000
    assert trained.subject and "SDF" in trained.subject
    assert trained.claimant_id == "us-led-coalition"
    mobilised = _find(raqqa["001"], "200")
    assert mobilised.counted == "fighters mobilised"
    assert mobilised.claimant == "Mohammad Khaled Shaker"
    # "200 of our fighters", said a spokesman for the Syrian Elite Forces
    assert mobilised.claimant_id == "syrian-elite-forces"
    assert mobilised.subject == "Syrian Elite Forces"


def test_claims_fighters_left_in_mosul(raqqa):
    or_so = _find(raqqa["001"], "200 or so")
    assert (or_so.value, or_so.qualifier, or_so.counted) == (200, "about", "fighters")
    assert or_so.scope == "in Mosul's Old City"
    assert or_so.claimant_id == "iraq-military" and or_so.claimant_text == "Iraqi commanders"
    few = _find(raqqa["003"], "a few hundred")
    assert (few.value, few.low, few.high, few.counted) == (None, 200, 500, "fighters")
    assert few.claimant_id == "iraq-military"
    diehard = _find(raqqa["001"], "a few hundred")
    assert diehard.claimant_id == "us-led-coalition"
    # named "IS fighters", unnamed "militants" and "diehard jihadists": the same people
    mosul = _canonical(raqqa["003"], "Mosul")
    assert or_so.subject == few.subject == diehard.subject == f"Islamic State in {mosul}"


def test_claims_skip_dates_years_and_durations(raqqa):
    for rec in raqqa.values():
        texts = {c.number_text for c in rec.claims}
        assert not texts & {"2014", "2016", "2017", "24", "61", "three", "nearly four", "2"}


def test_claims_ids_are_stable_and_unique(raqqa, example_dir):
    rec = raqqa["002"]
    again = analyze_article(rec.article, load_resources())
    ids = [c.id for c in rec.claims]
    assert ids == [c.id for c in again.claims]
    assert len(set(ids)) == len(ids)


def test_claims_lengths_name_what_they_measure(raqqa):
    # "the 2.5 kilometre (one and a half mile) Rafiqah Wall" is the wall's length; "50
    # kilometers north of Raqqa" says how far Ain Issa is, and measures nothing
    assert _find(raqqa["001"], "2.5 kilometre").counted == "wall length"
    assert _find(raqqa["002"], "50 kilometers").counted == "distance"


@pytest.mark.parametrize("text", [
    "Officers found the victim dead in the 7500 block of South Carpenter Street, police said.",
    "Leonard Moses was shot and killed in the 6100 block of Tullis Drive in Algiers.",
    "A man was shot outside 4200 N. Clark St. on Tuesday.",
    "On 11700 Robertson, one person has been killed and police are investigating.",
    "Police recovered a .40-caliber handgun from the car.",
    "Anyone with information should call 555-0142 or Crime Stoppers at 1-800-222-8477.",
    "The council voted 7-2 to ban the rifles.",
    # a page's number in a shared link, run on into the report by the page's layout
    "A friend wanted you to see this item from the station: http://example.com/15226583\n\n"
    "— A 3-year-old died Sunday after accidentally shooting himself at a store in Lumberton, "
    "police said.",
])
def test_claims_addresses_calibres_phones_and_votes_are_never_counts(text):
    from newsdesk.models import Article

    records = analyze_article(Article(id="t", source="t", text=text, published="2016-05-03"),
                              load_resources())
    assert records.claims == [], [c.number_text for c in records.claims]


def test_claims_a_number_after_on_is_still_a_count_when_people_follow():
    from newsdesk.models import Article

    text = "Rebels fired on 200 Syrian troops near Aleppo."
    records = analyze_article(Article(id="t", source="t", text=text, published="2016-05-03"),
                              load_resources())
    assert [c.value for c in records.claims] == [200]


_ONE_PATTERN = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|dozen|score)s?\b",
    re.IGNORECASE,
)
"""The single pattern the two searches of `extract_claims` stand for."""


@pytest.mark.parametrize("text", [
    "Six were killed.", "SIX WERE KILLED", "ſix were killed", "Dozens fled.", "Scores fled",
    "someone often said so", "tens of them", "ninety-nine", "٣ killed", "nothing here",
    "hundreds", "", "x1", "onesie", "One", "twentys",
])
def test_claims_sentences_read_for_figures_as_the_one_pattern_chose(text):
    found = bool(_DIGIT.search(text) or _COUNT_WORD.search(text))
    assert found == bool(_ONE_PATTERN.search(text))
