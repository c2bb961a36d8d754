"""Counting the dead and wounded in a report, as monitors do: from numbers and from mentions.

Local reports rarely write "1 killed". They write "a 23-year-old man was shot and killed",
"two teenagers were wounded", "the gunman then killed himself", or name the victims one
by one. A count taken only from numerals misses all of these, and one taken from every
numeral counts ages, addresses and times. So the unit here is the victim phrase: a noun
phrase that names people, attached by the parse to a word of killing or wounding. Its size
comes from its own number ("two teenagers"), its determiner ("a man": one), a name, or
coordination ("a man and a woman": two); a number elsewhere in the sentence is never read.

Within a report, a group stated with its size ("four people were killed") is a total; an
indefinite or named single victim is one person, counted once however often they are
named again; a definite phrase or a pronoun ("the victim", "he") points back to someone
already counted and can only move them from wounded to dead (the final toll wins: "he
died later in hospital"). "Shot" counts people hit, fatally or not, so the wounded are at
least those shot less those killed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from newsdesk.analyse.nlp import tokens_among, word_ids
from newsdesk.analyse.numbers import parse_quantity

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

Kind = Literal["killed", "injured", "shot"]
Status = Literal["civilian", "combatant"]

_PEOPLE = frozenset([
    "family", "families", "couple", "man", "men", "woman", "women", "boy", "boys", "girl",
    "girls", "teen", "teens", "teenager",     "teenagers", "child", "children", "kid", "kids",
    "person", "persons", "people", "victim",     "victims", "resident", "residents", "student",
    "students", "officer", "officers", "deputy",     "deputies", "trooper", "troopers", "agent",
    "agents", "guard", "guards", "suspect",     "suspects", "gunman", "gunmen", "shooter",
    "shooters", "baby", "babies", "infant",     "infants", "toddler", "toddlers", "father",
    "fathers", "mother", "mothers", "son", "sons",     "daughter", "daughters", "brother",
    "brothers", "sister", "sisters", "wife", "wives",     "husband", "husbands", "friend",
    "friends", "girlfriend", "boyfriend", "customer",     "customers", "bystander",
    "bystanders", "driver", "drivers", "passenger", "passengers",     "worker", "workers",
    "employee", "employees", "member", "members", "adult", "adults",     "youth", "youths",
    "juvenile", "juveniles", "male", "males", "female", "females",     "individual",
    "individuals", "someone", "civilian", "civilians", "soldier", "soldiers",     "fighter",
    "fighters", "patron", "patrons", "neighbor", "neighbors", "neighbour",     "neighbours",
    "cousin", "cousins", "nephew", "niece", "uncle", "aunt", "grandmother",     "grandfather",
    "relative", "relatives", "clerk", "clerks", "owner", "owners", "homeowner",
    "pedestrian", "pedestrians", "year-old", "year-olds", "others", "other", "one", "ones",
    "sophomore", "freshman", "junior", "senior", "pastor", "worshippers",
])
# who the victims were, only where the words say it; anyone else is of unknown status
_CIVILIAN = frozenset({
    "civilian", "civilians", "child", "children", "kid", "kids", "baby", "babies", "infant",
    "infants", "toddler", "toddlers", "student", "students", "schoolchildren", "worshippers",
    "worshipers", "bystander", "bystanders", "pedestrian", "pedestrians", "patient", "patients",
    "refugee", "refugees", "journalist", "journalists", "villager", "villagers", "shoppers",
    "passers-by", "passersby", "non-combatants", "noncombatants",
})
_COMBATANT = frozenset({
    "soldier", "soldiers", "troops", "trooper", "fighter", "fighters", "militant", "militants",
    "combatant", "combatants", "insurgent", "insurgents", "rebel", "rebels", "jihadist",
    "jihadists", "militiaman", "militiamen", "serviceman", "servicemen", "servicemembers",
    "guerrilla", "guerrillas", "paratroopers", "marines", "conscripts", "mercenaries",
})
_PRONOUNS = frozenset({"he", "she", "him", "her", "they", "them", "who", "whom"})
_SELF = frozenset({"himself", "herself", "themselves"})

_KILL_VERBS = frozenset({
    "killed", "kill", "kills", "killing", "slain", "slay", "murdered", "murder", "murdering",
    "executed", "massacred",
})
_DIE_VERBS = frozenset({"died", "die", "dies", "dying", "perished"})
_WOUND_VERBS = frozenset({
    "wounded", "wound", "wounding", "injured", "injure", "injuring", "hurt", "hospitalized",
    "hospitalised", "grazed",
})
_SHOOT_VERBS = frozenset({"shot", "shoot", "shoots", "shooting", "struck", "hit"})
_DEAD_ADJ = frozenset({"dead", "deceased", "lifeless"})
_HURT_ADJ = frozenset({"injured", "wounded", "hurt"})
_FATAL_ADV = frozenset({"fatally", "mortally"})
_DEATH_NOUNS = frozenset({"deaths", "death", "fatalities", "fatality", "dead", "killed"})
_HURT_NOUNS = frozenset({"injuries", "injured", "wounded"})  # "casualties" may be either
_NEGATION = frozenset({"not", "no", "never", "n't", "without"})
# the verb is not an event that happened: "could have been killed", "threatened to kill"
_UNREAL_HEADS = frozenset({
    "threatened", "threaten", "threatening", "tried", "try", "attempted", "attempt", "plotted",
    "planned", "feared", "fear", "wanted", "want", "vowed", "risk", "avoid", "avoided",
})
_UNREAL_AUX = frozenset({"could", "would", "might", "may", "should"})
_ANOTHER = frozenset({"another", "other", "second", "third", "fourth", "fifth"})
_COUNT_WORDS = {"both": 2, "twins": 2, "couple": 2, "pair": 2}
_GUNFIRE = re.compile(r"\b(?:shot|shots|shooting|gun\w*|bullets?|rounds?|fire[ds]?)\b", re.I)
# a sentence summing many incidents: "eight people were killed in shootings across Chicago"
_TALLY = re.compile(
    r"\b(?:shootings|incidents|homicides|attacks|across|so far|this year|last year|weekend"
    r"|since|in \d{4}|separate|a string of|a series of|spate|total of"
    # another time: statistics and past events told as background
    r"|(?:for|in|of) \d{4}|\w+ (?:years|decades|months) ago|(?:each|every|per|a) year"
    r"|annually|nationwide|statistics|stats)\b", re.I)
_MULTIPLE = {"double": 2, "triple": 3, "quadruple": 4, "quintuple": 5}
_MULTIPLE_NOUNS: dict[str, Kind] = {
    "shooting": "shot", "homicide": "killed", "murder": "killed", "murders": "killed",
    "homicides": "killed", "slaying": "killed", "slayings": "killed", "killing": "killed",
    "killings": "killed",
}
_MURDER_SUICIDE = re.compile(r"\bmurder[- ]suicide\b", re.I)
_FAMILY_OF = re.compile(r"\bfamily\s+of\s+(\w+)", re.I)


@dataclass(slots=True, frozen=True)
class CasualtyMention:
    """One statement of people killed, wounded or shot, with the text it came from."""

    kind: Kind
    count: int
    start: int  # character offsets in the article text: the victim phrase to its verb
    end: int
    total: bool  # a group given with its size: a total, not one more person
    keys: frozenset[str] = frozenset()  # who, when one person: "name:rahm", "age:16"; "ref", "anon"
    perpetrator: bool = False
    trigger: int = -1  # where the word of killing or wounding starts, for the event's anchor
    status: Status | None = None  # civilians or combatants, when the phrase says which
    in_title: bool = False  # read from the headline: the offsets are in the title


@dataclass(slots=True)
class Toll:
    """A report's killed and wounded, with the statements they rest on.

    `civilians` and `combatants` are (killed, injured) among those the text calls so; the
    rest of the toll is of unknown status.
    """

    killed: int | None
    injured: int | None
    mentions: list[CasualtyMention] = field(default_factory=list)
    civilians: tuple[int, int] = (0, 0)
    combatants: tuple[int, int] = (0, 0)


def headline(nlp: Language, title: str) -> Doc:
    """The title parsed for counting (`headline_text`); the executors parse a batch of
    headlines at once instead (`analyse.article.parse_batch`)."""
    return nlp(headline_text(title))


def may_count(doc: Doc) -> bool:
    """Whether `count_casualties` can find a count in `doc`, read from its tokens alone:
    it starts only from the words of `_cue_tokens`, so a headline without one adds
    nothing to the toll and need not be parsed (`analyse.article.parse_batch`)."""
    return bool(_cue_tokens(doc))


def headline_text(title: str) -> str:
    """The title as it is parsed for counting: a Title Case headline ("Four People Shot in
    Miami Gardens") is put in sentence case first, or the parser reads every word as a
    name. Offsets are kept: only the case of letters changes, and all-capitals words
    ("DPS", "N.O.") keep theirs."""
    words = [w for w in title.split() if w[:1].isalpha()]
    if words and sum(w[0].isupper() for w in words) >= 0.6 * len(words):
        cased = re.sub(r"\S+", _lower_word, title)
        return title[:1] + cased[1:]
    return title


def _lower_word(m: re.Match[str]) -> str:
    word = m.group()
    letters = [c for c in word if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return word
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in word)


def count_casualties(doc: Doc, title: Doc | None = None, text: str | None = None) -> Toll:
    """The report's toll: None for a kind it never speaks of, else the people it counts.

    The headline is read too: local reports put the toll there ("2 killed, 5 injured
    during birthday party") and name the victims one by one below without adding up.
    `text` is the doc's text where the caller has it: spaCy joins `doc.text` from the
    tokens at every use.
    """
    if text is None:
        text = doc.text
    murder_suicide = bool(_MURDER_SUICIDE.search(text))
    mentions: list[CasualtyMention] = []
    cues = _cue_tokens(doc)
    for sent in doc.sents:
        mentions.extend(_sentence_mentions(sent, text, cues, murder_suicide=murder_suicide))
    if murder_suicide:
        # a murder-suicide: the people shot, their fate untold, are the murdered
        mentions = [replace(m, kind="killed") if m.kind == "shot" else m for m in mentions]
    if title is not None:
        title_text, title_cues = title.text, _cue_tokens(title)
        in_title = bool(_MURDER_SUICIDE.search(title_text))
        mentions.extend(replace(m, in_title=True) for sent in title.sents
                        for m in _sentence_mentions(sent, title_text, title_cues,
                                                    headline=True, murder_suicide=in_title))
    return tally(mentions)


def tally(mentions: list[CasualtyMention]) -> Toll:
    """The toll of the body, raised to the headline's where the headline counts more.

    The people a headline counts are all hit; when the body knows of more deaths, those
    came from among the wounded ("1 dead, 3 hurt" above "a second victim died"), so the
    wounded are the headline's people less the dead.
    """
    body = _tally([m for m in mentions if not m.in_title])
    head = _tally([m for m in mentions if m.in_title])
    if head.killed is None or head.injured is None:
        killed, injured = body.killed, body.injured
    elif body.killed is None or body.injured is None:
        killed, injured = head.killed, head.injured
    else:
        killed = max(body.killed, head.killed)
        injured = max(body.injured, head.killed + head.injured - killed)
    if killed is None or injured is None:
        return Toll(killed=None, injured=None)
    split = {}
    for status in ("civilian", "combatant"):
        own = [m for m in mentions if m.status == status]
        part = tally(own) if own and len(own) < len(mentions) else None
        if own and part is None:  # every statement names the same status: all of the toll
            split[status] = (killed, injured)
        elif part is not None:
            split[status] = (min(part.killed or 0, killed), min(part.injured or 0, injured))
    civ, com = split.get("civilian", (0, 0)), split.get("combatant", (0, 0))
    # the two together never exceed the toll: what overlaps stays of unknown status
    if civ[0] + com[0] > killed or civ[1] + com[1] > injured:
        civ = com = (0, 0)
    return Toll(killed=killed, injured=injured, mentions=mentions, civilians=civ,
                combatants=com)


def _tally(mentions: list[CasualtyMention]) -> Toll:
    """Totals and single people together, each person once.

    A single person is known by a name or an age; reports name the same victim several
    ways ("a 16-year-old student", "Jaden Rahm, 16", "the boy"), so any shared name word or
    age makes one person, a definite phrase or pronoun is the last person spoken of, and
    people described only as "a man" are assumed to be among those identified, if any.
    """
    totals: dict[Kind, int] = {}
    people: list[tuple[set[str], Kind]] = []
    selves: Kind | None = None  # the attacker, when the text says they turned the gun on themselves
    for m in mentions:
        if m.total:
            totals[m.kind] = max(totals.get(m.kind, 0), m.count)
            continue
        if m.perpetrator:
            selves = _worse(selves, m.kind) if selves else m.kind
            continue
        if "ref" in m.keys:
            # the last person spoken of, of the same sex when the words tell it ("she")
            back = next((n for n in range(len(people) - 1, -1, -1)
                         if not _other_sex(m.keys, people[n][0])), None)
            if back is not None:
                keys, kind = people[back]
                people[back] = (keys, _worse(kind, m.kind))
                continue
            # "he was pronounced dead" with no one named before: someone unnamed
            m = replace(m, keys=frozenset({"anon", f"at:{m.start}"} | _sex(m.keys)))
        ident = _ident(m.keys)
        same = [n for n, (keys, _) in enumerate(people)
                if ident & _ident(keys) and not _other_sex(m.keys, keys)]
        if same:
            keys = set(m.keys).union(*(people[n][0] for n in same))
            kind = m.kind
            for n in same:
                kind = _worse(kind, people[n][1])
            people = [p for n, p in enumerate(people) if n not in same]
            people.append((keys, kind))
        else:
            people.append((set(m.keys), m.kind))
    people = _name_meets_age(people)
    single_k = _singles(people, {"killed"})
    killed = max(totals.get("killed", 0), single_k)
    # someone "shot", with no word of how it ended, may be one of the dead a total counted
    # ("two people were killed ... a man was shot in the head"); beyond those, wounded
    unmatched = killed - single_k
    single_h = max(_singles(people, {"injured"}), _singles(people, {"injured", "shot"})
                   - min(unmatched, _singles(people, {"shot"})))
    injured = max(totals.get("injured", 0), single_h, totals.get("shot", 0) - killed)
    if selves == "killed":
        killed += 1
    elif selves is not None:
        injured += 1
    if not mentions:
        return Toll(killed=None, injured=None)
    return Toll(killed=killed, injured=injured, mentions=mentions)


def _name_meets_age(people: list[tuple[set[str], Kind]]) -> list[tuple[set[str], Kind]]:
    """A victim known only by name and one known only by age, of one fate and no other
    sex, are taken for one person: "the shooting death of Devin Anderson ... a
    17-year-old was found dead" is one death, the report naming him two ways."""
    def has(keys: set[str], prefix: str) -> bool:
        return any(k.startswith(prefix) for k in keys)

    merged = list(people)
    for keys, kind in people:
        if not has(keys, "name:") or has(keys, "age:"):
            continue
        match = next((j for j, (other, k) in enumerate(merged) if k == kind
                      and has(other, "age:") and not has(other, "name:")
                      and not _other_sex(keys, other)), None)
        if match is not None:
            me = merged.index((keys, kind))
            merged[match] = (merged[match][0] | keys, kind)
            del merged[me]
    return merged


def _sex(keys: Collection[str]) -> set[str]:
    return {k for k in keys if k.startswith("sex:")}


def _other_sex(a: Collection[str], b: Collection[str]) -> bool:
    """Two people the words give different sexes: "an 18-year-old female" and "an
    18-year-old male" are two people, though of one age."""
    sa, sb = _sex(a), _sex(b)
    return bool(sa and sb and not sa & sb)


def _ident(keys: Collection[str]) -> set[str]:
    """The keys that tell one person from another: a name's words, an age."""
    return {k for k in keys if k.startswith(("name:", "age:"))}


def _singles(people: list[tuple[set[str], Kind]], kinds: set[Kind]) -> int:
    """People counted one by one whose worst fate is one of `kinds`: those identified by a
    name or an age, else those known only as "a man", distinct within a sentence and the
    same across sentences ("a woman was shot in the back, another woman in the face and a man
    in the chest" is three; "a man was shot" said again two paragraphs later is one)."""
    known = sum(1 for keys, k in people if _ident(keys) and k in kinds)
    if known:
        return known
    per_sentence: dict[int, int] = {}
    for keys, k in people:
        if _ident(keys) or k not in kinds:
            continue
        for key in keys:
            if key.startswith("at:"):
                at = int(key[3:])
                per_sentence[at] = per_sentence.get(at, 0) + 1
    return max(per_sentence.values(), default=0)


def _worse(a: Kind, b: Kind) -> Kind:
    order = {"shot": 0, "injured": 1, "killed": 2}
    return a if order[a] >= order[b] else b


def _sentence_mentions(sent: Span, text: str, cues: list[int], *, headline: bool = False,
                       murder_suicide: bool = False) -> list[CasualtyMention]:
    """The sentence's statements of people killed, wounded or shot; `murder_suicide`: the
    text it is from calls the event one, so whoever shot himself is the dead gunman.
    `text` is the doc's text and `cues` its `_cue_tokens`."""
    found: list[CasualtyMention] = []
    here = cues[bisect_left(cues, sent.start):bisect_left(cues, sent.end)]
    if not here:  # most sentences: nothing to read, so no need to look for a tally either
        return found
    tally = bool(_TALLY.search(text[sent.start_char:sent.end_char]))
    seen: set[int] = set()  # victim heads already counted in this sentence
    doc = sent.doc
    for i in here:
        tok = doc[i]
        noun = _noun_mention(tok)
        if noun is not None and not tally and tok.i not in seen:
            seen.add(tok.i)
            found.append(noun)
        for victim in _of_victims(tok):  # "the shooting death of a 2-year-old boy"
            if victim.i not in seen:
                seen.add(victim.i)
                mention = _mention(victim, tok, _EVENT_NOUNS[tok.lower_], sent, text)
                if mention is not None and not (tally and mention.total):
                    found.append(mention)
        kind = _trigger(tok)
        if kind is None or _unreal(tok):
            continue
        for victim, self_harm in _victims(tok, headline=headline):
            if victim.i in seen:
                continue
            seen.add(victim.i)
            if self_harm:
                # "killed himself" after an attack is the attacker's death, one more, and
                # so is "then shot himself" in a murder-suicide; a child who "shot himself"
                # by accident is the victim, counted as anyone
                dead = kind == "killed" or murder_suicide
                found.append(CasualtyMention(
                    "killed" if dead else kind, 1, *_extent(victim, tok), total=False,
                    keys=frozenset({"anon", f"at:{sent.start_char}", f"tok:{victim.i}"}),
                    perpetrator=dead, trigger=tok.idx))
                continue
            mention = _mention(victim, tok, kind, sent, text)
            if mention is not None and not (tally and mention.total):
                found.append(mention)
    return found


_EVENT_NOUNS: dict[str, Kind] = {
    "death": "killed", "deaths": "killed", "killing": "killed", "killings": "killed",
    "murder": "killed", "murders": "killed", "slaying": "killed", "slayings": "killed",
    "homicide": "killed", "shooting": "shot",
}


def _of_victims(tok: Token) -> list[Token]:
    """The people a noun of the event names with "of": "the killing of Marcus Smith"."""
    if tok.lower_ not in _EVENT_NOUNS or tok.pos_ != "NOUN" or _unreal(tok):
        return []
    return [g for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"
            for g in c.children if g.dep_ == "pobj" and _is_people(g)
            and g.lower_ not in _PRONOUNS]


@cache
def _cue_ids() -> np.ndarray:
    return word_ids(_TOLL_WORDS | frozenset(_EVENT_NOUNS) | _KILL_VERBS | _DIE_VERBS
                    | _WOUND_VERBS | _SHOOT_VERBS | _DEAD_ADJ | _HURT_ADJ)


def _cue_tokens(doc: Doc) -> list[int]:
    """Where the words are that `_sentence_mentions` reads: `_noun_mention`, `_of_victims`
    and `_trigger` pass over every other word, so those tokens are not even made (found in
    the doc's array of lower-case forms, not by walking it)."""
    return tokens_among(doc, _cue_ids())


_TOLL_WORDS = _DEAD_ADJ | _HURT_ADJ | _DEATH_NOUNS | _HURT_NOUNS | frozenset(_MULTIPLE_NOUNS)
"""The only words `_noun_mention` reads: every other token is passed over before the parse
is walked."""


def _noun_mention(tok: Token) -> CasualtyMention | None:
    """A toll told by a noun with its number: "three deaths", "two dead", "a quadruple
    shooting", "a double homicide" (the kind of event gives its count)."""
    w = tok.lower_
    if w not in _TOLL_WORDS:
        return None
    if tok.pos_ == "ADJ" and (w in _DEAD_ADJ or w in _HURT_ADJ) and not _unreal(tok):
        # "the attack left three dead and 12 injured"; "1 dead, 3 hurt", however parsed
        n = next((_value(c.text) for c in tok.children if c.i == tok.i - 1 and c.like_num
                  and c.dep_ in ("nummod", "meta", "npadvmod")), None)
        if n:
            return CasualtyMention("killed" if w in _DEAD_ADJ else "injured", n, *_extent(tok),
                                   total=True, trigger=tok.idx)
    if tok.pos_ not in ("NOUN", "PROPN") or _unreal(tok):
        return None
    multiple = next((_MULTIPLE[c.lower_] for c in tok.children
                     if c.lower_ in _MULTIPLE and c.dep_ in ("amod", "compound")), None)
    if multiple and w in _MULTIPLE_NOUNS:
        return CasualtyMention(_MULTIPLE_NOUNS[w], multiple, *_extent(tok), total=True,
                               trigger=tok.idx)
    if w in _DEATH_NOUNS or w in _HURT_NOUNS:
        n = _own_number(tok)
        if n is not None and n > 0:
            return CasualtyMention("killed" if w in _DEATH_NOUNS else "injured", n,
                                   *_extent(tok), total=True, trigger=tok.idx,
                                   status=_status([tok]))
    return None


def _trigger(tok: Token) -> Kind | None:
    """What the word says happened to people: killed, wounded, or shot (either)."""
    w = tok.lower_
    if tok.pos_ in ("VERB", "AUX") or tok.tag_ in ("VBN", "VBD", "VBG"):
        if w in _KILL_VERBS or w in _DIE_VERBS:
            return "killed"
        if w in _WOUND_VERBS:
            return "injured"
        if w in _SHOOT_VERBS and (w.startswith("shoot") or w == "shot" or _GUNFIRE.search(
                tok.sent.text)):
            if any(c.lower_ in _FATAL_ADV for c in tok.children) or any(
                    c.dep_ == "prep" and c.lower_ == "to" and any(
                        g.lower_ == "death" for g in c.children) for c in tok.children):
                return "killed"  # "fatally shot", "shot to death"
            # "shot and killed": the conjoined verb carries the outcome
            if any(c.dep_ == "conj" and not any(g.dep_.startswith("nsubj") for g in c.children)
                   and (c.lower_ in _KILL_VERBS | _DIE_VERBS
                        or any(g.lower_ in _DEAD_ADJ for g in c.children))
                   for c in tok.children):
                return None  # "shot and killed", "shot and pronounced dead"
            return "shot"
    if tok.pos_ == "ADJ" and w in _DEAD_ADJ:
        return "killed"
    if tok.pos_ in ("ADJ", "VERB") and w in _HURT_ADJ:
        return "injured"
    return None


def _unreal(tok: Token) -> bool:
    """Negated, conditional or intended, not an event: "was not injured", "could have died"."""
    for t in (tok, tok.head):
        for c in t.children:
            if c.dep_ == "neg" or (c.lower_ in _NEGATION and c.dep_ in ("neg", "det", "advmod")):
                return True
            if c.dep_ == "aux" and c.lower_ in _UNREAL_AUX:
                return True
            if t is tok and c.dep_ == "mark" and c.lower_ in ("if", "whether", "unless"):
                return True  # "whether the boy shot himself or was shot" is a question
        if t is not tok and t.lower_ in _UNREAL_HEADS and tok.dep_ in ("xcomp", "ccomp"):
            return True
    return False


def _victims(tok: Token, *, headline: bool = False) -> list[tuple[Token, bool]]:
    """The people the trigger word happened to, as (head noun, self-inflicted).

    Headlines drop the auxiliary: "Two women shot in N.O. East" is a passive there, and
    so is "3 killed, 12 injured" anywhere, a number being nobody's name for a shooter.
    """
    out: list[tuple[Token, bool]] = []
    # an object after a headline's colon is its source: "Four people shot: police"
    colon = next((c.i for c in tok.children if c.text == ":"), len(tok.doc))
    bare = tok.tag_ in ("VBN", "VBD") and not any(
        c.dep_ in ("aux", "auxpass") or (c.dep_ == "dobj" and c.i < colon)
        for c in tok.children)
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in tok.children) or (
        bare and (headline or any(c.dep_ == "nsubj" and c.like_num for c in tok.children)))
    w = tok.lower_
    intransitive = w in _DIE_VERBS or tok.pos_ == "ADJ"
    for c in tok.children:
        if c.lower_ in _SELF and c.dep_ in ("dobj", "pobj", "npadvmod"):
            out.append((c, True))
        elif (c.dep_ == "nsubjpass" or (c.dep_ == "nsubj" and (intransitive or passive))
              or (c.dep_ == "dobj" and not passive and not intransitive)) and _is_people(c):
            out.append((c, False))  # not "killed outside bar": the rules below may find them
    # "killing his own son": object of an active verb; "leaving two dead": the object
    # of the head verb whose complement is the adjective
    if tok.pos_ == "ADJ" and tok.dep_ in ("oprd", "xcomp", "ccomp", "acomp", "amod"):
        head = tok.head
        if tok.dep_ == "amod" and head.lower_ in _PEOPLE | {"one", "two"}:
            out.append((head, False))
        for c in head.children:
            if c.dep_ in ("dobj", "nsubj", "nsubjpass") and c is not tok:
                out.append((c, False))
        if not out and head.dep_ == "conj":  # "was shot and pronounced dead"
            out.extend((c, False) for c in head.head.children
                       if c.dep_ in ("nsubj", "nsubjpass"))
    # "a man was shot and killed": the conjoined verb shares the first verb's subject
    if not out and tok.dep_ == "conj":
        out.extend((c, False) for c in tok.head.children if c.dep_ in ("nsubj", "nsubjpass"))
    # "a teen shot in the leg": a reduced relative on the victim noun
    if not out and tok.dep_ in ("acl", "relcl") and tok.tag_ == "VBN":
        out.append((tok.head, False))
        if tok.head.like_num and _value(tok.head.text):  # "7 wounded in shooting"
            return out
    if not out and tok.dep_ == "relcl":
        out.append((tok.head, False))
    return [v for v in out if v[1] or _is_people(v[0])]


def _is_people(tok: Token) -> bool:
    w = tok.lower_
    return (w in _PEOPLE or w in _PRONOUNS or w in _CIVILIAN or w in _COMBATANT
            or tok.ent_type_ == "PERSON"
            or w.endswith("-year-old") or w.endswith("-year-olds") or _age_noun(tok)
            or (tok.pos_ == "NUM" and tok.dep_ in ("nsubj", "nsubjpass", "dobj")))


def _age_noun(tok: Token) -> bool:
    """"A 17-year-old was shot": the tokenizer splits the age, whose last word is the head."""
    doc = tok.doc
    return (tok.lower_ in ("old", "olds") and tok.i >= 2 and doc[tok.i - 1].text == "-"
            and doc[tok.i - 2].lower_ in ("year", "years"))


def _mention(victim: Token, trigger: Token, kind: Kind, sent: Span,
             text: str) -> CasualtyMention | None:
    lo, hi = _extent(victim, trigger)
    heads = [victim, *_conjuncts(victim)]
    if len(heads) > 1 and all(_is_people(h) for h in heads):
        # "three men and two women", "a child and two women": each part's own size
        size = sum(max(1, _own_number(h) or 1) for h in heads)
        return CasualtyMention(kind, size, lo, hi, total=True, trigger=trigger.idx,
                               status=_status(heads))
    if any(c.lower_ in ("no", "none", "neither") for c in victim.children) or victim.lower_ in (
            "nobody", "none", "noone"):
        return None  # "no one was injured"
    n = _own_number(victim)
    if kind == "shot" and (victim.lower_ == "others" or any(
            c.lower_ == "other" and c.dep_ == "amod" for c in victim.children)):
        kind = "injured"  # "five other people were hit": besides the dead, so the wounded
    if n is not None and n > 1:
        return CasualtyMention(kind, n, lo, hi, total=True, trigger=trigger.idx,
                               status=_status(heads))
    if n == 0 or (victim.tag_ in ("NNS", "NNPS") and n is None):
        return None  # "people were injured": how many is not said
    keys = _keys(victim, text)
    if any(c.lower_ in _ANOTHER and c.dep_ in ("det", "amod") for c in victim.children):
        keys = frozenset()  # "another 23-year-old man": not the one of that age before
    if not keys:
        if victim.lower_ in _PRONOUNS or _definite(victim):
            keys = frozenset({"ref"})
        else:
            keys = frozenset({"anon", f"at:{sent.start_char}", f"tok:{victim.i}"})
    sex = _SEX.get(victim.lower_) or next(
        (_SEX[c.lower_] for c in victim.children if c.dep_ in ("amod", "compound")
         and c.lower_ in _SEX), None)
    if sex is not None:
        keys = keys | {f"sex:{sex}"}
    return CasualtyMention(kind, 1, lo, hi, total=False, keys=keys, trigger=trigger.idx,
                           status=_status(heads))


_SEX = {
    **dict.fromkeys(("man", "boy", "male", "father", "son", "brother", "husband", "boyfriend",
                     "uncle", "nephew", "grandfather", "he", "him"), "m"),
    **dict.fromkeys(("woman", "girl", "female", "mother", "daughter", "sister", "wife",
                     "girlfriend", "aunt", "niece", "grandmother", "she", "her"), "f"),
}


def _status(heads: list[Token]) -> Status | None:
    """Civilians or combatants when every part of the phrase says the same ("two soldiers
    and a fighter"; "civilian casualties"), else unknown: "a man" may be either."""
    found: set[Status] = set()
    for head in heads:
        words = {head.lower_} | {c.lower_ for c in head.children if c.dep_ in ("amod", "compound")}
        civilian, combatant = bool(words & _CIVILIAN), bool(words & _COMBATANT)
        if civilian == combatant:
            return None
        found.add("civilian" if civilian else "combatant")
    return found.pop() if len(found) == 1 else None


def _extent(*tokens: Token) -> tuple[int, int]:
    """Character offsets from the start of the victim phrase to the end of the trigger."""
    lo = min(t.left_edge.idx if t.dep_ != "ROOT" else t.idx for t in tokens)
    hi = max(t.idx + len(t.text) for t in tokens)
    return lo, hi


def _conjuncts(tok: Token) -> list[Token]:
    out: list[Token] = []
    for c in tok.children:
        if c.dep_ == "conj":
            out.append(c)
            out.extend(_conjuncts(c))
    return out


def _own_number(tok: Token) -> int | None:
    """The size the phrase gives itself: "two teenagers", "both", "a family of five"."""
    w = tok.lower_
    if w in _COUNT_WORDS:
        return _COUNT_WORDS[w]
    if tok.pos_ == "NUM" or tok.like_num:
        doc = tok.doc
        if tok.i >= 2 and doc[tok.i - 1].text == "," and doc[tok.i - 2].ent_type_ == "PERSON":
            return None  # "Calvin Williams, 24 was shot": the age, parsed as the subject
        return _value(tok.text)
    named = tok.ent_type_ == "PERSON" or tok.tag_ == "NNP"
    for c in tok.children:
        if c.dep_ == "nummod":
            # "Calvin Williams, 24": a named person's number is their age, not a count
            return None if named else _value(c.text)
        if c.lower_ in _COUNT_WORDS and c.dep_ in ("det", "predet", "nummod"):
            return _COUNT_WORDS[c.lower_]
    m = _FAMILY_OF.search(tok.doc[tok.left_edge.i:tok.right_edge.i + 1].text)
    if w == "family" and m:
        return _value(m.group(1))
    if tok.tag_ in ("NN", "NNP") and any(c.lower_ in ("a", "an", "one", "another")
                                         for c in tok.children):
        return 1
    return None


def _value(text: str) -> int | None:
    q = parse_quantity(text)
    if q is None or q.value is None or q.unit or q.value != int(q.value) or not 0 <= q.value < 1000:
        return None
    return int(q.value)


def _definite(tok: Token) -> bool:
    return any(c.lower_ in ("the", "this", "that", "his", "her", "their") and c.dep_ in
               ("det", "poss") for c in tok.children)


def _keys(tok: Token, text: str) -> frozenset[str]:
    """What identifies one person: each word of their name, and their age (`text`: the
    doc's)."""
    keys: set[str] = set()
    name = _name(tok)
    if name is not None:
        keys.update("name:" + w.lower_ for w in name if w.is_alpha and len(w) > 1)
    for t in tok.subtree:
        if t.i - tok.i > 8 or tok.i - t.i > 8:
            continue
        m = _AGE.match(text, t.idx)
        if m and t.like_num:
            v = _value(m.group(1))
            if v is not None:
                keys.add(f"age:{v}")
        elif t.like_num and t.dep_ in ("appos", "npadvmod", "amod", "nummod") and t.head.i in (
                tok.i, *(w.i for w in (name or ()))) and t.i > tok.i:
            v = _value(t.text)
            if v is not None and 0 < v < 110:
                keys.add(f"age:{v}")
    return frozenset(keys)


_AGE = re.compile(r"(\w+)[- ]years?[- ]old", re.I)


def _name(tok: Token) -> Span | None:
    """The person's name: the phrase's own PERSON entity, or one in apposition to it."""
    doc = tok.doc
    candidates = [tok, *(c for c in tok.children if c.dep_ in ("appos", "compound"))]
    for t in candidates:
        if t.ent_type_ == "PERSON":
            return next((e for e in doc.ents if e.start <= t.i < e.end), None)
    return None
