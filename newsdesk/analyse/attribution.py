"""Attribution: who said which stretch of an article, through which speech cue.

Attribution is the backbone both of the quote records and of numeric claims (a figure is
worth what its claimant is worth), so every attribution is found once, as `Attribution`
records cached on the Doc, and `quotes.py` and `claims.py` read the same records.

The small spaCy model mis-splits sentences around quotation marks and often glues a
quote and the next paragraph's attribution together, so quotes are found on the raw text
(pairs of quotation marks within a paragraph) and tied to the nearest speech cue that no
sentence boundary separates from them; the parse is only used locally, around each cue,
to find its subject and the reported clause.

Speakers are resolved the way a reader does it: "he"/"she" is the last person who spoke,
"it" the last organisation, "the commander" or "the spokesperson" the last speaker
introduced with that noun (which may be anonymous: "a senior US-led coalition commander"),
"the alliance" or "the statement" the last organisation that spoke, and a bare surname
("Jones") the person introduced earlier with that surname.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol

import numpy as np

from newsdesk.analyse.nlp import tokens_among, word_ids
from newsdesk.models import ActorMention, Article

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


class _Actor(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def associated(self) -> tuple[str, ...]: ...

    @property
    def inter(self) -> int | None: ...

    @property
    def country(self) -> str | None: ...


class Registry(Protocol):
    """What attribution needs from `registry.ActorRegistry`."""

    def get(self, actor_id: str) -> _Actor | None: ...

    def match(self, text: str) -> _Actor | None: ...

    def affiliation(
        self, text: str, *, context: Sequence[ActorMention] = ()
    ) -> _Actor | None: ...


# Surface forms of reporting verbs and the cue they are recorded as.
_CUE_VERBS = {
    **dict.fromkeys(["said", "says", "say", "saying"], "said"),
    **dict.fromkeys(["told", "tells", "tell"], "told"),
    **dict.fromkeys(["tweeted", "tweets", "tweet"], "tweeted"),
    **dict.fromkeys(["added", "adds"], "added"),
    **dict.fromkeys(["stated", "states"], "stated"),
    **dict.fromkeys(["estimates", "estimate", "estimated"], "estimates"),
    **dict.fromkeys(["believes", "believe", "believed"], "believes"),
    **dict.fromkeys(["warned", "warn", "warns"], "warned"),
    **dict.fromkeys(["claimed", "claims", "claim"], "claimed"),
    **dict.fromkeys(["reported", "reports", "report"], "reported"),
    **dict.fromkeys(["announced", "announces"], "announced"),
    **dict.fromkeys(["confirmed", "confirms"], "confirmed"),
    **dict.fromkeys(["emphasized", "emphasised", "stressed", "insisted", "noted",
                     "explained", "wrote", "acknowledged", "argued", "declared",
                     "pointed", "denied", "alleged", "asserted", "admitted", "conceded",
                     "recalled", "replied", "responded", "countered", "complained",
                     "maintained", "contended", "charged", "testified", "revealed",
                     "disclosed", "indicated", "suggested", "predicted", "urged",
                     "asked", "promised", "vowed"], "said"),
}


def _forms(*rows: str) -> dict[str, str]:
    """{surface form: cue name} from rows "name form form ...": spelled out, because the
    pipeline runs without a lemmatizer (nlp.EXCLUDED)."""
    return {form: row.split()[0] for row in rows for form in row.split()}


# Verbs that report speech or a stance without quotation marks, by what their content is.
# A reported clause: "officials said (that) the convoy was hit", "the strike, they said, ...".
_CLAUSE_VERBS = _forms(
    "say said says saying", "tell told tells telling", "add added adds adding",
    "state stated states stating", "claim claimed claims claiming",
    "argue argued argues arguing", "insist insisted insists insisting",
    "note noted notes noting", "explain explained explains explaining",
    "write wrote writes writing", "acknowledge acknowledged acknowledges acknowledging",
    "declare declared declares declaring", "deny denied denies denying",
    "allege alleged alleges alleging", "assert asserted asserts asserting",
    "admit admitted admits admitting", "concede conceded concedes conceding",
    "recall recalled recalls recalling", "reply replied replies replying",
    "respond responded responds responding", "counter countered counters",
    "complain complained complains complaining", "maintain maintained maintains",
    "contend contended contends", "charge charged charges", "testify testified testifies",
    "reveal revealed reveals revealing", "disclose disclosed discloses",
    "indicate indicated indicates indicating", "suggest suggested suggests suggesting",
    "predict predicted predicts predicting", "warn warned warns warning",
    "announce announced announces announcing", "confirm confirmed confirms confirming",
    "report reported reports", "estimate estimated estimates", "believe believed believes",
    "think thinks thought", "tweet tweeted tweets tweeting", "emphasize emphasized emphasizes "
    "emphasised emphasises", "stress stressed stresses stressing", "agree agreed agrees",
    "hope hoped hopes", "fear feared fears", "worry worried worries", "expect expected expects",
    "show showed shows shown", "find found finds", "conclude concluded concludes",
    "boast boasted boasts boasting", "joke joked jokes joking", "assure assured assures",
    "promise promised promises promising", "vow vowed vows vowing",
    "pledge pledged pledges pledging", "threaten threatened threatens threatening",
    "reiterate reiterated reiterates", "repeat repeated repeats", "observe observed observes",
    "remark remarked remarks", "hint hinted hints", "signal signaled signalled signals",
    "caution cautioned cautions", "ask asked asks asking", "question questioned questions",
    "doubt doubted doubts", "feel felt feels",
)
# An intention or a request: "vowed to retake the town", "urged residents to leave".
_INTENT_VERBS = _forms(
    "want wanted wants", "plan planned plans planning", "intend intended intends",
    "hope hoped hopes", "vow vowed vows vowing", "promise promised promises promising",
    "pledge pledged pledges pledging", "threaten threatened threatens threatening",
    "refuse refused refuses refusing", "decline declined declines declining",
    "seek sought seeks seeking", "agree agreed agrees", "offer offered offers",
    "urge urged urges urging", "ask asked asks asking", "tell told tells telling",
    "order ordered orders ordering", "expect expected expects", "vote voted votes",
)
# A stance whose object is the content: "called for a ceasefire", "denied the charges",
# "accused the militia of looting", "called the report fabricated".
_OBJECT_VERBS = _forms(
    "call called calls calling", "demand demanded demands demanding",
    "propose proposed proposes proposing", "oppose opposed opposes opposing",
    "reject rejected rejects rejecting",
    "deny denied denies denying", "condemn condemned condemns condemning",
    "criticize criticized criticizes criticizing criticise criticised criticises",
    "accuse accused accuses accusing", "blame blamed blames blaming",
    "want wanted wants", "praise praised praises praising", "welcome welcomed welcomes",
    "dismiss dismissed dismisses dismissing", "announce announced announces announcing",
    "acknowledge acknowledged acknowledges acknowledging", "stress stressed stresses stressing",
    "emphasize emphasized emphasizes emphasizing emphasise emphasised emphasises",
    "echo echoed echoes echoing", "express expressed expresses",
    "endorse endorsed endorses endorsing", "describe described describes describing",
)
# The preposition that carries the content after such a verb: "called for" a ceasefire,
# "accused" the militia "of" looting (the object before it is part of the content).
_OBJECT_PREPS = {"call": ("for", "on"), "accuse": ("of",), "blame": ("for",),
                 "describe": ("as",)}
_MIN_CONTENT_WORDS = 3

# Nouns that turn the verb governing them into a cue: "the UN has raised concerns for...".
_CUE_NOUNS = {"concern", "concerns", "fears", "fear", "warning", "warnings", "alarm"}
# Heads of nominal speakers that denote a person (an anonymous source, a role).
_PERSON_NOUNS = {
    "commander", "commanders", "spokesman", "spokeswoman", "spokesperson", "official",
    "officials", "envoy", "minister", "chief", "general", "colonel", "officer", "officers",
    "source", "sources", "witness", "witnesses", "resident", "residents", "activist",
    "activists", "analyst", "diplomat", "diplomats", "leader", "president", "governor",
    "head", "director", "doctor", "medic", "journalist", "correspondent", "man", "woman",
}
# Nouns that, used definitely, point back to the last organisation that spoke.
_ORG_ANAPHORA = {
    "alliance", "group", "organisation", "organization", "monitor", "statement", "militia",
    "movement", "agency", "report", "communique", "body", "collective",
}
_TITLES = re.compile(
    r"^(?:(?:Staff|Brigadier|Brig\.?|Major|Maj\.?|General|Gen\.?|Colonel|Col\.?|Lt\.?|"
    r"Lieutenant|Captain|Capt\.?|Sgt\.?|Sergeant|Dr\.?|Mr\.?|Mrs\.?|Ms\.?|President|Minister|"
    r"Commander|Admiral|Adm\.?|Sheikh)\s+)+"
)
_OPEN = {"“": "”", '"': '"', "''": "''"}
_QUOTE_MARK = re.compile(r"''|[\"“”]")
# A full stop after a title or an initial ("Maj. Gen.", "U.S. Army", "Col.") ends an
# abbreviation, not a sentence.
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Maj", "Gen", "Col", "Lt", "Capt", "Sgt", "Brig",
                  "Adm", "Gov", "Sen", "Rep", "Rev", "St", "Jr", "Sr", "Prof", "Cpl", "Pvt",
                  "Cmdr", "Lt.Col", "Mt", "No", "Gens")
_SENTENCE_BREAK = re.compile(
    r"[.!?\n](?:(?<=\n)|(?<!\b[A-Z].)" + "".join(rf"(?<!\b{re.escape(a)}.)" for a in _ABBREVIATIONS)
    + r"[\"”’]?\s+(?=[\"“A-Z]))"
)
"""A sentence's end or a line break. The stop (or break) comes first and the abbreviations
are looked behind from after it: led by a character class, the pattern is scanned for
by the regex engine, where 28 look-behinds in front were tried at every character
(`_cue_for`'s searches, 30 times faster in scratch timing)."""
_MIN_QUOTE_WORDS = 2
_MAX_TITLE_WORDS = 6
# A paragraph that opens with a name (perhaps with where it was said) and a colon.
_LABEL = re.compile(
    r"[ \t]*[\"“]?((?:[A-Z][\w.’'-]*[ \t]){0,3}[A-Z][\w.’'-]*)(,[^:\n]{1,80})?:[ \t]*"
)


@dataclass(slots=True)
class Speaker:
    """A resolved speaker: canonical name, the words that named it, role, kind."""

    name: str | None
    text: str
    role: str | None
    kind: str  # "person" or "org"
    start: int
    end: int
    head: str = ""  # lower-case head noun, for "the commander" anaphora
    actor_id: str | None = None  # the organisation, or a person's affiliation


@dataclass(slots=True)
class Attribution:
    """One act of speech: who, through which cue, and which stretch of text they said."""

    speaker: Speaker | None
    cue: str | None
    cue_start: int
    start: int  # content offsets in article.text
    end: int
    direct: bool
    # The content is the object of a verb of stance or intention ("accused Y of ...",
    # "vowed to ..."), not a clause of speech: it stands for the words said, so a number
    # elsewhere in the sentence is not the speaker's.
    stance: bool = False


def find_attributions(
    doc: Doc, article: Article, *, actors: list[ActorMention], registry: Registry | None
) -> list[Attribution]:
    """Every attribution in the article, resolved; cached on the Doc for claims and quotes."""
    cache_key = ("newsdesk.attributions", article.id)
    cached = doc.user_data.get(cache_key)
    if cached is not None:
        return cached
    result = _Resolver(doc, article, actors, registry).run()
    doc.user_data[cache_key] = result
    return result


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the words inside each pair of double quotation marks.

    Pairs never cross a paragraph: a quote left open at a paragraph's end closes there,
    which is how newspapers run one quote over several paragraphs.
    Two apostrophes ('') are a quotation mark too, as some archives print them.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        open_at: int | None = None
        closer = ""
        for m in _QUOTE_MARK.finditer(para):
            ch, i = m.group(), m.start()
            if open_at is None:
                if ch in _OPEN:
                    open_at, closer = m.end(), _OPEN[ch]
            elif ch == closer or (closer == "”" and ch == "“"):
                if ch == closer:
                    spans.append((pos + open_at, pos + i))
                    open_at = None
                else:  # a stray opener inside a curly quote: restart from it
                    open_at = m.end()
        if open_at is not None and para[open_at:].strip():
            spans.append((pos + open_at, pos + len(para.rstrip())))
        pos += len(para) + 1
    return [(s, e) for s, e in spans if len(re.findall(r"\w+", text[s:e])) >= 1]


@cache
def _cue_word_ids() -> np.ndarray:
    """The lower-case forms `_Resolver._cues` acts on."""
    return word_ids({"according"} | _CUE_NOUNS | set(_CUE_VERBS) | set(_CLAUSE_VERBS)
                    | set(_INTENT_VERBS) | set(_OBJECT_VERBS))


def _line_break_tokens(doc: Doc, text: str) -> list[int]:
    """The tokens whose text holds a line break, in order: found from the text's line
    breaks and the tokens' offsets, not by making a Token of every word."""
    breaks = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
    if not len(breaks) or not len(doc):
        return []
    spans = doc.to_array(["IDX", "LENGTH"]).astype(np.int64)
    k = np.searchsorted(spans[:, 0], breaks, side="right") - 1
    inside = (k >= 0) & (breaks < spans[k, 0] + spans[k, 1])
    return sorted(set(k[inside].tolist()))


class _Resolver:
    """One pass over an article, in text order, keeping who spoke last."""

    def __init__(
        self, doc: Doc, article: Article, actors: list[ActorMention], registry: Registry | None
    ) -> None:
        self.doc = doc
        self.text = article.text
        self.actors = sorted(actors, key=lambda a: a.start)
        self.registry = registry
        self.persons: list[Speaker] = []
        self.orgs: list[Speaker] = []
        self.nominals: list[Speaker] = []
        self.quotes = quote_spans(self.text)
        self._quote_starts = [q[0] for q in self.quotes]  # sorted: pairs never nest
        self.ents = list(doc.ents)  # Doc.ents builds its spans on every read
        self._breaks = _line_break_tokens(doc, self.text)
        self._sent_starts: list[int] | None = None  # `_sentence`'s, read at its first call
        self._cue_offsets: list[int] = []  # offsets of the cues that may claim a quote

    # -- driving -----------------------------------------------------------------------

    def run(self) -> list[Attribution]:
        cues, reported = self._cues()
        self._cue_offsets = [t.idx for t in cues]
        # Quotes tied to each cue, decided first so that speakers resolve in text order.
        quote_cue = {q: self._cue_for(q, cues) for q in self.quotes}
        # Verbs of stance and intention report speech too, but never claim a quotation.
        cues = sorted(cues + reported, key=lambda t: t.i)
        events: list[tuple[int, str, object]] = [(t.idx, "cue", t) for t in cues]
        events += [(q[0], "quote", q) for q in self.quotes]
        labels = self._labels()
        events += [(lab[0], "label", lab) for lab in labels]
        labelled = {q for q in self.quotes for lab in labels if lab[0] <= q[0] <= lab[2]}
        events.sort(key=lambda e: (e[0], e[1] == "quote"))
        resolved: dict[int, Speaker | None] = {}
        out: list[Attribution] = []
        # The last quote attributed, its speaker and the offset of its cue (-1: none).
        last_quote: tuple[tuple[int, int], Speaker | None, int] | None = None
        pending: list[tuple[int, int]] = []
        for _, kind, item in events:
            if kind == "label":
                start, end, c_start, c_end, verbatim = item  # type: ignore[misc]
                spk = self._label_speaker(start, end)
                self._remember(spk)
                out.append(Attribution(spk, ":", start, c_start, c_end, verbatim))
                last_quote = ((c_start, c_end), spk, -1)
                continue
            if kind == "cue":
                tok: Token = item  # type: ignore[assignment]
                spk = self._speaker(tok)
                resolved[tok.i] = spk
                for q in pending:
                    if quote_cue[q] is tok:
                        out.append(Attribution(spk, _CUE_VERBS.get(tok.lower_, "said"),
                                               tok.idx, q[0], q[1], True))
                        last_quote = (q, spk, tok.idx)
                pending = [q for q in pending if quote_cue[q] is not tok]
                content = self._reported_clause(tok)
                if content and spk is not None:
                    out.append(Attribution(spk, self._cue_name(tok), tok.idx, content[0],
                                           content[1], False, content[2]))
                continue
            q: tuple[int, int] = item  # type: ignore[assignment]
            if self._inside_cue_free_scare(q) or q in labelled:
                continue
            cue = quote_cue[q]
            if cue is not None and cue.i in resolved:
                spk = resolved[cue.i]
                out.append(Attribution(spk, self._cue_name(cue), cue.idx, q[0], q[1], True))
                last_quote = (q, spk, cue.idx)
            elif cue is not None:
                pending.append(q)
            elif last_quote is not None and self._continues(last_quote[0], q, last_quote[2]):
                out.append(Attribution(last_quote[1], None, q[0], q[0], q[1], True))
                last_quote = (q, last_quote[1], -1)
        return sorted(out, key=lambda a: (a.start, not a.direct))

    def _labels(self) -> list[tuple[int, int, int, int, bool]]:
        """Speech a person's name and a colon introduce: (name start, end, content start,
        end, verbatim).

        The name opens a paragraph: a transcript's turn ("WALLACE: ...", verbatim), a
        headline's speaker ("Pence: Flowers won't be at debate"), a round-up's line
        ('Meghan McCain, Twitter: "..."'), or a line of its own over the quoted paragraph
        that follows. It must be a person the article names, so that "UPDATE:" or
        "WATCH:" is nobody.
        """
        surnames = {e.text.split()[-1].lower() for e in self.ents if e.label_ == "PERSON"}
        quote_at = {q[0]: q for q in self.quotes}
        out: list[tuple[int, int, int, int, bool]] = []
        paras: list[tuple[int, str]] = []
        pos = 0
        for para in self.text.split("\n"):
            paras.append((pos, para))
            pos += len(para) + 1
        for k, (pos, para) in enumerate(paras):
            m = _LABEL.match(para)
            if m is None:
                continue
            name, start = m.group(1), pos + m.start(1)
            # a transcript's turn has no ", where" (a dateline has: "AIN ISSA, Syria:")
            upper = name.isupper() and name.split()[-1].lower() in surnames and not m.group(2)
            if not (upper or self._is_person(start, start + len(name))):
                continue
            body = para[m.end():].rstrip()
            if not body:  # the quote is the next paragraph
                nxt = next(((p, t) for p, t in paras[k + 1:] if t.strip()), None)
                if nxt is None:
                    continue
                at, body = nxt[0] + len(nxt[1]) - len(nxt[1].lstrip()), nxt[1].strip()
            else:
                at = pos + m.end()
            q = quote_at.get(at + 1) or quote_at.get(at + 2)  # after " or ''
            if body[:1] in "\"“'" and q is not None:
                out.append((start, start + len(name), q[0], q[1], True))
            elif at > pos and len(re.findall(r"\w+", body)) >= _MIN_CONTENT_WORDS:
                body = body.rstrip("\"”")
                out.append((start, start + len(name), at, at + len(body), upper))
        return out

    def _is_person(self, start: int, end: int) -> bool:
        span = self.doc.char_span(start, end)
        return span is not None and any(
            e.label_ == "PERSON" and e.start == span.start and e.end == span.end
            for e in self.ents)

    def _label_speaker(self, start: int, end: int) -> Speaker:
        """The person a label names, by the full name the article gave them."""
        name = _TITLES.sub("", self.text[start:end]).strip()
        if name.isupper():  # "PENCE": the Mike Pence the article introduced
            last = name.split()[-1].lower()
            name = next((_TITLES.sub("", e.text).strip() for e in self.ents
                         if e.label_ == "PERSON" and e.text.split()[-1].lower() == last
                         and " " in e.text), name.title())
        return Speaker(self._full_name(name), self.text[start:end], None, "person", start, end)

    def _inside_cue_free_scare(self, q: tuple[int, int]) -> bool:
        """A one-word quote ("caliphate") is a scare quote, not speech; a short one whose
        every longer word is capitalised ("Face the Nation", "Make America Great Again")
        names a programme, a book or a slogan."""
        words = re.findall(r"[\w’'-]+", self.text[q[0]:q[1]])
        if len(words) < _MIN_QUOTE_WORDS:
            return True
        return len(words) <= _MAX_TITLE_WORDS and all(w[0].isupper() for w in words if len(w) > 3)

    def _continues(self, prev: tuple[int, int], q: tuple[int, int], prev_cue: int) -> bool:
        """An unattributed quote right after a quoted paragraph continues that speech, and
        so does one in the same paragraph after the previous quote's own attribution
        ('"...," he said. "..."'), where no other cue comes between."""
        between = self.text[prev[1]:q[0]]
        lo = bisect_left(self._cue_offsets, prev[1])
        cues = self._cue_offsets[lo:bisect_left(self._cue_offsets, q[0], lo)]
        if cues == [prev_cue]:
            return "\n" not in between and len(between) < 200
        return between.count("\n") <= 2 and len(between) < 200 and not cues

    # -- cues --------------------------------------------------------------------------

    def _in_quote(self, idx: int) -> bool:
        k = bisect_right(self._quote_starts, idx) - 1
        return k >= 0 and idx < self.quotes[k][1]

    def _cues(self) -> tuple[list[Token], list[Token]]:
        """The cues outside quotes, in one pass: those that may introduce a quotation
        (speech verbs, "according to", a verb that raises concerns), and the verbs of
        speech, stance or intention that only report without quotation marks."""
        # only the words below can be cues: the others are not even made into Tokens
        doc = self.doc
        return self._cues_among(doc[i] for i in tokens_among(doc, _cue_word_ids()))

    def _cues_among(self, tokens: Iterable[Token]) -> tuple[list[Token], list[Token]]:
        """`_cues` over the given tokens, in document order."""
        direct: list[Token] = []
        reported: list[Token] = []
        for tok in tokens:
            low = tok.lower_
            if low == "according":
                if tok.i + 1 < len(self.doc) and tok.nbor().lower_ == "to":
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
        direct = sorted({t.i: t for t in direct if not self._in_quote(t.idx)}.values(),
                        key=lambda t: t.i)
        taken = {t.i for t in direct}
        return direct, [t for t in reported if t.i not in taken and not self._in_quote(t.idx)]

    def _cue_name(self, tok: Token) -> str:
        low = tok.lower_
        if low == "according":
            return "according to"
        for lexicon in (_CUE_VERBS, _CLAUSE_VERBS, _INTENT_VERBS, _OBJECT_VERBS):
            if low in lexicon:
                return lexicon[low]
        return low

    def _cue_for(self, q: tuple[int, int], cues: list[Token]) -> Token | None:
        """The cue that introduces or closes quote `q`, within its sentence and paragraph."""
        best: tuple[int, Token] | None = None
        # `cues` are the tokens at `_cue_offsets`, in text order: only those up to 250
        # characters before the quote or 120 after it can be its cue
        lo = bisect_left(self._cue_offsets, q[0] - 250)
        hi = bisect_right(self._cue_offsets, q[1] + 120)
        for tok, idx in zip(cues[lo:hi], self._cue_offsets[lo:hi], strict=True):
            if idx >= q[1]:
                between = self.text[q[1]:idx]
                if _SENTENCE_BREAK.search(between[1:]) or any(
                    q[1] < s < idx for s, _ in self.quotes
                ):
                    continue
                dist = len(between) - 40  # a closing attribution wins over an opening one
            elif idx < q[0]:
                between = self.text[idx:q[0]]
                if _SENTENCE_BREAK.search(between):
                    continue
                dist = len(between)
            else:
                continue
            if best is None or dist < best[0]:
                best = (dist, tok)
        return best[1] if best else None

    def _reported_clause(self, tok: Token) -> tuple[int, int, bool] | None:
        """What a cue reports ("said that ...") as offsets, trimmed, and whether it is a
        stance (see `Attribution.stance`); None when it is mostly quote."""
        if tok.lower_ == "according":
            sent = tok.sent
            to = tok.nbor()
            pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
            if pobj is None:
                return None
            end = pobj.right_edge.i + 1
            if end < sent.end and tok.doc[end].is_punct:
                end += 1
            rest = [t for t in sent if t.i >= end and not t.is_space]
            span = None
            if tok.i == sent.start and rest:
                span = self._trim(rest[0].i, sent.end)
            elif tok.i > sent.start:
                span = self._trim(sent.start, tok.i)
            return (*span, False) if span else None
        if any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children):
            return None  # "he was told to leave", "is expected to": not the subject's words
        content = self._content_tokens(tok)
        if content is None:
            return None
        first, last = self._paragraph_tokens(tok)
        span = self._trim(max(content[0], first), min(content[1], last))
        if span is None:
            return None
        if len(re.findall(r"\w+", self.text[span[0]:span[1]])) < _MIN_CONTENT_WORDS:
            return None
        quoted = sum(max(0, min(e, span[1]) - max(s, span[0])) for s, e in self.quotes)
        if quoted * 2 > span[1] - span[0] or span[1] - span[0] < 12:
            return None
        return span[0], span[1], content[2]

    def _content_tokens(self, tok: Token) -> tuple[int, int, bool] | None:
        """Token range of what a cue reports, read from the parse around it.

        A speech verb reports its clausal complement ("said (that) ...", one on either side
        of the verb), or, put in as an aside ("The strike, officials said, hit ..."), the
        clause it interrupts. A verb of intention reports its infinitive with any object
        before it ("urged residents to leave"); a verb of stance its object ("denied the
        charges", "called for a ceasefire", "accused the militia of looting").
        """
        low = tok.lower_
        kids = list(tok.children)
        if low in _CUE_VERBS or low in _CLAUSE_VERBS:
            first, last = self._paragraph_tokens(tok)
            clauses = [c for c in kids if c.dep_ == "ccomp" and first <= c.i < last]
            if clauses:  # "said A and B" joins its clauses; one either side is a misparse
                clauses = [c for c in clauses if (c.i < tok.i) == (clauses[0].i < tok.i)]
                return (min(c.left_edge.i for c in clauses),
                        max(c.right_edge.i for c in clauses) + 1, False)
            if tok.dep_ == "parataxis" and tok.head.i != tok.i:
                host = tok.head
                return host.left_edge.i, host.right_edge.i + 1, False
        noun = next((c for c in kids if c.lower_ in _CUE_NOUNS), None)
        prep = next((c for c in noun.children if c.dep_ == "prep"), None) if noun else None
        if prep is not None:  # "raised concerns for the civilians trapped in the city"
            return prep.left_edge.i, prep.right_edge.i + 1, False
        right = [c for c in kids if c.i > tok.i]
        obj = next((c for c in right if c.dep_ == "dobj"), None)
        if low in _INTENT_VERBS:
            xcomp = next((c for c in right if c.dep_ == "xcomp"), None)
            if xcomp is not None:
                first = obj if obj is not None and obj.i < xcomp.i else xcomp
                return first.left_edge.i, xcomp.right_edge.i + 1, True
        if low not in _OBJECT_VERBS:
            return None
        name = _OBJECT_VERBS[low]
        pp = next((c for c in right if c.dep_ == "prep" and c.lower_ in _OBJECT_PREPS.get(name, ())
                   and not any(o.ent_type_ in ("DATE", "TIME") for o in c.children)), None)
        if name == "call":  # "called for a ceasefire", "called on X to ...", "called it Y"
            oprd = next((c for c in right if c.dep_ == "oprd"), None)
            if pp is not None:
                pobj = next((c for c in pp.children if c.dep_ in ("pobj", "pcomp")), None)
                if pobj is None:
                    return None
                xcomp = next((c for c in right if c.dep_ == "xcomp" and c.i > pp.i), None)
                end = (xcomp or pp).right_edge.i
                return pobj.left_edge.i, end + 1, True
            if obj is not None and oprd is not None:
                return obj.left_edge.i, oprd.right_edge.i + 1, True
            return None
        if obj is None:
            return None
        end = pp.right_edge.i if pp is not None and pp.i > obj.i else obj.right_edge.i
        return obj.left_edge.i, end + 1, True

    def _paragraph_tokens(self, tok: Token) -> tuple[int, int]:
        """Token range of the sentence `tok` is in, cut at paragraph breaks: the small model
        runs sentences on across a heading or a blank line, and a report never does."""
        (start, end), breaks = self._sentence(tok.i), self._breaks
        k = bisect_left(breaks, tok.i)
        first = breaks[k - 1] + 1 if k and breaks[k - 1] >= start else start
        last = breaks[k] if k < len(breaks) and breaks[k] < end else end
        return first, last

    def _sentence(self, i: int) -> tuple[int, int]:
        """Token range of token `i`'s sentence, as `Token.sent` has it, from the sentence
        starts read once (`Token.sent` walks the doc to both ends and makes a Span)."""
        if self._sent_starts is None:
            self._sent_starts = [s.start for s in self.doc.sents]
        starts = self._sent_starts
        k = bisect_right(starts, i) - 1
        return starts[k], starts[k + 1] if k + 1 < len(starts) else len(self.doc)

    def _trim(self, i: int, j: int) -> tuple[int, int] | None:
        toks = [t for t in self.doc[i:j] if not t.is_space]
        while toks and (toks[0].is_punct or toks[0].lower_ == "that") and toks[0].dep_ in (
            "mark", "punct"
        ):
            toks.pop(0)
        while toks and toks[-1].is_punct and toks[-1].text not in ")]":
            toks.pop()
        if not toks:
            return None
        return toks[0].idx, toks[-1].idx + len(toks[-1])

    # -- speakers ----------------------------------------------------------------------

    def _speaker_token(self, tok: Token) -> Token | None:
        if tok.lower_ == "according":
            to = tok.nbor()
            return next((c for c in to.children if c.dep_ == "pobj"), None)
        verb = tok
        subj = self._subject(verb)
        while subj is None and verb.head is not verb:
            # The subject is shared with the verb this one hangs on: "the commander said,
            # but added he ...", "the judge ruled ..., saying ...", "appeared to suggest",
            # "responded by saying"; a participle on a noun is said by it: "a statement
            # calling for ...", "reports alleging ..."
            if verb.dep_ == "acl" and verb.tag_ == "VBG" and verb.head.pos_ in ("NOUN", "PROPN"):
                subj = verb.head
            elif verb.dep_ in ("conj", "xcomp") or (
                verb.dep_ == "advcl" and verb.tag_ == "VBG"
            ):
                verb = verb.head
                subj = self._subject(verb)
            elif verb.dep_ == "pcomp" and verb.tag_ == "VBG" and verb.head.dep_ == "prep":
                verb = verb.head.head
                subj = self._subject(verb)
            else:
                break
        if subj is not None and subj.lower_ in ("which", "who", "that") and tok.dep_ == "relcl":
            subj = tok.head
        if subj is None:
            # "..., tweeted US envoy McGurk": the small model makes the speaker an object;
            # "The US envoy, Brett McGurk, said": or leaves the subject unattached.
            after = [t for t in tok.doc[tok.i + 1: tok.i + 6] if t.ent_type_ == "PERSON"]
            before = [t for t in tok.doc[max(0, tok.i - 3): tok.i]
                      if t.ent_type_ == "PERSON" and not self._in_quote(t.idx)]
            inverted = tok.i > 0 and (tok.nbor(-1).is_punct or tok.nbor(-1).is_quote)
            if before:
                subj = before[-1]
            elif after and inverted and tok.lower_ not in ("told", "tells", "tell"):
                subj = after[-1]
            else:
                subj = self._fronted_name(tok)
        return subj

    def _fronted_name(self, tok: Token) -> Token | None:
        """ "But Airwars, a London-based collective ..., says": the parser loses the subject
        behind a long apposition; take the name that opens the clause, if a comma follows."""
        sent = tok.sent
        first = next((t for t in sent if not (t.is_space or t.pos_ in ("CCONJ", "ADV")
                      or t.is_punct)), None)
        if first is None or first.i >= tok.i or first.pos_ != "PROPN":
            return None
        end = first.i
        while end + 1 < tok.i and tok.doc[end + 1].pos_ == "PROPN":
            end += 1
        if end + 1 < tok.i and tok.doc[end + 1].text == "," and tok.doc[tok.i - 1].text == ",":
            return tok.doc[end]
        return None

    def _subject(self, verb: Token) -> Token | None:
        """The subject nearest the verb, outside quotes and on the verb's own line."""
        subjects = [c for c in verb.children if c.dep_ == "nsubj" and not self._in_quote(c.idx)
                    and "\n" not in self.text[min(c.idx, verb.idx):max(c.idx, verb.idx)]]
        return min(subjects, key=lambda c: abs(c.i - verb.i), default=None)

    def _speaker(self, tok: Token) -> Speaker | None:
        head = self._speaker_token(tok)
        if head is None:
            return None
        spk = self._resolve(head)
        if spk is not None:
            self._remember(spk)
        return spk

    def _remember(self, spk: Speaker) -> None:
        (self.persons if spk.kind == "person" else self.orgs).append(spk)
        if spk.head:
            self.nominals.append(spk)

    def _resolve(self, head: Token) -> Speaker | None:
        low = head.lower_
        if low in ("he", "she", "him", "her"):
            if self.persons:
                return self._alias(self.persons[-1], head)
            return self._last_person_named(head)
        if low in ("it", "they"):
            pool = self.orgs if low == "it" else (self.orgs + self.persons)
            if not pool:
                return None
            return self._alias(max(pool, key=lambda s: s.start), head)
        if low in ("i", "we", "you", "this", "that", "which", "who"):
            return None
        if head.is_title and not self._is_actor_span(head.idx, head.idx + len(head)):
            known = next((p for p in reversed(self.persons)
                          if p.name and p.name.split()[-1] == head.text), None)
            if known is not None:  # "Dillon added": the person introduced by full name
                return self._alias(known, head)
        person = self._person_in(head)
        if person is not None:
            return person
        return self._nominal(head)

    def _last_person_named(self, pronoun: Token) -> Speaker | None:
        """ "he" before anyone has spoken: the last person the article named, outside quotes."""
        ent = next((e for e in reversed(self.ents) if e.label_ == "PERSON"
                    and e.end <= pronoun.i and not self._in_quote(e.start_char)
                    and _TITLES.sub("", e.text).strip()), None)
        if ent is None:
            return None
        name = self._full_name(_TITLES.sub("", ent.text).strip())
        return Speaker(name, pronoun.text, None, "person", pronoun.idx,
                       pronoun.idx + len(pronoun))

    def _alias(self, spk: Speaker, tok: Token) -> Speaker:
        """The same speaker, named this time by `tok` (a pronoun or a bare noun)."""
        return Speaker(spk.name, tok.text, spk.role, spk.kind, tok.idx, tok.idx + len(tok),
                       spk.head, spk.actor_id)

    def _person_in(self, head: Token) -> Speaker | None:
        """A named person at `head`, or in its apposition ("The US envoy, Brett McGurk")."""
        candidates = [head, *[c for c in head.children if c.dep_ == "appos"]]
        for cand in candidates:
            ent = next((e for e in self.ents if e.label_ == "PERSON"
                        and e.start <= cand.i < e.end), None)
            if ent is None:
                continue
            name = _TITLES.sub("", ent.text).strip()
            if not name or self._is_actor_span(ent.start_char, ent.end_char):
                continue
            role = self._role(head, cand, ent)
            full = self._full_name(name)
            known = next((p for p in reversed(self.persons) if p.name == full), None)
            if role is None and known is not None:
                role = known.role
            affiliation = self._affiliation(role)
            if affiliation is None and known is not None:
                affiliation = known.actor_id
            start = min(ent.start_char, head.left_edge.idx if cand is not head else ent.start_char)
            return Speaker(full, self.text[start:ent.end_char], role, "person", start,
                           ent.end_char, "", affiliation)
        return None

    def _is_actor_span(self, start: int, end: int) -> bool:
        return any(a.start <= start and end <= a.end for a in self.actors)

    def _full_name(self, name: str) -> str:
        """Link "Jones" or "McGurk" to the full name of a person introduced earlier."""
        if " " in name:
            return name
        for p in reversed(self.persons):
            if p.name and p.name.split()[-1] == name:
                return p.name
        return name

    def _role(self, head: Token, cand: Token, ent: Span) -> str | None:
        """The description of a named speaker: apposition, title words, or the noun it names."""
        if cand is not head:  # "The US envoy to the coalition, Brett McGurk"
            toks = [t for t in head.subtree if not (cand.left_edge.i <= t.i <= cand.right_edge.i)]
            return self._clean_role(toks)
        appos = next((c for c in head.children if c.dep_ == "appos" and c.i > head.i), None)
        if appos is not None:
            toks = list(appos.subtree)
            cut = next((k for k, t in enumerate(toks) if t.text == "," and k > 0), len(toks))
            return self._clean_role(toks[:cut])
        after = head.doc[ent.end: ent.end + 1]
        if len(after) and after[0].lower_ == "from":  # "Hussam Eesa from the ... collective"
            stop = next((t.i for t in head.doc[ent.end:] if t.is_punct or t.is_space),
                        len(head.doc))
            return self._clean_role(list(head.doc[ent.end:stop]))
        titles: list[Token] = []
        i = ent.start - 1
        while i >= 0 and self._is_title_word(head.doc[i]):
            titles.insert(0, head.doc[i])
            i -= 1
        if ent.text != _TITLES.sub("", ent.text):
            titles += list(ent)[: len(ent) - len(_TITLES.sub("", ent.text).split())]
        if not titles and i >= 1 and head.doc[i].text == ",":
            return self._role_before_comma(i)
        return self._clean_role(titles)

    @staticmethod
    def _is_title_word(tok: Token) -> bool:
        """Words of a title before a name: "British Maj. Gen.", "Observatory chief"."""
        if tok.is_space or tok.pos_ in ("VERB", "AUX", "DET", "ADP", "PRON", "CCONJ"):
            return False
        if tok.text == "." and tok.i > 0:  # "Maj." split as "Maj" + "."
            prev = tok.nbor(-1)
            return not prev.whitespace_ and prev.is_title and len(prev) <= 4
        if tok.is_punct:
            return False
        return tok.pos_ in ("PROPN", "NOUN", "ADJ") or bool(tok.ent_type_)

    def _role_before_comma(self, comma: int) -> str | None:
        """ "The US envoy to the coalition, Brett McGurk, said": the description before."""
        doc = self.doc
        j = comma - 1
        while j >= 0 and not (doc[j].is_space or doc[j].text in '.!?"”“' or doc[j].is_sent_start):
            j -= 1
        start = j if j >= 0 and doc[j].is_sent_start and not doc[j].is_space else j + 1
        toks = list(doc[start:comma])
        if not toks or len(toks) > 10 or toks[0].lower_ not in ("the", "a", "an"):
            return None
        return self._clean_role(toks)

    def _clean_role(self, toks: list[Token]) -> str | None:
        while toks and (toks[0].is_punct or toks[0].lower_ in ("the", "a", "an")):
            toks = toks[1:]
        while toks and toks[-1].is_punct and toks[-1].text != ".":
            toks = toks[:-1]
        if not toks:
            return None
        return self.text[toks[0].idx: toks[-1].idx + len(toks[-1])]

    def _affiliation(self, role: str | None) -> str | None:
        """The actor a person speaks for, read from their role in this article's context.

        An officer of a state force that serves in a multinational coalition ("U.S. Army
        Col." in a report about the coalition's campaign) speaks for the coalition when the
        article names the coalition more often than the state force.
        """
        if not role or self.registry is None:
            return None
        actor = self.registry.affiliation(role, context=self.actors)
        if actor is None:
            return None
        if actor.inter != 1:
            return actor.id
        counts = Counter(a.actor_id for a in self.actors)
        umbrellas = [
            aid for aid in counts
            if counts[aid] > counts[actor.id]
            and (parent := self.registry.get(aid)) is not None and parent.country is None
            and actor.id in parent.associated
        ]
        return max(umbrellas, key=lambda aid: counts[aid], default=actor.id)

    def _nominal(self, head: Token) -> Speaker | None:
        """A speaker named by a noun phrase: an organisation, a role, an anonymous source."""
        dropped: set[int] = set()
        for child in head.children:
            if child.dep_ in ("relcl", "acl", "appos", "punct", "advcl", "prep") and (
                child.dep_ != "prep" or child.i < head.i or child.lower_ not in ("for", "of")
            ) and child.i > head.i:
                dropped.update(t.i for t in child.subtree)
        toks = [t for t in head.subtree if t.i not in dropped]
        toks = [t for t in toks if not t.is_space]
        toks = [t for t in toks if "\n" not in self.text[min(t.idx, head.idx):max(t.idx, head.idx)]]
        left, right = toks[0], toks[0]
        for t in toks[1:]:
            if t.i != right.i + 1:
                break
            right = t
        right = max(right, head, key=lambda t: t.i)
        if head.ent_type_ == "ORG":
            ent = next((e for e in self.ents if e.start <= head.i < e.end), None)
            if ent is not None:
                left = min(left, ent[0], key=lambda t: t.i)
                right = max(right, ent[-1], key=lambda t: t.i)
        start, end = left.idx, right.idx + len(right)
        while start < end and (self.text[start] in "\"“”'" or self.text[start].isspace()):
            start += 1
        phrase = self.text[start:end]
        definite = left.lower_ in ("the", "this", "that") and all(
            t.pos_ in ("DET", "ADJ", "NOUN") and not t.ent_type_ for t in toks
        )
        low = head.lower_
        actor = self._actor_in(start, end)
        if actor is not None:
            return Speaker(actor.name, phrase, None, "org", start, end, low, actor.actor_id)
        if definite and low in _PERSON_NOUNS | _ORG_ANAPHORA:
            earlier = next((s for s in reversed(self.nominals) if s.head == low), None)
            if earlier is not None:
                return Speaker(earlier.name, phrase, earlier.role, earlier.kind, start, end,
                               low, earlier.actor_id)
        if self.registry is not None:
            match = self.registry.match(phrase)
            if match is None and low not in _PERSON_NOUNS:  # "the coalition"
                match = self.registry.affiliation(phrase, context=self.actors)
            if match is not None:
                return Speaker(match.name, phrase, None, "org", start, end, low, match.id)
        if definite and low in _ORG_ANAPHORA and self.orgs:
            return self._alias_span(self.orgs[-1], start, end, low)
        if low in _PERSON_NOUNS:
            affiliation = self._affiliation(phrase)
            return Speaker(phrase, phrase, None, "person", start, end, low, affiliation)
        if head.pos_ in ("NOUN", "PROPN"):  # "The Iraqi military", "Airwars"
            return Speaker(phrase, phrase, None, "org", start, end, low, None)
        return None

    def _alias_span(self, spk: Speaker, start: int, end: int, head: str) -> Speaker:
        return Speaker(spk.name, self.text[start:end], spk.role, spk.kind, start, end, head,
                       spk.actor_id)

    def _actor_in(self, start: int, end: int) -> ActorMention | None:
        inside = [a for a in self.actors if start <= a.start and a.end <= end]
        return inside[0] if inside else None
