"""Quotes and speakers on the Raqqa reports, and quote pairing on raw text."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.models import Article, Quote
from newsdesk.quotes import extract_quotes, quote_spans


def _quotes(nlp, example_dir: Path, prefix: str) -> list[Quote]:
    path = next(example_dir.glob(f"{prefix}_*.txt"))
    art = Article(id=path.stem, source=str(path), text=path.read_text().split("\n", 1)[1])
    quotes = extract_quotes(nlp(art.text), art, actors=[], registry=None)
    for q in quotes:
        assert art.text[q.start:q.end] == q.text
        if q.speaker_start is not None:
            assert art.text[q.speaker_start:q.speaker_end] == q.speaker_text
    return quotes


def _by(quotes: list[Quote], fragment: str) -> Quote:
    found = [q for q in quotes if fragment in q.text and q.direct]
    assert found, fragment
    return found[0]


def test_quotes_pairs_straight_and_curly_marks():
    text = 'He said "one two," then “three four”.\n"Runs on\n"and closes."'
    spans = [text[s:e] for s, e in quote_spans(text)]
    assert spans == ["one two,", "three four", "Runs on", "and closes."]


@pytest.mark.slow
def test_quotes_mcgurk(nlp, example_dir):
    q1 = _by(_quotes(nlp, example_dir, "001"), "key milestone")
    assert q1.speaker == "Brett McGurk" and q1.role == "US envoy to the coalition"
    tweet = _by(_quotes(nlp, example_dir, "001"), "#ISIS terrorists")
    assert (tweet.speaker, tweet.speaker_text, tweet.cue) == ("Brett McGurk", "McGurk", "tweeted")
    q3 = _by(_quotes(nlp, example_dir, "003"), "key milestone in campaign")
    assert q3.speaker == "Brett McGurk"
    assert q3.role == "US special presidential envoy for the coalition to defeat IS"


@pytest.mark.slow
def test_quotes_jones_and_pronouns(nlp, example_dir):
    quotes = _quotes(nlp, example_dir, "002")
    first = _by(quotes, "We know as an international coalition")
    assert (first.speaker, first.role) == ("Rupert Jones", "British Maj. Gen.")
    added = _by(quotes, "every bit as tough")
    assert (added.speaker, added.cue) == ("Rupert Jones", "added")
    he = [q for q in quotes if q.speaker_text == "He" and not q.direct]
    assert he and all(q.speaker == "Rupert Jones" for q in he)
    dillon = [q for q in quotes if q.speaker_text == "Dillon"]
    assert dillon and dillon[0].speaker == "Ryan Dillon" and dillon[0].role == "U.S. Army Col."


@pytest.mark.slow
def test_quotes_observatory_chief(nlp, example_dir):
    quotes = _quotes(nlp, example_dir, "001")
    q = _by(quotes, "the real fight for Raqa has begun")
    assert (q.speaker, q.role) == ("Rami Abdel Rahman", "Observatory chief")
    assert _by(quotes, "biggest challenge").speaker == "Rami Abdel Rahman"
    shaker = _by(quotes, "200 of our fighters")
    assert shaker.role == "spokesman for the Syrian Elite Forces"


@pytest.mark.slow
def test_quotes_anonymous_commander(nlp, example_dir):
    quotes = _quotes(nlp, example_dir, "000")
    direct = [q for q in quotes if q.direct]
    assert len(direct) >= 10
    assert {q.speaker for q in direct} == {"a senior US-led coalition commander"}
    # a paragraph-long quote with no cue of its own continues the previous speaker
    assert _by(quotes, "If Al-Mayadeen is like Deir Ezzor").cue is None
    assert _by(quotes, "tough fight").speaker_text == "the top coalition commander"


@pytest.mark.slow
def test_quotes_reported_speech(nlp, example_dir):
    quotes = _quotes(nlp, example_dir, "003")
    un = [q for q in quotes if not q.direct and "100,000" in q.text]
    assert un and un[0].speaker == "The United Nations" and un[0].cue == "warned"
