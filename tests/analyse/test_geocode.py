"""Places in the Raqqa reports: recognised, resolved, and actors kept out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.analyse.gazetteer import Gazetteer, distance_km
from newsdesk.analyse.geocode import _PLACE_CUES, _cued, extract_places, resolve_mentions
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
        if m.precision != "parent":
            by_text.setdefault(m.text, set()).add(m.geonameid)
    for written, gid in EXPECTED.items():
        assert by_text.get(written) == {gid}, written


@pytest.mark.slow
def test_geocode_every_raqa_in_a_report_is_the_place(places: list[PlaceMention],
                                                     example_dir: Path) -> None:
    # The NER tags six of the nine "Raqa" in 001 as an organisation ("surrounding Raqa's Old
    # City", "Raqa became"); once "trapped in Raqa" reads as the place, they all do.
    path = next(example_dir.glob("001_*.txt"))
    text = path.read_text("utf-8")
    written = {m.start() for m in re.finditer(r"\bRaqa\b", text)}
    found = {m.start for m in places if m.article_id == path.stem and m.text == "Raqa"
             and m.geonameid == EXPECTED["Raqa"]}
    assert sorted(found) == sorted(written)


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


def test_resolve_mentions_county_named_without_its_type_word(gaz: Gazetteer) -> None:
    text = "Schools in Miami-Dade and Broward stayed closed on Monday as the storm neared."
    for r in _resolve_all(gaz, text, ["Miami-Dade", "Broward"]):
        assert r is not None and r.place.feature == "admin2"
        assert (r.place.country_code, r.place.admin1) == ("US", "FL")


def test_resolve_mentions_unknown_place_lies_in_the_reports_area(gaz: Gazetteer) -> None:
    # Mashlab and Kasrat Afnan are unknown to the gazetteer; Jazra matches only loosely a
    # town in southern Iraq. All three are places of Raqqa's area: its town, as parent.
    text = ("Government forces shelled the Mashlab and Jazra districts of Raqqa, and families "
            "fled to Kasrat Afnan on the south bank, a monitor said.")
    mashlab, jazra, raqqa, kasrat = _resolve_all(
        gaz, text, ["Mashlab", "Jazra", "Raqqa", "Kasrat Afnan"])
    assert raqqa is not None and raqqa.place.geonameid == 172955 and not raqqa.guessed
    for r in (mashlab, jazra, kasrat):
        assert r is not None and r.place.geonameid == 172955
        assert (r.precision, r.parent, r.kind, r.guessed) == ("parent", "Ar Raqqah", "place",
                                                              True)
    # with no town to stand for, an unknown name stays unresolved
    assert _resolve_all(gaz, "Residents of Mashlab fled.", ["Mashlab"]) == [None]


def test_resolve_mentions_large_town_spelt_loosely_keeps_its_reading(gaz: Gazetteer) -> None:
    # "Raqa" matches Raqqa only loosely and lies far from Mosul, the report's area: a town
    # that large is transliterated, not a village the gazetteer lacks
    text = "Iraqi forces pressed on in Mosul and Tal Afar. In Raqa, jihadists held out."
    raqa = _resolve_all(gaz, text, ["Mosul", "Tal Afar", "Raqa"])[2]
    assert raqa is not None and raqa.place.geonameid == 172955 and not raqa.guessed


def test_resolve_mentions_venue_named_for_a_distant_small_town(gaz: Gazetteer) -> None:
    # the hall bears the name of Carnegie, Pennsylvania, but the report is about New York
    text = ("The orchestra played Carnegie Hall on Friday before touring Brooklyn and Queens, "
            "New York.")
    hall = _resolve_all(gaz, text, ["Carnegie Hall", "Brooklyn", "Queens"])[0]
    assert hall is not None and hall.guessed and hall.precision == "parent"
    assert (hall.place.country_code, hall.place.admin1) == ("US", "NY")


def test_resolve_mentions_city_is_part_of_the_name(gaz: Gazetteer) -> None:
    text = "Flights from Kansas City and Mexico City to Quebec City were cancelled in Kansas."
    kc, mexico, quebec, kansas = _resolve_all(
        gaz, text, ["Kansas City", "Mexico City", "Quebec City", "in Kansas"[3:]])
    assert kc is not None and kc.place.name == "Kansas City" and kc.place.feature == "city"
    assert mexico is not None and mexico.place.country_code == "MX"
    assert quebec is not None and quebec.place.country_code == "CA"
    assert kansas is not None and kansas.place.feature == "admin1"


def test_resolve_mentions_state_in_a_story_about_its_towns(gaz: Gazetteer) -> None:
    # "Montana" is also an alternate name of Montana City: in a story set in Billings and
    # Bozeman, the state focus is Montana, and it counts for the state itself too
    text = "Ranchers from Billings and Bozeman said drought has hit Montana hard."
    *_, montana = _resolve_all(gaz, text, ["Billings", "Bozeman", "Montana"])
    assert montana is not None and montana.place.feature == "admin1"
    assert montana.place.admin1 == "MT"


def test_resolve_mentions_primary_name_over_alternate(gaz: Gazetteer) -> None:
    text = "Fans travelled from Reading to London for the final."
    reading, _ = _resolve_all(gaz, text, ["Reading", "London"])
    assert reading is not None and reading.place.country_code == "GB"


def test_resolve_mentions_capital_before_same_named_state(gaz: Gazetteer) -> None:
    text = "Officials in Washington said the talks would resume."
    (washington,) = _resolve_all(gaz, text, ["Washington"])
    assert washington is not None and washington.place.capital
    assert distance_km(washington.place.lat, washington.place.lon, 38.9, -77.04) < 20


def test_resolve_mentions_state_word_keeps_the_state(gaz: Gazetteer) -> None:
    text = "Wildfires spread across Washington state on Sunday."
    (washington,) = _resolve_all(gaz, text, ["Washington state"])
    assert washington is not None and washington.place.feature == "admin1"
    assert washington.place.admin1 == "WA"


@pytest.mark.parametrize(("text", "name", "feature", "near"), [
    ("Houthi forces fired missiles at a tanker in the Red Sea.", "Red Sea", "sea", (20, 38.5)),
    ("A drone struck a ship in the Black Sea overnight.", "Black Sea", "sea", (43.4, 34)),
    ("Tensions rose across the Middle East after the strike.", "Middle East", "region",
     (33.1, 35.9)),  # GeoNames' point, in the Levant, not the middle of its countries
    ("Militants have moved across the Sahel for a decade.", "Sahel", "region", (15, 2)),
    ("Fighting resumed in the Donbas, Ukraine's east.", "Donbas", "region", (48.3, 38.5)),
    ("Clashes spread across Darfur in western Sudan.", "Darfur", "region", (13, 24.5)),
])
def test_resolve_mentions_seas_and_world_regions(gaz: Gazetteer, text: str, name: str,
                                                 feature: str, near: tuple[float, float]
                                                 ) -> None:
    (r,) = _resolve_all(gaz, text, [name])
    assert r is not None and r.place.feature == feature
    assert distance_km(r.place.lat, r.place.lon, *near) < 500


def test_resolve_mentions_landmark_stands_for_its_city(gaz: Gazetteer) -> None:
    text = "The Kremlin denied the report; the White House did not comment."
    kremlin, white_house = _resolve_all(gaz, text, ["Kremlin", "White House"])
    assert kremlin is not None and kremlin.place.name == "Moscow"
    assert kremlin.precision == "parent" and kremlin.parent == "Moscow"
    assert white_house is not None and white_house.place.capital
    assert white_house.place.country_code == "US"


def test_resolve_mentions_institution_resolves_to_the_place_inside(gaz: Gazetteer) -> None:
    text = "Students at Aleppo University and staff of the Bank of Japan were named."
    university, bank = _resolve_all(gaz, text, ["Aleppo University", "Bank of Japan"])
    assert university is not None and university.place.name == "Aleppo"
    assert university.precision == "parent"
    assert bank is not None and bank.place.feature == "country"
    assert bank.place.country_code == "JP"


def test_resolve_mentions_compass_word_is_not_a_region_of_its_own(gaz: Gazetteer) -> None:
    text = "Shelling hit Eastern Ghouta again."
    (r,) = _resolve_all(gaz, text, ["Eastern Ghouta"])
    assert r is None or r.place.country_code == "SY"


def test_england_and_english_are_the_constituent_country(gaz: Gazetteer) -> None:
    text = "English fans travelled across England."
    english, england = _resolve_all(gaz, text, ["English", "England"])
    for r in (english, england):
        assert r is not None and (r.place.country_code, r.place.admin1) == ("GB", "ENG")


@pytest.mark.slow
def test_polity_tagged_as_organisation_is_still_a_place(nlp, gaz: Gazetteer) -> None:
    """The small model often tags a country speaking as its government ORG."""
    from spacy.tokens import Span

    text = "Jamaica rejected the plan, while the Syrian Democratic Forces welcomed it."
    doc = nlp(text)
    doc.ents = [Span(doc, 0, 1, label="ORG"), Span(doc, 6, 9, label="ORG")]
    article = Article(id="t", source="t", text=text)
    found = {m.text: m for m in extract_places(doc, article, gaz)}
    assert found["Jamaica"].country_code == "JM" and found["Jamaica"].feature == "country"
    assert "Syrian Democratic Forces" not in found


@pytest.mark.slow
def test_geocode_places_carry_their_first_level_region(places: list[PlaceMention]) -> None:
    kobane = {m.admin1 for m in places if m.text == "Kobane"}
    raqqa = {m.admin1 for m in places if m.text in ("Raqqa", "Raqa") and m.precision != "parent"}
    assert kobane == {"Aleppo"} and raqqa == {"Ar-Raqqah"}
    assert all(m.admin1 is None for m in places if m.feature == "country")


def _found(nlp, gaz: Gazetteer, text: str) -> dict[str, PlaceMention]:
    article = Article(id="t", source="t", text=text)
    return {m.text.removeprefix("the "): m for m in extract_places(nlp(text), article, gaz)}


@pytest.mark.slow
@pytest.mark.parametrize(("text", "written", "kind", "near"), [
    # a river named with a town it passes is the stretch beside that town
    ("US-backed forces crossed the Euphrates north of Deir ez-Zor on Saturday.",
     "Euphrates", "river", (35.33, 40.14)),
    ("Houthi forces fired two anti-ship missiles at a tanker in the Red Sea off Hodeidah.",
     "Red Sea", "sea", (20.0, 38.5)),
    ("Somali pirates hijacked a bulk carrier in the Gulf of Aden on Tuesday.",
     "Gulf of Aden", "sea", (12.0, 48.0)),
    ("Jihadist groups have spread across the Sahel since 2012.", "Sahel", "region",
     (17.0, 2.8)),
    ("Israeli jets struck targets in the Golan Heights overnight.", "Golan Heights",
     "disputed area", (33.0, 35.75)),
    ("Rockets were fired from the Gaza Strip towards Ashkelon.", "Gaza Strip",
     "disputed area", (31.42, 34.33)),
    ("Russia annexed Crimea in 2014.", "Crimea", "disputed area", (45.3, 34.3)),
    ("Coalition ships patrolled off Socotra Island in the Arabian Sea.", "Socotra Island",
     "island", (12.5, 53.9)),
    ("Russian missiles struck Kharkiv airport early on Sunday, the governor said.",
     "Kharkiv airport", "airport", (49.92, 36.29)),
    ("Russian warplanes took off from Hmeimim air base near Latakia.",
     "Hmeimim air base", "air base", (35.40, 35.95)),
    ("Iraqi forces retook Mosul airport in February.", "Mosul airport", "airport",
     (36.31, 43.15)),
])
def test_extract_places_kinds_beyond_towns(nlp, gaz: Gazetteer, text: str, written: str,
                                           kind: str, near: tuple[float, float]) -> None:
    m = _found(nlp, gaz, text)[written]
    assert m.kind == kind, m
    assert distance_km(m.lat, m.lon, *near) < 50, m


@pytest.mark.slow
def test_river_beside_a_town_is_the_stretch_by_it(nlp, gaz: Gazetteer) -> None:
    # the river, not the town as its parent; on its course by the town, not at its mouth
    found = _found(nlp, gaz, "Clashes broke out on the banks of the Euphrates near Raqqa.")
    river, town = found["Euphrates"], found["Raqqa"]
    assert (river.kind, river.name, river.precision) == ("river", "Euphrates", "region")
    assert town.kind == "town"
    assert distance_km(river.lat, river.lon, town.lat, town.lon) < 15
    # with no town it passes among the article's places, it is at its mouth
    (alone,) = _resolve_all(gaz, "Fighting spread along the Euphrates.", ["Euphrates"])
    assert alone is not None and distance_km(alone.place.lat, alone.place.lon,
                                             30.97, 47.47) < 50
    far = "Protests in Paris spread along the Euphrates."
    (_, euphrates) = _resolve_all(gaz, far, ["Paris", "Euphrates"])
    assert euphrates is not None and distance_km(euphrates.place.lat, euphrates.place.lon,
                                                 30.97, 47.47) < 50


@pytest.mark.slow
def test_unknown_airport_is_its_town_as_parent(nlp, gaz: Gazetteer) -> None:
    m = _found(nlp, gaz, "Government troops shelled Tabqa airport on Monday.")["Tabqa airport"]
    assert (m.name, m.precision, m.parent, m.kind) == ("Al-Tabqa", "parent", "Al-Tabqa",
                                                        "airport")


@pytest.mark.slow
def test_geocode_raqqa_tabqa_us_and_dateline(places: list[PlaceMention]) -> None:
    tabqa = [m for m in places if m.text == "Tabqa"]
    assert tabqa and all(m.geonameid == 172374 and m.kind == "town" for m in tabqa)
    us = [m for m in places if m.text == "US"]
    assert us and all(m.country_code == "US" and m.kind == "country" for m in us)
    (beirut,) = [m for m in places if m.text == "Beirut"]
    assert beirut.dateline and beirut.country_code == "LB" and beirut.kind == "town"
    assert not any(m.dateline for m in places if m.text != "Beirut"
                   and m.text.upper() != "WASHINGTON" and m.text != "AIN ISSA")


@pytest.mark.slow
def test_geocode_raqqa_dariya_rafiqah_wall_and_old_city(places: list[PlaceMention],
                                                        example_dir: Path) -> None:
    dariya = [m for m in places if m.text == "Dariya"]
    assert dariya and all((m.name, m.precision) == ("Ar Raqqah", "parent") for m in dariya)
    wall = [m for m in places if m.text == "Rafiqah Wall"]
    assert wall and all((m.name, m.precision, m.kind) == ("Ar Raqqah", "parent", "facility")
                        for m in wall)
    texts = {p.stem: p.read_text("utf-8") for p in example_dir.glob("*.txt")}
    old = [m for m in places if "Old City" in m.text]
    assert {m.name for m in old} == {"Ar Raqqah", "Mosul"}
    for m in old:  # the Old City of the town its sentence names
        text = texts[m.article_id]
        head = max(text.rfind(". ", 0, m.start), text.rfind("\n", 0, m.start))
        tail = text.find(". ", m.end)
        sentence = text[head:tail]
        if "Mosul" in sentence and not re.search(r"Raqq?a", sentence):
            assert m.name == "Mosul", sentence
        elif re.search(r"Raqq?a", sentence) and "Mosul" not in sentence:
            assert m.name == "Ar Raqqah", sentence


@pytest.mark.parametrize(("text", "name", "precision", "acled"), [
    ("Shelling hit Tabqa and Raqqa, Syria.", "Tabqa", "exact", 1),
    ("Shelling hit villages across Syria.", "Syria", "country", 3),
    ("A tanker was struck in the Red Sea.", "Red Sea", "region", 3),
    ("Shelling along the Euphrates River continued.", "Euphrates River", "region", 3),
    ("Clashes spread across Deir Ezzor province.", "Deir Ezzor province", "admin1", 3),
    ("Iraqi forces retook Mosul airport.", "Mosul airport", "exact", 1),
    ("Government troops shelled Tabqa airport.", "Tabqa airport", "parent", 2),
])
def test_precision_gives_acled_geo_precision(gaz: Gazetteer, text: str, name: str,
                                             precision: str, acled: int) -> None:
    from newsdesk.publish.export import _GEO_PRECISION

    (r,) = _resolve_all(gaz, text, [name])
    assert r is not None and r.precision == precision
    assert _GEO_PRECISION[r.precision] == acled


def test_resolve_mentions_country_adjective_before_the_town(gaz: Gazetteer) -> None:
    text = "Police in the Canadian city of London said two men were arrested."
    (london,) = _resolve_all(gaz, text, ["London"])
    assert london is not None and london.place.country_code == "CA"
    (plain,) = _resolve_all(gaz, "Police in London said two men were arrested.", ["London"])
    assert plain is not None and plain.place.country_code == "GB"


@pytest.mark.parametrize(("text", "names", "feature"), [
    # bare, the city: news names the city far more often than the state around it
    ("Tourists packed hotels in New York over the holiday.", ["New York"], "city"),
    # the article's other places in the state all lie upstate: the state
    ("Floods hit Binghamton and Elmira on Tuesday, and New York declared an emergency.",
     ["Binghamton", "Elmira", "New York"], "admin1"),
    # written as the state's: after "Town, ", abbreviated, in a list of states, its border
    ("A paper mill in Albany, New York, closed on Friday.", ["Albany", "New York"], "admin1"),
    ("The company moved from Buffalo, N.Y., last year.", ["Buffalo", "N.Y."], "admin1"),
    ("Storms knocked out power in Ohio, Pennsylvania and New York.",
     ["Ohio", "Pennsylvania", "New York"], "admin1"),
    ("Troopers closed the highway near the New York border.", ["New York"], "admin1"),
])
def test_resolve_mentions_new_york_city_or_state(gaz: Gazetteer, text: str, names: list[str],
                                                 feature: str) -> None:
    new_york = _resolve_all(gaz, text, names)[-1]
    assert new_york is not None and new_york.place.feature == feature
    assert (new_york.place.country_code, new_york.place.admin1) == ("US", "NY")


def test_resolve_mentions_state_after_its_town_and_a_comma(gaz: Gazetteer) -> None:
    # "Washington" is the capital when bare; after "Spokane, " it is the state Spokane is in
    text = "Protesters marched in Spokane, Washington, on Saturday."
    _, washington = _resolve_all(gaz, text, ["Spokane", "Washington"])
    assert washington is not None and washington.place.feature == "admin1"
    assert washington.place.admin1 == "WA"


def test_resolve_mentions_english_county_over_us_town(gaz: Gazetteer) -> None:
    # a county named bare has the weight of the towns in it, not of a village: Cornwall is
    # not the Ontario town of 48,000, Devon not the South African one, even with no context
    text = "Police in Cornwall said a lorry overturned near Truro."
    cornwall, _ = _resolve_all(gaz, text, ["Cornwall", "Truro"])
    assert cornwall is not None and cornwall.place.feature == "admin2"
    assert distance_km(cornwall.place.lat, cornwall.place.lon, 50.4, -4.9) < 60
    (devon,) = _resolve_all(gaz, "Floods closed roads across Devon on Monday.", ["Devon"])
    assert devon is not None and (devon.place.feature, devon.place.country_code) == (
        "admin2", "GB")


def test_resolve_mentions_neighbouring_towns_pull_each_other(gaz: Gazetteer) -> None:
    # alone, Athens is the Greek capital; beside Madisonville it is the Tennessee town 30 km
    # away (Athens, Georgia is the larger namesake, but no Madisonville lies near it)
    text = "Flooding closed the road between Athens and Madisonville overnight."
    athens, madisonville = _resolve_all(gaz, text, ["Athens", "Madisonville"])
    assert athens is not None and madisonville is not None
    assert (athens.place.country_code, athens.place.admin1) == ("US", "TN")
    assert distance_km(athens.place.lat, athens.place.lon, madisonville.place.lat,
                       madisonville.place.lon) < 50
    (alone,) = _resolve_all(gaz, "Athens police said the suspect was held.", ["Athens"])
    assert alone is not None and alone.place.country_code == "GR"


def test_resolve_mentions_old_name_of_a_capital_is_not_the_capital(gaz: Gazetteer) -> None:
    # Philadelphia is an old name of Amman; the city that bears it as its own name wins
    (phila,) = _resolve_all(gaz, "Envoys met in Philadelphia on Monday.", ["Philadelphia"])
    assert phila is not None and (phila.place.country_code, phila.place.admin1) == ("US", "PA")


def test_extract_places_a_title_makes_a_person(nlp, gaz: Gazetteer) -> None:
    # the NER tags "Denver" a GPE; after "Governor" it is a person
    text = "Governor Denver spoke to farmers in Kansas."
    found = extract_places(nlp(text), Article(id="t", source="test", text=text), gaz)
    assert [m.text for m in found] == ["Kansas"]


def test_geocode_demonyms_are_mentions_of_their_own_kind(nlp, gaz: Gazetteer) -> None:
    text = ("Iraqi Kurdish forces and North Korean envoys met as Syrians fled across the "
            "Indian Ocean coast, Kurdish officials said.")
    article = Article(id="d", source="test", text=text)
    found = {m.text: m for m in extract_places(nlp(text), article, gaz)}
    for written, code in [("Iraqi", "IQ"), ("North Korean", "KP"), ("Syrians", "SY")]:
        m = found[written]
        assert (m.kind, m.country_code, m.precision) == ("demonym", code, "country"), written
        assert text[m.start:m.end] == written
    # a people of several states names no country; a place that begins with one is a place
    assert "Kurdish" not in found and "Indian" not in found


@pytest.mark.parametrize(("outlet", "url", "home"), [
    ("The Columbus Dispatch", None, ["columbus"]),
    ("Springfield News-Sun", None, ["springfield"]),
    (None, "http://www.columbustelegram.com/news/1", ["columbus"]),
    (None, "https://www.thisisoxfordshire.co.uk/news/", ["oxfordshire"]),
    ("Arab News", None, []),  # a people's name
    ("SANA", None, []),  # an agency's acronym, not Sana'a
    ("The Daily Star", "http://www.dailystar.com.lb/x", []),  # Star, Texas is no paper's home
    ("Reuters", "https://www.reuters.com/world/", []),
])
def test_geocode_outlet_towns_from_its_name_or_address(gaz: Gazetteer, outlet, url, home) -> None:
    from newsdesk.analyse.geocode import outlet_towns

    assert outlet_towns(gaz, outlet, url) == home


@pytest.mark.parametrize(("outlet", "url", "country", "home"), [
    ("SANA", "https://sana.sy/en/?p=1", "SY", []),  # Sana'a lies in Yemen
    ("Daily Sabah", "https://www.dailysabah.com/politics", "TR", []),  # Sabah, Malaysia
    ("The Washington Post", "https://www.washingtonpost.com/world/", "US", ["washington"]),
    (None, "http://www.columbustelegram.com/news/1", "US", ["columbus"]),
])
def test_geocode_outlet_towns_lie_in_the_outlets_country(gaz: Gazetteer, outlet, url, country,
                                                          home) -> None:
    from newsdesk.analyse.geocode import outlet_towns

    assert outlet_towns(gaz, outlet, url, country) == home


def test_geocode_outlet_towns_decides_a_bare_namesake(gaz: Gazetteer) -> None:
    # A Columbus paper's bare "Dublin" is the Ohio suburb; with no home, the Irish capital.
    text = "Police said the crash happened near Dublin on Tuesday."
    span = [(text.index("Dublin"), text.index("Dublin") + 6)]
    alone = resolve_mentions(text, span, gaz)[0]
    local = resolve_mentions(text, span, gaz, home=["columbus"])[0]
    assert alone is not None and alone.place.country_code == "IE"
    assert local is not None and (local.place.country_code, local.place.admin1) == ("US", "OH")


@pytest.mark.parametrize(("url", "code"), [
    ("http://www.lfpress.ca/news/local/2009/03/20/1.html", "CA"),
    ("https://www.thisisoxfordshire.co.uk/news/", "GB"),
    ("http://www.dailystar.com.lb/News/Local-News/", "LB"),
    ("https://www.latimes.com/world/", None),
    ("https://www.example.tv/news", None),  # a code sold as a word
    ("http://[news.example.ca/x", None),  # malformed: no host, no error
    (None, None),
])
def test_geocode_outlet_country_from_its_domain(url, code) -> None:
    from newsdesk.analyse.geocode import outlet_country

    assert outlet_country(url) == code


def test_geocode_outlet_country_decides_a_bare_capital_namesake(nlp, gaz: Gazetteer) -> None:
    text = "Police in London said the man was arrested on Tuesday after a long chase."
    found = {}
    for url in (None, "http://www.lfpress.ca/news/local/1.html"):
        article = Article(id="l", source="test", text=text, url=url)
        found[url] = next(m for m in extract_places(nlp(text), article, gaz)
                          if m.text == "London")
    assert found[None].country_code == "GB"
    assert found["http://www.lfpress.ca/news/local/1.html"].country_code == "CA"


class _Asked(Gazetteer):
    """The gazetteer, noting each name it is asked about."""

    def __init__(self, base: Gazetteer) -> None:
        super().__init__(base._con)
        self.asked: list[str] = []

    def candidates(self, name, **kwargs):  # type: ignore[no-untyped-def]
        self.asked.append(name)
        return super().candidates(name, **kwargs)


def test_extract_places_asks_the_gazetteer_only_where_its_answer_counts(nlp, gaz) -> None:
    # An uncued date or person is no place whatever the gazetteer says; a person's name
    # after a place cue, or a "person" that is a place named with "the", is asked about.
    from spacy.tokens import Span

    text = "On Monday Kelly said the convoy moved into Mosul and crossed the Euphrates."
    doc = nlp(text)
    words = [t.text for t in doc]
    doc.ents = [Span(doc, words.index(w), words.index(w) + 1, label=label)
                for w, label in (("Monday", "DATE"), ("Kelly", "PERSON"),
                                 ("Mosul", "PERSON"), ("Euphrates", "PERSON"))]
    asked = _Asked(gaz)
    found = extract_places(doc, Article(id="a", source="test", text=text), asked)
    assert "Monday" not in asked.asked and "Kelly" not in asked.asked
    assert {"Mosul", "Euphrates"} <= set(asked.asked)
    assert [m.text for m in found] == ["Mosul", "Euphrates"]


def test_resolve_mentions_acronym_is_an_abbreviation_or_nothing(gaz: Gazetteer) -> None:
    # "SA" is South Africa in a South African paper (its .za domain); never Shanghai
    # (whose "Sha" is two letters off) nor Sa'er, a town whose name is "SA" without its
    # Arabic article. "WA" is Western Australia in an Australian one, else Washington state
    text = "Load shedding will continue across SA this week, the utility said."
    span = [(text.index("SA"), text.index("SA") + 2)]
    (za,) = resolve_mentions(text, span, gaz, extra_countries=["ZA"])
    assert za is not None and (za.place.feature, za.place.country_code) == ("country", "ZA")
    text = "Bushfires forced evacuations across WA on Sunday, police said."
    span = [(text.index("WA"), text.index("WA") + 2)]
    (au,) = resolve_mentions(text, span, gaz, extra_countries=["AU"])
    assert au is not None and (au.place.country_code, au.place.admin1) == ("AU", "08")
    (us,) = resolve_mentions(text, span, gaz)
    assert us is not None and (us.place.country_code, us.place.admin1) == ("US", "WA")
    text = "The company moved its offices to CA last year."
    span = [(text.index("CA"), text.index("CA") + 2)]
    assert resolve_mentions(text, span, gaz) == [None]  # not Cairo's "Cai"


def test_resolve_mentions_a_papers_place_is_its_city(gaz: Gazetteer) -> None:
    # beside Seattle and Spokane, which vote for Washington state, the Washington of "The
    # Washington Post" is the capital; a state no large city is named for keeps its reading
    text = ("Seattle and Spokane officials spoke to The Washington Post on Friday, and to "
            "The Texas Tribune.")
    *_, washington, texas = _resolve_all(gaz, text, ["Seattle", "Spokane", "Washington",
                                                      "Texas"])
    assert washington is not None and washington.place.feature == "city"
    assert washington.place.admin1 == "DC"
    assert texas is not None and texas.place.feature == "admin1"


def test_resolve_mentions_a_state_not_the_village_named_for_it(gaz: Gazetteer) -> None:
    # beside Tulsa and Muskogee, the town of Kansas, Oklahoma is near and in their state;
    # named bare, "Kansas" is still the state
    text = "The winning ticket was sold in Kansas, officials in Tulsa and Muskogee said."
    kansas, tulsa, _ = _resolve_all(gaz, text, ["Kansas", "Tulsa", "Muskogee"])
    assert kansas is not None and (kansas.place.feature, kansas.place.admin1) == (
        "admin1", "KS")
    assert tulsa is not None and tulsa.place.admin1 == "OK"


def test_resolve_mentions_a_port_named_for_a_far_small_town_is_in_the_articles_area(
        gaz: Gazetteer) -> None:
    # the gazetteer has no Pearl Harbor; it is no port of Pearl, Mississippi in a report on
    # Honolulu, but a place in the area the article's towns gather round
    text = "Sailors at Pearl Harbor, in Honolulu and in Kailua marked the anniversary."
    harbor, honolulu, _ = _resolve_all(gaz, text, ["Pearl Harbor", "Honolulu", "Kailua"])
    assert harbor is not None and harbor.guessed and harbor.place == honolulu.place


def test_resolve_mentions_a_capital_is_no_anchor_for_its_neighbours(gaz: Gazetteer) -> None:
    # "Moscow said" is the government: Kaliningrad is the exclave, not Korolev near Moscow
    # (once named Kaliningrad); Cambridge beside "Washington warned" is not Maryland's
    text = "Moscow said troops left Kaliningrad on Monday."
    _, kaliningrad = _resolve_all(gaz, text, ["Moscow", "Kaliningrad"])
    assert kaliningrad is not None and kaliningrad.place.name == "Kaliningrad"
    text = "Washington warned Moscow on Monday, while researchers in Cambridge said so too."
    *_, cambridge = _resolve_all(gaz, text, ["Washington", "Moscow", "Cambridge"])
    assert cambridge is not None and cambridge.place.admin1 != "MD"


def test_resolve_mentions_the_west_of_geopolitics(gaz: Gazetteer) -> None:
    text = "Moscow accused the West of arming Kyiv, and Western capitals denied it."
    _, west, _, western = _resolve_all(gaz, text, ["Moscow", "West", "Kyiv", "Western"])
    for r in (west, western):
        assert r is not None and (r.place.name, r.place.feature) == ("Western Europe", "region")


def test_resolve_mentions_a_name_the_gazetteer_lacks_in_a_report_without_towns(
        gaz: Gazetteer) -> None:
    # no town is named: the unknown pavilion is put in the county the report names, as its
    # parent
    text = "Patients were moved to the Zephyrine Pavilion, officials in Cuyahoga County said."
    pavilion, county = _resolve_all(gaz, text, ["Zephyrine Pavilion", "Cuyahoga County"])
    assert county is not None and county.place.feature == "admin2"
    assert pavilion is not None and pavilion.guessed and pavilion.precision == "parent"
    assert pavilion.place == county.place
    # with neither town nor region, the country
    text = "Jihadists overran Zephyrine camp, the army of Mali said."
    camp, mali = _resolve_all(gaz, text, ["Zephyrine", "Mali"])
    assert mali is not None and mali.place.feature == "country"
    assert camp is not None and camp.guessed and camp.place == mali.place


@pytest.mark.slow
def test_capitalised_tokens_are_read_at_their_offsets_past_wide_letters(nlp) -> None:
    # the first letters are read by code point: an emoji (two UTF-16 units, four UTF-8
    # bytes) and accented letters before a name must not shift which token is read
    from newsdesk.analyse.geocode import _offsets

    text = ("🙂 Élan vital? Ürümqi and łódź, then Łódź and ålesund; Ålesund's port, "
            "İdlib 🙂🙂 Raqqa, ǅemal and ǆ.")
    doc = nlp(text)
    starts, ends, upper = _offsets(doc, text)
    assert starts == [t.idx for t in doc] and ends == [t.idx + len(t) for t in doc]
    assert [doc[i].text for i in upper] == [t.text for t in doc if t.text[0].isupper()]
    assert {"Ürümqi", "Łódź", "Ålesund", "İdlib", "Raqqa"} <= {doc[i].text for i in upper}


@pytest.mark.slow
def test_the_capitalised_tokens_are_read_once_per_article(nlp, gaz: Gazetteer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # the untagged names and the demonyms walk the same capitalised tokens: one reading
    from newsdesk.analyse import geocode

    calls: list[str] = []
    real = geocode._offsets

    def counting(doc, text):  # type: ignore[no-untyped-def]
        calls.append(text)
        return real(doc, text)

    monkeypatch.setattr(geocode, "_offsets", counting)
    text = ("Syrian troops entered the village of Ain Issa, north of Raqqa, as Kurdish "
            "fighters held Tabqa. Russian jets struck near Maskanah.")
    found = {m.text: m.kind for m in extract_places(nlp(text), Article(id="t", source="t",
                                                                       text=text), gaz)}
    assert calls == [text]
    assert {"Syrian", "Russian", "Raqqa", "Tabqa"} <= set(found)
    assert found["Syrian"] == found["Russian"] == "demonym"


_CUE_PIECES = ["in", "IN", "near", "the", "THE", "city", "cıty", "CİTY", "of", "ſouth",
               "captured", "towards", "neighbourhood", "Governor", "thé", " ", "\n", "  ",
               "x", "-", ",", "\u212a", "é"]


@given(st.lists(st.sampled_from(_CUE_PIECES), max_size=8))
def test_a_place_cue_is_read_case_blind_as_the_cue_pattern_reads_it(pieces: list[str]) -> None:
    # `_cued` searches the folded text with the pattern lower-cased: the same answer as
    # `_PLACE_CUES` with IGNORECASE, for "ı", "İ" and "ſ" too, and a cue only at the end
    before = "".join(pieces)
    assert _cued(before) == (_PLACE_CUES.search(before) is not None)


def test_a_place_cue_ends_the_text_before_a_name() -> None:
    assert _cued("fighting raged in ") and _cued("IN THE CITY OF ") and _cued("the cıty of\n")
    assert not _cued("the city of Raqqa ") and not _cued("within ") and not _cued("Governor ")
