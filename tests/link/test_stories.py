"""Stories, merged incidents, claim groups and grades on hand-coded Raqqa records."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import pytest
from raqqa import AFP_BREACH, GULF, MEE_BREACH, SPUTNIK, load_records

from newsdesk.analyse.dates import resolve
from newsdesk.link import stories
from newsdesk.link.claim_groups import group_claims
from newsdesk.link.grades import grade_incident
from newsdesk.link.incidents import merge_incidents
from newsdesk.models import (
    Article,
    ArticleRecords,
    Claim,
    DateRef,
    Incident,
    PlaceMention,
    SourceToll,
)


@pytest.fixture
def records(data_dir: Path) -> list[ArticleRecords]:
    return load_records(data_dir)


def _group(result: stories.LinkResult, claim_id_part: str):
    story = result.stories[0]
    return next(g for g in story.claim_groups if any(claim_id_part in c for c in g.claims))


def test_stories_breach_reports_share_a_story(records):
    result = stories.link(records)
    assert result.story_of[AFP_BREACH] == result.story_of[MEE_BREACH]
    assert result.event_of[AFP_BREACH] == result.event_of[MEE_BREACH]
    story = next(s for s in result.stories if AFP_BREACH in s.article_ids)
    assert "Middle East Eye" in story.outlets and "AFP" in story.outlets
    assert any(MEE_BREACH in w and "text similarity" in w and "Ar Raqqah" in w for w in story.why)


def test_stories_is_fighter_figures_are_contested(records):
    result = stories.link(records)
    group = _group(result, f"{GULF}-c0")
    assert group.status == "contested"
    assert sorted(v["value"] for v in group.values) == [2000, 2500, 2500]
    assert {f"{AFP_BREACH}-c0", f"{MEE_BREACH}-c0"} <= set(group.claims)
    assert group.grade == "contested"


def test_stories_civilian_deaths_side_by_side_with_scopes(records):
    result = stories.link(records)
    group = _group(result, f"{GULF}-c1")
    assert group.status == "different-scope"
    by_claimant = {v["claimant"]: v for v in group.values}
    assert by_claimant["US-led coalition"]["value"] == 603
    assert by_claimant["US-led coalition"]["scope"] == "since 2014"
    assert by_claimant["Airwars"]["scope"] == "in the month of June alone"
    for key in ("claim_id", "value", "low", "high", "qualifier", "scope", "claimant",
                "article_id", "outlet", "published"):
        assert key in group.values[0]


def test_stories_same_claimant_counts_once(records):
    trapped = _group(stories.link(records), f"{MEE_BREACH}-c1")
    assert trapped.status == "single-source"  # both figures are the UN's
    assert trapped.independent_outlets == 2
    assert trapped.grade == "weak"


def test_stories_wall_strike_merged_and_confirmed(records):
    result = stories.link(records)
    strikes = [i for i in result.incidents if i.sub_event_type == "Air/drone strike"]
    assert len(strikes) == 1
    assert strikes[0].article_ids == sorted([AFP_BREACH, MEE_BREACH])
    assert strikes[0].grade == "confirmed"
    clash = next(i for i in result.incidents if i.sub_event_type == "Armed clash")
    assert clash.grade == "weak" and clash.independent_outlets == 1


def test_stories_deterministic_under_shuffle(records):
    first = [s.to_dict() for s in stories.link(records).stories]
    for seed in range(3):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert [s.to_dict() for s in stories.link(shuffled).stories] == first


def test_stories_incremental_join_keeps_ids(records):
    late = next(r for r in records if r.article.id == SPUTNIK)
    first = stories.link([r for r in records if r is not late])
    before = {s.id: set(s.article_ids) for s in first.stories}
    second = stories.link([late], existing=first.stories)
    sid = second.story_of[SPUTNIK]
    assert sid in before
    joined = next(s for s in second.stories if s.id == sid)
    assert before[sid] | {SPUTNIK} == set(joined.article_ids)


def test_stories_duplicate_follows_original(records):
    original = next(r for r in records if r.article.id == AFP_BREACH)
    copy = dataclasses.replace(original.article, id="dup-of-001", duplicate_of=AFP_BREACH,
                               outlet="Yahoo News")
    result = stories.link([*records, ArticleRecords(article=copy)])
    assert result.story_of["dup-of-001"] == result.story_of[AFP_BREACH]


def test_stories_unrelated_article_gets_its_own_story(records):
    other = Article(id="zz-weather", source="x", title="Heavy snow closes Alpine passes",
                    text="Heavy snow closed three Alpine passes in Switzerland on Monday, "
                         "stranding skiers and delaying freight trains near Zermatt.",
                    published="2017-07-05", outlet="Swissinfo")
    result = stories.link([*records, ArticleRecords(article=other)])
    assert result.story_of["zz-weather"] != result.story_of[AFP_BREACH]


def test_stories_rising_toll_is_a_timeline():
    def rec(aid: str, day: str, value: int) -> ArticleRecords:
        text = f"Officials said {value} people were killed in the market bombing in Kabul."
        art = Article(id=aid, source=aid, text=text, published=day, outlet=f"outlet-{aid}")
        start = text.index(str(value))
        claim = Claim(id=f"{aid}-c", article_id=aid, sentence=text, value=value, low=None,
                      high=None, counted="people killed", subject="market bombing", scope=None,
                      claimant=None, claimant_text=None, start=start, end=start + len(str(value)),
                      sentence_start=0, sentence_end=len(text), category="casualties")
        return ArticleRecords(article=art, claims=[claim])

    group = group_claims([rec("a", "2017-05-31", 40), rec("b", "2017-06-01", 90)])[0]
    assert group.status == "timeline"
    assert [v["value"] for v in group.values] == [40, 90]
    falling = group_claims([rec("a", "2017-05-31", 90), rec("b", "2017-06-01", 40)])[0]
    assert falling.status == "contested"


def _strike(iid: str, aid: str, actor: str, sub: str = "Air/drone strike") -> Incident:
    return Incident(id=iid, event_date="2017-03-17", date_precision="day",
                    event_type="Explosions/Remote violence", sub_event_type=sub,
                    actor1=actor, actor2=None, location="Mosul", country_code="IQ",
                    lat=36.34, lon=43.12, fatalities=100 if aid == "a" else 200,
                    article_ids=[aid], outlets=[aid], notes="", geonameid=99072,
                    actor1_id=actor)


def test_stories_competing_responsibility_is_contested():
    recs = [ArticleRecords(article=Article(id=a, source=a, text="x", outlet=a),
                           incidents=[_strike(f"i-{a}", a, actor)])
            for a, actor in (("a", "us-led-coalition"), ("b", "islamic-state"))]
    merged = merge_incidents(recs)
    assert len(merged) == 1
    assert (merged[0].fatalities, merged[0].fatalities_low, merged[0].fatalities_high) == (
        100, 100, 200)
    grade_incident(merged[0], {r.article.id: r for r in recs})
    assert merged[0].grade == "contested"


def test_stories_different_weapons_are_different_incidents():
    # the coalition's air strike and the mines IS laid in the same city are two events,
    # not one event with competing claims of responsibility
    recs = [ArticleRecords(article=Article(id=a, source=a, text="x", outlet=a),
                           incidents=[_strike(f"i-{a}", a, actor, sub)])
            for a, actor, sub in (("a", "us-led-coalition", "Air/drone strike"),
                                  ("b", "islamic-state", "Remote explosive/landmine/IED"))]
    assert len(merge_incidents(recs)) == 2



def test_stories_merged_incident_keeps_killed_and_wounded_ranges():
    recs = []
    for aid, killed, injured in (("a", 2, 3), ("b", 3, 1)):
        inc = _strike(f"i-{aid}", aid, "us-led-coalition")
        inc.fatalities, inc.injured = killed, injured
        recs.append(ArticleRecords(article=Article(id=aid, source=aid, text="x", outlet=aid),
                                   incidents=[inc]))
    [merged] = merge_incidents(recs)
    assert (merged.fatalities, merged.fatalities_low, merged.fatalities_high) == (2, 2, 3)
    assert (merged.injured, merged.injured_low, merged.injured_high) == (1, 1, 3)


def test_stories_the_latest_report_gives_the_final_toll():
    """Tolls rise as the wounded die: the next day's report is the best figure, the first
    day's stays in the range, and each report's toll is one row of `tolls`."""
    recs = []
    for aid, day, killed, injured in (("a", "2017-03-17", 1, 3), ("b", "2017-03-18", 2, 2)):
        inc = _strike(f"i-{aid}", aid, "us-led-coalition")
        inc.fatalities, inc.injured = killed, injured
        inc.tolls = [SourceToll(aid, aid, day, None, killed, injured, 0, 1, "x")]
        recs.append(ArticleRecords(
            article=Article(id=aid, source=aid, text="x", outlet=aid, published=day),
            incidents=[inc]))
    [merged] = merge_incidents(recs)
    assert (merged.fatalities, merged.fatalities_low, merged.fatalities_high) == (2, 1, 2)
    assert (merged.injured, merged.injured_low, merged.injured_high) == (2, 2, 3)
    assert [(t.article_id, t.killed) for t in merged.tolls] == [("a", 1), ("b", 2)]


def _shooting(aid: str, published: str, text: str, *, day: str | None = None,
              town: tuple[str, float, float, int] | None = None,
              toll: tuple[int, int] | None = None) -> ArticleRecords:
    """A local report, and the incident the per-article stage would find in it."""
    art = Article(id=aid, source=aid, text=text, outlet=f"outlet-{aid}", published=published)
    name, lat, lon, gid = town or (None, None, None, None)
    inc = Incident(id=f"i-{aid}", event_date=day, date_precision="day" if day else "unknown",
                   event_type="Violence against civilians", sub_event_type="Attack",
                   actor1=None, actor2=None, location=name, country_code="US", lat=lat, lon=lon,
                   fatalities=None, article_ids=[aid], outlets=[art.outlet or aid], notes="",
                   geonameid=gid, location_precision="exact" if town else None)
    if toll:
        inc.fatalities, inc.injured = toll
    return ArticleRecords(article=art, incidents=[inc])


_DAYTON = ("Dayton", 39.759, -84.192, 4509884)
_COLUMBUS = ("Columbus", 39.961, -82.999, 4509177)  # 104 km from Dayton
_SCENE = ("Police are investigating a shooting on the east side. Officers found the victim "
          "with gunshot wounds after neighbours called 911. ")
_DEAD = ["Marcus Hill died at the scene.", "His family said he had just left work.",
         "Detectives asked witnesses to come forward.", "A vigil was held at his church.",
         "Friends described him as a devoted father of three.",
         "Neighbours placed candles and flowers by the porch."]
_HURT = ["Devon Price was taken to Miami Valley Hospital.",
         "Doctors expect him to survive his injuries.",
         "A neighbour said she heard four shots before midnight.",
         "The gunman fled in a grey sedan.",
         "Investigators recovered shell casings from the parking lot.",
         "Anyone with information can call Crime Stoppers anonymously."]


def _look_alikes(sentences: int, days: tuple[str | None, str | None],
                 towns: tuple[tuple[str, float, float, int] | None, ...] = (None, None),
                 ) -> stories.LinkResult:
    """Two shootings on one street four days apart, told alike; `sentences` tell them apart."""
    texts = [_SCENE + " ".join(own[:sentences]) for own in (_DEAD, _HURT)]
    return stories.link([
        _shooting("a", "2016-03-02", texts[0], day=days[0], town=towns[0]),
        _shooting("b", "2016-03-06", texts[1], day=days[1], town=towns[1]),
    ])


def test_stories_look_alike_shootings_on_different_days_are_different_events():
    words = _look_alikes(4, (None, None))
    assert words.event_of["a"] == words.event_of["b"]  # the words alone merge them
    facts = _look_alikes(4, ("2016-03-01", "2016-03-05"), (_DAYTON, _DAYTON))
    assert facts.event_of["a"] != facts.event_of["b"]
    far = _look_alikes(4, (None, None), (_DAYTON, _COLUMBUS))
    assert far.event_of["a"] != far.event_of["b"]


def test_stories_reports_of_one_incident_day_join():
    """Told too differently for the words alone, the same incident day makes one event."""
    words = _look_alikes(5, (None, None))
    assert words.event_of["a"] != words.event_of["b"]
    same = _look_alikes(5, ("2016-03-01", "2016-03-01"), (_DAYTON, _DAYTON))
    assert same.event_of["a"] == same.event_of["b"]
    assert any("same incident day" in w for w in same.stories[0].why)


def test_stories_look_alike_shootings_on_different_days_are_different_stories():
    words = _look_alikes(6, (None, None))
    assert words.event_of["a"] != words.event_of["b"]
    assert words.story_of["a"] == words.story_of["b"]  # threaded by their words
    facts = _look_alikes(6, ("2016-03-01", "2016-03-05"))
    assert facts.story_of["a"] != facts.story_of["b"]


def test_stories_reports_of_one_shooting_with_the_same_toll_join():
    """Told too differently for the words alone, "one dead, five wounded" in both reports
    makes one event; one death in both is too common a toll to join anything."""
    def pair(toll: tuple[int, int]) -> stories.LinkResult:
        return stories.link([
            _shooting(aid, pub, _SCENE + " ".join(own[:5]), toll=toll)
            for aid, pub, own in (("a", "2016-03-02", _DEAD), ("b", "2016-03-03", _HURT))
        ])

    several = pair((1, 5))
    assert several.event_of["a"] == several.event_of["b"]
    assert any("same toll: 1 killed, 5 wounded" in w for w in several.stories[0].why)
    one = pair((1, 0))
    assert one.event_of["a"] != one.event_of["b"]
    stored = several.stories[0].signature["facts"]
    assert stories._Facts.from_dict(stored).tolls == [(1, 5)]  # incremental joins weigh it


def test_stories_reports_that_name_the_same_person_join_as_one_event(monkeypatch):
    """Told apart in most of their words, two reports a day apart that both name Marcus Hill
    are one event; without the person fact their words alone keep them apart."""
    hurt = [_HURT[0].replace("Devon Price", "Marcus Hill"), *_HURT[1:],
            "The mayor called for calm after the weekend."]
    recs = [_shooting("a", "2016-03-02", _SCENE + " ".join(
                [*_DEAD, "The coroner will perform an autopsy on Tuesday."])),
            _shooting("b", "2016-03-03", _SCENE + " ".join(hurt))]
    named = stories.link(recs)
    assert named.event_of["a"] == named.event_of["b"]
    assert any("both name Marcus Hill" in w for w in named.stories[0].why)
    monkeypatch.setitem(stories.FACT_WEIGHTS, "person", (0.0, 0.0))
    words = stories.link(recs)
    assert words.event_of["a"] != words.event_of["b"]


def test_stories_a_name_both_give_does_not_join_different_incident_days():
    """A name both reports give (a spokesman's is in every report of a campaign) counts for
    no more than incident days four days apart count against: the reports of the test
    above, which their shared name joins, stay two events when their days differ."""
    hurt = [_HURT[0].replace("Devon Price", "Marcus Hill"), *_HURT[1:],
            "The mayor called for calm after the weekend."]
    texts = (_SCENE + " ".join([*_DEAD, "The coroner will perform an autopsy on Tuesday."]),
             _SCENE + " ".join(hurt))
    apart = stories.link([
        _shooting("a", "2016-03-02", texts[0], day="2016-03-01", town=_DAYTON),
        _shooting("b", "2016-03-06", texts[1], day="2016-03-05", town=_DAYTON)])
    assert apart.event_of["a"] != apart.event_of["b"]


def test_stories_facts_survive_the_signature():
    """An incremental join weighs the stored events' facts as a full link does."""
    a, b = (_shooting(aid, pub, _SCENE + " ".join(own[:4]), day=day, town=_DAYTON)
            for aid, pub, own, day in (("a", "2016-03-02", _DEAD, "2016-03-01"),
                                       ("b", "2016-03-06", _HURT, "2016-03-05")))
    old = stories.link([a]).stories
    assert old[0].signature["events"][0]["facts"] == {
        "where": [[39.759, -84.192]], "when": ["2016-03-01"], "ages": [],
        "people": ["Marcus Hill"], "tolls": [], "streets": [], "years": []}
    assert old[0].signature["facts"] == old[0].signature["events"][0]["facts"]
    later = stories.link([b], existing=old)
    assert any("incident days 4 apart" in w for s in later.stories for w in s.why)


def test_stories_ages_of_the_people_named_are_read_as_news_gives_them():
    text = ("Marcus Hill, 34, died at the scene. A 17-year-old boy was hurt; a woman "
            "aged 71 was not. In the 8 - year - old 's words, Price , 19 , ran. "
            "On June 5, 2016, 12 people met.")
    assert stories._facts(_shooting("a", "2016-03-02", text)).ages == [34, 17, 71, 8, 19]


def test_stories_look_alike_shootings_of_people_of_other_ages_are_different_events():
    """Told in the same words on no known day, the victim's age keeps two shootings apart."""
    def pair(age_a: int, age_b: int) -> stories.LinkResult:
        return stories.link([
            _shooting("a", "2016-03-02", f"{_SCENE}The man, {age_a}, was shot. "
                      + " ".join(_DEAD[:4])),
            _shooting("b", "2016-03-06", f"{_SCENE}The man, {age_b}, was shot. "
                      + " ".join(_HURT[:4])),
        ])

    same = pair(34, 34)
    assert same.event_of["a"] == same.event_of["b"]
    other = pair(34, 19)
    assert other.event_of["a"] != other.event_of["b"]
    assert any("no age in common" in w for s in other.stories for w in s.why)


def test_stories_streets_are_read_as_news_gives_them():
    """Spelt out or abbreviated, with or without a direction, a street is one key; a court,
    a highway patrol and a lone direction word are no street."""
    text = ("Man Shot On Main Street\nPolice said he was shot in the 1200 block of North "
            "Avenue, near W. Evelyn Ave. and Northwest 4th Place. The Ohio State Highway "
            "Patrol and the Superior Court were not involved. On Evelyn Avenue, neighbours "
            "gathered.")
    assert stories._facts(_shooting("a", "2016-03-02", text)).streets == [
        "main st", "north ave", "evelyn ave", "4th pl"]


def test_stories_look_alike_shootings_on_other_streets_are_different_stories(monkeypatch):
    """Two shootings in one city, told alike on no known day, are threaded by their words
    alone; that they happened on different streets keeps them apart, in a full link and when
    the second joins the stored first."""
    def reports(street_b: str) -> list[ArticleRecords]:
        return [_shooting("a", "2016-03-02",
                          _SCENE.replace("the east side", "Salem Avenue") + " ".join(_DEAD)),
                _shooting("b", "2016-03-06",
                          _SCENE.replace("the east side", street_b) + " ".join(_HURT))]

    same = stories.link(reports("Salem Ave."))
    assert same.story_of["a"] == same.story_of["b"]
    assert any("same street: salem ave" in w for s in same.stories for w in s.why)
    a, b = reports("Hoover Avenue")
    other = stories.link([a, b])
    assert other.story_of["a"] != other.story_of["b"]
    old = stories.link([a]).stories
    assert old[0].signature["facts"]["streets"] == ["salem ave"]
    assert stories.link([b], existing=old).story_of["b"] != old[0].id
    monkeypatch.setitem(stories.FACT_WEIGHTS, "street", (0.0, 0.0))
    assert stories.link([b], existing=old).story_of["b"] == old[0].id
    words = stories.link([a, b])
    assert words.story_of["a"] == words.story_of["b"]


def test_stories_a_demonym_is_a_topic_but_no_place_fact():
    """ "Russian strikes" and "strikes by Russia" share Russia as what they are about, but a
    demonym says whose, not where: it gives the report no town to weigh."""
    rec = _shooting("a", "2016-03-02", "Russian strikes hit the town.")
    rec.places.append(PlaceMention(
        article_id="a", text="Russian", start=0, end=7, name="Russia", country_code="RU",
        lat=60.0, lon=100.0, geonameid=2017370, feature="country", precision="country",
        kind="demonym", dateline=True))
    assert stories._features(rec, {})["p:2017370"] == 1
    assert stories._facts(rec).where == []


def test_stories_a_sea_is_no_topic_id():
    """A quake and a piracy both "in the Indian Ocean" are not one story: the sea's id does
    not count (its name still does, as a word); a port town's id does."""
    rec = _shooting("a", "2016-03-02", "Pirates seized a tanker in the Indian Ocean off Eyl.")
    rec.places.append(PlaceMention(
        article_id="a", text="Indian Ocean", start=34, end=46, name="Indian Ocean",
        country_code=None, lat=-10.0, lon=70.0, geonameid=1545739, feature="sea",
        precision="region", kind="sea"))
    rec.places.append(PlaceMention(
        article_id="a", text="Eyl", start=51, end=54, name="Eyl", country_code="SO",
        lat=7.98, lon=49.82, geonameid=58933, feature="city", precision="exact", kind="town"))
    feats = stories._features(rec, {})
    assert "p:1545739" not in feats and feats["p:58933"] == 1 and feats["w:ocean"] == 1


def test_stories_people_named_are_full_names_not_offices_headlines_or_places():
    text = ("Four Shot Near Park Avenue\nPolice Chief Ray Kelly said Antonio Mason was shot "
            "in Long Beach on Friday. Lakeisha M. Hunt saw it from Salem Avenue.")
    rec = _shooting("a", "2016-03-02", text)
    rec.places.append(PlaceMention(
        article_id="a", text="Long Beach", start=0, end=10, name="Long Beach",
        country_code="US", lat=33.767, lon=-118.189, geonameid=5367929, feature="city",
        precision="town"))
    assert stories._facts(rec).people == ["Antonio Mason", "Lakeisha Hunt"]


_TRIAL = ("A jury convicted Devon Price of murder on Tuesday in the death of {victim}, who "
          "was shot on the east side in March. Prosecutors said the victim had just left work.")


def test_stories_a_follow_up_months_later_that_names_the_same_person_in_the_same_town_joins():
    """The trial, six months on, is the shooting's story; the same name in another town, or
    another name in the same town, is not."""
    shooting = _shooting("a", "2016-03-02", _SCENE + " ".join(_DEAD[:4]), town=_DAYTON)
    trial = _shooting("b", "2016-09-20", _TRIAL.format(victim="Marcus Hill"), town=_DAYTON)
    result = stories.link([shooting, trial])
    assert result.story_of["a"] == result.story_of["b"]
    assert result.event_of["a"] != result.event_of["b"]
    assert any("names the same person: Marcus Hill" in w for s in result.stories for w in s.why)
    elsewhere = _shooting("b", "2016-09-20", _TRIAL.format(victim="Marcus Hill"),
                          town=_COLUMBUS)
    other = _shooting("b", "2016-09-20", _TRIAL.format(victim="Jordan Reed"), town=_DAYTON)
    for later in (elsewhere, other):
        apart = stories.link([shooting, later])
        assert apart.story_of["a"] != apart.story_of["b"]


def test_stories_a_follow_up_joins_a_stored_story_as_in_a_full_link():
    """Incremental linking reaches the old story through the person's term, as the full
    link's person index does."""
    shooting = _shooting("a", "2016-03-02", _SCENE + " ".join(_DEAD[:4]), town=_DAYTON)
    trial = _shooting("b", "2016-09-20", _TRIAL.format(victim="Marcus Hill"), town=_DAYTON)
    old = stories.link([shooting]).stories
    term = stories.PERSON_TERM + "Marcus Hill"
    assert term in stories.story_terms(old[0])
    assert term in stories.lookup_terms([trial], ({}, 1))
    later = stories.link([trial], existing=old)
    assert later.story_of["b"] == old[0].id == later.story_of["a"]


def test_stories_a_name_many_stories_carry_identifies_no_one():
    """Once two stories name someone, a third report naming them months later joins
    neither on the name alone."""
    first = _shooting("a", "2016-03-02", _SCENE + " ".join(_DEAD[:4]), town=_DAYTON)
    second = _shooting("c", "2016-05-20", "Marcus Hill spoke at a rally against gun violence "
                       "on the courthouse steps.", town=_DAYTON)
    trial = _shooting("b", "2016-09-20", _TRIAL.format(victim="Marcus Hill"), town=_DAYTON)
    result = stories.link([first, second, trial])
    assert len({result.story_of[a] for a in "abc"}) == 3


def _undated(aid: str, text: str) -> ArticleRecords:
    """A report with no publication date, and the dates the dates stage resolves in it."""
    found = re.finditer(r"(?:in|since|on) (?:the )?(?:[A-Z][a-z]+\.? )?(?:\d{1,2}, )?\d{4}s?", text)
    dates = []
    for m in found:
        r = resolve(m.group(), None)
        if r is not None:
            dates.append(DateRef(
                article_id=aid, text=m.group(), start=m.start(), end=m.end(),
                date=r.date.isoformat() if r.date else None,
                end_date=r.end_date.isoformat() if r.end_date else None,
                precision=r.precision, kind=r.kind))
    art = Article(id=aid, source=aid, text=text, outlet=f"outlet-{aid}", published=None)
    return ArticleRecords(article=art, dates=dates)


def test_stories_an_undated_lead_names_the_year_of_its_event():
    """The years an undated report's lead names date its event; "since 1993", a decade, and
    the earlier events a report recalls past its lead do not."""
    recall = " The team has had a rough run." * 40 + " He was also arrested in 2006."
    rec = _undated("a", "Chargers receiver Vincent Jackson was arrested in 2009 on Sunday, "
                        "as he had been since 1993 and in the 1990s." + recall)
    assert [d.precision for d in rec.dates] == ["year", "year", "range", "year"]
    assert stories._facts(rec).years == [2009]
    rec.article.published = "2009-02-01"
    assert stories._facts(rec).years == []  # a dated report has its window and its days


def test_stories_look_alike_arrests_years_apart_are_different_events(monkeypatch):
    """Two undated reports of a player's drunk-driving arrest, told alike, are one event by
    their words; the years their leads name keep a 2008 arrest from a 2009 one and join two
    reports of one year. A stored event keeps its years, so a new report is weighed on them."""
    def report(aid: str, year: int, told: str) -> ArticleRecords:
        return _undated(aid, f"Chargers receiver Jackson was arrested in {year} on suspicion "
                             f"of drunk driving, the team said. {told}")
    told_a = ("Police stopped Jackson early in the morning near Pacific Beach. Jackson was "
              "released on bail. His lawyer called the stop unfair.")
    told_b = ("A patrol officer pulled Jackson over on Interstate 5 after midnight. The Chargers "
              "declined to comment. Coaches expect Jackson to play on Sunday.")
    a, b = report("a", 2008, told_a), report("b", 2009, told_b)
    other = stories.link([a, b])
    assert other.event_of["a"] != other.event_of["b"]
    old = stories.link([a]).stories
    assert old[0].signature["events"][0]["facts"]["years"] == [2008]
    joined = stories.link([b], existing=old).stories  # one report's words weigh more alone
    assert any("no year in common" in w for s in joined for w in s.why)
    same = stories.link([a, report("c", 2008, told_b)])
    assert same.event_of["a"] == same.event_of["c"]
    assert any("same year named: 2008" in w for s in same.stories for w in s.why)
    monkeypatch.setitem(stories.FACT_WEIGHTS, "year", (0.0, 0.0))
    words = stories.link([a, b])
    assert words.event_of["a"] == words.event_of["b"]
