"""Alert rules: which incidents and stories an analyst wants to hear about, as they happen.

A rule (`[[alert]]` in the watch file) combines criteria, all of which must hold:
- where: `country` (ISO code or name), `admin1` (first-level region), `place` with
  `radius_km` (resolved once, offline, in the project's gazetteer), `bbox`
  ([min_lon, min_lat, max_lon, max_lat], the GeoJSON order);
- who: `actor`, a registry id or any of its names, case-insensitive, on either side;
- what: `event_type`, `sub_event_type` (ACLED's typology);
- how bad: `min_fatalities`;
- story changes: `contested = true` (a figure in the story is now contested between its
  sources) and `min_outlets` (that many independent outlets now carry the story).

A rule without story changes is checked against incidents; a rule with them is checked
against stories, whose incidents must then meet the rule's other criteria (any one of
them). Each match becomes an `Alert` whose id hashes the rule name, the record and the
state that triggered it: an incident alerts once per rule, a story once per rule and set
of contested figures, so a figure that becomes contested later is news again while
the same state polled twice, or after a restart, is not.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from newsdesk.analyse.gazetteer import Gazetteer, distance_km, normalize_name
from newsdesk.analyse.typing_model import EVENT_TYPES
from newsdesk.errors import ConfigError
from newsdesk.store import Store
from newsdesk.watch.deliver import Alert, SmtpSettings, deliver_pending, parse_target, queue

__all__ = ["Alert", "AlertRule", "SmtpSettings", "parse_alerts", "parse_smtp", "run_alerts"]

_RULE_KEYS = (
    "name", "deliver", "country", "admin1", "place", "radius_km", "bbox", "actor",
    "event_type", "sub_event_type", "min_fatalities", "contested", "min_outlets",
)  # fmt: skip
_CRITERIA = _RULE_KEYS[2:]
_SMTP_KEYS = ("host", "port", "from", "security", "username", "password", "password_env",
              "timeout")
_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_STORY_DROP = ("brief_md", "brief_html", "signature")


@dataclass(slots=True, frozen=True)
class AlertRule:
    """One `[[alert]]`, its names resolved: a place to a point, an actor to its id."""

    name: str
    deliver: tuple[str, ...]  # stored target forms, see `deliver.parse_target`
    country: str | None = None  # ISO 3166-1 alpha-2
    admin1: str | None = None  # the gazetteer's name of the region
    place: str | None = None  # as written in the rule
    center: tuple[float, float] | None = None  # (lat, lon) of `place`
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    actor_id: str | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    min_fatalities: int | None = None
    contested: bool = False
    min_outlets: int | None = None

    @property
    def on_stories(self) -> bool:
        return self.contested or self.min_outlets is not None


# -- parsing -----------------------------------------------------------------------------


def parse_alerts(tables: list[dict[str, Any]], *, path: Path, smtp: SmtpSettings | None
                 ) -> list[AlertRule]:
    """The `[[alert]]` tables of the watch file at `path` as rules; ConfigError if any is bad.

    `smtp` is the file's parsed `[smtp]` table: an `email:` target without one is an error
    now rather than a failed delivery later.
    """
    rules: list[AlertRule] = []
    seen: set[str] = set()
    resolver = _Resolver()
    for index, table in enumerate(tables):
        rule = _parse_rule(table, f"alert[{index}]", path, resolver)
        if rule.name in seen:
            raise ConfigError(f"{path}: alert[{index}].name: {rule.name!r} is used by two "
                              "alerts; each needs its own name (alert ids are made from it)")
        seen.add(rule.name)
        if smtp is None and any(t.startswith("email:") for t in rule.deliver):
            raise ConfigError(f"{path}: alert[{index}].deliver: email targets need an [smtp] "
                              "table with host and from")
        rules.append(rule)
    return rules


def parse_smtp(table: dict[str, Any] | None, *, path: Path) -> SmtpSettings | None:
    """The `[smtp]` table: `host`, `from`, optional `port`, `security` (none, starttls, ssl;
    default starttls), `username` with `password` or `password_env`, `timeout` (seconds)."""
    if table is None:
        return None
    where = "smtp"
    _check_keys(table, _SMTP_KEYS, where, path)
    host = _get(table, "host", str, where, path, required=True)
    sender = _get(table, "from", str, where, path, required=True)
    security = _get(table, "security", str, where, path) or "starttls"
    if security not in _PORTS:
        raise ConfigError(f"{path}: smtp.security: {security!r} is not allowed; use none, "
                          "starttls or ssl")
    port = _get(table, "port", int, where, path)
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"{path}: smtp.port: {port} is not a TCP port (1-65535)")
    password = _get(table, "password", str, where, path)
    env = _get(table, "password_env", str, where, path)
    if env is not None:
        if password is not None:
            raise ConfigError(f"{path}: smtp: give password or password_env, not both")
        password = os.environ.get(env)
        if password is None:
            raise ConfigError(f"{path}: smtp.password_env: environment variable {env} is not set")
    timeout = _get(table, "timeout", float, where, path)
    if timeout is not None and timeout <= 0:
        raise ConfigError(f"{path}: smtp.timeout: must be a positive number of seconds")
    return SmtpSettings(
        host=host, port=port or _PORTS[security], sender=sender, security=security,
        username=_get(table, "username", str, where, path), password=password,
        timeout_s=timeout or 30.0,
    )  # fmt: skip


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, path: Path) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(f"{path}: {where}.{unknown[0]}: unknown key; allowed keys are "
                          f"{', '.join(allowed)}")


_TYPE_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
               list: "a list"}


def _get(table: dict[str, Any], key: str, kind: type, where: str, path: Path, *,
         required: bool = False) -> Any:
    value = table.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{path}: {where}.{key}: required ({_TYPE_WORDS[kind]})")
        return None
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok or (kind is str and not value.strip()):
        raise ConfigError(f"{path}: {where}.{key}: must be {_TYPE_WORDS[kind]}"
                          f"{' (not empty)' if kind is str else ''}, got {value!r}")
    return value.strip() if kind is str else value


class _Resolver:
    """The gazetteer and actor registry, opened only when a rule names a place or actor."""

    def __init__(self) -> None:
        self._gazetteer: Gazetteer | None = None
        self._actors: dict[str, set[str]] | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.open()
        return self._gazetteer

    def actor_ids(self, name: str) -> set[str]:
        """Registry ids whose id, name or any alias is `name`, ignoring case."""
        if self._actors is None:
            from newsdesk.analyse.actors import ActorRegistry

            self._actors = {}
            for actor in ActorRegistry.load().actors.values():
                for alias in (actor.id, actor.name, *actor.aliases, *actor.exact):
                    self._actors.setdefault(alias.casefold(), set()).add(actor.id)
        key = name.casefold()
        return self._actors.get(key) or self._actors.get(key.removeprefix("the "), set())


def _parse_rule(table: dict[str, Any], where: str, path: Path, resolver: _Resolver
                ) -> AlertRule:
    name = _get(table, "name", str, where, path, required=True)
    where = f"alert {name!r}"
    _check_keys(table, _RULE_KEYS, where, path)
    deliver = table.get("deliver")
    if not isinstance(deliver, list) or not deliver or not all(
        isinstance(t, str) for t in deliver
    ):
        raise ConfigError(f"{path}: {where}.deliver: required, a non-empty list of targets "
                          "(stdout, desk, jsonl:PATH, webhook:URL, email:ADDRESS)")
    targets: list[str] = []
    for raw in deliver:
        try:
            target = parse_target(raw.strip(), base=path.parent)
        except ValueError as exc:
            raise ConfigError(f"{path}: {where}.deliver: {exc}") from None
        if target not in targets:
            targets.append(target)
    if not any(table.get(k) is not None for k in _CRITERIA):
        raise ConfigError(f"{path}: {where}: give at least one criterion ({', '.join(_CRITERIA)})"
                          "; a rule without one would alert on everything")
    fields: dict[str, Any] = {"name": name, "deliver": tuple(targets)}
    fields["country"] = _country(_get(table, "country", str, where, path), where, path, resolver)
    admin1 = _get(table, "admin1", str, where, path)
    if admin1 is not None:
        fields["admin1"] = _region(admin1, fields["country"], where, path, resolver)
    fields.update(_place(table, where, path, resolver))
    fields["bbox"] = _bbox(table.get("bbox"), where, path)
    actor = _get(table, "actor", str, where, path)
    if actor is not None:
        ids = resolver.actor_ids(actor)
        if len(ids) != 1:
            problem = ("names several actors: " + ", ".join(sorted(ids)) + "; use one id") if ids \
                else "is not an id or name in the actor registry (newsdesk/data/actors.json)"
            raise ConfigError(f"{path}: {where}.actor: {actor!r} {problem}")
        fields["actor_id"] = ids.pop()
    fields.update(_typology(table, where, path))
    for key in ("min_fatalities", "min_outlets"):
        value = _get(table, key, int, where, path)
        if value is not None and value < (0 if key == "min_fatalities" else 1):
            raise ConfigError(f"{path}: {where}.{key}: must be at least "
                              f"{0 if key == 'min_fatalities' else 1}, got {value}")
        fields[key] = value
    contested = _get(table, "contested", bool, where, path)
    if contested is False:
        raise ConfigError(f"{path}: {where}.contested: only `contested = true` means something; "
                          "leave the key out otherwise")
    fields["contested"] = bool(contested)
    return AlertRule(**fields)


def _country(value: str | None, where: str, path: Path, resolver: _Resolver) -> str | None:
    if value is None:
        return None
    if len(value) == 2 and value.isalpha():
        if resolver.gazetteer.country(value) is None:
            raise ConfigError(f"{path}: {where}.country: {value!r} is not an ISO 3166-1 code")
        return value.upper()
    for cand in resolver.gazetteer.candidates(value, limit=50):
        if cand.place.feature == "country" and cand.match >= 0.9:
            return cand.place.country_code
    raise ConfigError(f"{path}: {where}.country: {value!r} is not a country; give its name or "
                      "ISO 3166-1 alpha-2 code (SY, IQ...)")


def _region(value: str, country: str | None, where: str, path: Path, resolver: _Resolver) -> str:
    for cand in resolver.gazetteer.candidates(value, country=country, limit=50):
        if cand.place.feature == "admin1" and cand.match >= 0.8:
            return cand.place.name
    within = f" in {country}" if country else ""
    raise ConfigError(f"{path}: {where}.admin1: {value!r} is not a first-level region{within} "
                      "in the gazetteer")


def _place(table: dict[str, Any], where: str, path: Path, resolver: _Resolver
           ) -> dict[str, Any]:
    place = _get(table, "place", str, where, path)
    radius = _get(table, "radius_km", float, where, path)
    if place is None:
        if radius is not None:
            raise ConfigError(f"{path}: {where}.radius_km: only meaningful with `place`")
        return {}
    if radius is None or not 0 < radius <= 20_000:
        raise ConfigError(f"{path}: {where}.radius_km: `place` needs a radius in km "
                          "(more than 0, at most 20000)")
    for cand in resolver.gazetteer.candidates(place, limit=20):
        if cand.match >= 0.85 and cand.place.feature not in ("continent", "sea"):
            p = cand.place
            return {"place": place, "center": (p.lat, p.lon), "radius_km": radius}
    raise ConfigError(f"{path}: {where}.place: {place!r} is not in the gazetteer; use a bbox "
                      "for places it lacks")


def _bbox(value: Any, where: str, path: Path) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    ok = isinstance(value, list) and len(value) == 4 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    if ok:
        w, s, e, n = (float(v) for v in value)
        ok = -180 <= w <= e <= 180 and -90 <= s <= n <= 90
    if not ok:
        raise ConfigError(f"{path}: {where}.bbox: must be [min_lon, min_lat, max_lon, max_lat] "
                          f"in degrees, west <= east and south <= north, got {value!r}")
    return (w, s, e, n)


def _typology(table: dict[str, Any], where: str, path: Path) -> dict[str, Any]:
    event_type = _get(table, "event_type", str, where, path)
    sub = _get(table, "sub_event_type", str, where, path)
    types = sorted(set(EVENT_TYPES.values()))
    by_fold = {t.casefold(): t for t in types}
    if event_type is not None:
        if event_type.casefold() not in by_fold:
            raise ConfigError(f"{path}: {where}.event_type: {event_type!r} is not an ACLED event "
                              f"type; use one of {', '.join(types)}")
        event_type = by_fold[event_type.casefold()]
    if sub is not None:
        subs = {s.casefold(): s for s in EVENT_TYPES}
        if sub.casefold() not in subs:
            raise ConfigError(f"{path}: {where}.sub_event_type: {sub!r} is not an ACLED "
                              f"sub-event type; use one of {', '.join(sorted(EVENT_TYPES))}")
        sub = subs[sub.casefold()]
        if event_type is not None and EVENT_TYPES[sub] != event_type:
            raise ConfigError(f"{path}: {where}.sub_event_type: {sub!r} is a kind of "
                              f"{EVENT_TYPES[sub]!r}, not of {event_type!r}")
    return {"event_type": event_type, "sub_event_type": sub}


# -- matching ----------------------------------------------------------------------------


def incident_matches(rule: AlertRule, inc: dict[str, Any]) -> bool:
    """Whether a stored incident (reviews applied) meets the rule's non-story criteria."""
    if rule.country and inc.get("country_code") != rule.country:
        return False
    if rule.admin1 and normalize_name(inc.get("admin1") or "") != normalize_name(rule.admin1):
        return False
    lat, lon = inc.get("lat"), inc.get("lon")
    if (rule.center or rule.bbox) and (lat is None or lon is None):
        return False
    if rule.center and rule.radius_km is not None and \
            distance_km(rule.center[0], rule.center[1], lat, lon) > rule.radius_km:
        return False
    if rule.bbox:
        w, s, e, n = rule.bbox
        if not (w <= lon <= e and s <= lat <= n):
            return False
    if rule.actor_id and rule.actor_id not in (inc.get("actor1_id"), inc.get("actor2_id")):
        return False
    if rule.event_type and inc.get("event_type") != rule.event_type:
        return False
    if rule.sub_event_type and inc.get("sub_event_type") != rule.sub_event_type:
        return False
    if rule.min_fatalities is not None:
        dead = inc.get("fatalities")
        if dead is None:
            dead = inc.get("fatalities_low")
        if dead is None or dead < rule.min_fatalities:
            return False
    return True


def _has_incident_criteria(rule: AlertRule) -> bool:
    return any((rule.country, rule.admin1, rule.center, rule.bbox, rule.actor_id,
                rule.event_type, rule.sub_event_type, rule.min_fatalities is not None))


def _alert_id(rule: AlertRule, kind: str, subject: str, state: str) -> str:
    key = "\x1f".join((rule.name, kind, subject, state)).encode()
    return "al-" + hashlib.sha256(key).hexdigest()[:20]


def _link(desk_url: str | None, kind: str, subject: str) -> str:
    base = (desk_url or "").rstrip("/")
    return f"{base}/{'incidents' if kind == 'incident' else 'stories'}/{quote(subject, safe='')}"


def _sources(outlets: Collection[str]) -> str:
    return f"sources: {', '.join(outlets)}" if outlets else "sources: unknown outlet"


def _one_line(text: str) -> str:
    """Report text may carry newlines; a summary is a chat line and a mail subject."""
    return " ".join(text.split())


def _incident_summary(rule: AlertRule, inc: dict[str, Any]) -> str:
    what = inc.get("sub_event_type") or inc.get("event_type") or "incident"
    where = ", ".join(v for v in (inc.get("location"), inc.get("admin1"),
                                  inc.get("country_code")) if v)
    who = " vs ".join(a for a in (inc.get("actor1"), inc.get("actor2")) if a)
    parts = [f"{rule.name}: {what}"]
    if where:
        parts.append(f"in {where}")
    if inc.get("event_date"):
        parts.append(f"on {inc['event_date']}")
    line = " ".join(parts)
    if who:
        line += f" ({who})"
    if inc.get("fatalities") is not None:
        line += f", {inc['fatalities']} killed"
    return f"{line}; {_sources(inc.get('outlets') or [])}"


def _figure(value: dict[str, Any]) -> str:
    v = value.get("value")
    text = value.get("number_text") if v is None else f"{v:,.0f}"
    who = value.get("claimant") or value.get("outlet")
    return f"{text} ({who})" if who else text


def _story_summary(rule: AlertRule, story: dict[str, Any], contested: list[dict[str, Any]],
                   independent: int) -> str:
    line = f"{rule.name}: story “{story.get('title') or story['id']}”"
    reasons: list[str] = []
    for group in contested:
        about = group["counted"] + (f" ({group['subject']})" if group.get("subject") else "")
        figures = " vs ".join(dict.fromkeys(_figure(v) for v in group.get("values") or []))
        reasons.append(f"contested figure: {about}: {figures}")
    if rule.min_outlets is not None:
        reasons.append(f"carried by {independent} independent outlets")
    return f"{line}: {'; '.join(reasons)}; {_sources(story.get('outlets') or [])}"


def _story_state(story: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in story.get("claim_groups") or [] if g.get("status") == "contested"]


def _independent_outlets(store: Store, story_id: str) -> int:
    """Outlets carrying a story, as `newsdesk.link.common.source_of` counts them: wire copy
    as the agency, a duplicate as its original's source (following a chain of copies), an
    original the store lacks as its id."""
    row = store._conn.execute(
        "WITH RECURSIVE chain(member, id, dup, depth) AS ("
        " SELECT a.id, a.id, a.duplicate_of, 0 FROM story_articles sa"
        " JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ?"
        " UNION ALL SELECT c.member, a.id, a.duplicate_of, c.depth + 1 FROM chain c"
        " JOIN articles a ON a.id = c.dup WHERE c.dup <> c.id AND c.depth < 64),"
        # SQLite: the bare columns of a max() aggregate come from the row with the max
        " root AS (SELECT id, dup, max(depth) FROM chain GROUP BY member)"
        " SELECT count(DISTINCT CASE WHEN r.dup IS NOT NULL AND r.dup <> r.id"
        " AND NOT EXISTS (SELECT 1 FROM articles o WHERE o.id = r.dup) THEN r.dup"
        " ELSE coalesce(json_extract(a.data, '$.wire'), a.outlet, a.id) END)"
        " FROM root r JOIN articles a ON a.id = r.id",
        (story_id,),
    ).fetchone()
    return int(row[0])


def _incidents(store: Store, articles: Collection[str] | None) -> Iterator[dict[str, Any]]:
    if articles is None:
        yield from store.incidents(limit=None)
        return
    seen: set[str] = set()
    for article_id in sorted(articles):
        for inc in store.incidents(article_id=article_id, limit=None):
            if inc["id"] not in seen:
                seen.add(inc["id"])
                yield inc


def _stories(store: Store, articles: Collection[str] | None) -> Iterator[dict[str, Any]]:
    if articles is None:
        yield from store.stories(limit=None)
        return
    marks = ",".join("?" * len(articles))
    ids = [r[0] for r in store._conn.execute(
        f"SELECT DISTINCT story_id FROM story_articles WHERE article_id IN ({marks})"
        " ORDER BY story_id", list(articles),
    )] if articles else []  # fmt: skip
    for story_id in ids:
        story = store.get_story(story_id)
        if story is not None:
            yield story


def evaluate(store: Store, rules: list[AlertRule], *, desk_url: str | None,
             articles: Collection[str] | None = None) -> list[Alert]:
    """Every alert the rules raise over the store (or over what `articles` touch).

    Alerts already recorded come back too, with the same ids: recording skips them.
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    found: list[Alert] = []
    incident_rules = [r for r in rules if not r.on_stories]
    story_rules = [r for r in rules if r.on_stories]
    if incident_rules:
        for inc in _incidents(store, articles):
            record = {k: v for k, v in inc.items() if k != "evidence"}
            for rule in incident_rules:
                if incident_matches(rule, inc):
                    found.append(Alert(
                        id=_alert_id(rule, "incident", inc["id"], ""), rule=rule.name,
                        kind="incident", subject_id=inc["id"],
                        summary=_one_line(_incident_summary(rule, inc)),
                        link=_link(desk_url, "incident", inc["id"]),
                        outlets=tuple(inc.get("outlets") or ()), record=record, created_at=now,
                    ))  # fmt: skip
    if story_rules:
        for story in _stories(store, articles):
            found.extend(_story_alerts(store, story, story_rules, desk_url, now))
    return found


def _story_alerts(store: Store, story: dict[str, Any], rules: list[AlertRule],
                  desk_url: str | None, now: str) -> Iterator[Alert]:
    contested = _story_state(story)
    independent = _independent_outlets(store, story["id"])
    incidents: list[dict[str, Any]] | None = None
    record = {k: v for k, v in story.items() if k not in _STORY_DROP}
    for rule in rules:
        if rule.contested and not contested:
            continue
        if rule.min_outlets is not None and independent < rule.min_outlets:
            continue
        if _has_incident_criteria(rule):
            if incidents is None:
                incidents = store.incidents(story_id=story["id"], limit=None)
            if not any(incident_matches(rule, inc) for inc in incidents):
                continue
        groups = contested if rule.contested else []
        state = "\n".join(sorted(f"{g['counted']}\x1f{g.get('subject') or ''}" for g in groups))
        if rule.min_outlets is not None:
            state += f"\noutlets>={rule.min_outlets}"
        yield Alert(
            id=_alert_id(rule, "story", story["id"], state), rule=rule.name, kind="story",
            subject_id=story["id"],
            summary=_one_line(_story_summary(rule, story, groups, independent)),
            link=_link(desk_url, "story", story["id"]),
            outlets=tuple(story.get("outlets") or ()), record=record, created_at=now,
        )


def run_alerts(store: Store, rules: list[AlertRule], *, smtp: SmtpSettings | None,
               desk_url: str | None, articles: Collection[str] | None = None,
               out: TextIO | None = None) -> list[Alert]:
    """Raise, record and deliver alerts; return the ones raised for the first time.

    `articles` limits the check to the incidents and stories those reports belong to (the
    reports a poll just stored), so a poll costs what it brought, not the store's size;
    None checks everything. Deliveries that failed before are retried here too. `out`
    replaces sys.stdout for `stdout` targets.
    """
    if not rules:
        return []
    found = evaluate(store, rules, desk_url=desk_url, articles=articles)
    new = queue(store, found, {r.name: r.deliver for r in rules})
    deliver_pending(store, smtp=smtp, out=out)
    return new
