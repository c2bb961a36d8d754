"""Number parsing: digits, words, vague amounts, qualifiers, ranges and units."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.analyse.numbers import (
    _EXPRESSION,
    _build,
    find_quantities,
    parse_quantity,
)

_ONES = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _below_thousand(n: int) -> str:
    parts = []
    if n >= 100:
        parts.append(f"{_ONES[n // 100]} hundred")
        n %= 100
        if n:
            parts.append("and")
    if n >= 20:
        parts.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n:
        parts.append(_ONES[n])
    return " ".join(parts)


def _in_words(n: int) -> str:
    thousands, rest = divmod(n, 1000)
    words = []
    if thousands:
        words.append(f"{_below_thousand(thousands)} thousand")
    if rest:
        words.append(_below_thousand(rest))
    return " ".join(words)


@given(st.integers(min_value=0, max_value=10**9))
def test_numbers_digits_with_separators_round_trip(n: int) -> None:
    q = parse_quantity(f"{n:,}")
    assert q is not None
    assert q.value == n == q.low == q.high


@given(st.integers(min_value=1, max_value=999_999))
def test_numbers_words_round_trip(n: int) -> None:
    q = parse_quantity(_in_words(n))
    assert q is not None, _in_words(n)
    assert q.value == n


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_numbers_ranges_have_ordered_bounds(a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    for text in (f"between {lo:,} and {hi:,}", f"{lo:,}-{hi:,}", f"{lo:,} to {hi:,}"):
        q = parse_quantity(text)
        assert q is not None, text
        assert (q.value, q.low, q.high) == (None, lo, hi)


@given(
    st.sampled_from(["around", "about", "some", "nearly", "at least", "more than", "over",
                     "less than", "up to", "as many as", "almost", "roughly"]),
    st.integers(min_value=1, max_value=10**6),
)
def test_numbers_qualified_bounds_contain_value(qualifier: str, n: int) -> None:
    q = parse_quantity(f"{qualifier} {n:,}")
    assert q is not None
    assert q.value == n
    assert q.low is None or q.low <= n
    assert q.high is None or q.high >= n
    assert q.low is not None or q.high is not None


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_numbers_scanner_offsets_point_into_text(text: str) -> None:
    for q in find_quantities(text, offset=5):
        assert ("xxxxx" + text)[q.start:q.end] == q.text


@pytest.mark.parametrize(
    ("text", "value", "low", "high", "qualifier", "unit"),
    [
        ("9,000", 9000, 9000, 9000, None, None),
        ("2.5 kilometre", 2.5, 2.5, 2.5, None, "km"),
        ("25-metre", 25, 25, 25, None, "m"),
        ("2,500-meter", 2500, 2500, 2500, None, "m"),
        ("two", 2, 2, 2, None, None),
        ("a few hundred", None, 200, 500, None, None),
        ("tens of thousands", None, 20_000, 99_999, None, None),
        ("hundreds of thousands", None, 200_000, 999_999, None, None),
        ("dozens", None, 24, 99, None, None),
        ("hundreds", None, 200, 999, None, None),
        ("a dozen", 12, 12, 12, None, None),
        ("one and a half", 1.5, 1.5, 1.5, None, None),
        ("around 2,500", 2500, 2500, 2500, "about", None),
        ("some 2,500", 2500, 2500, 2500, "about", None),
        ("200 or so", 200, 200, 200, "about", None),
        ("nearly 4", 4, None, 4, "nearly", None),
        ("at least 12", 12, 12, None, "at least", None),
        ("more than 200", 200, 200, None, "more than", None),
        ("over 10,000", 10_000, 10_000, None, "more than", None),
        ("less than one square kilometre", 1, None, 1, "less than", "km2"),
        ("up to 100,000", 100_000, None, 100_000, "up to", None),
        ("between 1,000 and 1,200", None, 1000, 1200, "between", None),
        ("1,000-1,200", None, 1000, 1200, "between", None),
        ("70 percent", 70, 70, 70, None, "%"),
        ("2.5 million", 2_500_000, 2_500_000, 2_500_000, None, None),
        ("several thousand", None, 3000, 9000, None, None),
    ],
)
def test_numbers_parse_quantity(text, value, low, high, qualifier, unit) -> None:
    q = parse_quantity(text)
    assert q is not None
    assert (q.value, q.low, q.high, q.qualifier, q.unit) == (value, low, high, qualifier, unit)


@pytest.mark.parametrize(
    "text", ["the 8th century", "F-16 jets", "at 10:30", "$5 million", "a wall", "COVID-19"]
)
def test_numbers_not_numbers(text: str) -> None:
    assert find_quantities(text) == []


def test_numbers_scanner_finds_expression_in_prose() -> None:
    text = "The Iraqi military believes that there are just a few hundred militants left."
    [q] = find_quantities(text)
    assert text[q.start:q.end] == "a few hundred"


def _each_expression(text: str) -> list[tuple[int, int, float | None]]:
    """The definition `find_quantities` stands for: the expression's `finditer`."""
    return [(q.start, q.end, q.value) for m in _EXPRESSION.finditer(text)
            if (q := _build(m, 0)) is not None]


_PIECES = ["about", "ABOUT", "ſome", "nearly", "between", "Between", "and", "to", "or so",
           "2,500", "3", "1.5", "12", "four", "Four", "twenty", "hundred", "tHousand",
           "dozens", "a", "few", "several", "tens of thousands", "km", "per cent", "%",
           "\u212ailometres", "İn", "ıs", "up to", "at least", "#", "$", ".", ",", ":",
           "-", "–", "x", "killed", " ", "\n"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25), st.sampled_from([" ", "", "-", "\n"]))
def test_numbers_scanner_equals_the_expression_everywhere(pieces, glue):
    text = glue.join(pieces)
    assert [(q.start, q.end, q.value) for q in find_quantities(text)] == _each_expression(text)


def test_numbers_scanner_equals_the_expression_on_report_text():
    text = ("Some 2,500 fighters, ABOUT Four Hundred civilians and between 20 and 30 "
            "children; up to 1.5 million people, tens of thousands fled 12 km, ſeveral "
            "hundred stayed. Nearly half: 3–4 per cent, #5, $40, 10:30, 2016.")
    assert [(q.start, q.end, q.value) for q in find_quantities(text)] == _each_expression(text)
    assert len(find_quantities(text)) >= 8
