"""Latency of the desk under a bounded load, on a store of 100,000 synthetic articles.

    .venv/bin/python bench/web_load.py [DB_PATH] [--articles N] [--requests N] [--clients N]
    .venv/bin/python bench/web_load.py [DB_PATH] --mixed [--clients 200] [--writes 0.2]

DB_PATH (default /tmp/newsdesk-web-bench.db) is built on first use through the store's own
API (articles with places, actors and claims; stories of 10 articles; one incident per 5
articles) and reused afterwards. The desk runs as a separate process (uvicorn, loopback
only) so the load generator does not share its interpreter lock; a fixed number of
requests is spread over a few concurrent httpx clients. Prints p50/p95/p99 per route.

`--mixed` is the desk under a crowd: `--clients` (default 200) concurrent connections from
one asyncio httpx client, each sending its next request as soon as the last one answered,
a share `--writes` of them writes with the token (incident reviews that edit a toll,
alerts marked read) among the reads above. Writes go to a copy of the store, so the
store stays as built. An error is any answer but 2xx, or no answer within 60 s. A read
whose kept-alive connection the desk had closed (it closes one idle for 5 s, and a lagging
client may send on it just then) is sent again once, as browsers do; such retries are
counted apart. A write is never sent again.

A store built by an older newsdesk is migrated when it is opened (new indexes), before
the clock starts. `--articles` sets the size of a store built here (a smaller one for a
quick run needs its own DB_PATH).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, closing
from pathlib import Path
from typing import IO

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdesk.models import (
    ActorMention,
    Article,
    ArticleRecords,
    Claim,
    ClaimGroup,
    Incident,
    PlaceMention,
    Story,
)
from newsdesk.store import Store

PLACES = [
    ("Raqqa", "SY", 35.95, 39.01),
    ("Mosul", "IQ", 36.34, 43.12),
    ("Aleppo", "SY", 36.2, 37.16),
    ("Tabqa", "SY", 35.84, 38.55),
    ("Deir ez-Zor", "SY", 35.33, 40.14),
    ("Kirkuk", "IQ", 35.47, 44.39),
]
ACTORS = [
    ("islamic-state", "Islamic State", 2),
    ("sdf", "Syrian Democratic Forces", 2),
    ("us-led-coalition", "US-led coalition", 8),
    ("iraqi-army", "Iraqi Army", 1),
]
OUTLETS = ["AFP", "Reuters", "AP", "Middle East Eye", "Gulf News", "Sputnik", "BBC", "Al Jazeera"]
TYPES = [
    ("Battles", "Armed clash"),
    ("Explosions/Remote violence", "Air/drone strike"),
    ("Violence against civilians", "Attack"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
]
WORDS = [  # the order and repeats matter: they fix the synthetic texts
    "forces",
    "advanced",
    "on",
    "the",
    "old",
    "city",
    "as",
    "air",
    "strikes",
    "hit",
    "positions",
    "held",
    "by",
    "the",
    "group",
    "while",
    "civilians",
    "fled",
    "the",
    "fighting",
    "and",
    "officials",
    "said",
    "the",
    "offensive",
    "would",
    "continue",
]
STORY_SIZE = 10


def _article(n: int, rng: random.Random) -> ArticleRecords:
    place = rng.choice(PLACES)
    a1, a2 = rng.sample(ACTORS, 2)
    day = f"2017-{1 + n % 12:02d}-{1 + n % 28:02d}"
    count = rng.randint(2, 3000)
    body = " ".join(rng.choices(WORDS, k=60))
    text = (
        f"{a1[1]} fought {a2[1]} in {place[0]} on Tuesday. {body}. "
        f"About {count} fighters remain, the monitor said."
    )
    aid = f"bench-{n:07d}"
    p0 = text.index(place[0])
    c0 = text.index(str(count))
    story = f"story-{n // STORY_SIZE:06d}"
    art = Article(
        id=aid,
        source=f"bench/{aid}.txt",
        text=text,
        title=f"Clashes in {place[0]} #{n}",
        outlet=OUTLETS[n % len(OUTLETS)],
        published=day,
        story_id=story,
    )
    records = ArticleRecords(
        article=art,
        places=[
            PlaceMention(
                aid, place[0], p0, p0 + len(place[0]), place[0], place[1], place[2], place[3], None
            )
        ],
        actors=[
            ActorMention(
                aid,
                a[1],
                text.index(a[1]),
                text.index(a[1]) + len(a[1]),
                a[0],
                a[1],
                None,
                inter=a[2],
            )
            for a in (a1, a2)
        ],
        claims=[
            Claim(
                f"{aid}-c0",
                aid,
                text[c0 - 6 :],
                float(count),
                None,
                None,
                "fighters",
                f"IS in {place[0]}",
                None,
                "the monitor",
                "the monitor",
                start=c0,
                end=c0 + len(str(count)),
                number_text=str(count),
            )
        ],
    )
    if n % 5 == 0:
        ev, sub = rng.choice(TYPES)
        records.incidents.append(
            Incident(
                id=f"inc-{n:07d}",
                event_date=day,
                date_precision="day",
                event_type=ev,
                sub_event_type=sub,
                actor1=a1[1],
                actor2=a2[1],
                location=place[0],
                country_code=place[1],
                lat=place[2],
                lon=place[3],
                fatalities=rng.randint(0, 40),
                article_ids=[aid],
                outlets=[art.outlet or ""],
                notes="synthetic",
                actor1_id=a1[0],
                actor2_id=a2[0],
                grade=rng.choice(["weak", "fair", "contested"]),
            )
        )
    return records


def build(db: Path, n_articles: int) -> None:
    rng = random.Random(7)
    t0 = time.perf_counter()
    stories: dict[str, Story] = {}
    incidents: list[Incident] = []
    with Store.open(db) as store:
        for n in range(n_articles):
            rec = _article(n, rng)
            store.save_records(rec)
            incidents.extend(rec.incidents)
            a = rec.article
            s = stories.setdefault(
                a.story_id or "",
                Story(
                    id=a.story_id or "",
                    title=a.title or "",
                    article_ids=[],
                    outlets=[],
                    first_published=a.published,
                    last_published=a.published,
                ),
            )
            s.article_ids.append(a.id)
            if a.outlet not in s.outlets:
                s.outlets.append(a.outlet or "")
            s.first_published = min(s.first_published or "9", a.published or "9")
            s.last_published = max(s.last_published or "", a.published or "")
            if n % 10_000 == 9_999:
                print(f"  stored {n + 1} articles ({time.perf_counter() - t0:.0f} s)", flush=True)
        for s in stories.values():
            claims = [f"{aid}-c0" for aid in s.article_ids[:3]]
            s.claim_groups = [ClaimGroup("fighters", None, claims, [], "contested", len(s.outlets))]
        store.save_link(
            stories=list(stories.values()),
            incidents=incidents,
            duplicates={},
            story_ids={a: s.id for s in stories.values() for a in s.article_ids},
        )
    print(
        f"built {db}: {n_articles} articles, {len(stories)} stories, {len(incidents)} incidents "
        f"in {time.perf_counter() - t0:.0f} s"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _routes(n_articles: int, rng: random.Random) -> list[tuple[str, str]]:
    n_stories = n_articles // STORY_SIZE
    return [
        ("page /", "/"),
        ("page / (offset)", f"/?offset={rng.randrange(max(n_stories - 50, 1))}"),
        ("page / (search)", f"/?q={rng.choice(['Raqqa', 'Mosul', 'Tabqa'])}+clashes"),
        ("page /stories/{id}", f"/stories/story-{rng.randrange(n_stories):06d}"),
        ("api /api/stories", f"/api/stories?offset={rng.randrange(max(n_stories - 50, 1))}"),
        ("api /api/articles (outlet)", f"/api/articles?outlet={rng.choice(OUTLETS)}"),
        ("api /api/incidents (filters)", "/api/incidents?country=SY&event_type=Battles"),
        ("api /api/incidents (actor)", f"/api/incidents?actor={rng.choice(ACTORS)[0]}"),
        ("page /incidents (filters)", f"/incidents?grade={rng.choice(['weak', 'fair'])}"),
        ("api /api/search", f"/api/search?q={rng.choice(['Raqqa', 'Mosul', 'Kirkuk'])}+fighters"),
        ("api /api/stories/{id}", f"/api/stories/story-{rng.randrange(n_stories):06d}"),
    ]


def run_load(base: str, n_articles: int, requests: int, clients: int) -> dict[str, list[float]]:
    rng = random.Random(11)
    plan = [rng.choice(_routes(n_articles, rng)) for _ in range(requests)]
    timings: dict[str, list[float]] = {}
    lock = threading.Lock()
    errors: list[str] = []

    def worker(part: list[tuple[str, str]]) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for name, url in part:
                t = time.perf_counter()
                resp = client.get(url)
                ms = (time.perf_counter() - t) * 1000
                if resp.status_code != 200:
                    errors.append(f"{resp.status_code} {url}")
                with lock:
                    timings.setdefault(name, []).append(ms)
                    timings.setdefault("ALL", []).append(ms)

    threads = [threading.Thread(target=worker, args=(plan[i::clients],)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    print(
        f"{requests} requests, {clients} clients, {wall:.1f} s, {requests / wall:.0f} req/s, "
        f"{len(errors)} errors {errors[:3]}"
    )
    return timings


WRITE_TOKEN = "bench-token"


def _writes(n_articles: int, rng: random.Random) -> list[tuple[str, str, dict]]:
    incident = f"inc-{rng.randrange(n_articles // 5) * 5:07d}"
    review = {"action": "edit", "who": "bench", "changes": {"fatalities": rng.randint(0, 40)}}
    return [
        ("write review (edit)", f"/api/incidents/{incident}/review", review),
        ("write review (accept)", f"/api/incidents/{incident}/review",
         {"action": "accept", "who": "bench"}),
        ("write alerts read", "/api/alerts/read", {"ids": None}),
    ]  # fmt: skip


def run_mixed(
    base: str, n_articles: int, requests: int, clients: int, writes: float
) -> dict[str, list[float]]:
    """`requests` requests from `clients` concurrent connections, a share `writes` of them
    writes; returns latencies by route, and prints the errors."""
    rng = random.Random(13)
    plan: list[tuple[str, str, dict | None]] = []
    for _ in range(requests):
        if rng.random() < writes:
            plan.append(rng.choice(_writes(n_articles, rng)))
        else:
            name, url = rng.choice(_routes(n_articles, rng))
            plan.append((name, url, None))
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    retried: list[str] = []

    async def worker(client: httpx.AsyncClient, part: list[tuple[str, str, dict | None]]) -> None:
        for name, url, body in part:
            t = time.perf_counter()
            try:
                if body is None:
                    try:
                        resp = await client.get(url)
                    except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                        retried.append(f"{type(exc).__name__} {url}")
                        resp = await client.get(url)
                else:
                    resp = await client.post(
                        url, json=body, headers={"Authorization": f"Bearer {WRITE_TOKEN}"}
                    )
                if resp.status_code // 100 != 2:
                    errors.append(f"{resp.status_code} {url}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {url}")
            ms = (time.perf_counter() - t) * 1000
            timings.setdefault(name, []).append(ms)
            timings.setdefault("READS" if body is None else "WRITES", []).append(ms)
            timings.setdefault("ALL", []).append(ms)

    async def crowd() -> float:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(client, plan[i::clients]) for i in range(clients)))
            return time.perf_counter() - t0

    wall = asyncio.run(crowd())
    n_writes = sum(1 for p in plan if p[2] is not None)
    print(
        f"{requests} requests ({n_writes} writes), {clients} concurrent clients, {wall:.1f} s, "
        f"{requests / wall:.0f} req/s, {len(errors)} errors {errors[:3]}, "
        f"{len(retried)} reads sent again on a closed connection {retried[:3]}"
    )
    return timings


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far, from Linux's /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def _serve_and_load(
    args: argparse.Namespace, db: Path, log: IO[bytes], n_articles: int, clients: int
) -> dict[str, list[float]]:
    """Start the desk on `db` in its own process, logging to `log`, and load it."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from newsdesk.web import serve; "
            "serve(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]), token=sys.argv[3])",
            str(db),
            str(port),
            WRITE_TOKEN,
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/api/counts", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        run_load(base, n_articles, 100, 2)  # warm-up: page cache, per-thread connections
        cpu0, own0, t0 = _cpu_s(server.pid), time.process_time(), time.perf_counter()
        if args.mixed:
            timings = run_mixed(base, n_articles, args.requests, clients, args.writes)
        else:
            timings = run_load(base, n_articles, args.requests, clients)
        cpu, wall = _cpu_s(server.pid) - cpu0, time.perf_counter() - t0
        own = time.process_time() - own0
        print(
            f"desk process: {cpu:.1f} CPU s in {wall:.1f} s ({cpu / wall:.0%} of one core, "
            f"{cpu / args.requests * 1000:.1f} ms a request); load generator: {own:.1f} CPU s; "
            f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
    finally:
        server.terminate()
        server.wait(10)
    return timings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", nargs="?", default="/tmp/newsdesk-web-bench.db", type=Path)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=None, help="default 4, 200 with --mixed")
    ap.add_argument("--mixed", action="store_true", help="reads and writes from a crowd")
    ap.add_argument("--writes", type=float, default=0.2, help="share of writes with --mixed")
    args = ap.parse_args()
    clients = args.clients or (200 if args.mixed else 4)
    if not args.db.exists():
        build(args.db, args.articles)
    with Store.open(args.db) as store:
        n_articles = store.counts()["articles"]
    with ExitStack() as stack:
        served = args.db
        if args.mixed:  # writes go to a copy
            served = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "desk.db"
            with closing(sqlite3.connect(args.db)) as src, closing(sqlite3.connect(served)) as dst:
                src.backup(dst)
        server_log = stack.enter_context(tempfile.TemporaryFile())
        timings = _serve_and_load(args, served, server_log, n_articles, clients)
        server_log.seek(0)
        problems = [
            line for line in server_log.read().decode(errors="replace").splitlines()
            if line.startswith(("WARNING", "ERROR", "Traceback"))
        ]  # fmt: skip
        print(f"desk log: {len(problems)} warnings or errors {problems[:3]}")
    print(f"store: {n_articles} articles")
    print(f"{'route':32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name in sorted(timings, key=lambda k: (k in ("ALL", "READS", "WRITES"), k == "ALL", k)):
        v = timings[name]
        p50, p95, p99 = statistics.median(v), _pct(v, 95), _pct(v, 99)
        print(f"{name:32} {len(v):5d} {p50:8.1f} {p95:8.1f} {p99:8.1f}")


if __name__ == "__main__":
    main()
