"""Every option newsdesk reads from the environment, in one table, checked in one place.

A value is read when it is needed, not at import, so a test or a long-lived process sees
the environment as it is then. A bad value stops the command with a `ConfigError` that
names the variable and what it may hold, instead of a `ValueError` deep in a worker. The
README's "Settings" table lists each entry; `tests/test_settings.py` checks that it does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk.errors import ConfigError


@dataclass(slots=True, frozen=True)
class Kind:
    """What a setting may hold: `allowed` says it in words, `parse` raises ValueError."""

    allowed: str
    parse: Callable[[str], object]


@dataclass(slots=True, frozen=True)
class Setting:
    """One option: `default` is what an unset or empty variable means."""

    name: str
    env: str
    default: object
    kind: Kind
    help: str


def _count(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("not a whole number") from None
    if value < 1:
        raise ValueError("below 1")
    return value


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError("not a finite number above 0")
    return value


def _existing_files(raw: str) -> tuple[Path, ...]:
    paths = tuple(Path(p) for p in raw.split(os.pathsep) if p.strip())
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ValueError(f"no such file: {', '.join(missing)}")
    return paths


# Each parser raises ValueError with the reason, in words, that a value is refused.
_PATH = Kind("a file or folder path", Path)
_FILES = Kind(f"paths of existing files, separated by {os.pathsep!r}", _existing_files)
_TEXT = Kind("any text", str)
_SECONDS = Kind("a number of seconds above 0", _seconds)
_COUNT = Kind("a whole number of 1 or more", _count)

SETTINGS: tuple[Setting, ...] = (
    Setting("db", "NEWSDESK_DB", Path("newsdesk.db"), _PATH,
            "The SQLite store of `analyze`, `articles` and `serve` when `--db` is not given."),
    Setting("token", "NEWSDESK_TOKEN", None, _TEXT,
            "The desk's write token when `serve --token` is not given; unset, the desk is "
            "read-only."),
    Setting("actors", "NEWSDESK_ACTORS", (), _FILES,
            "Actor registry files merged over the shipped one, in order."),
    Setting("data_dir", "NEWSDESK_DATA_DIR", None, _PATH,
            "Folder of the gazetteer index (`gazetteer.sqlite`); unset, the package's data "
            "folder."),
    # the spaCy pass over a long report takes ~1 s
    Setting("article_timeout", "NEWSDESK_ARTICLE_TIMEOUT", 60.0, _SECONDS,
            "Dask: seconds one article may take before it is abandoned and its worker "
            "restarted."),
    # big enough to hide scheduling, small enough to retry
    Setting("shard_articles", "NEWSDESK_SHARD_ARTICLES", 64, _COUNT,
            "Dask: articles per task when a large JSON Lines or WARC file is cut into "
            "shards."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """The value of setting `name` from the environment now, or its default.

    `Any` because the table is heterogeneous; each entry's kind fixes the type it returns.
    """
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env, "").strip()
    if not raw:
        return setting.default
    try:
        return setting.kind.parse(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{setting.env}={raw!r} is not allowed ({exc}): expected {setting.kind.allowed}"
        ) from exc


def check() -> None:
    """Read every setting once, so that a bad one stops a command before it starts work."""
    for setting in SETTINGS:
        get(setting.name)
