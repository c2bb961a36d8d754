"""Case-insensitive searches for ASCII words, made case-sensitive over folded text.

Python's regex engine passes over an alternative at its first letter only when case
counts; with `re.IGNORECASE` it folds each character it tries, so a long alternation of
words costs about twice as much. The stages that search every sentence or paragraph for
cue words (numbers, dates, page chrome in ingest) fold the text once (`case_blind`) and
search it with the pattern lower-cased (`folded_pattern`).
"""

from __future__ import annotations

import re

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


def word_spans(text: str, word: str, blind: str | None = None) -> list[tuple[int, int]]:
    r"""The spans of `re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)`.

    For a lower-case ASCII `word` they are found with `str.find` over the `case_blind`
    text (`blind`, when the caller has it), where the word matches as written exactly
    where `IGNORECASE` matches it in `text`, and the word boundaries are read in `text`
    (`\w` is `str.isalnum()` or "_", as in `re`): geocode looks for each place name an
    article names this way, and compiling a pattern per name cost 0.056 CPU s over the
    200 GeoWebNews texts (277 names, each new to `re`'s cache). Other words go to `re`."""
    if not word or not word.isascii() or word != word.lower():
        return [m.span() for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)]
    blind = case_blind(text) if blind is None else blind
    size, spans, start = len(word), [], blind.find(word)
    while start >= 0:
        end = start + size
        if _boundary(text, start) and _boundary(text, end):
            spans.append((start, end))
            start = blind.find(word, end)
        else:
            start = blind.find(word, start + 1)
    return spans


def _boundary(text: str, at: int) -> bool:
    r"""Whether `\b` holds at offset `at` of `text`: a word character on one side only."""
    before = at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_")
    return before != (at < len(text) and (text[at].isalnum() or text[at] == "_"))
