"""The typer's pre-filter tries its cues only where a word starts: the same answers as
searching for every strong cue at every position of the text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.analyse.typing_model import (
    _COMPILED,
    _normalise,
    may_report_event,
    training_examples,
)

_STRONG = [c.pattern for c in _COMPILED if c.weight >= 2]
_ANYWHERE = re.compile("|".join(f"(?:{p.pattern})" for p in _STRONG))
"""The pre-filter's definition: any strong cue, searched at every position."""
_WORDS = sorted({w for p in _STRONG for w in re.findall(r"[a-z]{2,}", p.pattern)})
_PHRASES = sorted({w for p in _STRONG for w in re.findall(r"[a-z]+(?: [a-z]+)*", p.pattern)})
_GLUE = ["", "", " ", " ", "-", "'", "’", ". ", "_", "7", "é"]


def _starts_word(text: str, i: int) -> bool:
    return (re.match(r"\w", text[i:i + 1]) is not None
            and (i == 0 or re.match(r"\w", text[i - 1]) is None))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GLUE)), min_size=1,
                max_size=8))
def test_every_strong_cue_match_starts_a_word(parts):
    # what makes the fast pre-filter exact: no strong cue matches inside a word or at its end
    text = _normalise("".join(w + g for w, g in parts))
    assert not _matches_not_at_word_starts(text), text


def _matches_not_at_word_starts(text: str) -> list[tuple[str, int]]:
    return [(pattern.pattern[:60], i) for pattern in _STRONG for i in range(len(text) + 1)
            if pattern.match(text, i) and not _starts_word(text, i)]


def test_no_strong_cue_matches_inside_a_word():
    # each word and phrase of the cues glued to the end of another word
    for phrase in _PHRASES:
        for text in ("x" + phrase, "7" + phrase + "s", "_" + phrase + " attack"):
            assert not _matches_not_at_word_starts(text), text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GLUE)), min_size=1,
                max_size=4))
def test_prefilter_equals_searching_everywhere(parts):
    text = "".join(w + g for w, g in parts)
    assert may_report_event(text) == (_ANYWHERE.search(_normalise(text)) is not None)


def test_prefilter_equals_searching_everywhere_on_the_training_sentences():
    texts = [text for text, _ in training_examples()]
    texts += ["Bombers of the old guard met in Kabul.", "The airstrike hit a school.",
              "A good deal of rain fell.", "The deal was signed.", "Rocket-propelled grenades"]
    answers = [may_report_event(t) for t in texts]
    assert answers == [_ANYWHERE.search(_normalise(t)) is not None for t in texts]
    assert 0 < sum(answers) < len(answers)


def test_branches_are_the_top_level_alternatives():
    from newsdesk.analyse.typing_model import _branches

    pattern = r"\bair[- |]?strikes?\b|\b(?:hit|ran over) an? mines?\b|[|(]x\)|y\|z"
    assert _branches(pattern) == [r"\bair[- |]?strikes?\b", r"\b(?:hit|ran over) an? mines?\b",
                                  r"[|(]x\)", r"y\|z"]


def test_prefilter_alternatives_are_led_by_a_letter_not_a_word_boundary():
    # the engine skips a letter-led alternative at a glance and tries a "\b"-led one in full
    from newsdesk.analyse.typing_model import _PREFILTER, _branches

    inner = _branches(_PREFILTER.pattern.removeprefix(r"\b(?=\w)(?:").removesuffix(")"))
    assert len(inner) < 40  # 258 cue alternatives, grouped under ~22 first letters
    assert not [b for b in inner if b.startswith((r"\b", r"(?:\b"))]
    assert len([b for b in inner if b[0].isalpha()]) > 15
    # cues led by a group ("\\b(?:attack\\w*|stormed) ...") are unfolded under letters too
    assert all(b[0].isalpha() for b in inner), [b[:40] for b in inner if not b[0].isalpha()]
    assert may_report_event("Coalition air strikes hit the town.")
    assert not may_report_event("The council met on Tuesday to discuss the budget.")


def test_a_sentence_is_scored_once_however_often_it_is_asked():
    # incidents score a typed sentence three times (abstain check, features, second event)
    from newsdesk.analyse.typing_model import _scored, classify, score

    text = "Government forces shelled the village of Kafr Nabl on Monday, killing four people."
    before = _scored.cache_info()
    first = score(text)
    assert classify(text) is not None
    first["Shelling/artillery/missile attack"] = -1.0  # a caller's copy, changed
    again = score(text)
    assert _scored.cache_info().misses - before.misses <= 1
    assert again != first and again["Shelling/artillery/missile attack"] > 0


def test_a_branch_led_by_a_group_unfolds_into_one_branch_per_member():
    from newsdesk.analyse.typing_model import _unfolded

    assert _unfolded(r"(?:attack\w*|stormed|raided) (?:on )?(?:the )?checkpoints?\b") == [
        r"attack\w* (?:on )?(?:the )?checkpoints?\b", r"stormed (?:on )?(?:the )?checkpoints?\b",
        r"raided (?:on )?(?:the )?checkpoints?\b"]
    # only the leading group: one inside a member stays as it is
    assert _unfolded(r"(?:set (?:up|off)|built) a base") == ["set (?:up|off) a base",
                                                             "built a base"]
    assert _unfolded(r"(?:(?:re)?took|seized) it") == ["(?:re)?took it", "seized it"]
    # a group with a quantifier may match nothing, so it stays whole
    assert _unfolded(r"(?:a |the )?deal\b") == [r"(?:a |the )?deal\b"]
    assert _unfolded(r"\bdeal\b") == [r"\bdeal\b"]


def test_no_cue_is_led_by_a_look_behind():
    # a look-behind first is tried at every position of every sentence; after the word it
    # is tried only where the word is: the Agreement cue's findall took a quarter of all 35
    from newsdesk.analyse.typing_model import _branches

    led = [b for c in _COMPILED for b in _branches(c.pattern.pattern) if b.startswith("(?<")]
    assert not led


def test_the_moved_look_behinds_keep_their_meaning():
    from newsdesk.analyse.typing_model import _AGREE, _GRENADE, cue_offsets

    deal = "A great deal of damage was done, a good deal more than the deal they signed."
    assert [deal[a:b] for a, b in cue_offsets(deal, _AGREE)] == ["deal", "signed"]
    text = "Rocket-propelled grenades hit the post; two grenades and grenade launchers were found."
    assert [text[a:b] for a, b in cue_offsets(text, _GRENADE)] == ["grenades"]
    assert not may_report_event("A great deal of rain fell on the rocket-propelled grenade.")
