"""Folding text for case-insensitive searches of ASCII words (numbers, dates, ingest)."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.casefold import case_blind, folded_pattern, word_spans

_EVERY_CHARACTER = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000)


def test_case_blind_text_keeps_offsets_and_what_patterns_read():
    blind = case_blind(_EVERY_CHARACTER)
    assert len(blind) == len(_EVERY_CHARACTER)
    for cls in (r"[\w.,:#$£€-]", r"\d", r"\s"):  # what the patterns test besides words
        assert ([m.start() for m in re.finditer(cls, blind)]
                == [m.start() for m in re.finditer(cls, _EVERY_CHARACTER)])
    for letter in string.ascii_lowercase:  # "ſ", "K", "ı", "İ" and the capitals included
        for m in re.finditer(letter, _EVERY_CHARACTER, re.IGNORECASE):
            assert blind[m.start()] == letter, m.group()


@given(st.text(alphabet=st.sampled_from(["a", "Z", " ", "İ", "ı", "ſ", "\u212a", "é", "Ä",
                                          "’", "ß", "Σ", "🙂", "I", "k", "K", "S"])))
def test_case_blind_is_what_the_table_lookup_made(text: str) -> None:
    # the fast path (ASCII text as is, each letter replaced only where present) against
    # the table lookup of every character that it replaced (the table as first written)
    table = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})
    assert case_blind(text) == text.translate(table).lower()


def test_folded_pattern_refuses_what_lower_case_would_change():
    with pytest.raises(ValueError):
        folded_pattern(re.compile(r"\S+ killed", re.IGNORECASE))
    with pytest.raises(ValueError):
        folded_pattern(re.compile(r"killed"))


_WORD_TEXT = st.text(alphabet=st.sampled_from(["a", "b", "A", "B", " ", "-", "_", "1", "é",
                                               "İ", "ı", "ſ", "s", "S", "\u212a", "k", "K",
                                               "i", "I", "ß", "’", "🙂", "\u0301"]))


_WORD = st.text(alphabet=st.sampled_from(["a", "b", "s", "k", "i", " ", "-", "1", "é", "ß",
                                          "A", "\u212a"]), min_size=1, max_size=4)


@given(_WORD_TEXT, st.lists(_WORD, min_size=1, max_size=4), st.integers(0, 12),
       st.integers(0, 40))
def test_word_spans_are_what_the_word_pattern_finds(text: str, words: list[str], start: int,
                                                    end: int) -> None:
    # by `str.find` (case-blind: lower-case ASCII words over the folded text), else
    # through `re`: "ab" is not found inside "aab" or "ab_", "Kab" (the Kelvin sign)
    # is "kab" case-blind, the longest word at a place wins, and nothing after `end`
    # is read, as `finditer(text, start, end)` reads it
    ordered = sorted(words, key=len, reverse=True)
    alternation = "|".join(map(re.escape, ordered))
    for flags, blind in ((0, None), (re.IGNORECASE, case_blind(text))):
        pattern = re.compile(rf"\b(?:{alternation})\b", flags)
        assert word_spans(text, words, start, end, blind) == \
            [m.span() for m in pattern.finditer(text, start, end)]
    assert word_spans(text, words) == [m.span() for m in re.finditer(
        rf"\b(?:{alternation})\b", text)]


def test_word_spans_find_a_place_name_in_any_case_between_word_boundaries() -> None:
    text = "RAQQA fell. In Raqqa, raqqa's people and the Raqqawi; \u212aobani, Kobani_x."
    blind = case_blind(text)
    assert [text[s:e] for s, e in word_spans(text, ["raqqa"], blind=blind)] == \
        ["RAQQA", "Raqqa", "raqqa"]
    kelvin = text.index("\u212a")  # "Kobani" with the Kelvin sign; "Kobani_x" is no word
    assert word_spans(text, ["kobani"], blind=blind) == [(kelvin, kelvin + 6)]
    assert [text[s:e] for s, e in word_spans(text, ["Raqqa", "Raqqa fell", "Kobani"])] == \
        ["Raqqa"]  # case counts without `blind`; "Kobani_x" is no word
    assert [text[s:e] for s, e in word_spans(text, ["In Raqqa", "Raqqa"], 0, 20)] == \
        ["In Raqqa"]  # the longest there; "Raqqa," ends past 20, where nothing is read
