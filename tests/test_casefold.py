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


@given(_WORD_TEXT, st.text(alphabet=st.sampled_from(["a", "b", "s", "k", "i", " ", "-", "1",
                                                     "é", "ß"]), min_size=1, max_size=4))
def test_word_spans_are_what_the_case_blind_word_pattern_finds(text: str, word: str) -> None:
    # a lower-case ASCII word by `str.find` over the folded text, others through `re`;
    # "ab" must not be found inside "aab" or "ab_", and "Kab" (the Kelvin sign) is "kab"
    want = [m.span() for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)]
    assert word_spans(text, word) == want
    assert word_spans(text, word, case_blind(text)) == want


def test_word_spans_find_a_place_name_in_any_case_between_word_boundaries() -> None:
    text = "RAQQA fell. In Raqqa, raqqa's people and the Raqqawi; \u212aobani, Kobani_x."
    assert [text[s:e] for s, e in word_spans(text, "raqqa")] == ["RAQQA", "Raqqa", "raqqa"]
    kelvin = text.index("\u212a")  # "Kobani" with the Kelvin sign; "Kobani_x" is no word
    assert word_spans(text, "kobani") == [(kelvin, kelvin + 6)]
    assert word_spans(text, "raqqawi'") == []
