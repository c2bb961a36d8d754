"""Counting the dead and wounded from victim phrases, and never from ages, addresses or times.

The sentences are written in the register of local and wire reports (the benchmark's own
texts are not ours to ship); each test names the kind of mention it checks.
"""

from __future__ import annotations

import pytest

from newsdesk.analyse.article import analyze_article, load_resources
from newsdesk.analyse.casualties import count_casualties
from newsdesk.models import Article
from newsdesk.publish.export import acled_row


@pytest.fixture(scope="module")
def nlp():
    return load_resources().nlp


def _toll(nlp, text: str) -> tuple[int | None, int | None]:
    toll = count_casualties(nlp(text))
    return toll.killed, toll.injured


@pytest.mark.parametrize(("text", "killed", "injured"), [
    # a single victim, no numeral
    ("A 23-year-old man was shot and killed Tuesday night outside a corner store.", 1, 0),
    ("A woman was shot in the leg on Friday, police said.", 0, 1),
    # groups given with their size, in words and digits
    ("Two teenagers were wounded when someone opened fire on a crowded porch.", 0, 2),
    ("Four people are dead and two are injured after a shooting at a tribal office.", 4, 2),
    ("Police said 3 people were killed in the attack.", 3, 0),
    # the perpetrator, where the text says so
    ("The gunman shot two neighbours before he killed himself.", 1, 2),
    # the final toll wins over the early one
    ("A man was shot in the chest outside a bar. He died later at the hospital.", 1, 0),
    # one victim named several ways is counted once
    ("A 16-year-old student died after a shooting on Monday. Jaden Miles, 16, was shot in "
     "the head, police said. The boy was pronounced dead at the scene.", 1, 0),
    # victims named one by one
    ("Mary Cole, 41, and her son David, 19, were killed in the shooting.", 2, 0),
    # several unnamed victims in one sentence are several people
    ("A woman was shot in the back, another woman was shot in the face and a man was shot "
     "in the arm.", 0, 3),
    # coordinated groups add up
    ("Five men and four women were injured, one of them critically.", 0, 9),
    # "both", and "a family of five"
    ("Both brothers were killed when the car was riddled with bullets.", 2, 0),
    ("A family of five was killed when a shell struck their home.", 5, 0),
    # shot, some fatally: the wounded are those hit less those killed
    ("Police said two people were shot and one of them died.", 1, 1),
    # "others" hit besides the dead are the wounded
    ("Two people were killed. Five other people were hit by gunfire.", 2, 5),
    # the kind of shooting gives its toll
    ("Police are looking for suspects in a quadruple shooting in Southeast.", 0, 4),
    ("Detectives are investigating a double homicide on the East Side.", 2, 0),
    # numbers with the adjective or a headline's clipped passive
    ("The attack left three dead and 12 injured.", 3, 12),
    ("3 dead, 2 injured in south Houston shooting", 3, 2),
    # one age, two people: the words give them different sexes
    ("An 18-year-old female was shot. An 18-year-old male was also shot.", 0, 2),
    # a man "shot", fate untold, beside a total of dead: one of the dead
    ("Two people were killed early Sunday. Police said a man was shot in the head.", 2, 0),
    # an age alone names the victim (the tokenizer splits it: "17 - year - old")
    ("Police said a 17-year-old was shot in the leg. The 17-year-old is expected to live.",
     0, 1),
    # "the shooting death of ...", "the killing of ...": the noun's "of" names the victim
    ("Police are investigating the shooting death of a 2-year-old boy.", 1, 0),
    ("Police are investigating the shooting of a 15-year-old on Elm Street.", 0, 1),
    # a murder-suicide: those shot are the murdered, and the gunman's own death counts
    ("Police said the deaths were a murder-suicide. The man shot his wife and then shot "
     "himself.", 2, 0),
    # a victim the report names once by name and once by age alone is one person
    ("Police are investigating the shooting death of Devin Anderson. A 17-year-old was "
     "found dead in a car on Birch Street on Saturday.", 1, 0),
    # a question is no event
    ("A 12-year-old boy died on Sunday. Police are trying to determine whether the boy shot "
     "himself or if someone else shot him.", 1, 0),
    # "she" is the girl, not the man spoken of last
    ("A 15-year-old girl was shot on Elm Street and a man was wounded nearby. She was "
     "pronounced dead at the hospital.", 1, 1),
])
def test_victims_are_counted_from_mentions(nlp, text, killed, injured):
    assert _toll(nlp, text) == (killed, injured)


@pytest.mark.parametrize("text", [
    # addresses, ages, times, dates, calibres, phone numbers, distances, prices, votes
    "The shooting happened in the 4200 block of Adams Street.",
    "The 23-year-old was arrested at 3:45 a.m. on March 4.",
    "Officers recovered a 9mm handgun and 14 shell casings from the scene.",
    "Anyone with information should call 555-0142 or Crime Stoppers at 1-800-222-8477.",
    "The house is about 2 miles from the school where 300 students were in class.",
    "The rifle cost $1,200 and the council voted 7-2 to ban it.",
    # negated, conditional or intended: no one was hurt
    "No one was injured in the blast, officials said.",
    "He threatened to kill three people if they called the police.",
    "The driver could have been killed, a witness said.",
    # people spoken of without a number are not a count
    "People were injured, police said, but they did not say how many.",
])
def test_never_a_count(nlp, text):
    killed, injured = _toll(nlp, text)
    assert not killed and not injured, text


def test_a_roundup_total_is_not_one_incident(nlp):
    text = "Eight people were killed and 46 wounded in shootings across the city over the weekend."
    assert _toll(nlp, text) == (None, None) or _toll(nlp, text) == (0, 0)


def test_each_statement_points_at_its_sentence(nlp):
    text = "Police arrived at 9 p.m. A 30-year-old man was shot and killed on Elm Street."
    toll = count_casualties(nlp(text))
    [m] = toll.mentions
    assert text[m.start:m.end].startswith("A 30-year-old man was shot and killed")


def test_the_incident_carries_killed_and_wounded():
    text = ("Gunmen attacked a checkpoint near Raqqa on Monday, killing two soldiers. "
            "Three other soldiers were wounded in the attack, a military source said.")
    article = Article(id="t1", source="t1", text=text, published="2017-06-12")
    records = analyze_article(article, load_resources())
    assert records.incidents
    incident = max(records.incidents, key=lambda i: (i.fatalities or 0) + (i.injured or 0))
    assert incident.fatalities == 2
    assert incident.injured == 3


def test_acled_fatalities_is_zero_when_none_is_reported():
    base = {"id": "inc-1", "country_code": "SY", "event_type": "Battles"}
    assert acled_row({**base, "fatalities": None})["fatalities"] == 0
    assert acled_row({**base, "fatalities": 4})["fatalities"] == 4


def test_victims_no_typed_event_names_still_make_an_incident():
    # no sentence here carries a typing cue; the victim phrase is what reports the attack
    text = ("A 17-year-old boy died after he was hit by gunfire outside a store in Dayton on "
            "Saturday night, police said.")
    records = analyze_article(Article(id="t2", source="t2", text=text, published="2016-05-03"),
                              load_resources())
    [incident] = records.incidents
    assert (incident.event_type, incident.sub_event_type) == ("Violence against civilians",
                                                               "Attack")
    assert (incident.fatalities, incident.injured, incident.location) == (1, 0, "Dayton")
    assert text[incident.evidence[0].start:incident.evidence[0].end].startswith("A 17-year-old")


def test_the_headline_counts_when_the_body_names_victims_one_by_one(nlp):
    body = nlp("A 20-year-old woman was shot in the leg, police said.")
    toll = count_casualties(body, nlp("12-year-old among 7 wounded in Grand Crossing shooting"))
    assert (toll.killed, toll.injured) == (0, 7)
    assert any(m.in_title for m in toll.mentions)
    # a death the body adds came from among the headline's wounded
    body = nlp("A second victim died at the hospital on Sunday, police said. Two people "
               "were killed in all.")
    toll = count_casualties(body, nlp("1 dead, 3 hurt in shooting at party"))
    assert (toll.killed, toll.injured) == (2, 2)


def test_an_accident_keeps_its_toll_but_is_not_coded_as_an_attack():
    text = "A 2-year-old boy accidentally shot himself at a home in Lunenburg on Monday."
    records = analyze_article(Article(id="t3", source="t3", text=text, published="2016-05-03"),
                              load_resources())
    [incident] = records.incidents
    assert (incident.event_type, incident.sub_event_type) == ("Strategic developments", "Other")
    assert (incident.fatalities, incident.injured) == (0, 1)
    assert incident.notes.startswith("accident or suicide")


@pytest.mark.parametrize("text", [
    "Police said it was a murder-suicide: the man shot his wife and then killed himself.",
    "A suicide bomber killed four people at a checkpoint on Monday.",
])
def test_a_murder_suicide_or_suicide_attack_is_no_accident(text):
    records = analyze_article(Article(id="t4", source="t4", text=text, published="2016-05-03"),
                              load_resources())
    assert records.incidents
    assert all(i.event_type != "Strategic developments" for i in records.incidents)


@pytest.mark.parametrize(("text", "killed", "injured"), [
    # a named victim's number is their age
    ("Eric Wright, 26, and Larry Watkins Jr. 26, were also injured.", 0, 2),
    ("Calvin Williams, 24 was shot in the chest, Kalone Mcgee, 26 was shot in the left leg.",
     0, 2),
])
def test_a_named_victims_number_is_an_age(nlp, text, killed, injured):
    assert _toll(nlp, text) == (killed, injured)


@pytest.mark.parametrize("text", [
    "Crime stats for 2015, in the city of New Orleans, show 165 people were murdered.",
    "A jury deliberates whether he should be put to death for killing 12 and wounding 70 in "
    "a movie theater three years ago.",
    "More than 30,000 people are killed by guns every year.",
])
def test_background_statistics_are_not_this_reports_toll(nlp, text):
    assert _toll(nlp, text) in ((None, None), (0, 0))


@pytest.mark.parametrize(("text", "civilians", "combatants"), [
    ("An air strike killed 12 civilians, including four children, in the village.", (12, 0),
     (0, 0)),
    ("Three soldiers were killed and two civilians were wounded when a roadside bomb hit "
     "the convoy.", (0, 2), (3, 0)),
    ("Government troops said 40 militants were killed in the clashes.", (0, 0), (40, 0)),
    # "a man" may be either: of unknown status, in neither column
    ("A man was shot and killed near the checkpoint.", (0, 0), (0, 0)),
])
def test_civilians_and_combatants_only_where_the_text_says_so(nlp, text, civilians,
                                                              combatants):
    toll = count_casualties(nlp(text))
    assert (toll.civilians, toll.combatants) == (civilians, combatants)
    assert toll.civilians[0] + toll.combatants[0] <= (toll.killed or 0)


def test_each_source_toll_names_its_claimant_sentence_and_report():
    text = ("A suicide car bomb killed 18 soldiers at a checkpoint in Raqqa on Monday, the army "
            "said.\n\nThe Syrian Observatory for Human Rights said 24 soldiers were killed.")
    art = Article(id="a1", source="t.txt", text=text, outlet="AFP", published="2017-06-12")
    incidents = analyze_article(art, load_resources()).incidents
    assert incidents
    tolls = [t for i in incidents for t in i.tolls]
    assert tolls, incidents
    for t in tolls:
        assert t.article_id == "a1" and t.outlet == "AFP" and t.published == "2017-06-12"
        assert text[t.start:t.end] == t.sentence and t.killed is not None
    assert {t.killed for t in tolls} >= {18}


def test_the_toll_is_the_same_when_the_caller_passes_the_text(nlp):
    # ages are read from the text (`_keys`): the same victim named by age twice is one
    text = ("A 23-year-old man was shot and killed on Main Street. Police said the "
            "23-year-old man was shot in the chest. A 40-year-old woman was wounded.")
    doc = nlp(text)
    given = count_casualties(doc, text=text)
    assert (given.killed, given.injured) == (1, 1)
    assert given == count_casualties(doc)


def test_only_sentences_with_a_cue_word_are_searched_for_tallies(nlp, monkeypatch):
    # a sentence with no word a count starts from adds nothing; its tally search was waste
    from newsdesk.analyse import casualties

    real, searched = casualties._TALLY, []

    class Spy:
        def search(self, text: str):  # type: ignore[no-untyped-def]
            searched.append(text)
            return real.search(text)

    monkeypatch.setattr(casualties, "_TALLY", Spy())
    text = ("The council met on Tuesday. Its budget was approved this year. "
            "Two men were killed in a shooting on Main Street.")
    assert _toll(nlp, text) == (2, 0)
    assert searched == ["Two men were killed in a shooting on Main Street."]


@pytest.mark.parametrize(("text", "killed"), [
    # the count in the text's last sentence, after sentences with nothing to read
    ("Residents gathered on Sunday. The mayor spoke. Three people were killed.", 3),
    # a tally word in the sentence of the count still makes it background
    ("Residents gathered on Sunday. Three people were killed in shootings across the city.",
     None),
    ("Les habitants se sont réunis à Zürich. Three people were killed.", 3),
])
def test_a_sentence_is_read_only_where_it_has_a_word_to_count_from(nlp, text, killed):
    assert (_toll(nlp, text)[0] or None) == killed
