"""Story linking: clustering quality on multi-outlet gold, and cost as the corpus grows.

Usage: .venv/bin/python bench/stories.py [DATASET_PATH] [--sizes 10000,100000]
                                         [--text-only] [--ablate]
DATASET_PATH is one dataset folder (ecbplus_event_clusters, basil_event_triplets,
wikiref220_clustering, gva_gun_violence_incidents layouts) or a folder holding them;
it defaults to ../shared/benchmarks. As in the product, the articles are linked from what
the per-article stage extracts (places, actors, incidents with their day, town and killed
figure) besides their text, title and date; the records are cached in CACHE, since
analysing the four dev halves takes minutes. `--text-only` links the bare articles (no
extraction run), as this bench did before Stop 23; `--ablate` also scores each dataset with
each of the facts of `stories.FACT_WEIGHTS` turned off, and without the follow-ups that name
the same person (`stories.PERSON_STORIES`), to show what each buys.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsdesk.ingest.clean import clean_text  # noqa: E402
from newsdesk.link import stories  # noqa: E402
from newsdesk.models import Article, ArticleRecords, Incident  # noqa: E402

DEFAULT = REPO.parent / "shared" / "benchmarks"
CACHE = Path(tempfile.gettempdir()) / "stories"
# Shipped data the per-article stage reads. The artefacts built from it at set-up
# (gazetteer.sqlite, basemap.npz) follow from the sources and code already in the key.
_DATA_SUFFIXES = frozenset({".tsv", ".json", ".jsonl", ".npz"})
_BUILT = frozenset({"basemap.npz"})
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
    """The dev half's articles, their text cleaned of page chrome as ingest cleans it.

    The product links what `read_inputs` made of a page, so the footers, sign-in prompts
    and share buttons that scraped texts keep (GVA's) must not reach the linker here either.
    """
    gold_file, label, date_key = LAYOUTS[folder.name]
    gold = {g["id"]: str(g[label]) for g in _jsonl(folder / gold_file)}
    records = []
    for d in _jsonl(folder / "docs.jsonl"):
        if d["id"] not in gold:
            continue
        pub = (d.get(date_key) or "")[:10] if date_key else None
        records.append(ArticleRecords(article=Article(
            id=d["id"], source=d["id"], text=clean_text(d["text"]).text, title=d.get("title"),
            outlet=d.get("source"), published=pub or None,
        )))
    return records, gold


def analysed(folder: Path, records: list[ArticleRecords]) -> list[ArticleRecords]:
    """The records the per-article stage makes of each article, cached in CACHE.

    `link` runs after the per-article stage in the product, so the bench scores it on what
    that stage extracts (places, actors, dates, casualty figures, incidents). The cache is
    keyed by the dataset, the code of every stage before linking and the data it ships (the
    typer's model, actors, outlets, the gazetteer's sources; not the built index), so a
    change to any of them analyses again.
    """
    from newsdesk.executors.local import analyze_locally
    from newsdesk.ingest.metadata import enrich

    code = hashlib.sha1(folder.name.encode())
    data = REPO / "newsdesk" / "data"
    for src in sorted([*(REPO / "newsdesk" / "ingest").glob("*.py"),
                       *(REPO / "newsdesk" / "analyse").glob("*.py"),
                       *(p for p in data.rglob("*")
                         if p.suffix in _DATA_SUFFIXES and p.name not in _BUILT)]):
        code.update(src.read_bytes())
    for rec in records:
        code.update(f"{rec.article.id}\t{rec.article.published}\t{rec.article.text}".encode())
    path = CACHE / f"{folder.name}-{code.hexdigest()[:16]}.pickle"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    # the dataset's date (or none) stays: enrich would read one from the text
    articles = [dataclasses.replace(enrich(r.article), published=r.article.published)
                for r in records]
    out = [r for r in analyze_locally(articles, stored=()) if isinstance(r, ArticleRecords)]
    done = {r.article.id for r in out}
    out += [r for r in records if r.article.id not in done]  # failed: linked on text alone
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(out, fh)
    return out


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
    """Events of ~4 reports each, spread over a year, over a 3,000-word shared vocabulary.

    Each report has the incident the per-article stage would find: the event's town (5,000
    towns on a grid 0.2 degrees apart), its day, and its killed figure in two reports of three.
    """
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
        first = 1 + e * 365 // n_events
        town = e % 5000
        aid = f"syn{i:07d}"
        incident = Incident(
            id=f"i-{aid}", event_date=f"2017-{1 + min(first // 31, 11):02d}-{1 + first % 28:02d}",
            date_precision="day", event_type="Battles", sub_event_type="Armed clash",
            actor1=None, actor2=None, location=f"Place{town}", country_code=None,
            lat=30 + town // 100 * 0.2, lon=town % 100 * 0.2, location_precision="exact",
            fatalities=e % 3 if rng.randrange(3) else None, article_ids=[aid], outlets=[],
            notes="",
        )
        out.append(ArticleRecords(article=Article(
            id=aid, source="synthetic", text=" ".join(words), published=pub,
        ), incidents=[incident]))
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


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the analysing workers)."""
    usage = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(u.ru_utime + u.ru_stime for u in usage)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--sizes", default="10000,100000", help="synthetic corpus sizes; '' skips")
    ap.add_argument("--text-only", action="store_true", help="no extraction: text, title, date")
    ap.add_argument("--ablate", action="store_true", help="also score without each fact")
    args = ap.parse_args()
    folders = [args.dataset] if args.dataset.name in LAYOUTS else [
        args.dataset / name for name in LAYOUTS if (args.dataset / name).is_dir()
    ]
    for folder in folders:
        records, gold = load(folder)
        if not args.text_only:
            cpu = _cpu()
            records = analysed(folder, records)
            print(f"{folder.name:28s} per-article stage: {_cpu() - cpu:.0f} CPU s "
                  f"(about 1 when read from the cache in {CACHE})")
        _score(folder.name, records, gold)
        if args.ablate:
            for fact in stories.FACT_WEIGHTS:
                kept = dict(stories.FACT_WEIGHTS)
                stories.FACT_WEIGHTS[fact] = (0.0, 0.0)
                _score(f"  without {fact}", records, gold)
                stories.FACT_WEIGHTS.update(kept)
            kept_people = stories.PERSON_STORIES
            stories.PERSON_STORIES = 0  # no name identifies anyone: no follow-ups
            _score("  without follow-ups", records, gold)
            stories.PERSON_STORIES = kept_people
    _raqqa()
    if args.sizes:
        _scaling([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
