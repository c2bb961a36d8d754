"""Quotes and speakers on the Raqqa reports end to end, and quote pairing on raw text."""

from __future__ import annotations

import pytest

from newsdesk.analyse.attribution import quote_spans
from newsdesk.models import ArticleRecords, Quote


@pytest.fixture(scope="module")
def raqqa(raqqa_records: dict[str, ArticleRecords]) -> dict[str, ArticleRecords]:
    return raqqa_records


def _by(rec: ArticleRecords, fragment: str, *, direct: bool = True) -> Quote:
    found = [q for q in rec.quotes if fragment in q.text and q.direct == direct]
    assert found, fragment
    return found[0]


def test_quotes_pairs_straight_and_curly_marks():
    text = 'He said "one two," then “three four”.\n"Runs on\n"and closes."'
    spans = [text[s:e] for s, e in quote_spans(text)]
    assert spans == ["one two,", "three four", "Runs on", "and closes."]


def test_quotes_pairs_two_apostrophes_as_a_quotation_mark():
    text = "''We stay,'' he said of the town's people. ''Nobody leaves.''"
    spans = [text[s:e] for s, e in quote_spans(text)]
    assert spans == ["We stay,", "Nobody leaves."]


@pytest.mark.slow
def test_quotes_second_half_after_the_attribution_keeps_its_speaker(raqqa):
    # '"The Coalition remains focused on isolating Raqqa ...," the spokesperson stated.
    # "In addition, ISIS had previously used the city ..."': one speech in two quotes
    first = _by(raqqa["004"], "remains focused on isolating Raqqa")
    second = _by(raqqa["004"], "command and control node")
    assert second.cue is None
    assert (second.speaker, second.speaker_text) == (first.speaker, first.speaker_text)


@pytest.mark.slow
def test_quotes_offsets_point_into_the_text(raqqa):
    for rec in raqqa.values():
        text = rec.article.text
        for q in rec.quotes:
            assert q.article_id == rec.article.id
            assert text[q.start:q.end] == q.text
            if q.speaker_start is not None:
                assert text[q.speaker_start:q.speaker_end] == q.speaker_text


@pytest.mark.slow
def test_quotes_mcgurk(raqqa):
    q1 = _by(raqqa["001"], "key milestone")
    assert q1.speaker == "Brett McGurk" and q1.role == "US envoy to the coalition"
    tweet = _by(raqqa["001"], "#ISIS terrorists")
    assert (tweet.speaker, tweet.speaker_text, tweet.cue) == ("Brett McGurk", "McGurk", "tweeted")
    q3 = _by(raqqa["003"], "key milestone in campaign")
    assert q3.speaker == "Brett McGurk"
    assert q3.role == "US special presidential envoy for the coalition to defeat IS"


@pytest.mark.slow
def test_quotes_jones_and_pronouns(raqqa):
    rec = raqqa["002"]
    first = _by(rec, "We know as an international coalition")
    assert (first.speaker, first.role) == ("Rupert Jones", "British Maj. Gen.")
    assert _by(rec, "Daesh is not defeated with the liberation").speaker == "Rupert Jones"
    added = _by(rec, "every bit as tough")
    assert (added.speaker, added.cue) == ("Rupert Jones", "added")
    he = [q for q in rec.quotes if q.speaker_text == "He" and not q.direct]
    assert he and all(q.speaker == "Rupert Jones" for q in he)
    dillon = [q for q in rec.quotes if q.speaker_text == "Dillon"]
    assert dillon and dillon[0].speaker == "Ryan Dillon" and dillon[0].role == "U.S. Army Col."


@pytest.mark.slow
def test_quotes_observatory_chief(raqqa):
    rec = raqqa["001"]
    q = _by(rec, "the real fight for Raqa has begun")
    assert (q.speaker, q.role) == ("Rami Abdel Rahman", "Observatory chief")
    later = _by(rec, "biggest challenge")
    assert (later.speaker, later.speaker_text) == ("Rami Abdel Rahman", "he")
    shaker = _by(rec, "200 of our fighters")
    assert shaker.role == "spokesman for the Syrian Elite Forces"


@pytest.mark.slow
def test_quotes_anonymous_commander(raqqa):
    direct = [q for q in raqqa["000"].quotes if q.direct and q.speaker is not None]
    assert len(direct) >= 7
    assert {q.speaker for q in direct} == {"Global Coalition Against Daesh"}
    # a paragraph-long quote with no cue of its own continues the previous speaker
    assert _by(raqqa["000"], "If Al-Mayadeen is like Deir Ezzor").cue is None
    assert _by(raqqa["000"], "tough fight").speaker_text == "the top coalition commander"


@pytest.mark.slow
def test_quotes_reported_speech(raqqa):
    un = _by(raqqa["003"], "100,000", direct=False)
    assert (un.speaker_text, un.cue) == ("The United Nations", "warned")
    assert un.speaker == "UN: United Nations"


@pytest.mark.slow
def test_quotes_fragment_inside_reported_clause_is_not_repeated(raqqa):
    # 'told AFP the jihadists are breathing their "last gasps" in their Syrian bastion'
    rec = raqqa["000"]
    clause = _by(rec, "breathing their", direct=False)
    assert '"last gasps"' in clause.text or "“last gasps”" in clause.text
    inside = [q for q in rec.quotes
              if q.direct and clause.start <= q.start and q.end <= clause.end]
    assert inside == []
    # a quote on its own, not inside any clause, is still there
    assert _by(rec, "It's a tough fight").direct


@pytest.mark.parametrize("verb", ["admitted", "urged", "replied", "conceded", "predicted"])
@pytest.mark.slow
def test_quotes_speech_verbs_beyond_said(nlp, verb):
    from newsdesk.analyse.quotes import extract_quotes
    from newsdesk.models import Article

    text = f'"We will hold the bridge until the end," the militia commander {verb} on Monday.'
    article = Article(id="q1", source="test", text=text)
    quotes = extract_quotes(nlp(text), article, actors=[], registry=None)
    assert [(q.speaker_text, q.direct) for q in quotes] == [("the militia commander", True)]


@pytest.mark.slow
def test_quotes_scare_quote_before_an_accusation_is_nobody_s(raqqa):
    # 'A "de-confliction" line ... but the SDF has twice accused Russia': the SDF did not
    # say "de-confliction"
    assert not [q for q in raqqa["000"].quotes if q.text == "de-confliction" and q.speaker]


def _reported(nlp, text: str) -> list[tuple[str | None, str, str | None]]:
    from newsdesk.analyse.quotes import extract_quotes
    from newsdesk.models import Article

    article = Article(id="r1", source="test", text=text)
    quotes = extract_quotes(nlp(text), article, actors=[], registry=None)
    return [(q.speaker_text, q.text, q.cue) for q in quotes if not q.direct]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), [
    # a clause of speech, on either side of the verb or around it
    ("Local officials said the convoy was hit by two rockets near the bridge.",
     ("Local officials", "the convoy was hit by two rockets near the bridge", "said")),
    ("The convoy was hit by two rockets near the bridge, local officials said.",
     ("local officials", "The convoy was hit by two rockets near the bridge", "said")),
    # a stance: the object, with what the accusation is of
    ("The militia accused the army of shelling the market on Sunday.",
     ("The militia", "the army of shelling the market on Sunday", "accuse")),
    ("The governor called for an immediate ceasefire in the province.",
     ("The governor", "an immediate ceasefire in the province", "call")),
    # an intention or a request, with its object
    ("The commander vowed to retake the town within a week.",
     ("The commander", "to retake the town within a week", "said")),
    ("The mayor urged residents to leave the eastern districts.",
     ("The mayor", "residents to leave the eastern districts", "said")),
    # "X did Y, saying Z": the speaker is the subject of the verb the participle hangs on
    ("The ministry closed the crossing on Monday, saying the road was unsafe for trucks.",
     ("The ministry", "the road was unsafe for trucks", "said")),
    ("The mayor appeared to suggest that the curfew would be lifted next week.",
     ("The mayor", "the curfew would be lifted next week", "suggest")),
    ("The governor called on residents to stay away from the river bank.",
     ("The governor", "residents to stay away from the river bank", "call")),
])
def test_quotes_reported_speech_without_quotation_marks(nlp, text, expected):
    assert _reported(nlp, text) == [expected]


@pytest.mark.slow
def test_quotes_nested_reported_speech(nlp):
    # "Y said X told him ...": two acts of speech, the inner one inside the outer
    found = _reported(nlp, "The mayor said the general told him the army would withdraw.")
    assert ("The mayor", "the general told him the army would withdraw", "said") in found
    assert ("the general", "him the army would withdraw", "told") in found or (
        "the general", "the army would withdraw", "told") in found


@pytest.mark.slow
@pytest.mark.parametrize("text", [
    "He was told to leave the city by the police.",  # passive: not the subject's words
    "The rebels said nothing.",  # too short to be a content
    "Coalition aircraft supported an advance by the militia into the old city.",
])
def test_quotes_no_reported_speech(nlp, text):
    assert _reported(nlp, text) == []


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), [
    # a transcript's turn: the name in capitals is a person the article names
    ('Chris Wallace interviewed Mike Pence on Sunday.\n\n"PENCE: Well, look, the '
     'governor will not be attending the debate tomorrow night.',
     ("Mike Pence", "PENCE", "Well, look, the governor will not be attending the debate "
      "tomorrow night.", True)),
    # a headline's speaker
    ("Mike Pence: Governor Won't Be at the Debate\n\nThe campaign said little more.",
     ("Mike Pence", "Mike Pence", "Governor Won't Be at the Debate", False)),
    # a round-up's line, with where it was said, over a quotation
    ('Meghan McCain, Twitter: "The moderator is the real winner of this debate."',
     ("Meghan McCain", "Meghan McCain", "The moderator is the real winner of this debate.",
      True)),
    # a name on a line of its own over the quoted paragraph
    ('Meghan McCain, Twitter:\n\n"The moderator is the real winner of this debate."',
     ("Meghan McCain", "Meghan McCain", "The moderator is the real winner of this debate.",
      True)),
])
def test_quotes_speaker_labels(nlp, text, expected):
    from newsdesk.analyse.quotes import extract_quotes
    from newsdesk.models import Article

    article = Article(id="l1", source="test", text=text)
    quotes = extract_quotes(nlp(text), article, actors=[], registry=None)
    assert [(q.speaker, q.speaker_text, q.text, q.direct) for q in quotes
            if q.cue == ":"] == [expected]


@pytest.mark.slow
def test_quotes_a_label_that_names_nobody_is_not_a_speaker(nlp):
    from newsdesk.analyse.quotes import extract_quotes
    from newsdesk.models import Article

    for text in ("UPDATE: The ministry said the crossing would reopen on Monday morning.",
                 # a dateline, even where a person shares the place's name
                 "AIN ISSA, Syria: The ministry said the crossing would reopen on Monday. "
                 "Ali Issa, a farmer, was there."):
        article = Article(id="l2", source="test", text=text)
        quotes = extract_quotes(nlp(text), article, actors=[], registry=None)
        assert [q.cue for q in quotes] == ["said"], text


@pytest.mark.slow
def test_quotes_a_short_quote_in_title_case_names_a_programme(nlp):
    from newsdesk.analyse.quotes import extract_quotes
    from newsdesk.models import Article

    text = ('The governor said on "Face the Nation" that "the bridge will stay closed."')
    article = Article(id="t1", source="test", text=text)
    quotes = extract_quotes(nlp(text), article, actors=[], registry=None)
    assert [q.text for q in quotes if q.direct] == ["the bridge will stay closed."]
