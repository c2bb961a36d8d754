"""Getting an alert to the people who asked for it, exactly once per target.

An alert is recorded before it is sent, with one row per (alert, target) in
`alert_deliveries`; a row is marked delivered only after its target accepted it. So a
webhook that is down is tried again on the next poll, a target that took the alert is
never sent it again, and a watcher killed between the two keeps its queue in the store.

Targets, as written in a rule's `deliver` list:
- `stdout`: one line, the summary and the link;
- `jsonl:PATH`: the alert appended as one JSON object to PATH (relative to the config);
- `webhook:URL`: POST of JSON with a `text` field (what Slack, Mattermost and Matrix
  hooks read) and the whole alert under `alert`;
- `email:ADDRESS`: a plain-text mail through the config's `[smtp]` server;
- `desk`: the desk's notifications page, which reads the alerts table itself.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal, TextIO

import httpx

from newsdesk.store import Store

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_S = 10.0
"""A chat tool answers a hook in well under a second; a hung one must not stall a poll."""


@dataclass(slots=True, frozen=True)
class Alert:
    """A rule's match: what matched, why, from which outlets, and where to read it."""

    id: str  # stable: the same rule, record and triggering state give the same id
    rule: str
    kind: Literal["incident", "story"]
    subject_id: str
    summary: str  # one line, ending with the outlets it rests on
    link: str  # the incident's or story's page on the desk
    outlets: tuple[str, ...]
    record: dict[str, Any]  # the incident or story as stored (story briefs left out)
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["outlets"] = list(self.outlets)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(**{**data, "outlets": tuple(data["outlets"])})


@dataclass(slots=True, frozen=True)
class SmtpSettings:
    """The `[smtp]` table: the server that sends `email:` alerts."""

    host: str
    port: int
    sender: str
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0


def parse_target(raw: str, *, base: Path) -> str:
    """A `deliver` entry in its stored form (a `jsonl:` path made absolute against `base`).

    Raises ValueError with what is allowed.
    """
    kind, sep, rest = raw.partition(":")
    if raw in ("stdout", "desk"):
        return raw
    if kind == "jsonl" and sep and rest.strip():
        path = Path(rest.strip()).expanduser()
        return f"jsonl:{(path if path.is_absolute() else base / path).resolve()}"
    if kind == "webhook" and sep:
        url = httpx.URL(rest.strip()) if rest.strip() else None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"webhook target {raw!r} needs an http(s) URL")
        return f"webhook:{rest.strip()}"
    if kind == "email" and sep:
        address = parseaddr(rest.strip())[1]
        if "@" not in address or address != rest.strip():
            raise ValueError(f"email target {raw!r} needs one address, like email:desk@example.org")
        return f"email:{address}"
    raise ValueError(
        f"unknown delivery target {raw!r}: use stdout, desk, jsonl:PATH, webhook:URL "
        "or email:ADDRESS"
    )


def send(alert: Alert, target: str, *, smtp: SmtpSettings | None, out: TextIO | None = None
         ) -> None:
    """Hand one alert to one target; raises OSError/httpx.HTTPError/ValueError if it refused."""
    kind, _, rest = target.partition(":")
    if target == "desk":
        return
    if target == "stdout":
        stream = out or sys.stdout
        stream.write(f"{alert.summary} {alert.link}\n")
        stream.flush()
    elif kind == "jsonl":
        path = Path(rest)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(alert.to_dict(), ensure_ascii=False) + "\n")
    elif kind == "webhook":
        response = httpx.post(
            rest,
            json={"text": f"{alert.summary} {alert.link}", "alert": alert.to_dict()},
            timeout=WEBHOOK_TIMEOUT_S,
            follow_redirects=False,
        )
        response.raise_for_status()
    elif kind == "email":
        if smtp is None:
            raise ValueError("no [smtp] settings to send email with")
        _email(alert, rest, smtp)
    else:
        raise ValueError(f"unknown delivery target {target!r}")


def _email(alert: Alert, address: str, smtp: SmtpSettings) -> None:
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = address
    msg["Subject"] = f"[newsdesk] {alert.summary}"[:200]
    msg.set_content(f"{alert.summary}\n\n{alert.link}\n\nAlert {alert.id}, rule {alert.rule!r}.\n")
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(msg)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def queue(store: Store, alerts: list[Alert], targets: dict[str, tuple[str, ...]]) -> list[Alert]:
    """Record alerts not seen before and their pending deliveries; return the new ones.

    `targets` maps a rule name to its stored delivery targets. One transaction, so an
    alert is never recorded without its deliveries. The desk target is delivered by
    being recorded.
    """
    conn = store._conn
    new: list[Alert] = []
    with store._tx():
        for alert in alerts:
            cur = conn.execute(
                "INSERT OR IGNORE INTO alerts (id, rule, kind, subject_id, summary, link, data,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (alert.id, alert.rule, alert.kind, alert.subject_id, alert.summary, alert.link,
                 json.dumps(alert.to_dict(), ensure_ascii=False), alert.created_at),
            )
            if cur.rowcount != 1:
                continue
            new.append(alert)
            conn.executemany(
                "INSERT OR IGNORE INTO alert_deliveries (alert_id, target, delivered_at)"
                " VALUES (?, ?, ?)",
                [(alert.id, t, alert.created_at if t == "desk" else None)
                 for t in targets[alert.rule]],
            )
    return new


def deliver_pending(store: Store, *, smtp: SmtpSettings | None, out: TextIO | None = None
                    ) -> dict[str, int]:
    """Try every delivery not yet made, oldest alert first; counts of `delivered`, `failed`.

    Each outcome is written as soon as it is known, so a crash resends at most the one
    delivery in flight. A target that fails is not tried again in the same pass: a hook
    that hangs would otherwise cost its timeout once per waiting alert, every poll.
    """
    conn = store._conn
    rows = conn.execute(
        "SELECT d.target, a.data FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id"
        " WHERE d.delivered_at IS NULL ORDER BY a.seq, d.target"
    ).fetchall()
    counts = {"delivered": 0, "failed": 0}
    down: set[str] = set()
    for target, data in rows:
        if target in down:
            continue
        alert = Alert.from_dict(json.loads(data))
        try:
            send(alert, target, smtp=smtp, out=out)
        except (OSError, httpx.HTTPError, smtplib.SMTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("alert %s to %s failed, will retry next poll: %s", alert.id, target, error)
            counts["failed"] += 1
            down.add(target)
            with store._tx():
                conn.execute(
                    "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?"
                    " WHERE alert_id = ? AND target = ?",
                    (error[:500], alert.id, target),
                )
            continue
        counts["delivered"] += 1
        with store._tx():
            conn.execute(
                "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = NULL,"
                " delivered_at = ? WHERE alert_id = ? AND target = ?",
                (_now(), alert.id, target),
            )
    return counts


def deliveries(store: Store, alert_id: str) -> list[dict[str, Any]]:
    """Each target of one alert: delivered when, attempts, the last error."""
    rows = store._conn.execute(
        "SELECT target, delivered_at, attempts, last_error FROM alert_deliveries"
        " WHERE alert_id = ? ORDER BY target",
        (alert_id,),
    )
    return [dict(r) for r in rows]


# -- the desk target: what the notifications page reads -----------------------------------

_DESK = "id IN (SELECT alert_id FROM alert_deliveries WHERE target = 'desk')"


def desk_alerts(store: Store, *, after: int = 0, unread: bool = False, limit: int = 50,
                offset: int = 0, oldest_first: bool = False) -> list[dict[str, Any]]:
    """Alerts delivered to the desk, newest first; `after` a `seq` gives only later ones
    (oldest first, for a stream that must not skip any, with `oldest_first`)."""
    where = [_DESK, "seq > ?"] + (["read_at IS NULL"] if unread else [])
    rows = store._conn.execute(
        f"SELECT seq, data, read_at FROM alerts WHERE {' AND '.join(where)}"
        f" ORDER BY seq {'ASC' if oldest_first else 'DESC'} LIMIT ? OFFSET ?",
        (after, limit, offset),
    )
    out = []
    for r in rows:
        alert = Alert.from_dict(json.loads(r["data"]))
        out.append({
            "seq": r["seq"], "id": alert.id, "rule": alert.rule, "kind": alert.kind,
            "subject_id": alert.subject_id, "summary": alert.summary,
            "outlets": list(alert.outlets), "created_at": alert.created_at,
            "read_at": r["read_at"],
        })  # fmt: skip
    return out


def desk_counts(store: Store) -> dict[str, int]:
    """`total` and `unread` alerts on the desk, and `last`, the newest `seq` (0 if none)."""
    row = store._conn.execute(
        f"SELECT count(*), count(*) - count(read_at), coalesce(max(seq), 0) FROM alerts"
        f" WHERE {_DESK}"
    ).fetchone()
    return {"total": row[0], "unread": row[1], "last": row[2]}


def mark_read(store: Store, ids: list[str] | None) -> int:
    """Mark the desk's alerts `ids` (None: all of them) read; how many changed."""
    args: list[Any] = [_now()]
    where = f"read_at IS NULL AND {_DESK}"
    if ids is not None:
        where += f" AND id IN ({','.join('?' * len(ids))})" if ids else " AND 0"
        args.extend(ids)
    with store._tx():
        return store._conn.execute(f"UPDATE alerts SET read_at = ? WHERE {where}", args).rowcount
