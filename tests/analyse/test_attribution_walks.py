"""Attribution finds its cues and paragraph bounds from the doc's arrays: the same tokens
as walking every token, which is how they are defined."""

from __future__ import annotations

from newsdesk.analyse.attribution import (
    _CLAUSE_VERBS,
    _CUE_NOUNS,
    _CUE_VERBS,
    _INTENT_VERBS,
    _OBJECT_VERBS,
    _Resolver,
)
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


def _walk_cues(res: _Resolver) -> tuple[list[int], list[int]]:
    """`_cues` as first written: every token visited."""
    direct, reported = [], []
    for tok in res.doc:
        low = tok.lower_
        if low == "according":
            if tok.i + 1 < len(res.doc) and tok.nbor().lower_ == "to":
                direct.append(tok)
        elif low in _CUE_NOUNS and tok.dep_ == "dobj":
            if tok.head.tag_.startswith("VB"):
                direct.append(tok.head)
        elif not tok.tag_.startswith("VB"):
            continue
        elif low in _CUE_VERBS:
            direct.append(tok)
        elif low in _CLAUSE_VERBS or low in _INTENT_VERBS or low in _OBJECT_VERBS:
            reported.append(tok)
    direct = sorted({t.i: t for t in direct if not res._in_quote(t.idx)}.values(),
                    key=lambda t: t.i)
    taken = {t.i for t in direct}
    return ([t.i for t in direct],
            [t.i for t in reported if t.i not in taken and not res._in_quote(t.idx)])


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
        assert ([t.i for t in direct], [t.i for t in reported]) == _walk_cues(res)
        assert direct and (reported or text.startswith("No"))
        assert [res._paragraph_tokens(t) for t in doc] == [_walk_paragraph(t) for t in doc]


def test_tokens_among_equals_the_walk(nlp):
    doc = nlp(TEXT)
    for words in ({"said", "told", "according", "concerns"}, {"zzz"}, set(), {"RAQQA", "the"},
                  {t.lower_ for t in doc}):
        ids = word_ids(words)
        assert tokens_among(doc, ids) == [t.i for t in doc if t.lower_ in words], words
