"""The settings table: each entry documented in the README, each bad value one clear error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from newsdesk import settings
from newsdesk.cli import EXIT_ERROR, main
from newsdesk.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
ENV_VARS = {s.env for s in settings.SETTINGS}


def _readme_settings_rows() -> list[str]:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(NEWSDESK_\w+)` \|", section, flags=re.MULTILINE)


def test_settings_readme_lists_each_setting_once():
    rows = _readme_settings_rows()
    assert sorted(rows) == sorted(ENV_VARS)


def test_settings_every_variable_the_package_names_is_in_the_table():
    named = {
        m
        for path in (REPO / "newsdesk").rglob("*.py")
        for m in re.findall(r"\bNEWSDESK_[A-Z_]+\b", path.read_text("utf-8"))
    }
    assert named <= ENV_VARS, named - ENV_VARS


def test_settings_unset_or_empty_means_the_default(monkeypatch):
    for s in settings.SETTINGS:
        monkeypatch.delenv(s.env, raising=False)
        assert settings.get(s.name) == s.default
        monkeypatch.setenv(s.env, "  ")
        assert settings.get(s.name) == s.default


def test_settings_good_values_are_typed(monkeypatch, data_dir, tmp_path):
    extra = data_dir / "actors" / "user_extra.json"
    monkeypatch.setenv("NEWSDESK_DB", str(tmp_path / "d.db"))
    monkeypatch.setenv("NEWSDESK_ACTORS", os.pathsep.join([str(extra), "", str(extra)]))
    monkeypatch.setenv("NEWSDESK_ARTICLE_TIMEOUT", "2.5")
    monkeypatch.setenv("NEWSDESK_SHARD_ARTICLES", " 6 ")
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    assert settings.get("db") == tmp_path / "d.db"
    assert settings.get("actors") == (extra, extra)
    assert settings.get("article_timeout") == 2.5
    assert settings.get("shard_articles") == 6
    from newsdesk.analyse.gazetteer import default_path

    assert default_path() == tmp_path / "gazetteer.sqlite"


BAD = [
    ("NEWSDESK_SHARD_ARTICLES", "0", "below 1"),
    ("NEWSDESK_SHARD_ARTICLES", "-3", "below 1"),
    ("NEWSDESK_SHARD_ARTICLES", "2.5", "not a whole number"),
    ("NEWSDESK_SHARD_ARTICLES", "many", "not a whole number"),
    ("NEWSDESK_ARTICLE_TIMEOUT", "0", "above 0"),
    ("NEWSDESK_ARTICLE_TIMEOUT", "-1", "above 0"),
    ("NEWSDESK_ARTICLE_TIMEOUT", "nan", "above 0"),
    ("NEWSDESK_ARTICLE_TIMEOUT", "inf", "above 0"),
    ("NEWSDESK_ARTICLE_TIMEOUT", "soon", "not a number"),
    ("NEWSDESK_ACTORS", "/no/such/actors.json", "no such file: /no/such/actors.json"),
]


@pytest.mark.parametrize(("env", "value", "why"), BAD)
def test_settings_bad_value_is_a_config_error_naming_the_variable(monkeypatch, env, value, why):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        settings.check()
    message = str(info.value)
    assert message.startswith(f"{env}={value!r} is not allowed")
    assert why in message
    assert "expected" in message


@pytest.mark.parametrize(("env", "value", "why"), BAD[::3])
def test_settings_bad_value_stops_the_cli_with_one_line(monkeypatch, tmp_path, env, value, why):
    monkeypatch.setenv(env, value)
    result = CliRunner().invoke(main, ["articles", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == EXIT_ERROR, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {env}=") and why in lines[0]
    assert not (tmp_path / "none.db").exists()


_ENV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


def _read(env: str, name: str, raw: str) -> object | None:
    """The setting read from `raw`, or None after checking the error names the variable."""
    os.environ[env] = raw
    try:
        return settings.get(name)
    except ConfigError as exc:
        assert str(exc).startswith(f"{env}=")
        return None
    finally:
        del os.environ[env]


@given(raw=_ENV_TEXT)
def test_settings_count_is_a_whole_number_of_one_or_more_or_an_error(raw):
    value = _read("NEWSDESK_SHARD_ARTICLES", "shard_articles", raw)
    if value is not None:
        assert value == (int(raw) if raw.strip() else 64) and value >= 1


@given(raw=_ENV_TEXT)
def test_settings_seconds_are_finite_and_positive_or_an_error(raw):
    value = _read("NEWSDESK_ARTICLE_TIMEOUT", "article_timeout", raw)
    if value is not None:
        assert value == (float(raw) if raw.strip() else 60.0) and 0 < value < float("inf")
