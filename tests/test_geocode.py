"""Places in the Raqqa reports: recognised, resolved, and actors kept out."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdesk.gazetteer import Gazetteer, distance_km
from newsdesk.geocode import extract_places, resolve_mentions
from newsdesk.models import Article, PlaceMention

EXPECTED = {  # as written -> GeoNames id
    "Raqqa": 172955, "Raqa": 172955, "Kobane": 172256, "Al-Mayadeen": 173480,
    "Mosul": 99072, "Syria": 163843, "Iraq": 99237,
}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.open()


@pytest.fixture(scope="module")
def places(nlp, example_dir: Path, gaz: Gazetteer) -> list[PlaceMention]:
    out: list[PlaceMention] = []
    for path in sorted(example_dir.glob("*.txt")):
        text = path.read_text("utf-8")
        article = Article(id=path.stem, source=str(path), text=text)
        found = extract_places(nlp(text), article, gaz)
        assert all(article.text[m.start:m.end] == m.text for m in found)
        out.extend(found)
    return out


@pytest.mark.slow
def test_geocode_raqqa_places_resolve(places: list[PlaceMention]) -> None:
    by_text: dict[str, set[int | None]] = {}
    for m in places:
        if m.precision == "exact":
            by_text.setdefault(m.text, set()).add(m.geonameid)
    for written, gid in EXPECTED.items():
        assert by_text.get(written) == {gid}, written


@pytest.mark.slow
def test_geocode_ain_issa_and_deir_ezzor_near_gold(places: list[PlaceMention]) -> None:
    gold = {"ain issa": (36.385, 38.859), "deir ezzor": (35.336, 40.141),
            "deir ez-zor": (35.336, 40.141)}
    seen = set()
    for m in places:
        key = m.text.lower()
        if key in gold and m.lat is not None:
            seen.add(key)
            assert distance_km(m.lat, m.lon, *gold[key]) < 60, m
    assert {"ain issa", "deir ezzor"} <= seen


@pytest.mark.slow
def test_geocode_dariya_is_a_raqqa_suburb_not_darayya(places: list[PlaceMention]) -> None:
    dariya = [m for m in places if m.text == "Dariya"]
    assert dariya
    for m in dariya:
        assert m.geonameid != 170892
        assert distance_km(m.lat, m.lon, 35.95, 39.01) < 30


@pytest.mark.slow
def test_geocode_vague_places_resolve_to_parent(places: list[PlaceMention]) -> None:
    vague = [m for m in places if "Old City" in m.text or m.text == "west Mosul"]
    assert vague and all(m.precision == "parent" and m.parent for m in vague)


@pytest.mark.slow
def test_geocode_actors_are_not_places(places: list[PlaceMention]) -> None:
    assert not {m.text for m in places} & {"Daesh", "IS", "SDF", "AFP", "ISIS"}


def test_resolve_mentions_uses_context(gaz: Gazetteer) -> None:
    text = "Fighting moved from Tabqa to Raqqa, Syria."
    spans = [(20, 25), (29, 34)]
    tabqa, raqqa = resolve_mentions(text, spans, gaz)
    assert tabqa is not None and tabqa.place.geonameid == 172374
    assert raqqa is not None and raqqa.place.geonameid == 172955


def _resolve_all(gaz: Gazetteer, text: str, names: list[str]) -> list:
    spans = [(text.index(n), text.index(n) + len(n)) for n in names]
    return resolve_mentions(text, spans, gaz)


def test_resolve_mentions_state_focus_beats_country_reading(gaz: Gazetteer) -> None:
    text = ("Atlanta police said the suspect fled to Macon. Officials across Georgia "
            "and in Savannah were alerted.")
    georgia = _resolve_all(gaz, text, ["Atlanta", "Macon", "Georgia", "Savannah"])[2]
    assert georgia is not None and georgia.place.country_code == "US"
    assert georgia.place.feature == "admin1"


def test_resolve_mentions_abbreviated_state_after_comma(gaz: Gazetteer) -> None:
    text = "The plant in Springfield, Ill., closed on Monday."
    (springfield,) = _resolve_all(gaz, text, ["Springfield"])
    assert springfield is not None
    assert (springfield.place.country_code, springfield.place.admin1) == ("US", "IL")


def test_resolve_mentions_county_is_a_county(gaz: Gazetteer) -> None:
    text = "Deputies in Laurel County, Kentucky, searched the woods near London."
    county, london = _resolve_all(gaz, text, ["Laurel County", "London"])
    assert county is not None and county.place.feature == "admin2"
    assert distance_km(county.place.lat, county.place.lon, 37.13, -84.13) < 50
    assert london is not None and london.place.country_code == "US"


def test_resolve_mentions_primary_name_over_alternate(gaz: Gazetteer) -> None:
    text = "Fans travelled from Reading to London for the final."
    reading, _ = _resolve_all(gaz, text, ["Reading", "London"])
    assert reading is not None and reading.place.country_code == "GB"
