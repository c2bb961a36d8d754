"""What one poll of `newsdesk watch` costs when it brings 50 new reports, by store size.

    .venv/bin/python bench/watch_poll.py [--sizes 1000,10000,100000] [--timeout S]

Each size runs in a fresh process: a store of N synthetic articles is built directly (the
corpus of `dedup_scale.py`, 600-word texts, 10% near copies; saved in one transaction, not
timed, nor are the LSH bands a watcher indexes on its first poll), then a loopback site
(the tests' `tests/watch/loopback.py`) serves 50 new report pages, variants of the five
example reports, through one RSS feed, and `runner.poll` runs once with `--out`, as
`newsdesk watch --once` would. The poll is split into its stages by wrapping the
pipeline's functions: fetching and parsing the pages, the per-article analysis, linking
(`link_stored`), publishing (`publish`) and the rest (alerts, bookkeeping). Wall seconds,
because fetching waits on the network; the machine is shared, so read the stages against
each other.
"""

from __future__ import annotations

import argparse
import html
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "watch"))

NEW_REPORTS = 50


def _pages(site, n: int) -> list[str]:
    """`n` distinct report pages: the example reports, each variant with its own lead
    paragraph and its paragraphs in another order, so none is a copy of another."""
    from loopback import EXAMPLE, REPORTS

    urls = []
    for i in range(n):
        name, outlet, published, _ = REPORTS[i % len(REPORTS)]
        title, _, body = (EXAMPLE / name).read_text(encoding="utf-8").partition("\n")
        paras = [p.strip() for p in body.split("\n") if p.strip()]
        k = (i // len(REPORTS)) % max(1, len(paras))
        paras = paras[k:] + paras[:k]
        lead = (f"Update {i}: monitors in Raqqa reported {i + 3} new strikes on district "
                f"number {i} overnight, residents said.")
        path = f"/poll/{i}.html"
        url = site.url(path)
        text = "".join(f"<p>{html.escape(p)}</p>" for p in [lead, *paras])
        site.serve(path, f'<html><head><title>{html.escape(title)} ({i})</title>'
                   f'<meta property="og:site_name" content="{outlet}">'
                   f'<link rel="canonical" href="{url}"></head><body><article>'
                   f"<h1>{html.escape(title)}</h1>{text}</article></body></html>",
                   "text/html; charset=utf-8")
        urls.append((url, f"Report {i}", published))
    return urls


def _build_store(db: Path, n: int) -> float:
    from dedup_scale import _corpus

    from newsdesk.models import Article, ArticleRecords
    from newsdesk.store import Store

    t0 = time.perf_counter()
    texts, _ = _corpus(n, seed=n)
    with Store.open(db) as store, store._tx():
        for i, text in enumerate(texts):
            store.save_records(ArticleRecords(article=Article(
                id=f"a{i:07d}", source=f"synthetic/{i}", text=text, title=f"Report {i}",
                url=f"https://archive.example.org/{i}", outlet="Archive",
                published=f"2016-{1 + i % 12:02d}-{1 + i % 28:02d}")))  # fmt: skip
    return time.perf_counter() - t0


def _one(n: int) -> dict:
    import resource

    from loopback import Site, rss

    import newsdesk.pipeline as pipeline
    from newsdesk.analyse.article import load_resources
    from newsdesk.store import Store
    from newsdesk.watch import runner
    from newsdesk.watch.config import parse_config

    spent: dict[str, float] = {"analysis": 0.0, "link": 0.0, "publish": 0.0, "fetch": 0.0}

    def timed(name, fn):
        def wrapper(*args, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                spent[name] += time.perf_counter() - t0

        return wrapper

    def timed_async(name, fn):
        async def wrapper(*args, **kw):
            t0 = time.perf_counter()
            try:
                return await fn(*args, **kw)
            finally:
                spent[name] += time.perf_counter() - t0

        return wrapper

    def timed_iter(name, fn):
        def wrapper(*args, **kw):
            it = fn(*args, **kw)
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    spent[name] += time.perf_counter() - t0
                    return
                spent[name] += time.perf_counter() - t0
                yield item

        return wrapper

    pipeline.link_stored = timed("link", pipeline.link_stored)
    pipeline.publish = timed("publish", pipeline.publish)
    pipeline.analyze_locally = timed_iter("analysis", pipeline.analyze_locally)
    runner._fetch_all = timed_async("fetch", runner._fetch_all)
    load_resources()  # the model loads once per process, not per poll: not a poll's cost

    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        db = Path(tmp) / "desk.db"
        build_s = _build_store(db, n)
        with Store.open(db) as store:
            store.index_bands()  # once per store, on a watcher's first poll: not a poll's cost
        site.serve("/feed.xml", rss(_pages(site, NEW_REPORTS)), "application/rss+xml")
        cfg = parse_config({"watch": {"rate": 200, "concurrency": 4},
                            "source": [{"name": "Bench", "feed": site.url("/feed.xml")}]},
                           path=Path(tmp) / "watch.toml")  # fmt: skip
        t0 = time.perf_counter()
        summary = runner.poll(cfg, db, out_dir=Path(tmp) / "out")
        total = time.perf_counter() - t0
    assert summary.stored == NEW_REPORTS, summary.line()
    rest = total - sum(spent.values())
    return {
        "n": n, "build_s": round(build_s, 1), "poll_s": round(total, 1),
        **{f"{k}_s": round(v, 1) for k, v in spent.items()}, "rest_s": round(rest, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "summary": summary.line(),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(_one(args.one)))
        return
    print("| store | poll s | fetch+parse | analysis | link | publish | rest | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        try:
            proc = subprocess.run([sys.executable, __file__, "--one", str(n)],
                                  capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"| {n:,} | did not finish in {args.timeout:.0f} s | | | | | | |", flush=True)
            continue
        if proc.returncode != 0:
            print(f"| {n:,} | failed: {proc.stderr.strip().splitlines()[-1]} | | | | | | |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {n:,} | {r['poll_s']} | {r['fetch_s']} | {r['analysis_s']} | {r['link_s']} "
              f"| {r['publish_s']} | {r['rest_s']} | {r['peak_rss_mib']} MiB |", flush=True)


if __name__ == "__main__":
    main()
