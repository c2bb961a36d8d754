"""Case-insensitive searches for ASCII words, made case-sensitive over folded text.

Python's regex engine passes over an alternative at its first letter only when case
counts; with `re.IGNORECASE` it folds each character it tries, so a long alternation of
words costs about twice as much. The stages that search every sentence or paragraph for
cue words (numbers, dates, page chrome in ingest) fold the text once (`case_blind`) and
search it with the pattern lower-cased (`folded_pattern`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CASE_BLIND = {"İ": "i", "ı": "i", "ſ": "s"}
"""The letters outside ASCII that `re.IGNORECASE` matches to an ASCII letter (Python's
case-folding table) and `str.lower` leaves, as that letter; "İ" is also the one letter whose
lower case is two. The fourth, the Kelvin sign, is lower-cased to "k" already."""


def case_blind(text: str) -> str:
    """`text` as a case-insensitive pattern of ASCII words sees it, in lower case and with
    the same offsets, for `folded_pattern`.

    The three letters are replaced only in a text that holds them: `str.translate` looked
    every character up in its table (0.065 CPU s for the 1,495 texts and sentences of the
    200 GeoWebNews texts, against 0.006 this way); ASCII text holds none of them, and `in`
    and `replace` search for one at C speed."""
    if not text.isascii():
        for letter, ascii_letter in _CASE_BLIND.items():
            if letter in text:
                text = text.replace(letter, ascii_letter)
    return text.lower()


def folded_pattern(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A case-insensitive `pattern` of ASCII words lower-cased and made case-sensitive, to
    run over `case_blind` text: it matches wherever `pattern` does, and in about half the
    time, as the regex engine passes over an alternative at its first letter only when
    case counts. For finding where `pattern` may match, not what it matches: group names
    are dropped, and a part kept case-sensitive (`(?-i:...)`, never inside a negative
    look-around) matches in any case, so it may match at more places."""
    source = re.sub(r"\(\?P<\w+>", "(?:", pattern.pattern).replace("(?-i:", "(?:")
    if not pattern.flags & re.IGNORECASE or re.search(r"\\[A-Z]|\(\?[a-zA-Z]", source):
        raise ValueError(f"cannot lower-case {pattern.pattern!r}")
    return re.compile(source.lower(), pattern.flags & ~re.IGNORECASE)


def word_spans(text: str, words: Iterable[str], start: int = 0, end: int | None = None,
               blind: str | None = None) -> list[tuple[int, int]]:
    r"""The spans of `re.compile(rf"\b(?:{alternation})\b", flags).finditer(text, start,
    end)` for the words, the longest first in the alternation: case-sensitive, or with
    `re.IGNORECASE` when `blind` is the `case_blind` text.

    Found with `str.find` instead of a pattern compiled per search: geocode looks for each
    place name an article names (277 names over the 200 GeoWebNews texts, each new to
    `re`'s cache: 0.036 CPU s with `re`, 0.005 this way) and claims for its article's
    place spellings (142 patterns: 0.017 against 0.002). A case-blind search needs
    lower-case ASCII words, which match as written in the `case_blind` text exactly where
    `IGNORECASE` matches them in `text`; others go to `re`. Word boundaries are read in
    `text` as `re` reads them (`\w` is `str.isalnum()` or "_"), with nothing after `end`.
    At each place the longest word there wins, and the next match starts after it, as the
    alternation finds them."""
    words = sorted(set(words), key=len, reverse=True)
    stop = len(text) if end is None else min(end, len(text))
    if not words or not all(words) or (blind is not None and not all(
            w.isascii() and w == w.lower() for w in words)):
        pattern = re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b",
                             0 if blind is None else re.IGNORECASE)
        return [m.span() for m in pattern.finditer(text, start, stop)]
    haystack = text if blind is None else blind
    longest: dict[int, int] = {}  # where a word starts: where the longest there ends
    for word in words:
        at = haystack.find(word, start, stop)
        while at >= 0:
            after = at + len(word)
            if after > longest.get(at, -1) and _boundary(text, at, stop) \
                    and _boundary(text, after, stop):
                longest[at] = after
            at = haystack.find(word, at + 1, stop)
    spans: list[tuple[int, int]] = []
    for at in sorted(longest):
        if not spans or at >= spans[-1][1]:
            spans.append((at, longest[at]))
    return spans


def _boundary(text: str, at: int, stop: int) -> bool:
    r"""Whether `\b` holds at offset `at` of `text` searched up to `stop`: a word character
    on one side only (the text before the search's start counts, after `stop` not)."""
    before = at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_")
    return before != (at < stop and (text[at].isalnum() or text[at] == "_"))
