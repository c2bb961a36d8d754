"""Numeric claims on the Raqqa reports: value, bounds, counted, subject, scope, claimant."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest

from newsdesk.claims import extract_claims
from newsdesk.models import Article, Claim, DateRef, PlaceMention

pytestmark = pytest.mark.slow


class _Actor:
    def __init__(self, id_: str, name: str) -> None:
        self.id, self.name = id_, name


class _FakeRegistry:
    """Just enough of ActorRegistry: a few aliases, and roles that name an organisation."""

    _ALIASES: ClassVar[dict[str, _Actor]] = {"coalition": _Actor("coalition", "US-led coalition"),
                "united nations": _Actor("un", "United Nations"),
                "is": _Actor("is", "Islamic State"), "daesh": _Actor("is", "Islamic State")}

    def match(self, text: str) -> _Actor | None:
        key = re.sub(r"^(the|a|an)\s+", "", text.strip().lower())
        return self._ALIASES.get(key)

    def affiliation(self, text: str) -> _Actor | None:
        for word, actor in self._ALIASES.items():
            if re.search(rf"\b{word}\b", text.lower()):
                return actor
        return None


_PLACES = {"Raqa": "Raqqa", "Raqqa": "Raqqa", "Mosul": "Mosul", "Syria": "Syria", "Iraq": "Iraq"}


def _article(example_dir: Path, prefix: str) -> Article:
    path = next(example_dir.glob(f"{prefix}_*.txt"))
    return Article(id=path.stem, source=str(path), text=path.read_text().split("\n", 1)[1])


def _claims(nlp, example_dir: Path, prefix: str) -> list[Claim]:
    art = _article(example_dir, prefix)
    text = art.text
    places = [PlaceMention(art.id, m[0], m.start(), m.end(), _PLACES[m[0]], None, None, None,
                           None) for m in re.finditer(r"\b(Raqa|Raqqa|Mosul|Syria|Iraq)\b", text)]
    dates = [DateRef(art.id, m[0], m.start(), m.end(), "2014-01-01", "2014-12-31", "year")
             for m in re.finditer(r"\b2014\b", text)]
    dates += [DateRef(art.id, m[0], m.start(), m.end(), "2017-06-01", "2017-06-30", "month")
              for m in re.finditer(r"the month of June", text)]
    claims = extract_claims(nlp(text), art, actors=[], places=places, dates=dates,
                            registry=_FakeRegistry())
    for c in claims:
        assert text[c.start:c.end] == c.number_text
        assert text[c.sentence_start:c.sentence_end] == c.sentence
    return claims


def _find(claims: list[Claim], number_text: str) -> Claim:
    found = [c for c in claims if c.number_text == number_text]
    assert found, [c.number_text for c in claims]
    return found[0]


def test_claims_fighters_defending_raqqa(nlp, example_dir):
    c = _find(_claims(nlp, example_dir, "001"), "around 2,500")
    assert (c.value, c.low, c.high, c.qualifier) == (2500, 2500, 2500, "about")
    assert c.counted == "fighters" and c.category == "force"
    assert c.subject == "Islamic State in Raqqa"
    assert c.claimant == "US-led coalition" and c.claimant_id == "coalition"
    c3 = _find(_claims(nlp, example_dir, "003"), "some 2,500")
    assert (c3.counted, c3.claimant, c3.value) == ("fighters", "US-led coalition", 2500)


def test_claims_spokesman_estimate_with_affiliation(nlp, example_dir):
    c = _find(_claims(nlp, example_dir, "002"), "around 2,000")
    assert c.counted == "fighters" and c.value == 2000
    assert c.claimant == "Ryan Dillon"
    assert c.subject == "Islamic State"


def test_claims_casualties_with_different_scopes(nlp, example_dir):
    claims = _claims(nlp, example_dir, "002")
    c603, c744 = _find(claims, "603"), _find(claims, "744")
    assert c603.counted == c744.counted == "civilians killed"
    assert c603.category == "casualties"
    assert c603.scope.startswith("since") and c603.scope.endswith("2014")
    assert c603.date == "2014-01-01"
    assert c603.claimant == "US-led coalition"
    assert c744.scope == "in the month of June alone" and c744.date == "2017-06-01"
    assert c744.claimant == "Airwars"
    assert c603.subject == c744.subject == "Iraq and Syria"


def test_claims_civilians_trapped_per_un(nlp, example_dir):
    c1 = _find(_claims(nlp, example_dir, "001"), "tens of thousands")
    assert (c1.value, c1.low, c1.high) == (None, 20_000, 99_999)
    assert c1.counted == "civilians trapped" and c1.claimant == "United Nations"
    c3 = _find(_claims(nlp, example_dir, "003"), "up to 100,000")
    assert (c3.value, c3.low, c3.high, c3.qualifier) == (100_000, None, 100_000, "up to")
    assert c3.counted == "civilians trapped" and c3.claimant == "United Nations"


def test_claims_trained_and_mobilised(nlp, example_dir):
    c = _find(_claims(nlp, example_dir, "000"), "9,000")
    assert (c.counted, c.claimant, c.subject) == ("members trained", "US-led coalition", "SDF")
    m = _find(_claims(nlp, example_dir, "001"), "200")
    assert m.counted == "fighters mobilised" and m.claimant == "Mohammad Khaled Shaker"


def test_claims_fighters_left_in_mosul(nlp, example_dir):
    c = _find(_claims(nlp, example_dir, "001"), "200 or so")
    assert (c.value, c.qualifier, c.counted) == (200, "about", "fighters")
    assert c.scope == "in Mosul's Old City" and c.claimant == "Iraqi commanders"
    f = _find(_claims(nlp, example_dir, "003"), "a few hundred")
    assert (f.value, f.low, f.high, f.counted) == (None, 200, 500, "fighters")
    assert f.claimant == "The Iraqi military" and f.subject == "Mosul"


def test_claims_skip_dates_years_and_durations(nlp, example_dir):
    for prefix in ("000", "001", "002", "003", "004"):
        texts = {c.number_text for c in _claims(nlp, example_dir, prefix)}
        assert not texts & {"2014", "2016", "2017", "24", "61", "three", "nearly four", "2"}


def test_claims_ids_are_stable(nlp, example_dir):
    first = [c.id for c in _claims(nlp, example_dir, "002")]
    assert first == [c.id for c in _claims(nlp, example_dir, "002")]
    assert len(set(first)) == len(first)
