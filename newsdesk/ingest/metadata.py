"""Who published a report, whose copy it is, where it was filed, when, in what language.

A monitor weighs a claim by its source: AFP copy carried by ten sites is one source, not
ten, and a Sputnik dispatch is not an AFP one. So the outlet comes from the strongest
evidence available (what the input said, then the URL's domain, then the dateline's
agency, then a photo credit), and `outlet_source` says which. The publication date is
never guessed: only the input's metadata, the page's markup (set at ingest) or a line
that explicitly says "Published ..." are used. A page's render stamp ("23:45 GMT24 May
2020" on a 2017 report) is chrome, not a date.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import date
from urllib.parse import urlsplit

from newsdesk.models import Article

__all__ = ["detect_language", "enrich", "outlet_for_domain", "parse_dateline"]

# Known news domains. Keys are registered domains; subdomains (uk.reuters.com) match too.
_DOMAINS: dict[str, str] = {
    "afp.com": "AFP", "france24.com": "France 24", "reuters.com": "Reuters",
    "apnews.com": "AP", "ap.org": "AP", "bbc.co.uk": "BBC", "bbc.com": "BBC",
    "aljazeera.com": "Al Jazeera", "aljazeera.net": "Al Jazeera",
    "middleeasteye.net": "Middle East Eye", "sputniknews.com": "Sputnik",
    "sputnikglobe.com": "Sputnik", "rt.com": "RT", "tass.com": "TASS", "tass.ru": "TASS",
    "xinhuanet.com": "Xinhua", "news.cn": "Xinhua", "aninews.in": "ANI", "ptinews.com": "PTI",
    "aa.com.tr": "Anadolu Agency", "dpa.com": "dpa", "efe.com": "EFE", "upi.com": "UPI",
    "bloomberg.com": "Bloomberg", "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post", "wsj.com": "The Wall Street Journal",
    "theguardian.com": "The Guardian", "guardian.co.uk": "The Guardian",
    "independent.co.uk": "The Independent", "telegraph.co.uk": "The Telegraph",
    "ft.com": "Financial Times", "economist.com": "The Economist", "cnn.com": "CNN",
    "foxnews.com": "Fox News", "nbcnews.com": "NBC News", "cbsnews.com": "CBS News",
    "abcnews.go.com": "ABC News", "npr.org": "NPR", "usatoday.com": "USA Today",
    "latimes.com": "Los Angeles Times", "politico.com": "Politico", "axios.com": "Axios",
    "dw.com": "Deutsche Welle", "lemonde.fr": "Le Monde", "spiegel.de": "Der Spiegel",
    "elpais.com": "El País", "arabnews.com": "Arab News", "thenationalnews.com": "The National",
    "gulfnews.com": "Gulf News", "khaleejtimes.com": "Khaleej Times",
    "dailystar.com.lb": "The Daily Star", "naharnet.com": "Naharnet",
    "timesofisrael.com": "The Times of Israel", "haaretz.com": "Haaretz",
    "jpost.com": "The Jerusalem Post", "rudaw.net": "Rudaw", "kurdistan24.net": "Kurdistan 24",
    "syriahr.com": "Syrian Observatory for Human Rights", "sana.sy": "SANA",
    "alarabiya.net": "Al Arabiya", "trtworld.com": "TRT World", "dailysabah.com": "Daily Sabah",
    "hurriyetdailynews.com": "Hürriyet Daily News", "presstv.ir": "Press TV",
    "irna.ir": "IRNA", "almonitor.com": "Al-Monitor", "al-monitor.com": "Al-Monitor",
    "voanews.com": "Voice of America", "rferl.org": "Radio Free Europe/Radio Liberty",
    "yahoo.com": "Yahoo News", "msn.com": "MSN", "news.yahoo.com": "Yahoo News",
    "thehindu.com": "The Hindu", "hindustantimes.com": "Hindustan Times",
    "timesofindia.indiatimes.com": "The Times of India", "dawn.com": "Dawn",
    "kyivindependent.com": "The Kyiv Independent", "ukrinform.net": "Ukrinform",
    "themoscowtimes.com": "The Moscow Times", "meduza.io": "Meduza", "airwars.org": "Airwars",
    "acleddata.com": "ACLED", "reliefweb.int": "ReliefWeb", "un.org": "United Nations",
}

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
_CREDIT = re.compile(
    r"\((?:[^()]*?\b)?(?P<agency>[A-Z][A-Za-z .-]{1,30}?)(?:\s*(?:Photo|/)[^()]*)?\)\s*\.?$"
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
    outlet, outlet_source = article.outlet, article.outlet_source
    if outlet is None and article.url:
        outlet = outlet_for_domain(_host(article.url))
        outlet_source = "url" if outlet else None
    if outlet is None and agency:
        outlet, outlet_source = wire or agency, "dateline"
    if outlet is None:
        credit = _photo_credit(article.removed)
        if credit:
            outlet, outlet_source = credit, "credit"
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
        name = _DOMAINS.get(".".join(labels[i:]))
        if name:
            return name
    return _registered_domain(labels)


def _registered_domain(labels: list[str]) -> str:
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _host(url: str) -> str:
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


def _photo_credit(removed: list[str]) -> str | None:
    """The wire agency most often credited in the captions that cleaning removed."""
    credits: Counter[str] = Counter()
    for line in removed:
        match = _CREDIT.search(line)
        if match and match.group("agency").strip().lower() in _WIRES:
            credits[_WIRES[match.group("agency").strip().lower()]] += 1
    return credits.most_common(1)[0][0] if credits else None


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
    scores = {
        lang: sum(t in words for t in tokens) / len(tokens) for lang, words in _STOPWORDS.items()
    }
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] >= 0.08 else None
