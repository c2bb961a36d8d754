"""The actor registry: canonical actors, their names and descriptions, which users can extend.

Monitors count events per actor, so every way of naming an actor must collapse to one id:
IS, ISIS, Daesh and "the jihadists" are one actor in a Raqqa report, and "the coalition"
is the US-led one there but the Saudi-led one in a Yemen report. The registry holds names
(matched as written) and *descriptions* (resolved by the article's other mentions, in
`actors.extract_actors`).

Registry format (JSON; `newsdesk/data/actors.json` is the shipped file, user files use the
same keys and are merged over it, so a user file only needs what it adds or changes)::

    {
      "version": 1,
      "actors": [
        {"id": "sdf",                       # stable slug, [a-z0-9-]
         "name": "SDF: Syrian Democratic Forces",   # canonical, ACLED's style
         "inter": 2,                        # ACLED inter code 1-8 (or null)
         "kind": "Rebel group",             # optional; derived from inter when absent
         "country": "SY",                   # ISO 3166-1 alpha-2 (or null)
         "theatres": ["SY"],                # optional: countries it fights in
         "aliases": ["SDF", "Syrian Democratic Forces"],   # case-insensitive, except
                                            # words of <= 3 capitals (IS, US), matched as written
         "exact": ["Observatory"],          # optional: aliases always matched as written
         "classes": ["us-backed"],          # optional: description classes it can answer
         "parent": null, "associated": ["ypg"]}          # optional: other actor ids
      ],
      "descriptions": [{"class": "coalition", "phrases": ["coalition"],
                        "default": "us-led-coalition",   # optional, for `affiliation` only
                        "not_before": ["government"]}],  # optional: words that veto a match
      "countries": {"SY": {"name": "Syria", "demonyms": ["Syrian"], "names": [], "slug": "syria"}},
      "force_nouns": ["forces"], "police_nouns": ["police"],
      "not_actors": ["AFP"]                 # organisations that are never actors (media...)
    }

Every country yields "Military Forces of X" (`<slug>-military`, named by demonym + force noun:
"Iraqi commanders", "Syria's army") and "Police Forces of X" (`<slug>-police`). A user
actor with an existing id updates that entry: scalar fields replace, lists are extended.
Files listed in the environment variable `NEWSDESK_ACTORS` (separated by `os.pathsep`) are
merged after the shipped file and before the paths given to `ActorRegistry.load`.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk import settings
from newsdesk.casefold import case_blind
from newsdesk.errors import NewsdeskError
from newsdesk.models import ActorMention

if TYPE_CHECKING:
    from spacy.matcher import PhraseMatcher
    from spacy.tokenizer import Tokenizer
    from spacy.vocab import Vocab

INTER_KINDS: dict[int, str] = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}
"""ACLED's actor types by inter code."""

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CC_RE = re.compile(r"^[A-Z]{2}$")
_ACTOR_KEYS = {
    "id",
    "name",
    "inter",
    "kind",
    "country",
    "theatres",
    "aliases",
    "exact",
    "classes",
    "parent",
    "associated",
}
_DESC_KEYS = {"class", "phrases", "default", "not_before"}
_COUNTRY_KEYS = {"name", "names", "demonyms", "slug"}
_TOP_KEYS = {
    "version",
    "about",
    "actors",
    "descriptions",
    "countries",
    "force_nouns",
    "police_nouns",
    "not_actors",
}
_SHORT_CAPS = re.compile(r"^[A-Z][A-Z.]{0,3}$")


class _Names:
    r"""The names and description phrases `affiliation` looks for, and the search for them.

    The search is defined by two regular expressions, `(?<![\w-])(?:name|...)(?![\w-])`
    over the names matched as written and, with IGNORECASE, over the lowercased ones, the
    longest first; of their two matches, the first in the text, then the longest. The
    second alternates 2,500 phrases and took 0.09 CPU s to compile, half the Python time of
    a one-report start. The same answer comes from looking up each stretch between word
    boundaries (`\w` is `str.isalnum()` or "_", as in `re`) in the two sets. A stretch
    of ASCII letters and the four others `IGNORECASE` matches to one ('ı', 'ſ', 'İ', the
    Kelvin sign: `case_blind` makes them that letter) matches a lowercased phrase under
    `IGNORECASE` exactly when its `case_blind` form is one: no other letter folds to an
    ASCII one, and a phrase holds no 'ı' or 'ſ' (their presence turns the sets off). Any
    other stretch can match only one of the few phrases with a letter outside ASCII (37
    of 2,542), which are compiled alone, on the first such stretch (0.10 CPU s was spent
    compiling both expressions on the first text outside ASCII).
    """

    __slots__ = ("_longest", "_regexes", "_sets_suffice", "_wide", "exact", "lower")

    def __init__(self, exact: set[str], lower: set[str]) -> None:
        self.exact = frozenset(exact)
        self.lower = frozenset(lower)
        self._longest = max(map(len, self.exact | self.lower), default=0)
        self._sets_suffice = not any("ı" in w or "ſ" in w for w in self.lower)
        self._regexes: tuple[re.Pattern[str], re.Pattern[str]] | None = None
        self._wide: re.Pattern[str] | None = None

    def first(self, text: str) -> str | None:
        """The first name in `text`, the longest there, as the text writes it."""
        if not self._sets_suffice:
            exact_re, lower_re = self._compiled()
            hits = [m for m in (exact_re.search(text), lower_re.search(text)) if m]
            return min(hits, key=lambda m: (m.start(), -len(m.group(0)))).group(0) if hits \
                else None
        cuts = [i for i, ch in enumerate(text) if not (ch.isalnum() or ch in "_-")]
        ends = [*cuts, len(text)]
        for start in (0, *(i + 1 for i in cuts)):
            for end in reversed(ends[bisect.bisect_left(ends, start):
                                     bisect.bisect_right(ends, start + self._longest)]):
                name = text[start:end]
                if name in self.exact or self._lower_has(name):
                    return name
        return None

    def _lower_has(self, name: str) -> bool:
        """Whether `name` matches a lowercased phrase as `re.IGNORECASE` matches."""
        if name.isascii():
            return name.lower() in self.lower
        folded = case_blind(name)
        if folded.isascii():
            return folded in self.lower
        if self._wide is None:
            wide = sorted((w for w in self.lower if not w.isascii()), key=len, reverse=True)
            self._wide = re.compile("|".join(map(re.escape, wide)) or "(?!)", re.IGNORECASE)
        return self._wide.fullmatch(name) is not None

    def _compiled(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        if self._regexes is None:
            def alternation(words: frozenset[str], flags: int) -> re.Pattern[str]:
                body = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)

            self._regexes = (alternation(self.exact, 0),
                             alternation(self.lower, re.IGNORECASE))
        return self._regexes


class RegistryError(NewsdeskError):
    """A registry file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Actor:
    """One canonical actor. `kind` is ACLED's actor type, from `inter` unless given."""

    id: str
    name: str
    kind: str | None
    inter: int | None
    country: str | None
    aliases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    theatres: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    parent: str | None = None
    associated: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Description:
    """A phrase class resolved per article ("the jihadists" -> the dominant jihadist group)."""

    cls: str
    phrases: tuple[str, ...]
    default: str | None = None
    not_before: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    name: str
    slug: str
    names: tuple[str, ...]
    demonyms: tuple[str, ...]


@dataclass(slots=True)
class Matchers:
    """PhraseMatchers for one vocab: exact (ORTH) and case-insensitive (LOWER)."""

    vocab: Vocab
    orth: PhraseMatcher
    lower: PhraseMatcher
    labels: dict[int, str] = field(default_factory=dict)


def slugify(text: str) -> str:
    """A stable ASCII slug: the same name gives the same unknown-actor id everywhere."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def normalise(text: str) -> str:
    """Curly quotes and dashes straightened, runs of spaces collapsed: one spelling per name."""
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return " ".join(text.split())


def _is_exact(alias: str) -> bool:
    """Aliases with a word of <= 3 capitals ("IS", "US forces") must match as written."""
    return any(_SHORT_CAPS.match(w) and sum(c.isalpha() for c in w) <= 3 for w in alias.split())


def _variants(alias: str) -> set[str]:
    """Spelling variants news copy uses interchangeably (US/U.S., leading "the")."""
    alias = normalise(alias)
    if alias.lower().startswith("the ") and len(alias) > 4:
        alias = alias[4:]
    out = {alias}
    if re.search(r"\bUS\b", alias):
        out.add(re.sub(r"\bUS\b", "U.S.", alias))
    if "U.S." in alias:
        out.add(alias.replace("U.S.", "US"))
    return out


# ---------------------------------------------------------------------------------------
# loading and validation


def _fail(source: str, where: str, message: str) -> RegistryError:
    return RegistryError(f"{source}: {where}: {message}")


def _str_list(value: Any, source: str, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(source, where, f"{key!r} must be a list of non-empty strings, got {value!r}")
    return value


def _check_actor(raw: Any, source: str, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(source, f"actors[{index}]", f"must be an object, got {raw!r}")
    where = f"actors[{index}] (id {raw.get('id')!r})"
    unknown = set(raw) - _ACTOR_KEYS
    if unknown:
        raise _fail(
            source, where, f"unknown field(s) {sorted(unknown)}; allowed {sorted(_ACTOR_KEYS)}"
        )
    actor_id = raw.get("id")
    if not isinstance(actor_id, str) or not _ID_RE.match(actor_id):
        raise _fail(source, where, "'id' must be a lowercase slug like 'us-led-coalition'")
    if "name" in raw and (not isinstance(raw["name"], str) or not raw["name"].strip()):
        raise _fail(source, where, f"'name' must be a non-empty string, got {raw['name']!r}")
    inter = raw.get("inter")
    if inter is not None and (isinstance(inter, bool) or inter not in INTER_KINDS):
        raise _fail(
            source, where, f"'inter' must be an ACLED inter code 1-8 or null, got {inter!r}"
        )
    for key in ("kind", "parent"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise _fail(source, where, f"{key!r} must be a string or null, got {raw[key]!r}")
    country = raw.get("country")
    if country is not None and (not isinstance(country, str) or not _CC_RE.match(country)):
        raise _fail(source, where, f"'country' must be an ISO 3166-1 alpha-2 code, got {country!r}")
    for key in ("aliases", "exact", "classes", "associated", "theatres"):
        if key in raw:
            _str_list(raw[key], source, where, key)
    for code in raw.get("theatres", []):
        if not _CC_RE.match(code):
            raise _fail(source, where, f"'theatres' must hold ISO alpha-2 codes, got {code!r}")
    return raw


def _check_file(data: Any, source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RegistryError(f"{source}: the top level must be an object with an 'actors' list")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RegistryError(
            f"{source}: unknown top-level key(s) {sorted(unknown)}; allowed {sorted(_TOP_KEYS)}"
        )
    if data.get("version", 1) != 1:
        raise RegistryError(f"{source}: unsupported version {data.get('version')!r}; expected 1")
    actors = data.get("actors", [])
    if not isinstance(actors, list):
        raise RegistryError(f"{source}: 'actors' must be a list")
    for i, raw in enumerate(actors):
        _check_actor(raw, source, i)
    descriptions = data.get("descriptions", [])
    if not isinstance(descriptions, list):
        raise RegistryError(f"{source}: 'descriptions' must be a list")
    for i, raw in enumerate(descriptions):
        where = f"descriptions[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("class"), str):
            raise _fail(source, where, "must be an object with a 'class' string")
        if set(raw) - _DESC_KEYS:
            raise _fail(source, where, f"unknown field(s) {sorted(set(raw) - _DESC_KEYS)}")
        _str_list(raw.get("phrases"), source, where, "phrases")
        if "not_before" in raw:
            _str_list(raw["not_before"], source, where, "not_before")
    countries = data.get("countries", {})
    if not isinstance(countries, dict):
        raise RegistryError(f"{source}: 'countries' must be an object keyed by ISO alpha-2 code")
    for code, raw in countries.items():
        where = f"countries[{code!r}]"
        if not _CC_RE.match(code) or not isinstance(raw, dict):
            raise _fail(source, where, "keys must be ISO alpha-2 codes and values objects")
        if set(raw) - _COUNTRY_KEYS:
            raise _fail(source, where, f"unknown field(s) {sorted(set(raw) - _COUNTRY_KEYS)}")
        for key in ("names", "demonyms"):
            if key in raw:
                _str_list(raw[key], source, where, key)
    for key in ("force_nouns", "police_nouns", "not_actors"):
        if key in data:
            _str_list(data[key], source, key, key)
    return data


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: actor registry file not found") from exc
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{path}: not valid JSON ({exc})") from exc
    return _check_file(data, str(path))


def _merge_list(old: list[str], new: Iterable[str]) -> list[str]:
    return old + [v for v in new if v not in old]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge `extra` into `base` in place: scalars replace, lists are extended."""
    by_id = {a["id"]: a for a in base["actors"]}
    for raw in extra.get("actors", []):
        current = by_id.get(raw["id"])
        if current is None:
            current = {"id": raw["id"]}
            base["actors"].append(current)
            by_id[raw["id"]] = current
        for key, value in raw.items():
            current[key] = (
                _merge_list(current.get(key, []), value) if isinstance(value, list) else value
            )
    by_class = {d["class"]: d for d in base["descriptions"]}
    for raw in extra.get("descriptions", []):
        current = by_class.setdefault(raw["class"], {"class": raw["class"], "phrases": []})
        if current not in base["descriptions"]:
            base["descriptions"].append(current)
        for key, value in raw.items():
            current[key] = (
                _merge_list(current.get(key, []), value) if isinstance(value, list) else value
            )
    for code, raw in extra.get("countries", {}).items():
        current = base["countries"].setdefault(code, {})
        for key, value in raw.items():
            current[key] = (
                _merge_list(current.get(key, []), value) if isinstance(value, list) else value
            )
    for key in ("force_nouns", "police_nouns", "not_actors"):
        base[key] = _merge_list(base.get(key, []), extra.get(key, []))


def _countries(raw: dict[str, Any]) -> dict[str, _Country]:
    out = {}
    for code, c in raw.items():
        if "name" not in c:
            raise RegistryError(f"countries[{code!r}]: 'name' is required")
        out[code] = _Country(
            code,
            c["name"],
            c.get("slug") or slugify(c["name"]),
            tuple(c.get("names", [])),
            tuple(c.get("demonyms", [])),
        )
    return out


def _state_actors(
    countries: dict[str, _Country], force: list[str], police: list[str]
) -> list[dict]:
    """The forces every state has, so "Iraqi commanders" needs no hand-written entry."""
    out = []
    for c in countries.values():
        forces = [f"{d} {n}" for d in c.demonyms for n in force]
        forces += [
            f"{nm}'s {n}" for nm in (c.name, *c.names) for n in ("army", "military", "armed forces")
        ]
        out.append(
            {
                "id": f"{c.slug}-military",
                "name": f"Military Forces of {c.name}",
                "inter": 1,
                "country": c.code,
                "aliases": forces,
            }
        )
        out.append(
            {
                "id": f"{c.slug}-police",
                "name": f"Police Forces of {c.name}",
                "inter": 1,
                "country": c.code,
                "aliases": [f"{d} {n}" for d in c.demonyms for n in police],
            }
        )
    return out


def _build_actor(raw: dict[str, Any]) -> Actor:
    if "name" not in raw:
        raise RegistryError(f"actor {raw['id']!r}: 'name' is required (a new id needs a name)")
    inter = raw.get("inter")
    return Actor(
        id=raw["id"],
        name=raw["name"],
        inter=inter,
        kind=raw.get("kind") or (INTER_KINDS[inter] if inter else None),
        country=raw.get("country"),
        aliases=tuple(raw.get("aliases", [])),
        exact=tuple(raw.get("exact", [])),
        theatres=tuple(raw.get("theatres", [])),
        classes=tuple(raw.get("classes", [])),
        parent=raw.get("parent"),
        associated=tuple(raw.get("associated", [])),
    )


class ActorRegistry:
    """Canonical actors, their names and descriptions; built once per process."""

    def __init__(
        self,
        actors: Sequence[Actor],
        descriptions: Sequence[Description],
        countries: dict[str, _Country],
        not_actors: Iterable[str],
    ) -> None:
        self.actors: dict[str, Actor] = {a.id: a for a in actors}
        self.descriptions: dict[str, Description] = {d.cls: d for d in descriptions}
        self._countries = countries
        self._not_actors = {normalise(n).lower() for n in not_actors}
        self._exact: dict[str, str] = {}  # alias as written -> actor id
        self._lower: dict[str, str] = {}  # lowercased alias -> actor id
        for actor in actors:
            for alias in actor.aliases:
                for v in _variants(alias):
                    self._add_alias(v, actor.id, exact=_is_exact(v))
            for alias in actor.exact:
                for v in _variants(alias):
                    self._add_alias(v, actor.id, exact=True)
        self._check_references()
        self._matcher_cache: dict[int, Matchers] = {}
        self._names: _Names | None = None

    def _add_alias(self, alias: str, actor_id: str, *, exact: bool) -> None:
        table, key = (self._exact, alias) if exact else (self._lower, alias.lower())
        other = table.setdefault(key, actor_id)
        if other != actor_id:
            raise RegistryError(
                f"alias {alias!r} is given to two actors, {other!r} and "
                f"{actor_id!r}; keep it on one (or make it a description)"
            )

    def _check_references(self) -> None:
        for a in self.actors.values():
            for ref in (a.parent, *a.associated):
                if ref is not None and ref not in self.actors:
                    raise RegistryError(f"actor {a.id!r}: refers to unknown actor id {ref!r}")
        for d in self.descriptions.values():
            if d.default is not None and d.default not in self.actors:
                raise RegistryError(f"description class {d.cls!r}: unknown default {d.default!r}")

    def __getstate__(self) -> dict[str, Any]:
        # spaCy matchers hold a vocab; workers rebuild them on first use.
        state = dict(self.__dict__)
        state["_matcher_cache"] = {}
        state["_names"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @classmethod
    def load(cls, paths: Sequence[Path] = ()) -> ActorRegistry:
        """Read the shipped registry, then `$NEWSDESK_ACTORS` files, then `paths`, merged."""
        shipped = resources.files("newsdesk").joinpath("data/actors.json")
        base = _check_file(
            json.loads(shipped.read_text(encoding="utf-8")), "newsdesk/data/actors.json"
        )
        merged: dict[str, Any] = {"actors": [], "descriptions": [], "countries": {}}
        _merge(merged, base)
        env = list(settings.get("actors"))
        for path in [*env, *map(Path, paths)]:
            _merge(merged, _read(path))
        countries = _countries(merged["countries"])
        generated: dict[str, Any] = {
            "descriptions": [],
            "countries": {},
            "actors": _state_actors(
                countries, merged.get("force_nouns", []), merged.get("police_nouns", [])
            ),
        }
        _merge(generated, {"actors": merged["actors"]})
        actors = [_build_actor(raw) for raw in generated["actors"]]
        descriptions = [
            Description(
                d["class"],
                tuple(d["phrases"]),
                d.get("default"),
                frozenset(w.lower() for w in d.get("not_before", [])),
            )
            for d in merged["descriptions"]
        ]
        return cls(actors, descriptions, countries, merged.get("not_actors", []))

    def is_not_actor(self, name: str) -> bool:
        """True for organisations the registry declares never actors (media, NGOs...)."""
        return normalise(name).lower() in self._not_actors

    def get(self, actor_id: str) -> Actor | None:
        return self.actors.get(actor_id)

    def state_forces(self, country_code: str) -> Actor | None:
        """The "Military Forces of X" actor for an ISO alpha-2 code, if the country is known."""
        country = self._countries.get(country_code.upper())
        return self.actors.get(f"{country.slug}-military") if country else None

    def match(self, text: str) -> Actor | None:
        """The actor a whole name denotes ("ISIS", "the US-led coalition"), without context."""
        name = normalise(text).strip(" .,;:()[]\"'")
        name = re.sub(r"(?:'s|')$", "", name)
        candidates = [name, name[4:] if name.lower().startswith("the ") else name]
        for cand in candidates:
            actor_id = self._exact.get(cand) or self._lower.get(cand.lower())
            if actor_id:
                return self.actors[actor_id]
        return None

    def affiliation(self, text: str, *, context: Sequence[ActorMention] = ()) -> Actor | None:
        """The actor a person's role belongs to ("a senior US-led coalition commander").

        The first actor name or description in `text` wins. Descriptions ("coalition
        spokesman") resolve to the candidate most mentioned in `context` (the article's
        actor mentions), else to the description's declared default.
        """
        key = self._affiliation_names().first(normalise(text))
        if key is None:
            return None
        actor_id = self._exact.get(key) or self._lower.get(key.lower())
        if actor_id:
            return self.actors[actor_id]
        cls = self._phrase_class(key)
        counts = Counter(m.actor_id for m in context)
        candidates = [a for a in self.actors.values() if cls in a.classes and counts[a.id]]
        if candidates:
            return max(candidates, key=lambda a: counts[a.id])
        default = self.descriptions[cls].default
        return self.actors[default] if default else None

    def _phrase_class(self, phrase: str) -> str:
        """The class of a matched description phrase; the match may be any spelling
        variant of it ("Army" for "the army"), as the affiliation regexes are built."""
        low = phrase.lower()
        for d in self.descriptions.values():
            if any(v.lower() == low for p in d.phrases for v in _variants(p)):
                return d.cls
        raise KeyError(phrase)

    def _affiliation_names(self) -> _Names:
        if self._names is None:
            exact = set(self._exact)
            lower = set(self._lower)
            for d in self.descriptions.values():
                for phrase in d.phrases:
                    for v in _variants(phrase):
                        (exact if _is_exact(v) else lower).add(v if _is_exact(v) else v.lower())
            self._names = _Names(exact, lower)
        return self._names

    # -----------------------------------------------------------------------------------
    # spaCy matchers

    def matchers(self, vocab: Vocab) -> Matchers:
        """The phrase matchers for `vocab`, built on first use and kept per vocab."""
        cached = self._matcher_cache.get(id(vocab))
        if cached is not None and cached.vocab is vocab:
            return cached
        from spacy.matcher import PhraseMatcher

        m = Matchers(vocab, PhraseMatcher(vocab, attr="ORTH"), PhraseMatcher(vocab, attr="LOWER"))
        groups: dict[tuple[str, bool], set[str]] = {}
        for alias in self._exact:
            groups.setdefault((f"A:{self._exact[alias]}", True), set()).add(alias)
        for alias, actor_id in self._lower.items():
            groups.setdefault((f"A:{actor_id}", False), set()).add(alias)
        for d in self.descriptions.values():
            for phrase in d.phrases:
                for v in _variants(phrase):
                    groups.setdefault((f"D:{d.cls}", _is_exact(v)), set()).add(v)
        for c in self._countries.values():
            for word in {c.name, *c.names, *c.demonyms}:
                groups.setdefault((f"C:{c.code}", _is_exact(word)), set()).add(word)
        tokenizer = _alias_tokenizer(vocab, [w for words in groups.values() for w in words])
        for (label, exact), words in groups.items():
            patterns = list(tokenizer.pipe(sorted(words)))
            (m.orth if exact else m.lower).add(label, patterns)
            m.labels[vocab.strings[label]] = label
        self._matcher_cache[id(vocab)] = m
        return m


def shared_registry() -> ActorRegistry:
    """`ActorRegistry.load()`, read once per process for each value of `$NEWSDESK_ACTORS`.

    The per-article stage (`load_resources`) and publishing (ACLED's inter codes) each
    read and checked the same files, 0.015-0.03 CPU s apiece; sharing one read also means
    a run's exports take the inter codes of the very actors its analysis matched.
    """
    return _registry_for(tuple(settings.get("actors")))


@cache
def _registry_for(actors_setting: tuple[Path, ...]) -> ActorRegistry:
    return ActorRegistry.load()


def _alias_tokenizer(vocab: Vocab, aliases: Sequence[str]) -> Tokenizer:
    """English's default tokenizer, as `spacy.blank("en")` builds it, with only the special
    cases that can apply to `aliases`.

    The full blank pipeline cost 0.14 CPU s at every start, most of it loading English's
    1,300 special cases ("U.S.", "don't"), of which the aliases hold a handful. A special
    case applies only to a string that occurs in the text, so the cases not found in any
    alias cannot change how one is split: the tokens, and the matches, are the same. A
    case without white space can only occur inside one word, so it is looked for among the
    aliases' distinct words (5 kB, where the aliases are 52 kB: 0.036 -> 0.005 CPU s).
    """
    from spacy import util
    from spacy.lang.en import English
    from spacy.tokenizer import Tokenizer

    d = English.Defaults
    text = "\n".join(aliases)
    words = "\n".join({w for alias in aliases for w in alias.split()})
    return Tokenizer(
        vocab,
        rules={k: v for k, v in d.tokenizer_exceptions.items()
               if k in (words if k.split() == [k] else text)},
        prefix_search=util.compile_prefix_regex(d.prefixes).search,
        suffix_search=util.compile_suffix_regex(d.suffixes).search,
        infix_finditer=util.compile_infix_regex(d.infixes).finditer,
        token_match=d.token_match,
        url_match=d.url_match,
    )
