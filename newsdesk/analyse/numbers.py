"""Numbers as reporters write them: digits, words, vague amounts, qualifiers and ranges.

A claim is only comparable across reports if "some 2,500", "around 2,500" and "2,500 or
so" read as the same figure, and "tens of thousands" and "up to 100,000" as overlapping
ranges. So every expression becomes a `Quantity` with a point value (when one is stated)
and bounds:

- an exact or approximate figure ("2,500", "about 2,500", "2,500 or so") has
  value = low = high = 2,500; the qualifier keeps the hedge ("about");
- a lower bound ("at least", "more than", "over") has value = low and no high;
  an upper bound ("up to", "less than", "nearly", "as many as") has value = high and no low;
- a range ("between 1,000 and 1,200", "1,000-1,200") has no value, low and high;
- a vague amount has no value, only conventional bounds, chosen so that the plain reading
  holds and neighbouring words do not overlap: "dozens" 24-99, "hundreds" 200-999,
  "thousands" 2,000-9,999, "tens of thousands" 20,000-99,999, "hundreds of thousands"
  200,000-999,999, "millions" 2-9.99 million; "a few N" is 2-5 N ("a few hundred"
  200-500), "several N" 3-9 N, "a couple of N" 2-3 N, "scores" 40-99, "a dozen" 12.

The scanner works on plain text with regular expressions, not on the parse: the small
spaCy model splits "2,500-meter" and tags "a few hundred" inconsistently, and claim
extraction needs exact character offsets of the whole expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsdesk.casefold import case_blind, folded_pattern

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SCALE_PLURALS = {w + "s": v for w, v in _SCALES.items()}

# Bounds of the vague words, as multiples of what they count (see the module docstring).
_VAGUE_PLURAL = {"dozens": (24, 99), "scores": (40, 99)}
_FEW = {"a few": (2, 5), "few": (2, 5), "several": (3, 9), "a couple of": (2, 3),
        "a couple": (2, 3)}

# Qualifier as written -> (normalised qualifier, direction): "=" point, ">" lower bound,
# "<" upper bound, "~" approximate.
_QUALIFIERS = {
    "around": ("about", "~"), "about": ("about", "~"), "some": ("about", "~"),
    "roughly": ("about", "~"), "approximately": ("about", "~"), "an estimated": ("about", "~"),
    "estimated": ("about", "~"), "almost": ("nearly", "<"), "nearly": ("nearly", "<"),
    "close to": ("nearly", "<"), "at least": ("at least", ">"), "more than": ("more than", ">"),
    "over": ("more than", ">"), "upwards of": ("more than", ">"),
    "in excess of": ("more than", ">"),
    "less than": ("less than", "<"), "fewer than": ("less than", "<"),
    "under": ("less than", "<"), "up to": ("up to", "<"), "as many as": ("up to", "<"),
    "at most": ("up to", "<"), "no more than": ("up to", "<"),
}

_UNIT_WORDS = {
    "metre": "m", "meter": "m", "metres": "m", "meters": "m", "m": "m",
    "kilometre": "km", "kilometer": "km", "kilometres": "km", "kilometers": "km", "km": "km",
    "mile": "mi", "miles": "mi", "percent": "%", "per cent": "%", "%": "%",
    "square kilometre": "km2", "square kilometer": "km2", "square kilometres": "km2",
    "square kilometers": "km2", "square mile": "mi2", "square miles": "mi2",
}


@dataclass(slots=True, frozen=True)
class Quantity:
    """A number expression and its reading; offsets are relative to the scanned text."""

    text: str
    start: int
    end: int
    value: float | None
    low: float | None
    high: float | None
    qualifier: str | None = None
    unit: str | None = None
    vague: bool = False


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_FIRST_WORD = _alt([*_UNITS, *_TENS])
_WORD = _alt([*_UNITS, *_TENS, *_SCALES])
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# One figure: digits with an optional scale word, or a run of number words, or a vague
# amount. "a hundred", "one and a half" and "2.5 million" are figures too.
_FIGURE = (
    rf"(?:tens|hundreds)\s+of\s+(?:thousands|millions)"
    rf"|(?:{_alt(list(_FEW))})\s+(?:hundred|thousand|million|dozen)s?"
    rf"|(?:{_alt(list(_VAGUE_PLURAL))})|(?:{_alt(list(_SCALE_PLURALS))})"
    r"|a\s+dozen|a\s+(?:hundred|thousand|million)"
    rf"|(?:{_DIGITS})(?:\s+(?:and\s+a\s+half|(?:{_alt(list(_SCALES))})))?"
    rf"|(?:{_FIRST_WORD})(?:(?:\s+and\s+|[\s-]+)(?:a\s+half|{_WORD}))*"
)
_QUALIFIER = _alt(list(_QUALIFIERS))
_UNIT = _alt(list(_UNIT_WORDS))
_EXPRESSION = re.compile(
    rf"(?<![\w.,:#$£€-])(?:(?P<qual>{_QUALIFIER})\s+)?"
    rf"(?:between\s+(?P<lo1>{_FIGURE})\s+and\s+(?P<hi1>{_FIGURE})"
    rf"|(?P<lo2>{_DIGITS})\s*[-–—]\s*(?P<hi2>{_DIGITS})(?![\w-])"
    rf"|(?P<lo3>{_FIGURE})\s+to\s+(?P<hi3>{_FIGURE})(?![\w-])"
    rf"|(?P<one>{_FIGURE}))"
    rf"(?P<orso>\s+or\s+so)?"
    rf"(?:(?:\s*-\s*|\s+)(?P<unit>{_UNIT})(?![\w]))?"
    r"(?![\w]|:\d)",
    re.IGNORECASE,
)


def _words_value(text: str) -> float | None:
    """Read a run of number words ("two hundred and fifty", "one and a half")."""
    total = 0.0
    current = 0.0
    seen = False
    for word in re.split(r"[\s-]+", text.lower()):
        if word == "and" or word == "a":
            continue
        if word == "half":
            current += 0.5
        elif word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word in _SCALES:
            scale = _SCALES[word]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _figure(text: str) -> tuple[float | None, float | None, float | None]:
    """(value, low, high) of one figure; vague amounts have no value."""
    t = re.sub(r"\s+", " ", text.lower().strip())
    if m := re.fullmatch(r"(tens|hundreds) of (thousands|millions)", t):
        mult = 10 if m[1] == "tens" else 100
        scale = _SCALE_PLURALS[m[2]]
        return None, 2 * mult * scale, 10 * mult * scale - 1
    for few, (lo, hi) in _FEW.items():
        if t.startswith(few + " "):
            rest = t[len(few) + 1:].rstrip("s")
            scale = 12 if rest == "dozen" else _SCALES[rest]
            return None, lo * scale, hi * scale
    if t in _VAGUE_PLURAL:
        lo, hi = _VAGUE_PLURAL[t]
        return None, lo, hi
    if t in _SCALE_PLURALS:
        scale = _SCALE_PLURALS[t]
        return None, 2 * scale, 10 * scale - 1
    if t == "a dozen":
        return 12, 12, 12
    if m := re.fullmatch(rf"({_DIGITS})(?: (and a half|\w+))?", t):
        value = float(m[1].replace(",", ""))
        if m[2] == "and a half":
            value += 0.5
        elif m[2]:
            value *= _SCALES[m[2]]
        return value, value, value
    value = _words_value(t)
    return value, value, value


def _build(m: re.Match[str], base: int) -> Quantity | None:
    qual_text = (m["qual"] or "").lower()
    qual_text = re.sub(r"\s+", " ", qual_text)
    unit = _UNIT_WORDS[re.sub(r"\s+", " ", m["unit"].lower())] if m["unit"] else None
    if m["one"] is not None:
        value, low, high = _figure(m["one"])
        if low is None:
            return None
    else:
        lo_text = m["lo1"] or m["lo2"] or m["lo3"]
        hi_text = m["hi1"] or m["hi2"] or m["hi3"]
        _, low, _ = _figure(lo_text)
        _, _, high = _figure(hi_text)
        if low is None or high is None or low > high:
            return None
        value = None
        qual_text = qual_text or "between"
    qualifier: str | None = None
    if qual_text in _QUALIFIERS:
        qualifier, direction = _QUALIFIERS[qual_text]
        if value is not None:
            if direction == ">":
                high = None
            elif direction == "<":
                low = None
        elif direction == ">":
            high = None
        elif direction == "<":
            low = None
    elif qual_text:
        qualifier = qual_text
    if m["orso"]:
        qualifier = qualifier or "about"
    return Quantity(
        text=m[0], start=base + m.start(), end=base + m.end(), value=value, low=low,
        high=high, qualifier=qualifier, unit=unit, vague=value is None and m["one"] is not None,
    )


_MAY_START = folded_pattern(re.compile(rf"(?={_EXPRESSION.pattern})", re.IGNORECASE))
"""Where an expression may start (`folded_pattern`)."""


def find_quantities(text: str, offset: int = 0) -> list[Quantity]:
    """Every number expression in `text`, longest match first, offsets shifted by `offset`.

    Bare "a"/"one" are not numbers on their own in news prose ("one of the", "a wall"),
    but the scanner still returns "one" so that the caller, which sees the parse, decides.

    The same matches as `_EXPRESSION.finditer`: the expression is tried only where the
    folded look-ahead (`folded_pattern`) finds it may start, the next at or after the end
    of the last match (no match is empty).
    """
    out: list[Quantity] = []
    end = 0
    for may in _MAY_START.finditer(case_blind(text)):
        if may.start() >= end and (m := _EXPRESSION.match(text, may.start())) is not None:
            end = m.end()
            q = _build(m, offset)
            if q is not None:
                out.append(q)
    return out


def parse_quantity(text: str) -> Quantity | None:
    """Read `text` as one number expression, or None if it is not exactly one."""
    m = _EXPRESSION.fullmatch(text.strip())
    return _build(m, 0) if m else None
