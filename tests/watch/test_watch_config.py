"""The watch file: every mistake is one ConfigError line naming the file, the key and
what is allowed; intervals parse and print back exactly."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.errors import ConfigError
from newsdesk.watch.config import load_config, parse_config
from newsdesk.watch.schedule import format_interval, next_poll, parse_interval

PATH = Path("/srv/desk/watch.toml")


def _config(**source):
    return {"source": [source]}


@given(st.integers(min_value=1, max_value=10**8))
def test_interval_round_trips_through_its_shortest_spelling(seconds):
    text = format_interval(seconds)
    assert re.fullmatch(r"(\d+d)?(\d+h)?(\d+m)?(\d+s)?", text)
    assert parse_interval(text) == seconds


@given(
    st.lists(st.tuples(st.integers(0, 500), st.sampled_from("smhd")), min_size=1, max_size=4)
)
def test_interval_is_the_sum_of_its_parts(parts):
    text = "".join(f"{n}{u}" for n, u in parts)
    total = sum(n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[u] for n, u in parts)
    if total >= 1:
        assert parse_interval(text) == total
    else:
        with pytest.raises(ValueError, match="shortest interval"):
            parse_interval(text)


@given(st.text(alphabet=string.printable, max_size=12))
def test_interval_rejects_anything_else_with_a_message(text):
    try:
        seconds = parse_interval(text)
    except ValueError as exc:
        assert "duration" in str(exc) or "shortest interval" in str(exc)
    else:
        assert seconds >= 1 and math.isfinite(seconds)
        assert re.fullmatch(r"(\d+(\.\d+)?[smhd])+", text.strip().lower().replace(" ", ""))



@pytest.mark.parametrize("value", [[], {}, None, ["15m"]])
def test_interval_of_the_wrong_type_is_a_value_error(value):
    """A TOML list or table where a duration belongs (found by the property test below)."""
    with pytest.raises(ValueError, match="duration"):
        parse_interval(value)


@settings(deadline=None)  # the first example imports the alert rules' modules
@given(st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\n" not in s))
def test_a_bad_interval_names_the_file_source_and_key(text):
    try:
        parse_interval(text)
    except ValueError:
        with pytest.raises(ConfigError) as err:
            parse_config(_config(feed="https://a.example/f.xml", interval=text, name="A"),
                         path=PATH)
        line = str(err.value)
        assert "\n" not in line
        assert line.startswith(f"{PATH}: [[source]] #1 ('A'): `interval`")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, "needs at least one [[source]]"),
        ({"source": [{"name": "x"}]}, "needs exactly one of feed, sitemap, urls, folder, site; "
                                       "got none"),
        (_config(feed="https://a/f", sitemap="https://a/s"), "exactly one of feed, sitemap, urls,"
                                                               " folder, site; got feed, sitemap"),
        (_config(feed="ftp://a/f"), "`feed` must be an http(s) URL"),
        (_config(feed="https://a/f", colour="red"), "unknown key 'colour' in [[source]] #1; "
                                                     "allowed: feed, sitemap"),
        (_config(feed="https://a/f", tags="syria"), "`tags` must be a list"),
        ({"source": [{"feed": "https://a/f", "name": "A"}, {"feed": "https://b/f", "name": "A"}]},
         "two sources are named 'A'"),
        ({"source": [{"feed": "https://a/f"}], "watch": {"rate": 0}}, "[watch] `rate` must be a "
                                                                      "number above 0; got 0"),
        ({"source": [{"feed": "https://a/f"}], "watch": {"max_body_mb": float("inf")}},
         "`max_body_mb` must be a number above 0; got inf"),
        ({"source": [{"feed": "https://a/f"}], "watch": {"hosts": {"a": {"burst": 3}}}},
         "unknown key 'burst' in [watch.hosts.'a']; allowed: rate, concurrency"),
        ({"source": [{"feed": "https://a/f"}], "sauce": 1}, "unknown key 'sauce' in the top "
                                                            "level; allowed: source, watch"),
        (_config(folder="no-such-folder"), "`folder` 'no-such-folder' is not a folder"),
        (_config(urls="\x00"), "`urls` '\\x00' is not a usable path"),
        (_config(folder="a\x00b"), "`folder` 'a\\x00b' is not a usable path"),
    ],
)
def test_config_mistakes_are_one_line_naming_the_key(raw, expected):
    with pytest.raises(ConfigError) as err:
        parse_config(raw, path=PATH)
    assert str(err.value).startswith(f"{PATH}: ")
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_relative_paths_are_relative_to_the_file_and_defaults_apply(tmp_path):
    (tmp_path / "drop").mkdir()
    (tmp_path / "pages.txt").write_text("https://a.example/1\n")
    config = tmp_path / "conf" / "watch.toml"
    config.parent.mkdir()
    config.write_text(
        '[watch]\ncontact = "mailto:desk@example.org"\n[watch.hosts."A.example"]\nrate = 0.2\n'
        '[[source]]\nfolder = "../drop"\noutlet = "Stringer"\n'
        '[[source]]\nurls = "../pages.txt"\ninterval = "1h30m"\ntags = ["syria"]\n'
        '[[source]]\nsite = "https://a.example/"\n'
    )
    cfg = load_config(config)
    drop, pages, site = cfg.sources
    assert (drop.kind, drop.target, drop.outlet, drop.name) == (
        "folder", str(tmp_path / "drop"), "Stringer", "drop")
    assert (pages.target, pages.interval_s, pages.tags) == (str(tmp_path / "pages.txt"), 5400,
                                                            ("syria",))
    assert drop.interval_s == 15 * 60  # the default
    assert site.name == "a.example"
    assert cfg.fetch.limit("a.example").rate == 0.2
    assert cfg.fetch.limit("b.example").rate == 1.0 and cfg.fetch.concurrency == 2
    assert cfg.fetch.user_agent.startswith("newsdesk/")
    assert "mailto:desk@example.org" in cfg.fetch.user_agent
    assert cfg.alerts == [] and cfg.smtp is None


def test_invalid_toml_names_the_file(tmp_path):
    bad = tmp_path / "watch.toml"
    bad.write_text("[[source]\nfeed = 1\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(bad))}: not valid TOML"):
        load_config(bad)


@given(st.integers(0, 30), st.floats(1, 86400 * 3))
def test_backoff_grows_with_failures_but_never_past_a_day(failures, interval):
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    delay = (next_poll(now, interval, failures=failures) - now).total_seconds()
    if failures == 0:
        assert delay == pytest.approx(interval)
    else:
        assert interval - 1e-6 <= delay <= max(interval, 86400) + 1e-6


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["https://a.example/f.xml", "15m", "1h", "."]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=4),
                                                                st.integers(), max_size=2),
)  # fmt: skip
_KEYS = st.sampled_from(["feed", "sitemap", "urls", "folder", "site", "name", "outlet",
                         "interval", "language", "tags", "external", "bogus"])


@settings(deadline=None, max_examples=200)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=5), max_size=3),
       st.dictionaries(st.sampled_from(["rate", "concurrency", "timeout", "retries", "contact",
                                        "max_body_mb", "hosts", "desk_url"]),
                       _VALUES, max_size=3))
def test_any_watch_file_parses_or_fails_with_one_config_error_line(sources, watch):
    raw = {"source": [{k: v for k, v in s.items() if v is not None} for s in sources],
           "watch": {k: v for k, v in watch.items() if v is not None}}
    try:
        cfg = parse_config(raw, path=PATH)
    except ConfigError as exc:
        assert str(exc).startswith(f"{PATH}: ") and "\n" not in str(exc)
    else:
        assert len(cfg.sources) == len(sources) >= 1
        assert all(s.interval_s >= 1 for s in cfg.sources)
