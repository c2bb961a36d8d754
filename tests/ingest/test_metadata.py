"""Outlet, wire copy, dateline, language and publication date, on real reports."""

from __future__ import annotations

import pytest

from newsdesk.ingest.metadata import detect_language, enrich, outlet_for_domain, parse_dateline
from newsdesk.ingest.readers import read_inputs
from newsdesk.models import Article


def _one(path):
    [art] = [a for a in read_inputs([str(path)]) if isinstance(a, Article)]
    return enrich(art)


@pytest.mark.parametrize(
    ("name", "outlet", "source", "wire", "dateline"),
    [
        (
            "000_e3fe73acab485a53.txt",
            "AFP",
            "dateline",
            "AFP",
            "US-led coalition compound near Kobane",
        ),
        ("001_b5309f86b7870f1b.txt", "AFP", "dateline", "AFP", "Beirut"),
        ("002_e5096ebe9da60f70.txt", None, None, None, "AIN ISSA"),
        ("003_16493793af55492b.txt", "AFP", "credit", None, None),
        ("004_a4db6539298bde31.txt", "Sputnik", "dateline", "Sputnik", "WASHINGTON"),
    ],
)
def test_metadata_raqqa(example_dir, name, outlet, source, wire, dateline):
    art = _one(example_dir / name)
    assert (art.outlet, art.outlet_source, art.wire, art.dateline) == (
        outlet,
        source,
        wire,
        dateline,
    )
    assert art.republished is False
    assert art.language == "en"
    # No date is stated in these files; 004's render stamp (2020) must not become one.
    assert art.published is None and art.published_source is None


def test_metadata_wire_copy_on_another_site_is_republished(data_dir):
    art = _one(data_dir / "ingest" / "reuters_titan.html.gz")
    assert (art.outlet, art.outlet_source) == ("sciencealert.com", "url")
    assert (art.wire, art.republished, art.dateline) == ("Reuters", True, "WASHINGTON")
    assert art.published == "2019-11-19"


def test_metadata_known_domain_and_caps_dateline(data_dir):
    art = _one(data_dir / "ingest" / "nbc_hitler.html")
    assert (art.outlet, art.wire, art.dateline) == ("NBC News", None, "VIENNA")
    ap = _one(data_dir / "ingest" / "ap_pge.html")
    assert (ap.wire, ap.dateline, ap.republished) == ("AP", "SAN FRANCISCO", True)


def test_metadata_input_outlet_is_kept(data_dir):
    arts = [
        enrich(a)
        for a in read_inputs([str(data_dir / "ingest" / "raqqa.jsonl")])
        if isinstance(a, Article)
    ]
    assert arts[0].outlet == "Middle East Eye" and arts[0].outlet_source == "url"
    assert arts[1].outlet == "Arab News" and arts[1].outlet_source == "input"


@pytest.mark.parametrize(
    ("host", "outlet"),
    [
        ("www.bbc.co.uk", "BBC"),
        ("uk.reuters.com", "Reuters"),
        ("news.yahoo.com", "Yahoo News"),
        ("www.localpaper.co.uk", "localpaper.co.uk"),
        ("edition.example-news.com", "example-news.com"),
        ("", None),
    ],
)
def test_metadata_outlet_for_domain(host, outlet):
    assert outlet_for_domain(host) == outlet


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MOSUL, Iraq (Reuters) - Iraqi forces advanced.", ("MOSUL", "Reuters")),
        ("BERLIN -- The European Space Agency says", ("BERLIN", None)),
        ("NATO - the alliance said", (None, None)),
        ("Government forces - backed by Russia - advanced.", (None, None)),
    ],
)
def test_metadata_parse_dateline(text, expected):
    assert parse_dateline(text) == expected


def test_metadata_stated_date_only_when_labelled():
    base = Article(
        id="x", source="s", text="Forces advanced on the town on Tuesday, officials said."
    )
    stamped = enrich(Article(**{**base.to_dict(), "removed": ["23:45 GMT24 May 2020"]}))
    assert stamped.published is None
    labelled = enrich(
        Article(**{**base.to_dict(), "removed": ["Published: 27 June 2017 10:12 BST"]})
    )
    assert (labelled.published, labelled.published_source) == ("2017-06-27", "text")
    american = enrich(Article(**{**base.to_dict(), "removed": ["Posted on June 4, 2017"]}))
    assert american.published == "2017-06-04"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (
            "Les forces soutenues par les États-Unis sont entrées dans la vieille ville de Raqa, "
            "selon une ONG qui a fait état de combats dans le centre.",
            "fr",
        ),
        (
            "Las fuerzas apoyadas por Estados Unidos entraron en la ciudad vieja de Raqa, según "
            "una ONG que informó de combates en el centro de la ciudad.",
            "es",
        ),
        (
            "Die von den USA unterstützten Kräfte sind in die Altstadt von Rakka eingedrungen, "
            "teilte eine Beobachtungsstelle mit, die von Kämpfen im Zentrum berichtet.",
            "de",
        ),
        (
            "Силы, поддерживаемые США, вошли в старый город Ракки, сообщили в организации, "
            "которая также сообщила о боях в центре города и на его окраинах.",
            "ru",
        ),
        ("Too short.", None),
    ],
)
def test_metadata_language(text, lang):
    assert detect_language(text) == lang
