"""Attribution finds its cues and paragraph bounds from the doc's arrays: the same tokens
as walking every token, which is how they are defined."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.analyse.attribution import _ABBREVIATIONS, _SENTENCE_BREAK, _Resolver
from newsdesk.analyse.nlp import tokens_among, word_ids
from newsdesk.models import Article

TEXT = (
    "RAQQA, Syria\n\nThe coalition said on Tuesday that its aircraft struck 12 targets "
    "near the old city, according to a statement. \"We will not stop,\" the colonel told "
    "reporters, who raised concerns about the civilians.\n"
    "Heading without a stop\nThe mayor urged residents to leave, and the ministry denied "
    "the charges. \"They said it was over,\" she added.\n\n\nAmnesty warned of a disaster "
    "and accused the militia of looting, officials said."
)


def _walk_paragraph(tok) -> tuple[int, int]:
    sent = tok.sent
    first = next((t.i + 1 for t in reversed(sent[: tok.i - sent.start]) if "\n" in t.text),
                 sent.start)
    last = next((t.i for t in sent[tok.i - sent.start:] if "\n" in t.text), sent.end)
    return first, last


def test_cues_and_paragraphs_equal_the_token_walks(nlp):
    for text in (TEXT, "\n" + TEXT + "\n", "No line breaks here, he said."):
        doc = nlp(text)
        res = _Resolver(doc, Article(id="a", source="s", text=text), [], None)
        direct, reported = res._cues()
        # the cue words found in the LOWER array give what visiting every token gives
        assert (direct, reported) == res._cues_among(doc)
        assert direct and (reported or text.startswith("No"))
        assert [res._paragraph_tokens(t) for t in doc] == [_walk_paragraph(t) for t in doc]


def test_tokens_among_equals_the_walk(nlp):
    doc = nlp(TEXT)
    for words in ({"said", "told", "according", "concerns"}, {"zzz"}, set(), {"RAQQA", "the"},
                  {t.lower_ for t in doc}):
        ids = word_ids(words)
        assert tokens_among(doc, ids) == [t.i for t in doc if t.lower_ in words], words


_BREAK_LOOKED_FOR_EVERYWHERE = re.compile(
    r"(?<!\b[A-Z])" + "".join(rf"(?<!\b{re.escape(a)})" for a in _ABBREVIATIONS)
    + r"[.!?][\"”’]?\s+(?=[\"“A-Z])|\n"
)
"""`_SENTENCE_BREAK` as it was written first, the look-behinds before the stop."""


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([
    "Mr", "Mrs", "Lt.Col", "Gens", "Gen", "U", "S", "a", "x", "No", "St", "ZMr", "The", "said",
    ".", "!", "?", '"', "“", "”", "’", " ", "  ", "\n", "\t", "é", "É"]), max_size=20))
def test_sentence_break_found_where_the_first_pattern_finds_one(pieces):
    for text in ("".join(pieces), " ".join(pieces)):
        assert bool(_SENTENCE_BREAK.search(text)) == bool(
            _BREAK_LOOKED_FOR_EVERYWHERE.search(text)), text


def test_sentence_break_after_titles_initials_and_letters_outside_ascii():
    for text in ("U. The", "He met Mr. Smith", "Lt.Col. Smith", "ZMr. Smith", "It fell. The",
                 'It fell." The', "It fell!\u201c", "an end.\n", "Gens. Aoun", "Zoé. The",
                 "É. The", "No. 5", "No. The", "x.  Y", "x.Y"):
        assert bool(_SENTENCE_BREAK.search(text)) == bool(
            _BREAK_LOOKED_FOR_EVERYWHERE.search(text)), text


def _cue_for_every_cue(res: _Resolver, q: tuple[int, int], cues: list) -> object:
    """The definition `_cue_for` stands for: every cue of the article tried in turn."""
    best = None
    for tok in cues:
        if tok.idx >= q[1]:
            between = res.text[q[1]:tok.idx]
            if len(between) > 120 or _BREAK_LOOKED_FOR_EVERYWHERE.search(between[1:]) or any(
                    q[1] < s < tok.idx for s, _ in res.quotes):
                continue
            dist = len(between) - 40
        elif tok.idx < q[0]:
            between = res.text[tok.idx:q[0]]
            if len(between) > 250 or _BREAK_LOOKED_FOR_EVERYWHERE.search(between):
                continue
            dist = len(between)
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, tok)
    return best[1] if best else None


def test_a_quotes_cue_is_sought_near_it_only_with_the_same_answer(nlp):
    # cues just inside and just beyond the 120 characters after a quote and the 250 before
    texts = [TEXT, "\u201cSo it ends,\u201d Zo\u00eb said."]
    texts += ['"We will hold the line here," ' + "x " * n + "the colonel said."
              for n in range(36, 50)]
    texts += ["The colonel said " + "x " * n + '"we will hold the line here."'
              for n in range(110, 125)]
    found = set()
    for text in texts:
        res = _Resolver(nlp(text), Article(id="a", source="s", text=text), [], None)
        cues, _ = res._cues()
        res._cue_offsets = [t.idx for t in cues]
        assert res.quotes
        for q in res.quotes:
            cue = res._cue_for(q, cues)
            assert cue == _cue_for_every_cue(res, q, cues), text
            found.add(cue is None)
    assert found == {True, False}  # the texts lie on both sides of the limits
