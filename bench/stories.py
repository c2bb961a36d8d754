"""Story linking: clustering quality on multi-outlet gold, and cost as the corpus grows.

Usage: .venv/bin/python bench/stories.py [DATASET_PATH] [--sizes 10000,100000]
DATASET_PATH is one dataset folder (ecbplus_event_clusters, basil_event_triplets,
wikiref220_clustering, gva_gun_violence_incidents layouts) or a folder holding them;
it defaults to ../shared/benchmarks. The articles are linked from text, title and date
only (no extraction run), so the figures measure the linking itself.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsdesk.link import stories  # noqa: E402
from newsdesk.models import Article, ArticleRecords  # noqa: E402

DEFAULT = REPO.parent / "shared" / "benchmarks"
LAYOUTS = {  # folder -> (gold file, gold label key, date key in docs)
    "ecbplus_event_clusters": ("gold.jsonl", "event_id", None),
    "basil_event_triplets": ("gold.jsonl", "event_id", "date"),
    "wikiref220_clustering": ("gold.jsonl", "cluster_id", None),
    "gva_gun_violence_incidents": ("gold_doc_incident.jsonl", "incident_id", "dct"),
}


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load(folder: Path) -> tuple[list[ArticleRecords], dict[str, str]]:
    gold_file, label, date_key = LAYOUTS[folder.name]
    gold = {g["id"]: str(g[label]) for g in _jsonl(folder / gold_file)}
    records = []
    for d in _jsonl(folder / "docs.jsonl"):
        if d["id"] not in gold:
            continue
        pub = (d.get(date_key) or "")[:10] if date_key else None
        records.append(ArticleRecords(article=Article(
            id=d["id"], source=d["id"], text=d["text"], title=d.get("title"),
            outlet=d.get("source"), published=pub or None,
        )))
    return records, gold


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    by_pred, by_gold = defaultdict(set), defaultdict(set)
    for k in gold:
        by_pred[pred[k]].add(k)
        by_gold[gold[k]].add(k)
    p = sum(len(by_pred[pred[k]] & by_gold[gold[k]]) / len(by_pred[pred[k]]) for k in gold)
    r = sum(len(by_pred[pred[k]] & by_gold[gold[k]]) / len(by_gold[gold[k]]) for k in gold)
    p, r = p / len(gold), r / len(gold)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def pairwise(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    def pairs(labels: dict[str, str]) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(labels[k] for k in gold).values())

    both = Counter((pred[k], gold[k]) for k in gold)
    tp = sum(n * (n - 1) // 2 for n in both.values())
    pp, gp = pairs(pred), pairs(gold)
    p, r = (tp / pp if pp else 1.0), (tp / gp if gp else 1.0)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


Scores = dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]]


def score_dataset(records: list[ArticleRecords], gold: dict[str, str]
                  ) -> tuple[Scores, dict[str, int]]:
    """B-cubed and pairwise P/R/F1 of the event and story levels, and each level's cluster count."""
    result = stories.link(records)
    scores: Scores = {}
    clusters: dict[str, int] = {}
    for level, pred in (("event", result.event_of), ("story", result.story_of)):
        scores[level] = (bcubed(pred, gold), pairwise(pred, gold))
        clusters[level] = len(set(pred.values()))
    return scores, clusters


def _score(name: str, records: list[ArticleRecords], gold: dict[str, str]) -> None:
    t0 = time.perf_counter()
    scores, clusters = score_dataset(records, gold)
    secs = time.perf_counter() - t0
    for level, (b, pw) in scores.items():
        print(f"{name:28s} {level:5s} n={len(gold):5d} clusters={clusters[level]:5d} "
              f"gold={len(set(gold.values())):5d}  B3 P/R/F1 {b[0]:.3f}/{b[1]:.3f}/{b[2]:.3f}  "
              f"pairwise P/R/F1 {pw[0]:.3f}/{pw[1]:.3f}/{pw[2]:.3f}  ({secs:.1f}s)")


def _raqqa() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from raqqa import load_records

    records = load_records(REPO / "tests" / "data")
    story_gold = {r.article.id: "raqqa" for r in records}
    result = stories.link(records)
    breach = {"001_b5309f86b7870f1b", "003_16493793af55492b"}
    same_event = len({result.event_of[a] for a in breach}) == 1
    b = bcubed(result.story_of, story_gold)
    print(f"{'raqqa-2017 (hand-coded)':28s} story B3 F1 {b[2]:.3f}; stories "
          f"{len(result.stories)} (gold 1); 001+003 same event: {same_event}")


def _word(i: int, prefix: str) -> str:
    """Letters only: the tokenizer of `stories` ignores digits."""
    out = ""
    while True:
        i, r = divmod(i, 26)
        out += chr(97 + r)
        if not i:
            return prefix + out


def _synthetic(n: int, seed: int = 7) -> list[ArticleRecords]:
    """Events of ~4 reports each, spread over a year, over a 3,000-word shared vocabulary."""
    rng = random.Random(seed)
    common = [_word(i, "com") for i in range(3000)]
    n_events = max(1, n // 4)
    events = [[_word(e * 8 + j, "evt") for j in range(8)] + [_word(e % 5000, "Place")]
              for e in range(n_events)]
    out = []
    for i in range(n):
        e = rng.randrange(n_events)
        day = 1 + (e * 365 // n_events) + rng.randrange(3)
        words = rng.sample(common, 60) + rng.sample(events[e], 6)
        rng.shuffle(words)
        pub = f"2017-{1 + min(day // 31, 11):02d}-{1 + day % 28:02d}"
        out.append(ArticleRecords(article=Article(
            id=f"syn{i:07d}", source="synthetic", text=" ".join(words), published=pub,
        )))
    return out


def _scaling(sizes: list[int]) -> None:
    """Each size in a fresh process: CPU seconds (the machine is shared) and peak RSS."""
    for n in sizes:
        code = (f"import sys, time, resource; sys.path[:0] = [{str(REPO)!r}, "
                f"{str(REPO / 'bench')!r}]; sys.argv = ['x']\n"
                "from stories import _synthetic\nfrom newsdesk.link import stories\n"
                f"recs = _synthetic({n})\n"
                "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "t = time.process_time(); r = stories.link(recs); cpu = time.process_time() - t\n"
                "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "print(cpu, base / 1024, peak / 1024, len(r.stories), "
                "len(set(r.event_of.values())))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
        cpu, base, peak, n_stories, n_events = map(float, out)
        print(f"synthetic n={n:7d}: {cpu:7.1f} CPU s  {n / cpu:6.0f} articles/CPU s  "
              f"peak RSS {peak:6.0f} MiB (inputs alone {base:.0f} MiB)  "
              f"events={n_events:.0f} stories={n_stories:.0f} (true events {n // 4})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--sizes", default="10000,100000", help="synthetic corpus sizes; '' skips")
    args = ap.parse_args()
    folders = [args.dataset] if args.dataset.name in LAYOUTS else [
        args.dataset / name for name in LAYOUTS if (args.dataset / name).is_dir()
    ]
    for folder in folders:
        records, gold = load(folder)
        _score(folder.name, records, gold)
    _raqqa()
    if args.sizes:
        _scaling([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
