"""Date resolution: table of real phrases, properties, and extraction on the Raqqa reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.analyse.dates import _FINDER, _find, extract_dates, resolve
from newsdesk.models import Article

TABLE = Path(__file__).resolve().parents[1] / "data" / "dates" / "phrases.tsv"


def _rows() -> list[tuple[str, ...]]:
    lines = TABLE.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")[:6]) for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize(("expression", "published", "start", "end", "precision", "kind"), _rows())
def test_dates_resolve_table(expression, published, start, end, precision, kind):
    got = resolve(expression, date.fromisoformat(published))
    assert got is not None, expression
    assert (got.date.isoformat(), got.end_date.isoformat()) == (start, end)
    assert (got.precision, got.kind) == (precision, kind)


@pytest.mark.parametrize(
    "expression",
    ["four months after the", "2,500 fighters", "200 of our fighters", "2.5 kilometre",
     "70 percent", "603 civilians", "9,000 SDF members", "2014", "May", "may", "months",
     "in 2 days", "June 31", "the 2,500-meter wall", "March on Raqqa"],
)
def test_dates_resolve_rejects_non_dates(expression):
    got = resolve(expression, date(2017, 7, 4))
    assert got is None or got.date is None, expression


@pytest.mark.parametrize("expression", ["on Tuesday", "last month", "early June", "June 6",
                                        "for the past week", "yesterday", "nearly four months"])
def test_dates_relative_unresolved_without_publication(expression):
    got = resolve(expression, None)
    assert got is not None
    assert (got.date, got.end_date, got.precision) == (None, None, "unknown")


@pytest.mark.parametrize(("expression", "start"), [("since 2014", "2014-01-01"),
                                                   ("27 June 2017", "2017-06-27"),
                                                   ("in November 2016", "2016-11-01")])
def test_dates_absolute_resolved_without_publication(expression, start):
    got = resolve(expression, None)
    assert got is not None and got.date is not None
    assert got.date.isoformat() == start


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.one_of(st.none(), st.dates()))
def test_dates_resolve_never_raises(text, published):
    resolve(text, published)


_PAST = ["on {wd}", "{wd}", "last {wd}", "yesterday", "today", "last week", "last month",
         "last year", "in {mon}", "early {mon}", "mid-{mon}", "late {mon}", "{mon} {day}",
         "{day} {mon}", "in the month of {mon} alone", "{n} days ago", "{n} weeks ago"]
_WD = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MON = ["January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_PAST), st.sampled_from(_WD), st.sampled_from(_MON),
       st.integers(1, 28), st.integers(1, 30), st.dates(date(1950, 1, 1), date(2100, 1, 1)))
def test_dates_past_referring_never_after_publication(template, wd, mon, day, n, published):
    expression = template.format(wd=wd, mon=mon, day=day, n=n)
    got = resolve(expression, published)
    assert got is not None and got.date is not None, expression
    assert got.date <= published, (expression, published, got)
    if got.precision == "day":
        assert got.end_date <= published


_PUBLISHED = {"000": "2017-09-05", "001": "2017-07-04", "002": "2017-07-09",
              "003": "2017-07-04", "004": "2017-05-29"}


def _article(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    return Article(id=path.stem, source=str(path), text=text, published=_PUBLISHED[path.name[:3]])


@pytest.mark.slow
def test_dates_extract_raqqa(nlp, example_dir):
    found: dict[str, dict[str, tuple]] = {}
    for path in sorted(example_dir.glob("*.txt")):
        art = _article(path)
        refs = extract_dates(nlp(art.text), art)
        for r in refs:
            assert art.text[r.start:r.end] == r.text
            assert r.article_id == art.id
        found[path.name[:3]] = {r.text: (r.date, r.end_date, r.precision, r.kind) for r in refs}
    assert found["001"]["on Tuesday"] == ("2017-07-04", "2017-07-04", "day", "point")
    assert found["001"]["on June 6"][0] == "2017-06-06"
    assert found["001"]["the late 8th century"][2] == "range"
    assert found["002"]["since 2014"] == ("2014-01-01", "2017-07-09", "year", "since")
    assert found["002"]["in the month of June alone"][:2] == ("2017-06-01", "2017-06-30")
    assert found["002"]["towards the end of 2014"][:2] == ("2014-10-01", "2014-12-31")
    assert found["002"]["for the past week"][3] == "during"
    assert found["003"]["on 27 June 2017"][0] == "2017-06-27"
    assert found["003"]["last month"][:2] == ("2017-06-01", "2017-06-30")
    assert found["004"]["in\xa0November 2016"][0] == "2016-11-01"
    assert found["000"]["nearly four months"][3] == "during"
    every = [t for refs in found.values() for t in refs]
    for bad in ("2,500", "200", "603", "744", "70 percent", "2.5", "9,000"):
        assert not any(bad in t for t in every), bad


@pytest.mark.slow
def test_dates_extract_unknown_publication(nlp, example_dir):
    path = sorted(example_dir.glob("001_*.txt"))[0]
    art = Article(id="x", source=str(path), text=path.read_text(encoding="utf-8"))
    refs = {r.text: r for r in extract_dates(nlp(art.text), art)}
    assert refs["on Tuesday"].date is None and refs["on Tuesday"].precision == "unknown"
    assert refs["in 2014"].date == "2014-01-01"


def _each_finder(text: str) -> list[tuple[int, int]]:
    """The slow definition `_find` stands for: every finder run over the whole text."""
    return [m.span() for finder in _FINDER for m in finder.finditer(text)]


_PIECES = ["in", "on", "since", "by", "the", "early", "mid", "late", "last", "past", "next",
           "June", "Sept.", "Jun", "may", "Tuesday", "Tue.", "2014", "1990s", "'s", "21st",
           "century", "3", "27th", "four", "nearly", "months", "days", "weeks", "ago", "year",
           "alone", "of", "month", "the end of", "yesterday", "last night", "weekend",
           "2017-06-27", "after", "x", "-", ",", ".", " ", "  ", "\n", "ſ", "K",
           # case-folding letters inside the words, and months in the wrong case
           "ſince", "Laſt", "İn", "ın", "Yeſterday", "WEE\u212aS", "JUNE", "march", "MAY"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30), st.sampled_from([" ", "", "-", "\n"]))
def test_dates_find_equals_each_finder(pieces, glue):
    text = glue.join(pieces)
    assert _find(text) == _each_finder(text)


def test_dates_find_equals_each_finder_on_report_text():
    text = ("Since early June 2017 the SDF took 27 neighbourhoods; on Tuesday, 4 July, and in "
            "the past two weeks, nearly four months after the offensive began in November 2016,"
            " it said 2,500 fighters held out. Last night's raid (the 1990s, the 21st century)"
            " came over the weekend, yesterday and as of 2017-07-04.")
    assert _find(text) == _each_finder(text)
    assert len(_find(text)) >= 10
