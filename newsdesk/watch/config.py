"""The watch file: which outlets to follow, how politely, and what to alert on.

One TOML file (read with the standard library's `tomllib`), checked whole before any
fetch: a mistake found an hour into a watch would be an hour of monitoring lost. Every
problem is a `ConfigError` whose one line names the file, the key and what is allowed.
Paths in the file are relative to the file, so a config and its drop folders can move
together.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from newsdesk import __version__
from newsdesk.errors import ConfigError
from newsdesk.watch.schedule import parse_interval

if TYPE_CHECKING:
    from newsdesk.watch.alerts import AlertRule, SmtpSettings

SourceKind = Literal["feed", "sitemap", "urls", "folder", "site"]
KINDS: tuple[SourceKind, ...] = ("feed", "sitemap", "urls", "folder", "site")
DEFAULT_INTERVAL = "15m"
MAX_BODY_BYTES = 10 * 1024 * 1024

_SOURCE_KEYS = (*KINDS, "name", "outlet", "interval", "language", "tags", "external")
_WATCH_KEYS = (
    "contact", "rate", "concurrency", "timeout", "retries", "backoff", "max_retry_after",
    "max_body_mb", "hosts", "desk_url",
)  # fmt: skip
_HOST_KEYS = ("rate", "concurrency")
_TOP_KEYS = ("source", "watch", "alert", "smtp")


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet to follow. `target` is a URL, or an absolute path for `folder` and a
    local `urls` list."""

    name: str
    kind: SourceKind
    target: str
    interval_s: float
    outlet: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    external: bool = False  # follow feed items that live on other hosts

    @property
    def is_remote(self) -> bool:
        return self.target.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class HostLimit:
    rate: float  # requests per second
    concurrency: int


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How politely and how defensively to fetch (the `[watch]` table)."""

    contact: str | None = None
    rate: float = 1.0
    concurrency: int = 2
    timeout_s: float = 20.0
    retries: int = 3
    backoff_s: float = 1.0
    max_retry_after_s: float = 60.0  # wait this long in a poll; longer moves the next poll
    max_body_bytes: int = MAX_BODY_BYTES
    hosts: dict[str, HostLimit] = field(default_factory=dict)

    @property
    def user_agent(self) -> str:
        contact = f"; +{self.contact}" if self.contact else ""
        return f"newsdesk/{__version__} (news monitoring{contact})"

    def limit(self, host: str) -> HostLimit:
        return self.hosts.get(host.lower(), HostLimit(self.rate, self.concurrency))


@dataclass(frozen=True, slots=True)
class WatchConfig:
    path: Path
    sources: tuple[Source, ...]
    fetch: FetchSettings
    alerts: list[AlertRule]
    smtp: SmtpSettings | None
    desk_url: str | None = None  # where alerts link to (the desk's address)


def load_config(path: Path) -> WatchConfig:
    """Read and check a watch file; ConfigError names the first problem found."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the watch file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text; save the watch file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(raw, path=path)


def parse_config(raw: dict[str, Any], *, path: Path) -> WatchConfig:
    """Check a parsed watch file; relative paths are taken relative to `path`."""
    from newsdesk.watch.alerts import parse_alerts, parse_smtp

    _only(raw, _TOP_KEYS, path, "the top level")
    tables = raw.get("source", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: needs at least one [[source]] table (with feed, sitemap, "
                          "urls, folder or site)")
    sources = [_source(t, n, path) for n, t in enumerate(tables, 1)]
    names = [s.name for s in sources]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{path}: two sources are named {name!r}; `name` must be unique "
                              "(it keys each source's health in the store)")
    alerts = raw.get("alert", [])
    if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
        raise ConfigError(f"{path}: `alert` must be [[alert]] tables")
    smtp = raw.get("smtp")
    if smtp is not None and not isinstance(smtp, dict):
        raise ConfigError(f"{path}: `smtp` must be a [smtp] table")
    watch = raw.get("watch", {})
    settings = _fetch_settings(watch, path)
    desk_url = watch.get("desk_url")
    if desk_url is not None and (not isinstance(desk_url, str)
                                 or not desk_url.startswith(("http://", "https://"))):
        raise ConfigError(f"{path}: [watch] `desk_url` must be the desk's http(s) address")
    smtp_settings = parse_smtp(smtp, path=path)
    return WatchConfig(
        path=path,
        sources=tuple(sources),
        fetch=settings,
        alerts=parse_alerts(alerts, path=path, smtp=smtp_settings),
        smtp=smtp_settings,
        desk_url=desk_url,
    )


def _only(table: dict[str, Any], allowed: tuple[str, ...], path: Path, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{path}: unknown key {key!r} in {where}; allowed: "
                              + ", ".join(allowed))


def _source(table: Any, n: int, path: Path) -> Source:
    where = f"[[source]] #{n}"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    if isinstance(table.get("name"), str):
        where = f"{where} ({table['name']!r})"
    _only(table, _SOURCE_KEYS, path, where)
    given = [k for k in KINDS if k in table]
    if len(given) != 1:
        raise ConfigError(
            f"{path}: {where} needs exactly one of feed, sitemap, urls, folder, site; "
            + (f"got {', '.join(given)}" if given else "got none")
        )
    kind = given[0]
    value = _string(table, kind, path, where)
    target = _target(kind, value, path, where)
    try:
        interval = parse_interval(table.get("interval", DEFAULT_INTERVAL))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: {where}: `interval`: {exc}") from exc
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise ConfigError(f"{path}: {where}: `tags` must be a list of words, e.g. [\"syria\"]")
    external = table.get("external", False)
    if not isinstance(external, bool):
        raise ConfigError(f"{path}: {where}: `external` must be true or false")
    return Source(
        name=_string(table, "name", path, where, optional=True) or _default_name(kind, target),
        kind=kind,
        target=target,
        interval_s=interval,
        outlet=_string(table, "outlet", path, where, optional=True),
        language=_string(table, "language", path, where, optional=True),
        tags=tuple(t.strip() for t in tags),
        external=external,
    )


def _string(
    table: dict[str, Any], key: str, path: Path, where: str, *, optional: bool = False
) -> str | None:
    value = table.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {where}: `{key}` must be a non-empty string")
    return value.strip()


def _target(kind: SourceKind, value: str, path: Path, where: str) -> str:
    remote = value.startswith(("http://", "https://"))
    if kind in ("feed", "sitemap", "site"):
        parts = urlsplit(value)
        if not remote or not parts.hostname:
            raise ConfigError(f"{path}: {where}: `{kind}` must be an http(s) URL; got {value!r}")
        return value
    if remote and kind == "urls":
        return value
    try:
        local = (path.parent / Path(value).expanduser()).resolve()
        is_dir, is_file = local.is_dir(), local.is_file()
    except (OSError, ValueError, RuntimeError) as exc:
        # a NUL byte, a name too long, "~nobody", a symlink loop: no path the OS can open
        raise ConfigError(f"{path}: {where}: `{kind}` {value!r} is not a usable path ({exc})"
                          ) from None
    if kind == "folder" and not is_dir:
        raise ConfigError(f"{path}: {where}: `folder` {value!r} is not a folder ({local})")
    if kind == "urls" and not is_file:
        raise ConfigError(f"{path}: {where}: `urls` {value!r} is neither an http(s) URL nor a "
                          f"file ({local})")
    return str(local)


def _default_name(kind: SourceKind, target: str) -> str:
    if kind in ("folder",) or not target.startswith("http"):
        return Path(target).name
    parts = urlsplit(target)
    return f"{parts.netloc}{parts.path}".rstrip("/")


def _fetch_settings(table: Any, path: Path) -> FetchSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `watch` must be a [watch] table")
    _only(table, _WATCH_KEYS, path, "[watch]")
    base = FetchSettings()
    contact = table.get("contact")
    if contact is not None and (not isinstance(contact, str) or not contact.strip()):
        raise ConfigError(f"{path}: [watch] `contact` must be a URL or an email address")
    hosts_table = table.get("hosts", {})
    if not isinstance(hosts_table, dict):
        raise ConfigError(f"{path}: [watch.hosts] must map host names to tables")
    hosts = {}
    for host, limits in hosts_table.items():
        where = f"[watch.hosts.{host!r}]"
        if not isinstance(limits, dict):
            raise ConfigError(f"{path}: {where} must be a table with rate and/or concurrency")
        _only(limits, _HOST_KEYS, path, where)
        hosts[host.lower()] = HostLimit(
            rate=_positive(limits, "rate", base.rate, path, where),
            concurrency=int(_positive(limits, "concurrency", base.concurrency, path, where,
                                      whole=True)),
        )
    where = "[watch]"
    return FetchSettings(
        contact=contact.strip() if contact else None,
        rate=_positive(table, "rate", base.rate, path, where),
        concurrency=int(_positive(table, "concurrency", base.concurrency, path, where,
                                  whole=True)),
        timeout_s=_positive(table, "timeout", base.timeout_s, path, where),
        retries=int(_positive(table, "retries", base.retries, path, where, whole=True,
                              zero=True)),
        backoff_s=_positive(table, "backoff", base.backoff_s, path, where, zero=True),
        max_retry_after_s=_positive(table, "max_retry_after", base.max_retry_after_s, path,
                                    where, zero=True),
        max_body_bytes=int(_positive(table, "max_body_mb", base.max_body_bytes / 1048576, path,
                                     where) * 1048576),
        hosts=hosts,
    )


def _positive(
    table: dict[str, Any],
    key: str,
    default: float,
    path: Path,
    where: str,
    *,
    whole: bool = False,
    zero: bool = False,
) -> float:
    value = table.get(key, default)
    kind = "a whole number" if whole else "a number"
    ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if (isinstance(value, bool) or not ok or not math.isfinite(value)
            or not (value >= 0 if zero else value > 0)):
        bound = "0 or more" if zero else "above 0"
        raise ConfigError(f"{path}: {where} `{key}` must be {kind} {bound}; got {value!r}")
    return float(value)
