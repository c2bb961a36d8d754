"""When each source is polled next: intervals, and backing off from a failing host.

A source that fails is retried later and later (its interval doubled per failure in a
row, capped at a day, with jitter so that sources that failed together do not come back
together); one success resets it. A 429/503 with Retry-After sets the next poll no
earlier than the server asked.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

MAX_BACKOFF_S = 24 * 3600.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?[smhd])+")


def parse_interval(value: str | int | float) -> float:
    """Seconds in an interval written `"90s"`, `"15m"`, `"1h30m"`, `"2d"` or as seconds.

    Raises ValueError (with what is allowed) for anything else, and for intervals under
    a second: polling faster than that is a denial of service, not monitoring.
    """
    if isinstance(value, bool):
        raise ValueError("an interval is a duration like \"15m\", not true/false")
    if isinstance(value, int | float):
        seconds = float(value)
    elif not isinstance(value, str):
        raise ValueError(f"an interval is a duration like \"15m\" or seconds, not {value!r}")
    else:
        text = value.strip().lower().replace(" ", "")
        if not _WHOLE.fullmatch(text):
            raise ValueError(
                f"{value!r} is not a duration: write a number with a unit s, m, h or d, "
                "e.g. \"90s\", \"15m\", \"1h30m\""
            )
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))
    if not seconds >= 1:  # also rejects NaN
        raise ValueError(f"{value!r} is shorter than the shortest interval allowed (1s)")
    return seconds


def format_interval(seconds: float) -> str:
    """The shortest exact spelling of a whole number of seconds (`5400` → `"1h30m"`)."""
    rest = round(seconds)
    parts = []
    for unit in ("d", "h", "m", "s"):
        n, rest = divmod(rest, _UNITS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"


def next_poll(
    now: datetime,
    interval_s: float,
    *,
    failures: int = 0,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """When to poll again after a poll that ended at `now`.

    `failures` is the number of failed polls in a row (0 after a success). Backoff is
    the interval doubled per failure with full jitter over its upper half, capped at a day
    (or at the interval, when the interval itself is longer).
    """
    if failures <= 0:
        delay = interval_s
    else:
        cap = max(interval_s, MAX_BACKOFF_S)
        top = min(cap, interval_s * 2 ** min(failures, 20))
        # never sooner than the interval: a failing source is not polled more often
        delay = max(interval_s, top / 2 + (rng or random).random() * top / 2)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return now + timedelta(seconds=delay)


def utcnow() -> datetime:
    return datetime.now(UTC)
