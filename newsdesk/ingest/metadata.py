"""Who published a report, whose copy it is, where it was filed, when, in what language.

A monitor weighs a claim by its source: AFP copy carried by ten sites is one source, not
ten, and a Sputnik dispatch is not an AFP one. So the outlet comes from the strongest
evidence available (what the input or its sidecar said, then the page's own metadata,
then the URL's domain through the outlet table `data/outlets.tsv`, then the dateline's
agency), and `outlet_source` says which. A photo credit is never evidence: Middle East
Eye runs AFP pictures under its own reports, and "(AFP)" in a caption says who took the
picture, not who wrote the words. The publication date is
never guessed: only the input's metadata, the page's markup (set at ingest) or a line
that explicitly says "Published ..." are used. A page's render stamp ("23:45 GMT24 May
2020" on a 2017 report) is chrome, not a date.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections import Counter
from datetime import date
from functools import cache
from html import unescape as html_unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsdesk.models import Article, InputError

__all__ = [
    "MANIFEST", "SIDECAR_FIELDS", "SIDECAR_SUFFIX", "Sidecar", "Sidecars", "apply_sidecar",
    "detect_language", "enrich", "is_sidecar", "outlet_for_domain", "outlet_home", "outlet_name",
    "parse_dateline", "site_name", "url_host",
]

_OUTLETS = Path(__file__).resolve().parent.parent / "data" / "outlets.tsv"

# Wire agencies and how datelines and credits write them. The value is the canonical name.
_WIRES: dict[str, str] = {
    "afp": "AFP", "agence france-presse": "AFP", "agence france presse": "AFP",
    "reuters": "Reuters", "thomson reuters": "Reuters", "ap": "AP", "associated press": "AP",
    "the associated press": "AP", "sputnik": "Sputnik", "xinhua": "Xinhua", "ani": "ANI",
    "pti": "PTI", "ians": "IANS", "upi": "UPI", "dpa": "dpa", "efe": "EFE", "ansa": "ANSA",
    "tass": "TASS", "ria novosti": "RIA Novosti", "interfax": "Interfax",
    "anadolu": "Anadolu Agency", "anadolu agency": "Anadolu Agency", "aa": "Anadolu Agency",
    "irna": "IRNA", "sana": "SANA", "kuna": "KUNA", "wam": "WAM", "bernama": "Bernama",
    "kyodo": "Kyodo", "yonhap": "Yonhap", "bloomberg": "Bloomberg", "ukrinform": "Ukrinform",
}

# Second-level labels under which a country's sites register (bbc.co.uk, aa.com.tr).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "gob", "or", "ne"})

_AGENCY_PAREN = r"\((?P<agency>[A-Z][A-Za-z .'-]{1,30})\)"
_DASH = r"\s*(?:[-–—:]|--)\s*"
# "Beirut (AFP) -", "WASHINGTON (Sputnik) —", "Kobane (Syria) (AFP) -",
# "US-led coalition compound near Kobane (Syria) (AFP) -".
_DATELINE_AGENCY = re.compile(
    r"^(?P<place>[A-Z][\w.'’ -]{1,60}?)(?:,\s*[A-Z][\w.' -]{1,30})?"
    r"(?:\s*\([A-Z][\w .'-]{1,30}\))?\s*" + _AGENCY_PAREN + _DASH
)
# "AIN ISSA, Syria:", "MOSUL, Iraq —", "KYIV -": the place in capitals, then a separator.
_DATELINE_CAPS = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’ -]{1,40}[A-Z])(?:,\s*(?:[A-Z][\w.']*\s?){1,3})?" + _DASH
    + r"(?=[A-Z0-9\"“‘'])"  # the story opens as a sentence: "NATO - the alliance" is not
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate([
        ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
        ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
        ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
        ("dec", "december"),
    ])
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
# Only lines that say what the date is: "Published: 27 June 2017", "Posted on June 27, 2017".
_PUB_LABEL = (
    r"^(?:first\s+)?(?:published|posted|date(?:d)?|publication\s+date)\s*(?:on|:)?\s*"
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?,?\s+)?"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_PUB_DATES = [
    re.compile(_PUB_LABEL + rest, re.IGNORECASE)
    for rest in (
        _DAY + r"\s+" + _MONTH + r",?\s+(?P<year>\d{4})",
        _MONTH + r"\s+" + _DAY + r",?\s+(?P<year>\d{4})",
        r"(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b",
    )
]

# Frequent function words per language: a text's share of each set decides its language.
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the of and to in a is that for on was with he it as at by from his said were "
              "have are has be this an which they not but had their its been who will",
        "fr": "le la les de des du et à un une est que qui dans pour sur pas par au aux "
              "il elle ont été ce cette avec sont plus ses son selon",
        "es": "el la los las de del y en un una que es por con para se su al lo como más "
              "pero sus fue han ha según este esta",
        "de": "der die das und in den von zu mit ist des dem nicht ein eine auf für sich "
              "im auch es sie hat wird wurde bei nach aus",
        "it": "il lo la i gli le di del della e che un una per con non è sono si al alla "
              "nel nella ha anche come più dei",
        "pt": "o a os as de do da dos das e em um uma que para com não por se na no foi "
              "ao mais como pelo pela são",
        "nl": "de het een en van in is dat op te zijn met voor niet aan er die door ook "
              "als bij werd heeft naar",
        "tr": "ve bir bu da de için ile olarak daha en çok gibi olan ama kadar sonra "
              "ancak ise değil her",
        "ru": "и в не на что с по как из за от это к он для о его но то так был также "
              "уже она они",
        "uk": "і в не на що з до як від за це та його він вона також але які був були",
        "ar": "في من على إلى أن عن مع هذا التي الذي كان ما لا هذه بين قد أو بعد كما ذلك",
        "fa": "و در به از که این را با است برای آن یک شده می تا بر",
    }.items()
}
_TOKEN = re.compile(r"[^\W\d_]+")
# Checked in order: kana means Japanese even amid kanji; Han alone means Chinese.
_SCRIPTS = [
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
]
_MIN_TOKENS = 8


def enrich(article: Article) -> Article:
    """Fill outlet, wire, republication, dateline, language and (stated) publication date.

    Returns a new Article; what the input already set is kept.
    """
    dateline, agency = parse_dateline(article.text)
    wire = _WIRES.get(agency.lower()) if agency else None
    outlet, outlet_source = outlet_name(article.outlet), article.outlet_source
    if outlet is None and article.url:
        outlet = outlet_for_domain(url_host(article.url))
        outlet_source = "url" if outlet else None
    if outlet is None and agency:
        outlet, outlet_source = wire or agency, "dateline"
    published, published_source = article.published, article.published_source
    if published is None:
        published = _stated_date(article)
        published_source = "text" if published else None
    return dataclasses.replace(
        article,
        outlet=outlet,
        outlet_source=outlet_source,
        wire=wire,
        republished=bool(wire and outlet and outlet != wire),
        dateline=dateline,
        language=article.language or detect_language(article.text),
        published=published,
        published_source=published_source,
    )


def outlet_for_domain(host: str) -> str | None:
    """Outlet name for a host: a known news site's name, else its registered domain."""
    host = host.lower().strip(".").removeprefix("www.")
    if not host:
        return None
    labels = host.split(".")
    for i in range(len(labels) - 1):
        name = _outlets().get(".".join(labels[i:]))
        if name:
            return name
    return _registered_domain(labels)


def outlet_name(name: str | None) -> str | None:
    """An outlet name as the outlet table spells it ("middle east eye" -> "Middle East Eye");
    a name the table lacks is kept as given, trimmed. Site names and sidecars vary in case
    and spacing, and one outlet must not count as two independent sources."""
    if name is None:
        return None
    name = " ".join(name.split())
    if not name:
        return None
    folded = name.casefold()
    return _outlet_names().get(folded) or _WIRES.get(folded) or name


@cache
def _outlets() -> dict[str, str]:
    """Registered domain -> outlet, from `data/outlets.tsv` (kept by hand: add a row for a
    site the desk reads often, and its reports get the outlet's name instead of its host)."""
    with _OUTLETS.open(encoding="utf-8", newline="") as fh:
        return {row["domain"]: row["outlet"] for row in csv.DictReader(fh, delimiter="\t")}


@cache
def _outlet_names() -> dict[str, str]:
    return {outlet.casefold(): outlet for outlet in _outlets().values()}


def _registered_domain(labels: list[str]) -> str:
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def url_host(url: str) -> str:
    """The host name of a web address, with or without its scheme; "" for none or a
    malformed one."""
    try:
        return urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return ""


def parse_dateline(text: str) -> tuple[str | None, str | None]:
    """(place as written, agency as written) from the opening of the article, if any.

    Only the opening is looked at: a dateline opens the copy, and a capitalised phrase
    followed by a dash later in the text is a subhead or a quote.
    """
    paragraphs = [p.strip()[:200] for p in text[:2000].split("\n") if p.strip()][:2]
    if not paragraphs:
        return None, None
    # An agency dateline may follow a standfirst ("... told Sputnik on Monday." then
    # "WASHINGTON (Sputnik) — On Friday..."), so the next paragraph is tried too.
    for para in paragraphs:
        match = _DATELINE_AGENCY.match(para)
        if match:
            return match.group("place").strip(), match.group("agency").strip()
    head = paragraphs[0]
    match = _DATELINE_CAPS.match(head)
    if match and len(match.group("place").split()) <= 5:
        return match.group("place").strip(), None
    return None, None


def _stated_date(article: Article) -> str | None:
    """A date the page states as its publication date, in a labelled line at either end.

    Bare stamps are ignored even when they parse: pages print the time they were
    rendered or last touched, which is not when the report was published.
    """
    paragraphs = article.text.split("\n\n")
    candidates = [*article.removed, *paragraphs[:3], *paragraphs[-3:]]
    for line in candidates:
        for pattern in _PUB_DATES:
            match = pattern.search(line.strip())
            if match:
                found = _to_iso(match)
                if found:
                    return found
    return None


def _to_iso(match: re.Match[str]) -> str | None:
    parts = match.groupdict()
    if parts.get("mon"):
        month: int | None = int(parts["mon"])
    else:
        month = _MONTHS.get((parts.get("month") or "").lower())
    if month is None:
        return None
    try:
        return date(int(parts["year"]), month, int(parts["day"])).isoformat()
    except ValueError:
        return None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from the share of each language's function words; None if unsure.

    Light by design: newsdesk runs offline and the analysis model is English, so the job
    is to tell English from the rest, not to rank 100 languages.
    """
    sample = text[:5000]
    for lang, script in _SCRIPTS:  # languages written without spaces between words
        if len(script.findall(sample)) > len(sample) * 0.1:
            return lang
    tokens = [t.lower() for t in _TOKEN.findall(sample)]
    if len(tokens) < _MIN_TOKENS:
        return None
    # each language's few function words looked up among the sample's counted words, not
    # each of its ~800 words in each of 12 lists: the same counts at a fifth of the cost
    counts = Counter(tokens)
    scores = {
        lang: sum(counts[w] for w in words) / len(tokens) for lang, words in _STOPWORDS.items()
    }
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] >= 0.08 else None


# --- sidecars: what a plain file cannot say about itself --------------------------------

SIDECAR_SUFFIX = ".meta.json"
MANIFEST = "manifest.csv"
SIDECAR_FIELDS = ("url", "outlet", "published", "language", "title")
_SIDECAR_NOTES = ("how", "note")  # free text: how each value was established; never read
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclasses.dataclass(slots=True, frozen=True)
class Sidecar:
    """The metadata a sidecar gives one file: only the fields it sets, each checked."""

    fields: dict[str, str]


class Sidecars:
    """Find and check the sidecars of the files one read reads.

    A saved text file says nothing of its URL, outlet or date, so newsdesk reads them
    from beside it: `NAME.meta.json` (for `NAME`, or for `NAME` without its extension),
    or a row of `manifest.csv` in its folder with the columns `file` and any of
    `url, outlet, published, language, title` (plus `how` or `note`, free text saying how
    the values were established). The JSON sidecar wins over the manifest row. A bad
    value is one `InputError` naming the sidecar, the row and the field; the file is still
    read, without that value. Each manifest is read once, and its errors said once.
    """

    def __init__(self) -> None:
        self._manifests: dict[Path, dict[str, Sidecar]] = {}

    def of(self, path: Path) -> tuple[Sidecar | None, list[InputError]]:
        """The sidecar metadata for `path`, and what was wrong with its sidecars."""
        errors: list[InputError] = []
        folder = path.parent
        if folder not in self._manifests:
            self._manifests[folder] = _read_manifest(folder / MANIFEST, errors)
        fields = dict(self._manifests[folder].get(path.name, Sidecar({})).fields)
        for own in (path.with_name(path.name + SIDECAR_SUFFIX),
                    path.with_name(path.stem + SIDECAR_SUFFIX)):
            if own != path and own.is_file():
                fields.update(_read_json_sidecar(own, errors).fields)
                break
        return (Sidecar(fields) if fields else None), errors


def is_sidecar(path: Path) -> bool:
    """A manifest or a JSON sidecar: metadata about reports, never a report itself."""
    return path.name == MANIFEST or path.name.endswith(SIDECAR_SUFFIX)


def apply_sidecar(article: Article, sidecar: Sidecar) -> Article:
    """The article with what its sidecar says; the sidecar wins over what the text
    suggested (a dateline agency, a URL-less guess). The id stays the text's own, so
    adding or correcting a manifest later does not make a stored report a new one."""
    f = sidecar.fields
    outlet = outlet_name(f.get("outlet")) or article.outlet
    return dataclasses.replace(
        article,
        url=f.get("url", article.url),
        title=f.get("title", article.title),
        outlet=outlet,
        outlet_source="sidecar" if "outlet" in f else article.outlet_source,
        published=f.get("published", article.published),
        published_source="sidecar" if "published" in f else article.published_source,
        language=f.get("language", article.language),
        republished=bool(article.wire and outlet and outlet != article.wire),
    )


def _read_manifest(path: Path, errors: list[InputError]) -> dict[str, Sidecar]:
    if not path.is_file():
        return {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = [h.strip() for h in reader.fieldnames or []]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        errors.append(InputError(str(path), f"cannot read this manifest ({exc}); it is ignored"))
        return {}
    if "file" not in header:
        errors.append(InputError(str(path), "a manifest needs a `file` column naming each "
                                 "report's file in this folder; it is ignored"))
        return {}
    unknown = [h for h in header if h not in ("file", *SIDECAR_FIELDS, *_SIDECAR_NOTES)]
    if unknown:
        errors.append(InputError(str(path), f"unknown column(s) {', '.join(unknown)}: the "
                                 f"columns are file, {', '.join(SIDECAR_FIELDS)} and how/note"))
    out: dict[str, Sidecar] = {}
    for n, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"{path}:{n}"
        name = (row.get("file") or "").strip()
        if not name:
            errors.append(InputError(where, "no file named in the `file` column"))
            continue
        if name in out:
            errors.append(InputError(where, f"{name} is listed twice; the first row is used"))
            continue
        if not (path.parent / name).is_file():
            errors.append(InputError(where, f"no file {name} in {path.parent}"))
        values = {k.strip(): v for k, v in row.items() if k and k.strip() in SIDECAR_FIELDS}
        out[name] = _checked(where, values, errors)
    return out


def _read_json_sidecar(path: Path, errors: list[InputError]) -> Sidecar:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        errors.append(InputError(str(path), f"cannot read this sidecar ({exc}); it is ignored"))
        return Sidecar({})
    if not isinstance(data, dict):
        errors.append(InputError(str(path), "a sidecar is one JSON object "
                                 '({"url": ..., "outlet": ...}); it is ignored'))
        return Sidecar({})
    unknown = [k for k in data if k not in (*SIDECAR_FIELDS, *_SIDECAR_NOTES)]
    if unknown:
        errors.append(InputError(str(path), f"unknown key(s) {', '.join(unknown)}: the keys "
                                 f"are {', '.join(SIDECAR_FIELDS)} and how/note"))
    values = {k: v for k, v in data.items() if k in SIDECAR_FIELDS and v is not None}
    return _checked(str(path), values, errors)


def _checked(where: str, values: dict[str, Any], errors: list[InputError]) -> Sidecar:
    """The values that pass their field's check; one error for each that does not."""
    fields: dict[str, str] = {}
    for key, raw in values.items():
        if not isinstance(raw, str):
            errors.append(InputError(where, f"{key}: {raw!r} is not text"))
            continue
        value = " ".join(raw.split())
        if not value:
            continue  # an empty cell says nothing
        problem = _field_problem(key, value)
        if problem:
            errors.append(InputError(where, f"{key}: {value!r} {problem}; left out"))
        else:
            fields[key] = value
    return Sidecar(fields)


def _field_problem(key: str, value: str) -> str | None:
    if key == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "is not an http(s) address"
    elif key == "published":
        try:
            if not _ISO_DATE.fullmatch(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return "is not a calendar date written YYYY-MM-DD"
    elif key == "language" and not _LANGUAGE.fullmatch(value):
        return "is not an ISO 639 language code in lower case (en, fr, ar)"
    return None


_OG_SITE_NAME = re.compile(
    r"<meta\b(?=[^>]*\bproperty\s*=\s*[\"']og:site_name[\"'])[^>]*\bcontent\s*=\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')",
    re.IGNORECASE,
)


def site_name(html: str, fallback: str | None) -> str | None:
    """The name a page gives its site: `og:site_name`, else `fallback` (the extractor's
    pick, from the publisher in the page's JSON-LD).

    og:site_name comes first because it names the site that carries the page: a Times
    Union page of AP copy says "Times Union" there and "Associated Press" as its JSON-LD
    publisher, and the wire is read from the dateline anyway.
    """
    match = _OG_SITE_NAME.search(html[:200_000])
    if match:
        name = " ".join(html_unescape(match.group("dq") or match.group("sq") or "").split())
        if name:
            return name
    return fallback


def outlet_home(outlet: str) -> tuple[str | None, str | None]:
    """(home country ISO code, region it covers as its own beat) of a known outlet, from
    the outlet table; (None, None) for an outlet the table lacks. ACLED's `source_scale`
    is read from these: an outlet is national where it is at home, regional in its region."""
    return _outlet_homes().get(outlet_name(outlet) or "", (None, None))


@cache
def _outlet_homes() -> dict[str, tuple[str | None, str | None]]:
    with _OUTLETS.open(encoding="utf-8", newline="") as fh:
        return {row["outlet"]: (row["country"] or None, row["reach"] or None)
                for row in csv.DictReader(fh, delimiter="\t")}
