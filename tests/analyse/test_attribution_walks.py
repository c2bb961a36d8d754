"""Attribution finds its cues and paragraph bounds from the doc's arrays: the same tokens
as walking every token, which is how they are defined."""

from __future__ import annotations

from newsdesk.analyse.attribution import _Resolver
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
