"""Cost curve and accuracy of near-duplicate detection on synthetic corpora.

    .venv/bin/python bench/dedup_scale.py [SIZES...]      (default: 10000 100000)

Each size runs in its own process so peak memory (max RSS) is that size's alone. A
corpus is made of random "articles" (600 words drawn from a Zipf vocabulary, so
unrelated texts share almost no 5-shingle, as in real news) plus a known fraction of
near copies: a few words changed, a paragraph dropped, page chrome added; a copy may
itself be copied again. Precision: found (copy → first seen) pairs whose two articles
belong to the same family. Recall: copies that were found as duplicates.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdesk.link import dedup

COPY_FRACTION = 0.1
WORDS = 600  # a typical agency dispatch
CHROME = "Skip to main content. Share this article on Facebook Twitter. Read more latest news"


def _corpus(n: int, seed: int) -> tuple[list[str], list[int]]:
    """Texts and the family (original index) of each one."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(30000)])
    ranks = np.arange(1, len(vocab) + 1)
    p = 1 / ranks**1.05
    p /= p.sum()
    n_copies = int(n * COPY_FRACTION)
    n_orig = n - n_copies
    words = rng.choice(len(vocab), size=(n_orig, WORDS), p=p)
    texts = [" ".join(vocab[row]) for row in words]
    family = list(range(n_orig))
    for _ in range(n_copies):
        src = int(rng.integers(len(texts)))
        tokens = texts[src].split()
        for k in rng.integers(len(tokens), size=3):  # a few words changed
            tokens[k] = str(vocab[rng.integers(len(vocab))])
        cut = int(rng.integers(len(tokens) - 20))  # a paragraph (≈15 words) dropped
        del tokens[cut : cut + 15]
        texts.append(" ".join(tokens) + " " + CHROME)
        family.append(family[src])
    return texts, family


def _one(n: int) -> dict:
    texts, family = _corpus(n, seed=n)
    items = [(str(i), t, dedup.sort_key(None, i)) for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    sigs = [dedup.signature(t) for t in texts[:2000]]
    sig_rate = 2000 / (time.perf_counter() - t0)
    del sigs
    t0 = time.perf_counter()
    found = dedup.find_duplicates(items)
    elapsed = time.perf_counter() - t0
    first = {}
    for i, f in enumerate(family):
        first.setdefault(f, i)
    copies = {i for i, f in enumerate(family) if first[f] != i}
    true_pos = sum(1 for a, b in found.items() if family[int(a)] == family[int(b)])
    return {
        "articles": n,
        "copies": len(copies),
        "found": len(found),
        "precision": true_pos / len(found) if found else 1.0,
        "recall": sum(1 for c in copies if str(c) in found) / len(copies),
        "seconds": round(elapsed, 1),
        "articles_per_s": round(n / elapsed),
        "signatures_per_s": round(sig_rate),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one)))
        return
    print("articles  copies  precision  recall  seconds  articles/s  sig/s  peak RSS MB")
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout)
        print(
            f"{r['articles']:>8}  {r['copies']:>6}  {r['precision']:>9.4f}  {r['recall']:>6.4f}  "
            f"{r['seconds']:>7}  {r['articles_per_s']:>10}  {r['signatures_per_s']:>5}  "
            f"{r['peak_rss_mb']:>11}",
            flush=True,
        )


if __name__ == "__main__":
    main()
