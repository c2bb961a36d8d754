"""Cost of the cross-article stage (duplicates + stories.link) at 10k, 100k, 1M records.

    .venv/bin/python bench/link_scaling.py [--sizes 10000,100000,1000000] [--timeout S]

This is the part of a run that stays on the driver whatever the executor, so it bounds
what a cluster can do. Synthetic records: events of ~4 reports each over a year, every
report 80 words (10 from a 3,000-word shared vocabulary, 70 from its event's 16
words and place), plus 10% near copies (one word changed). Each size runs in a fresh
process (peak RSS is its own) and is given `--timeout` seconds; a size that does not
finish is reported as such. The growth column is cost(n) / cost(n/10) against
n log n's 10 x log(n)/log(n/10).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _word(i: int, prefix: str) -> str:
    """A made-up word of letters only (the linker's tokenizer skips digits)."""
    letters = ""
    while True:
        i, r = divmod(i, 26)
        letters += chr(ord("a") + r)
        if i == 0:
            return prefix + letters


def _records(n: int, seed: int = 11) -> list:
    from newsdesk.models import Article, ArticleRecords

    rng = random.Random(seed)
    common = [_word(i, "com") for i in range(3000)]
    n_events = max(1, n // 4)
    out = []
    for i in range(n):
        if out and rng.random() < 0.1:  # a near copy of an earlier report
            src = out[rng.randrange(len(out))].article
            words = src.text.split()
            for k in rng.sample(range(len(words)), 1):
                words[k] = rng.choice(common)
            text, pub = " ".join(words), src.published
        else:
            e = rng.randrange(n_events)
            own = [_word(e * 16 + j, "evt") for j in range(16)] + [_word(e % 20000, "Place")]
            words = rng.sample(common, 10) + rng.choices(own, k=70)
            rng.shuffle(words)
            day = e * 365 // n_events
            text, pub = " ".join(words), f"2017-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}"
        out.append(ArticleRecords(article=Article(id=f"s{i:07d}", source="synthetic",
                                                  text=text, published=pub)))  # fmt: skip
    return out


def _one(n: int) -> dict:
    import resource

    from newsdesk.link import dedup, stories

    recs = _records(n)
    t0 = time.process_time()
    dups = dedup.find_duplicates(
        [(r.article.id, r.article.text, dedup.sort_key(r.article.published, k))
         for k, r in enumerate(recs)]
    )  # fmt: skip
    t_dedup = time.process_time() - t0
    for r in recs:
        r.article.duplicate_of = dups.get(r.article.id)
    t0 = time.process_time()
    result = stories.link(recs)
    t_link = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "dedup_s": t_dedup, "link_s": t_link, "duplicates": len(dups),
            "events": len(set(result.event_of.values())), "stories": len(result.stories),
            "peak_mb": peak}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per size")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(_one(args.one)))
        return
    print(f"{'n':>9}{'dedup CPU s':>13}{'link CPU s':>12}{'total':>9}{'us/record':>11}"
          f"{'growth':>8}{'n log n':>9}{'dups':>9}{'events':>9}{'stories':>9}"
          f"{'peak MB':>9}")  # fmt: skip
    prev: dict | None = None
    for n in (int(s) for s in args.sizes.split(",")):
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(n)],
                check=True,
                capture_output=True,
                text=True,
                timeout=args.timeout,
            ).stdout
        except subprocess.TimeoutExpired:  # fmt: skip
            print(f"{n:>9}  did not finish in {args.timeout:.0f} s")
            break
        r = json.loads(out.strip().splitlines()[-1])
        total = r["dedup_s"] + r["link_s"]
        growth = nlogn = "-"
        if prev is not None:
            growth = f"{total / (prev['dedup_s'] + prev['link_s']):.1f}"
            nlogn = f"{n / prev['n'] * math.log(n) / math.log(prev['n']):.1f}"
        print(f"{n:>9}{r['dedup_s']:>13.1f}{r['link_s']:>12.1f}{total:>9.1f}"
              f"{total / n * 1e6:>11.0f}{growth:>8}{nlogn:>9}{r['duplicates']:>9}"
              f"{r['events']:>9}{r['stories']:>9}{r['peak_mb']:>9.0f}")  # fmt: skip
        prev = r


if __name__ == "__main__":
    main()
