"""Outlet, wire copy, dateline, language and publication date, on real reports."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsdesk.ingest.metadata import (
    detect_language,
    enrich,
    outlet_for_domain,
    parse_dateline,
    site_name,
)
from newsdesk.ingest.readers import article_id, read_inputs
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
        # Middle East Eye's report: "(AFP)" ends a photo caption, which credits the picture
        ("003_16493793af55492b.txt", None, None, None, None),
        ("004_a4db6539298bde31.txt", "Sputnik", "dateline", "Sputnik", "WASHINGTON"),
    ],
)
def test_metadata_raqqa_from_the_text_alone(example_dir, tmp_path, name, outlet, source, wire,
                                            dateline):
    shutil.copy(example_dir / name, tmp_path / name)  # without the example's manifest
    art = _one(tmp_path / name)
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


def test_metadata_raqqa_manifest_gives_each_report_its_outlet_and_date(example_dir):
    arts = {a.source.rsplit("/", 1)[1][:3]: a for a in read_inputs([str(example_dir)])}
    assert {k: (a.outlet, a.published) for k, a in arts.items()} == {
        "000": ("AFP", "2017-09-14"),
        "001": ("AFP", "2017-07-04"),
        "002": ("Arab News", "2017-07-23"),
        "003": ("Middle East Eye", "2017-07-04"),
        "004": ("Sputnik", "2017-04-24"),
    }
    assert all(a.outlet_source == a.published_source == "sidecar" for a in arts.values())
    assert arts["003"].url.startswith("https://www.middleeasteye.net/")
    assert arts["004"].wire == "Sputnik" and arts["004"].republished is False
    # the manifest describes the files; it does not change which report each one is
    ids = {a.id for a in arts.values()}
    assert arts["001"].id == article_id(arts["001"].text, None) and len(ids) == 5


def test_metadata_manifest_documents_how_each_value_was_established(example_dir):
    with (example_dir / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and all(len(r["how"].split()) >= 20 for r in rows)
    assert {r["file"] for r in rows} == {p.name for p in example_dir.glob("*.txt")}


_REPORT = "Beirut (AFP) - Forces entered the Old City of Raqqa on Tuesday, a monitor said.\n"


def _read_all(*paths):
    items = list(read_inputs([str(p) for p in paths]))
    return ([i for i in items if isinstance(i, Article)],
            [i for i in items if not isinstance(i, Article)])


def test_metadata_json_sidecar_wins_over_the_manifest(tmp_path):
    (tmp_path / "a.txt").write_text(_REPORT)
    (tmp_path / "manifest.csv").write_text(
        "file,outlet,published,note\na.txt,Reuters,2017-07-04,from the wire log\n")
    (tmp_path / "a.meta.json").write_text(
        json.dumps({"outlet": "middle east eye", "url": "https://www.middleeasteye.net/x"}))
    [art], errors = _read_all(tmp_path)
    assert errors == []
    # the JSON sidecar's outlet, spelt as the outlet table spells it; the manifest's date
    assert (art.outlet, art.url, art.published) == (
        "Middle East Eye", "https://www.middleeasteye.net/x", "2017-07-04")
    assert art.wire == "AFP" and art.republished is True


def test_metadata_bad_sidecar_values_are_named_and_the_file_still_read(tmp_path):
    (tmp_path / "a.txt").write_text(_REPORT)
    (tmp_path / "b.txt").write_text(_REPORT.replace("Tuesday", "Wednesday"))
    (tmp_path / "manifest.csv").write_text(
        "file,outlet,published,language,url,source\n"
        "a.txt,AFP,2017-02-30,EN,ftp://x\n"
        "b.txt,AFP,4 July 2017,en,\n"
        "c.txt,AFP,2017-07-04,en,\n")
    arts, errors = _read_all(tmp_path)
    assert [(a.outlet, a.published, a.language) for a in arts] == [
        ("AFP", None, "en"), ("AFP", None, "en")]
    reasons = [f"{e.source} {e.reason}" for e in errors]
    assert any("unknown column(s) source" in r for r in reasons)
    assert any(":2 published: '2017-02-30' is not a calendar date" in r for r in reasons)
    assert any(":2 language: 'EN' is not an ISO 639" in r for r in reasons)
    assert any(":2 url: 'ftp://x' is not an http(s) address" in r for r in reasons)
    assert any(":3 published: '4 July 2017'" in r for r in reasons)
    assert any(":4 no file c.txt" in r for r in reasons)
    assert len(errors) == 6  # the manifest's errors are said once, not once per file


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("manifest.csv", "name,outlet\na.txt,AFP\n", "needs a `file` column"),
        ("a.meta.json", "[1, 2]", "one JSON object"),
        ("a.meta.json", "{not json", "cannot read this sidecar"),
        ("a.txt.meta.json", '{"outlet": 7}', "outlet: 7 is not text"),
    ],
)
def test_metadata_unreadable_sidecars_are_ignored_with_a_message(tmp_path, name, content, says):
    (tmp_path / "a.txt").write_text(_REPORT)
    (tmp_path / name).write_text(content)
    [art], [error] = _read_all(tmp_path / "a.txt")
    assert error.source.startswith(str(tmp_path / name)) and says in error.reason
    assert (art.outlet, art.outlet_source) == ("AFP", "dateline")


def test_metadata_sidecar_of_a_many_record_file_is_refused(data_dir, tmp_path):
    shutil.copy(data_dir / "ingest" / "raqqa.jsonl", tmp_path / "r.jsonl")
    (tmp_path / "r.meta.json").write_text('{"outlet": "AFP"}')
    arts, errors = _read_all(tmp_path / "r.jsonl")
    assert [a.outlet for a in arts] == ["Middle East Eye", "Arab News"]
    assert any("describes one report but the file holds 2" in e.reason for e in errors)


@given(st.dictionaries(st.sampled_from(["url", "outlet", "published", "language", "title",
                                         "how", "other"]),
                       st.one_of(st.none(), st.text(max_size=30), st.integers())))
def test_metadata_any_json_sidecar_is_read_or_refused_never_raises(fields):
    errors: list = []
    sidecar = _read_json_sidecar_text(json.dumps(fields), errors)
    for key, value in sidecar.fields.items():
        assert key in ("url", "outlet", "published", "language", "title")
        assert value == " ".join(value.split()) and value


def _read_json_sidecar_text(text, errors):
    import tempfile
    from pathlib import Path

    from newsdesk.ingest import metadata

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.meta.json"
        path.write_text(text)
        return metadata._read_json_sidecar(path, errors)


def test_metadata_site_name_prefers_og_over_json_ld(data_dir):
    ap = _one(data_dir / "ingest" / "ap_pge.html")
    # og:site_name "Times Union"; the JSON-LD publisher says Associated Press, the wire
    assert (ap.outlet, ap.outlet_source, ap.wire, ap.republished) == (
        "Times Union", "page", "AP", True)
    html = '<meta content="Middle East Eye" property="og:site_name">'
    assert site_name(html, "AFP") == "Middle East Eye"
    assert site_name("<p>no meta</p>", "AFP") == "AFP"


def test_metadata_wire_copy_on_another_site_is_republished(data_dir):
    art = _one(data_dir / "ingest" / "reuters_titan.html.gz")
    assert (art.outlet, art.outlet_source) == ("ScienceAlert", "page")  # its og:site_name
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
