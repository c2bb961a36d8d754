"""Gazetteer: transliteration-blind lookup, country points, and the name normaliser."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.analyse.gazetteer import Gazetteer, distance_km, name_key, normalize_name


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.open()


@pytest.mark.parametrize(
    ("variant", "geonameid"),
    [
        ("Raqqa", 172955), ("Raqa", 172955), ("Ar-Raqqah", 172955),
        ("Deir ez-Zor", 170794), ("Deir Ezzor", 170794), ("Dayr az Zawr", 170794),
        ("Al-Mayadeen", 173480), ("Mayadin", 173480), ("Kobane", 172256),
        ("Tabqa", 172374), ("Mosul", 99072),
    ],
)
def test_gazetteer_variants_find_the_place(gaz: Gazetteer, variant: str, geonameid: int) -> None:
    ids = [c.place.geonameid for c in gaz.candidates(variant, country="SY" if geonameid != 99072
                                                      else "IQ")]
    assert geonameid in ids


def test_gazetteer_demonyms_and_long_forms_name_countries(gaz: Gazetteer) -> None:
    assert gaz.candidates("Irish")[0].place.country_code == "IE"
    assert gaz.candidates("Syrian")[0].place.feature == "country"
    assert gaz.candidates("Federal Republic of Germany")[0].place.country_code == "DE"


def test_demonyms_are_read_through_their_own_index(gaz: Gazetteer) -> None:
    """Every start reads the demonyms; a scan of all the names cost 0.04 CPU s of it."""
    plan = gaz._con.execute(
        "EXPLAIN QUERY PLAN SELECT DISTINCT norm FROM name WHERE kind = 1").fetchall()
    assert any("USING INDEX name_demonym" in row[-1] for row in plan)
    assert {"syrian", "iraqi"} <= gaz.demonyms()


def test_gazetteer_country_point_is_its_middle_not_its_capital(gaz: Gazetteer) -> None:
    germany = gaz.country("DE")
    assert germany is not None and germany.geonameid == 2921044
    assert distance_km(germany.lat, germany.lon, 51.5, 10.5) < 161
    assert distance_km(germany.lat, germany.lon, 52.52, 13.40) > 161  # Berlin


def test_gazetteer_countries_stand_at_geonames_own_points(gaz: Gazetteer) -> None:
    """The shipped index uses GeoNames' country points wherever `country_points.tsv` has
    one (Canada west of Hudson Bay, Japan at Tokyo), and no country lacks a point."""
    import csv

    from newsdesk.analyse.gazetteer import _EXTRA

    with (_EXTRA / "country_points.tsv").open(encoding="utf-8") as fh:
        points = list(csv.DictReader(fh, delimiter="\t"))
    assert len(points) == 196
    used = 0
    for row in points:
        country = gaz.country(row["iso"])
        if country is None:  # Kosovo: no ISO code of its own in GeoNames' country list
            continue
        used += 1
        assert (country.lat, country.lon) == (float(row["lat"]), float(row["lon"])), row
    assert used >= 195
    canada = gaz.country("CA")
    assert canada is not None and distance_km(canada.lat, canada.lon, 60.1, -113.6) < 5


def test_gazetteer_get_and_region(gaz: Gazetteer) -> None:
    raqqa = gaz.get(172955)
    assert raqqa is not None and raqqa.country_code == "SY"
    region = gaz.region("SY", raqqa.admin1 or "")
    assert region is not None and region.feature == "admin1"


def test_name_key_folds_transliterations() -> None:
    assert name_key("Raqqa") == name_key("Raqa") == name_key("Ar-Raqqah")
    assert name_key("Deir ez-Zor") == name_key("Dayr az Zawr") == name_key("Deir Ezzor")
    assert name_key("Ain Issa") == name_key("Ayn Isa")


@given(st.text(max_size=40))
def test_normalize_name_is_idempotent(s: str) -> None:
    assert normalize_name(normalize_name(s)) == normalize_name(s)


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), max_size=20))
def test_normalize_name_ignores_case_and_diacritics(s: str) -> None:
    plain = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    assert normalize_name(s.upper()) == normalize_name(s.lower()) or s.upper().lower() != \
        s.lower()
    assert normalize_name(s) == normalize_name(plain)


@pytest.mark.parametrize(
    ("name", "feature", "code"),
    [
        ("UAE", "country", "AE"), ("DPRK", "country", "KP"), ("Britain", "country", "GB"),
        ("W.Va.", "admin1", "US"), ("Calif.", "admin1", "US"), ("Ont.", "admin1", "CA"),
        ("EU", "continent", ""), ("European", "continent", ""),
        ("Palestinians", "country", "PS"), ("Laurel County", "admin2", "US"),
    ],
)
def test_gazetteer_abbreviations_demonyms_and_counties(gaz: Gazetteer, name: str, feature: str,
                                                       code: str) -> None:
    top = gaz.candidates(name)[0]
    assert top.match == 1.0
    assert (top.place.feature, top.place.country_code) == (feature, code)


def test_gazetteer_us_state_point_lies_inside_the_state(gaz: Gazetteer) -> None:
    texas = gaz.region("US", "TX")
    assert texas is not None and texas.geonameid == 4736286
    # derived from the state's towns, so inside Texas's bounding box
    assert 25.8 < texas.lat < 36.5
    assert -106.7 < texas.lon < -93.5


def test_first_level_region_at_the_middle_of_its_area() -> None:
    """Texas' geographic centre is near Brady (31.1, -99.3), far west of where Texans live."""
    gaz = Gazetteer.open()
    texas = gaz.region("US", "TX")
    assert texas is not None
    assert distance_km(texas.lat, texas.lon, 31.1, -99.3) < 100


@given(st.text(alphabet="abdehiklmnoqrsuyz -", max_size=14),
       st.lists(st.text(alphabet="abdehiklmnoqrsuyz -", max_size=14), max_size=6),
       st.sampled_from([0.0, 0.5, 0.7, 0.9, 1.0]))
def test_close_keeps_exactly_the_spellings_at_or_above_the_floor(a: str, others: list[str],
                                                                 floor: float) -> None:
    # the bounds only skip difflib where it could not reach the floor
    from newsdesk.analyse.gazetteer import _close, _similarity

    expected = {b: _similarity(a, b) for b in others if _similarity(a, b) >= floor}
    assert _close(a, others, floor) == expected


def test_close_skips_difflib_for_far_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    # "qarra" shares four letters with "raqqa" (difflib's quick_ratio: 0.9 * 8/10 = 0.72,
    # above the floor) but only two in order (0.9 * 4/10 = 0.36): no matcher is built.
    from newsdesk.analyse import gazetteer

    built: list[str] = []
    real = gazetteer.SequenceMatcher

    def counting(junk, a, b):  # type: ignore[no-untyped-def]
        built.append(b)
        return real(junk, a, b)

    monkeypatch.setattr(gazetteer, "SequenceMatcher", counting)
    assert gazetteer._close("raqqa", ["raqa", "qarra", "ar raqqah", "raqqa"], 0.7) == {
        "raqa": gazetteer._similarity("raqqa", "raqa"),
        "ar raqqah": gazetteer._similarity("raqqa", "ar raqqah"), "raqqa": 1.0}
    assert "qarra" not in built


@given(st.text(alphabet="abdehr", max_size=12), st.text(alphabet="abdehr", max_size=12))
def test_subsequence_is_the_longest_common_subsequence(a: str, b: str) -> None:
    from difflib import SequenceMatcher

    from newsdesk.analyse.gazetteer import _subsequence

    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1],
                                                                        table[i + 1][j])
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | 1 << i
    found = _subsequence(masks, len(a), b)
    assert found == table[len(a)][len(b)]
    assert found >= sum(m.size for m in SequenceMatcher(None, a, b).get_matching_blocks())


@given(st.text(alphabet="abdehiklmnoqrsuyz -", max_size=14),
       st.text(alphabet="abdehiklmnoqrsuyz -", max_size=14))
def test_similarity_is_difflibs_ratio_of_the_spellings_without_articles(a: str, b: str
                                                                        ) -> None:
    from difflib import SequenceMatcher

    from newsdesk.analyse.gazetteer import _similarity, _strip_articles

    sa, sb = (_strip_articles(s).replace(" ", "") for s in (a, b))
    expected = 1.0 if a == b else 0.97 if sa == sb else 0.9 * SequenceMatcher(None, sa, sb).ratio()
    assert _similarity(a, b) == expected


def test_candidates_do_not_depend_on_the_limit_or_the_order_of_lookups() -> None:
    """Lookups are memoised by normalised name: any spelling of it, any limit, in any order
    gives the ranking a fresh index gives."""
    first, second = Gazetteer.open(), Gazetteer.open()
    wide = first.candidates("Raqqa", limit=25)
    assert len(wide) > 3
    assert second.candidates("RAQQA", limit=3) == wide[:3]
    assert second.candidates("Raqqa", limit=25) == wide
    assert second.candidates("Raqqa", country="sy") == [
        c for c in wide if c.place.country_code == "SY"][:20]
    # only a ranking's head is memoised: a wider limit later still gets the whole ranking
    assert len(second.candidates("Santa Cruz", limit=5)) == 5
    everything = first.candidates("Santa Cruz", limit=10_000)
    assert len(everything) > 100
    assert second.candidates("Santa Cruz", limit=10_000) == everything
    assert second.candidates("Santa Cruz", limit=60) == everything[:60]


def test_gazetteer_regions_stand_at_geonames_own_points(gaz: Gazetteer) -> None:
    """Regions whose GeoNames record the pyowm city list carries get its point and id:
    British Columbia at the middle of its area, not among its southern towns; the county of
    Kent, which also names towns in Washington and Ohio."""
    bc = gaz.candidates("British Columbia")[0].place
    assert (bc.feature, bc.geonameid) == ("admin1", 5909050)
    assert distance_km(bc.lat, bc.lon, 54.0, -125.0) < 5
    kent = next(c.place for c in gaz.candidates("Kent", limit=25)
                if c.place.country_code == "GB")
    assert (kent.feature, kent.geonameid) == ("admin2", 3333158)
    assert distance_km(kent.lat, kent.lon, 51.17, 0.67) < 5


def test_gazetteer_without_pyowm_keeps_the_derived_points(monkeypatch) -> None:
    import importlib.metadata

    from newsdesk.analyse import gazetteer

    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    assert gazetteer._geonames_records(set()) == {}


def test_gazetteer_indexes_places_beyond_towns(gaz: Gazetteer) -> None:
    """Seas, rivers, disputed areas and airports from `features.tsv`; a port only under
    its port's name, so that the bare name stays the town's."""
    (river,) = [c.place for c in gaz.candidates("Euphrates") if c.match == 1.0]
    # at its mouth, where GeoNames puts a stream: the Shatt al-Arab, not Anbar or Raqqa
    assert river.feature == "river" and distance_km(river.lat, river.lon, 30.97, 47.47) < 50
    golan = gaz.candidates("Golan Heights")[0].place
    assert golan.feature == "disputed_area"
    airport = gaz.candidates("Kharkiv Airport")[0].place
    assert airport.feature == "airport" and airport.country_code == "UA"
    assert gaz.candidates("Hodeidah port")[0].place.feature == "port"
    assert all(c.place.feature != "port" for c in gaz.candidates("Hodeidah"))


@pytest.mark.parametrize("norm", ["raqqa", "al", "al raqqa", "ar raqqa al", "deir ez zor", ""])
def test_squashed_is_the_name_without_articles_and_spaces(norm: str) -> None:
    from newsdesk.analyse.gazetteer import _squashed, _strip_articles

    assert _squashed(norm) == _strip_articles(norm).replace(" ", "")


def test_gazetteer_maps_the_whole_index_into_memory(gaz: Gazetteer) -> None:
    from newsdesk.analyse.gazetteer import default_path

    (mapped,) = gaz._con.execute("PRAGMA mmap_size").fetchone()
    assert mapped >= default_path().stat().st_size


def test_gazetteer_world_regions_and_oceans_at_geonames_points(gaz: Gazetteer) -> None:
    """An ocean or world region that GeoNames has is at GeoNames' point, with its id (the
    Atlantic at 10, -25, not the 0, -30 of an approximate centre); one it lacks keeps the
    point derived from its members (Darfur from its states)."""
    atlantic = gaz.candidates("Atlantic")[0].place
    assert (atlantic.feature, atlantic.geonameid) == ("sea", 3373405)
    assert (atlantic.lat, atlantic.lon) == (10.0, -25.0)
    middle_east = gaz.candidates("Middle East")[0].place
    assert middle_east.geonameid == 6269133
    assert distance_km(middle_east.lat, middle_east.lon, 33.14, 35.86) < 5
    darfur = gaz.candidates("Darfur")[0].place
    assert darfur.geonameid is None and 11 < darfur.lat < 15 and 22 < darfur.lon < 26


def test_make_features_finds_a_rivers_mouth() -> None:
    """The mouth is the line end that no line of the river goes on from, farthest from
    the source; a branch's end nearer the source is not it, nor a river far outside the
    row's extent."""
    import importlib.util

    from newsdesk.analyse.gazetteer import _EXTRA

    spec = importlib.util.spec_from_file_location("make_features", _EXTRA / "make_features.py")
    assert spec is not None and spec.loader is not None
    mf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mf)
    main = [(34.4, 41.0), (33.0, 43.0), (31.3, 45.2)]
    lines = [main, [(31.3, 45.2), (31.3, 45.5)], [(31.3, 45.2), (31.0, 47.5)],
             [(50.0, 10.0), (51.0, 12.0)]]  # a namesake far away
    mine = mf._inside(lines, "30.9,40.9,34.5,47.6")
    assert mf._mouth(mine) == (31.0, 47.5)
    assert mf._inside(lines, "") == [] and mf._mouth([]) is None
    # its course: points about 10 km apart along every line, both ends of each kept
    course = [tuple(map(float, p.split(","))) for p in mf._course(mine).split(";")]
    assert (34.4, 41.0) in course and (31.0, 47.5) in course and (50.0, 10.0) not in course


def test_gazetteer_a_rivers_course(gaz: Gazetteer) -> None:
    (river,) = [c.place for c in gaz.candidates("Euphrates") if c.match == 1.0]
    course = gaz.course(river)
    # it passes Raqqa and Deir ez-Zor, each point within about 10 km of the next
    assert min(distance_km(*q, 35.95, 39.01) for q in course) < 10
    assert min(distance_km(*q, 35.33, 40.14) for q in course) < 10
    town = gaz.candidates("Raqqa")[0].place
    assert gaz.course(town) == ()


def test_gazetteer_the_west_is_western_europe(gaz: Gazetteer) -> None:
    """"The West" of geopolitics, at GeoNames' Western Europe, before Cameroon's West
    region or Sri Lanka's Western province, which share the bare word."""
    for name in ("the West", "West", "Western"):
        best = max(gaz.candidates(name), key=lambda c: (c.exact, c.place.population))
        assert (best.place.name, best.place.feature) == ("Western Europe", "region"), name


def test_gazetteer_a_peoples_own_region_for_its_demonym(gaz: Gazetteer) -> None:
    """"Kurdish" is the Kurds' own region, as "Welsh" is Wales: in Iraq, as before, but not
    at Iraq's middle."""
    (kurdish,) = [c.place for c in gaz.candidates("Kurdish") if c.demonym and c.exact]
    assert (kurdish.name, kurdish.feature, kurdish.country_code) == (
        "Kurdistan Region", "region", "IQ")


def test_a_keys_name_rows_lie_together_in_source_order(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path) -> None:
    # a lookup reads every row of its key: written together, not scattered over the table;
    # a key's rows keep the sources' order, which picks between two equally close spellings
    from newsdesk.analyse import gazetteer

    places = [(1, None, "Raqqa", "SY", None, 35.95, 39.01, 200_000, "city", 0),
              (2, None, "Mosul", "IQ", None, 36.34, 43.13, 1_000_000, "city", 0),
              (3, None, "Rakka", "TR", None, 38.0, 30.0, 500, "city", 0)]
    names = [(name_key(n), normalize_name(n), key, 0) for n, key in
             [("Raqqa", 1), ("Mosul", 2), ("Rakka", 3), ("Al Mawsil", 2), ("Rraqa", 1)]]
    monkeypatch.setattr(gazetteer, "_rows", lambda: (places, names, []))
    built = gazetteer.build(tmp_path / "g.sqlite")
    gaz = Gazetteer.open(built)
    rows = gaz._con.execute("SELECT skel, norm FROM name ORDER BY rowid").fetchall()
    assert rows == [("msl", "mosul"), ("msl", "al mawsil"), ("rk", "raqqa"), ("rk", "rakka"),
                    ("rk", "rraqa")]
    # "raqa" is as close to "raqqa" as to "rraqa": the first written of the place's wins
    assert gazetteer._similarity("raqa", "raqqa") == gazetteer._similarity("raqa", "rraqa")
    assert [(c.place.key, c.matched_name) for c in gaz.candidates("Raqa")] == [(1, "raqqa")]
