"""Remove page chrome from text that was scraped from a news page.

Scraped reports keep the page around the article: navigation ("Skip to main content"),
player and share buttons, render timestamps, comment-policy notices, photo captions and
credits, related-story lists, tag lists. If it reaches the analysis, "Listen Live" becomes
an actor and "23:45 GMT24 May 2020" a publication date. The rules work per line, from
features that hold on any site (a lexicon of common chrome phrases, sentence-final
punctuation, length, capitalisation, repetition, position at the ends of the document,
neighbouring chrome), so they are not tied to one outlet's template.

The contract: cleaning only deletes whole lines and normalises whitespace. It never
rewrites a word, so every article sentence survives verbatim, and what was dropped is
returned for audit.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from newsdesk.casefold import case_blind, folded_pattern

__all__ = ["Cleaned", "clean_text"]


@dataclass(slots=True)
class Cleaned:
    """Cleaned main text and the lines that were removed (kept so a user can audit them)."""

    text: str
    removed: list[str] = field(default_factory=list)


# Whole lines that are page furniture on news sites. Matched against the full line
# (case-insensitive), so an article sentence that merely contains "share" is safe.
_CHROME_LINE = re.compile(
    r"""^(?:
        skip\ to\ (?:main\ )?(?:content|navigation|search)
      | listen\ live | live\ tv | watch\ live | live\ radio
      | get\ short\ url | short\ url | copy\ link | copy\ url
      | share(?:\ this)?(?:\ (?:article|story|page|on\ \w+))? | share\ via\ \w+
      | share\ this:\ .{1,40} | like\ this:\ like\ loading\.* | copy\ link\ copy
      | play\ (?:facebook|twitter|video) | google\ plus | watch\ this\ (?:story|video)
      | (?:stay\ up\ to\ date,?\ )?follow\ [^!?]{1,30}?:?\ (?:on\ )?(?:facebook|twitter).{0,40}
      | join\ the\ conversation\ .{1,60} | never\ miss\ another\ .{1,60}
      | (?:facebook|twitter|whatsapp|telegram|linkedin|reddit|email|e-mail|print|x)
        (?:\s*[|,/·•]\s*(?:facebook|twitter|whatsapp|telegram|linkedin|reddit|email|e-mail|print|x))*
      | tweet | pin\ it | comments? | \d+\ comments? | add\ comment | leave\ a\ comment
      | (?:comment\ via\ \w+)+
      | community\ standards.* | discussion
      | advertisement | advertising | sponsored(?:\ content)? | ad
      | read\ (?:more|next|also|full\ (?:article|story)) | see\ also | more\ on\ this\ story
      | related(?:\ (?:articles?|stories|content|news|topics|coverage|posts))?
      | (?:most\ )?(?:read|popular|viewed|shared)(?:\ (?:stories|articles|now|today))?
      | trending(?:\ (?:now|stories|news))? | top\ stories | latest(?:\ news)?
      | you\ may\ also\ like
      | recommended(?:\ for\ you)? | more\ from\ [^.!?]{1,40} | topics?\ ?:.{0,80}
      | tags?:.{0,200}
      | sign\ (?:up|in) | log\ ?in | register | subscribe(?:\ now|\ to\ .{1,60})?
      | newsletter.{0,80} | follow\ us.{0,60} | join\ us\ on\ .{1,40}
      | \(?(?:all\ rights\ reserved|copyright|©).{0,120}
      | click\ here.{0,80} | loading\.*
      | (?:image|photo|picture|video)\ (?:copyright|caption|source|credit).{0,120}
      | (?:photo|image|picture|credit|photograph)s?\ ?:.{0,200}
      | this\ (?:article|story)\ (?:was|has\ been)\ (?:updated|amended|corrected).{0,120}
      | please\ enable\ javascript.{0,120} | cookies?\ (?:policy|settings).{0,80}
      | (?:back\ )?to\ top | menu | search | home | close | next | previous
    ):?$""",
    re.IGNORECASE | re.VERBOSE,
)

# Phrases that mark a line as chrome wherever they occur in it: comment-policy and
# moderation notices, which are long and look like prose but belong to the site.
# Searched lower-cased in the line as `case_blind` folds it (`folded_pattern`): at every
# position of a paragraph the engine tries each branch, and a case-blind literal costs a
# lower-case lookup per character (0.50 against 0.15 CPU s over the 200 GeoWebNews texts'
# lines).
_CHROME_PHRASE = folded_pattern(re.compile(
    r"""(?:suspending\ (?:article\ )?comment
      | (?:create|build)\ a\ safe\ and\ (?:engaging|respectful)\ place
      | comments?\ (?:are|is)\ (?:closed|moderated|disabled)
      | (?:our|the)\ comment(?:ing)?\ polic(?:y|ies)
      | we\ (?:use|are\ using)\ cookies
      | by\ (?:continuing|using)\ (?:to\ use\ )?(?:this|our)\ (?:site|website)
      | (?:become|are\ you)\ a\ subscriber
      | (?:sign|signing)\ up\ (?:for|to)\ (?:one\ of\ )?(?:our|the)?\ ?(?:email\ |free\ )?
        (?:newsletter|daily|alerts)
      | this\ material\ may\ not\ be\ published
      | already\ (?:have\ an\ account|a\ subscriber) | thank\ you\ for\ registering
      | please\ sign\ in | sign\ in\ using\ you | set\ up\ your\ account
      | your\ registration\ information | (?:verification|confirmation)\ (?:e-?mail|message)
      | we\ look\ forward\ to\ seeing\ you | why\ are\ we\ asking\ this
      | enter\ the\ characters | \{\*.*\*\}
      | notification\ has\ been\ saved | problem\ saving\ your\ notification
      | (?:get\ )?e-?mail\ notifications\ (?:are|on) | posts\ new\ content,\ you'll\ get
      | download\ our\ (?:free\ )?[\w.]{0,20}\ ?(?:news\ )?app\b
      | get\ breaking\ news\ alerts | \|\ (?:sms|e-?mail)\ alerts | get\ alerted\ to\ news
      | scroll\ down\ for\ (?:the\ )?video | watch\ the\ video\ here
      | (?:hide|show)\ transcript | adobe\ flash\ player
      | you\ have\ reached\ your\ (?:free\ )?article\ limit
      | this\ content\ is\ (?:not\ )?available
    )""",
    re.IGNORECASE | re.VERBOSE,
))

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# A line made only of date and time tokens: a page's render or "updated" stamp. It says
# when the page was served or touched, not what the article reports.
_STAMP_TOKEN = re.compile(
    r"(?:\d{1,4}|" + _MONTH + r"|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?|am|pm|a\.m\.|p\.m\.|"
    r"gmt|utc|[ecmp][sd]?t|bst|cet|cest|eet|eest|msk|ast|ist|z|"
    r"updated?|published|posted|last|modified|on|at|by|of|the|"
    r"[:/.,|+\-–—()]|\s)+",
    re.IGNORECASE,
)
_HAS_DIGIT = re.compile(r"\d")
# A video playlist's item: its running time, then its title ("1:06 Former nurse accused").
# A clock time in prose reads "10:30 p.m." and a timeline entry is a sentence.
_VIDEO_ITEM = re.compile(r"\d{1,2}:[0-5]\d (?![ap]\.?m\b)(?=\S)", re.IGNORECASE)

# Photo captions and credits: the credit ends the line ("... Raqqa (AFP)", "... /AFP",
# "Photo: Reuters"), unlike a dateline, where the agency opens the article.
_AGENCY = (
    r"(?:AFP|Reuters|AP|Associated Press|Getty(?: Images)?|EPA|Anadolu(?: Agency)?|ANI|"
    r"Xinhua|Sputnik|TASS|UPI|Shutterstock|AA|SANA|EFE|DPA|IRNA|Bloomberg|Pool)"
)
_CAPTION_END = re.compile(  # agencies are matched case-sensitively: "(ePA)" is not EPA
    r"(?:\((?P<paren>[^()]{0,40}?\b" + _AGENCY + r"\b[^()]{0,40})\)"  # "(AFP)", "(AP Photo/X)"
    r"|\s[/|]\s?" + _AGENCY + r"(?:\s?/\s?[\w .'-]+)?"  # "... / AFP", "... /AFP/Getty"
    r"|(?i:photo|image|picture|credit)s?\s?:\s?[^.!?]{1,80})\.?\s*$"
)
_PHOTO_WORD = re.compile(r"photo|image|picture|getty|pool|file|handout", re.IGNORECASE)

# Ends of sentences: final punctuation, possibly followed by closing quotes/brackets.
_SENTENCE_END = re.compile(r"[.!?…:;。！？؟।۔][\"'”’»」』)\]]*\s*$|[\"”’»」』]\s*$")
_CATEGORY_COUNT = re.compile(r"\(\d+\)\s*$")  # "Operation to Liberate X (61)": section, count
_TRAILING_JUNK = re.compile(r"\s+[|•·¦]+\s*$")  # "... alone. |": separators left by scrapers
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONNECTORS = frozenset({
    "of", "the", "and", "a", "an", "al", "el", "ez", "az", "as", "ad", "ed", "at", "on", "in",
    "de", "du", "la", "le", "des", "von", "van", "der", "bin", "ibn", "bint", "abu", "for", "to",
})

# Headline-like lines longer than this are a standfirst or a paragraph, not a link label.
_HEADLINE_MAX_WORDS = 16
_LIST_START = re.compile(r"\s*(?:[-–—•*·>|#]|\d|\(?[a-z0-9]{1,2}[.)]\s)")
_DATA_MARK = re.compile(r"[|@]|https?:|www\.|\d.*\s(?:[–—-]|--)\s|\s(?:[–—-]|--)\s.*\d")
_LOWER_IN_TITLES = frozenset({
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for",
    "with", "as", "from", "over", "into", "vs", "via", "is", "are",
})
_LINK_MIN_WORDS = 4
_TITLE_CASE_SHARE = 0.75
# How many headline-like lines in a row make a related-stories or navigation list.
_RUN_MIN = 3


def clean_text(text: str) -> Cleaned:
    """Drop chrome lines and normalise whitespace, never rewriting a kept word.

    Paragraphs come out separated by one blank line, so a subhead such as
    "- New hub targeted -" stays a paragraph of its own and cannot fuse with the next
    sentence in a sentence splitter.
    """
    paragraphs = _paragraphs(text)
    lines = [p for p, _ in paragraphs]
    chrome = [_is_chrome_line(line) for line in lines]
    _mark_repeated(lines, chrome)
    _mark_runs(lines, chrome, [blank for _, blank in paragraphs])
    _mark_sandwiched(lines, chrome, [blank for _, blank in paragraphs])
    _mark_tail(lines, chrome)
    kept = [line for line, bad in zip(lines, chrome, strict=True) if not bad]
    removed = [line for line, bad in zip(lines, chrome, strict=True) if bad]
    return Cleaned(text="\n\n".join(kept), removed=removed)


def _paragraphs(text: str) -> list[tuple[str, bool]]:
    """Split into stripped, space-normalised lines; flag those that follow a blank line.

    Hard-wrapped text (most lines of similar length, paragraphs split by blank lines) is
    unwrapped first, otherwise every wrapped line would be read as its own paragraph.
    """
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    raw = [_TRAILING_JUNK.sub("", _SPACES.sub(" ", line)).strip() for line in text.split("\n")]
    if _hard_wrapped(raw):
        blocks: list[list[str]] = [[]]
        for line in raw:
            if line:
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        return [(" ".join(b), True) for b in blocks if b]
    out: list[tuple[str, bool]] = []
    after_blank = True
    for line in raw:
        if not line:
            after_blank = True
            continue
        out.append((line, after_blank))
        after_blank = False
    return out


def _hard_wrapped(lines: list[str]) -> bool:
    filled = [line for line in lines if line]
    if len(filled) < 8:
        return False
    wrapped = [
        a for a, b in itertools.pairwise(filled)
        if 50 <= len(a) <= 80 and not _SENTENCE_END.search(a) and b[:1].islower()
    ]
    return len(wrapped) >= len(filled) / 3


def _is_chrome_line(line: str) -> bool:
    if _CHROME_LINE.match(line) or _CHROME_PHRASE.search(case_blind(line)):
        return True
    if _is_stamp(line) or _is_tag_list(line):
        return True
    if _VIDEO_ITEM.match(line) and _headline_like(line):
        return True
    if _CATEGORY_COUNT.search(line) and not _SENTENCE_END.search(line[:-1].rstrip()):
        return True
    return _is_caption(line)


def _is_stamp(line: str) -> bool:
    if len(line) > 80 or not _HAS_DIGIT.search(line):
        return False
    return _STAMP_TOKEN.fullmatch(line) is not None


def _is_caption(line: str) -> bool:
    """A credit at the end of the line, on a line that opens without a dateline.

    "Beirut (AFP) - US-backed forces..." carries the agency too, but at the start; a
    caption describes a picture and ends on the credit. A bare "(Reuters)" after a full
    stop is how some sites sign the last paragraph of wire copy, so only a photo credit
    may follow a finished sentence.
    """
    match = _CAPTION_END.search(line)
    if match is None:
        return False
    before = line[: match.start()].rstrip()
    if len(_WORD.findall(before)) > 60:
        return False
    if match.group("paren") and _SENTENCE_END.search(before):
        return _PHOTO_WORD.search(match.group("paren")) is not None
    return True


def _is_tag_list(line: str) -> bool:
    """Three or more short capitalised items separated by commas, with no verb-like prose."""
    if _SENTENCE_END.search(line) or ":" in line:  # "Group B: X, Y, Z" is content
        return False
    items = [item.strip() for item in line.split(",")]
    if len(items) < 3 or any(not item for item in items):
        return False
    for item in items:
        words = item.split()
        if len(words) > 4:
            return False
        if not all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _CONNECTORS for w in words):
            return False
    return True


def _headline_like(line: str) -> bool:
    words = _WORD.findall(line)
    return 0 < len(words) <= _HEADLINE_MAX_WORDS and not _SENTENCE_END.search(line)


def _link_like(line: str) -> bool:
    """The label of a link to another story: a Title Case headline of a few words.

    Lists that belong to the article (tour dates, results, bullet points, table rows)
    open with a marker or a number, carry separators, or are not in Title Case, and are
    kept: cutting them costs recall on real pages.
    """
    if not _headline_like(line) or _LIST_START.match(line) or _DATA_MARK.search(line):
        return False
    words = _WORD.findall(line)
    content = [w for w in words if w.lower() not in _LOWER_IN_TITLES]
    if len(words) < _LINK_MIN_WORDS or not content:
        return False
    return sum(w[0].isupper() for w in content) / len(content) >= _TITLE_CASE_SHARE


def _mark_repeated(lines: list[str], chrome: list[bool]) -> None:
    """A section banner that recurs ("Operation to Liberate X (61)" above and below).

    Only headline-shaped lines: a repeated list item or tweet signature is the
    article's own (pages do repeat their lists)."""
    seen: dict[str, int] = {}
    for line in lines:
        seen[line.casefold()] = seen.get(line.casefold(), 0) + 1
    for i, line in enumerate(lines):
        if seen[line.casefold()] > 1 and _link_like(line):
            chrome[i] = True


def _mark_runs(lines: list[str], chrome: list[bool], after_blank: list[bool]) -> None:
    """Lists of links: several story headlines in a row, not split by blank lines.

    An article's own subheads stand alone between paragraphs, so they never form a run;
    a related-stories block or a navigation bar does. Lines already known to be chrome
    count towards the run (a nav bar mixes labels and buttons).
    """
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and (chrome[j] or _link_like(lines[j])) and (
            j == i or not after_blank[j]
        ):
            j += 1
        if j - i >= _RUN_MIN and not _same_opening(lines[i:j]):
            for k in range(i, j):
                chrome[k] = True
        i = max(j, i + 1)


def _same_opening(run: list[str]) -> bool:
    """"Path A: ...", "Path B: ...": items of one list, which a related-stories block is not."""
    firsts = [line.split()[0].casefold() for line in run]
    return max(firsts.count(f) for f in firsts) * 2 >= len(run)


def _mark_sandwiched(lines: list[str], chrome: list[bool], after_blank: list[bool]) -> None:
    """A short label glued between two chrome lines ("Listen Live / Middle East / Get short
    URL") belongs to the same bar."""
    for i in range(1, len(lines) - 1):
        if (
            not chrome[i]
            and chrome[i - 1]
            and chrome[i + 1]
            and not after_blank[i]
            and not after_blank[i + 1]
            and _headline_like(lines[i])
        ):
            chrome[i] = True


def _mark_tail(lines: list[str], chrome: list[bool]) -> None:
    """After the last line that ends a sentence, story headlines are the page footer's
    "more stories" links, as long as that last sentence is not the whole article."""
    last = max((i for i, line in enumerate(lines) if not chrome[i] and _SENTENCE_END.search(line)),
               default=-1)
    if last < 1:
        return
    for i in range(last + 1, len(lines)):
        if _link_like(lines[i]):
            chrome[i] = True
