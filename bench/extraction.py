"""Main-text extraction quality on the Scrapinghub/Zyte article extraction benchmark.

Usage: .venv/bin/python bench/extraction.py [BENCH_DIR]

BENCH_DIR holds `ground-truth.json`, `html/<id>.html.gz` and `output/<system>.json`
(default: ../shared/benchmarks/article_extraction_benchmark). newsdesk reads each page
through its own `read_inputs` (gunzip, decode, trafilatura, chrome cleaning), so the score
is the one a user gets. Every peer in `output/` is scored on the same pages, and
trafilatura is also run live with its default settings.

Metric, as the benchmark's README defines it: tokens are `\\w+`, 4-token shingles; per
document TP/FP/FN over shingle multisets normalised to sum 1; macro mean of precision and
recall over documents; F1 = 2PR/(P+R).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.ingest.readers import read_inputs  # noqa: E402
from newsdesk.models import Article  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "benchmarks" / "article_extraction_benchmark"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[str]:
    tokens = _TOKEN.findall(text or "")
    starts = range(max(1, len(tokens) - n + 1)) if tokens else range(0)
    return Counter(" ".join(tokens[i : i + n]) for i in starts)


def tp_fp_fn(gold: str, pred: str) -> tuple[float, float, float]:
    g, p = shingles(gold), shingles(pred)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    if total:
        return tp / total, fp / total, fn / total
    return 0.0, 0.0, 0.0


def precision_recall(tp: float, fp: float, fn: float) -> tuple[float, float]:
    if fp == fn == 0:
        return 1.0, 1.0
    if tp == 0:
        return 0.0, 0.0
    return tp / (tp + fp), tp / (tp + fn)


def score(gold: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    prs = [precision_recall(*tp_fp_fn(gold[k], pred.get(k, ""))) for k in gold]
    p = sum(x for x, _ in prs) / len(prs)
    r = sum(y for _, y in prs) / len(prs)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _peer(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if "output" in data and isinstance(data["output"], dict):
        data = data["output"]
    return {k: (v or {}).get("articleBody") or "" for k, v in data.items()}


def load_benchmark(bench: Path) -> tuple[dict, dict[str, Path], dict[str, str]]:
    """The ground truth, each page's file by id, and the gold body of every page present."""
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {p.name.split(".")[0]: p for p in sorted((bench / "html").glob("*.html.gz"))}
    gold = {k: truth[k]["articleBody"] for k in pages if k in truth}
    return truth, pages, gold


def read_ours(pages: dict[str, Path], keys: list[str]) -> tuple[dict[str, str], int]:
    """newsdesk's text of each page as a user gets it (`read_inputs`), and the pages it refused."""
    ours: dict[str, str] = {}
    errors = 0
    for key in keys:
        for item in read_inputs([str(pages[key])]):
            if isinstance(item, Article):
                ours[key] = item.text
            else:
                errors += 1
    return ours, errors


def main() -> None:
    bench = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    truth, pages, gold = load_benchmark(bench)

    t0 = time.perf_counter()
    ours, errors = read_ours(pages, list(gold))
    ours_s = time.perf_counter() - t0

    import gzip

    import trafilatura

    t0 = time.perf_counter()
    live = {}
    for key in gold:
        html = gzip.decompress(pages[key].read_bytes())
        live[key] = trafilatura.extract(html, url=truth[key].get("url")) or ""
    live_s = time.perf_counter() - t0

    rows = [
        ("newsdesk", *score(gold, ours)),
        (f"trafilatura {trafilatura.__version__} (live, defaults)", *score(gold, live)),
    ]
    rows += [(p.stem, *score(gold, _peer(p))) for p in sorted((bench / "output").glob("*.json"))]
    rows.sort(key=lambda r: -r[3])
    print(f"pages: {len(gold)}  newsdesk errors: {errors}  "
          f"newsdesk {ours_s:.1f} s, trafilatura live {live_s:.1f} s")
    print(f"{'system':<44} {'P':>6} {'R':>6} {'F1':>6}")
    for name, p, r, f in rows:
        print(f"{name:<44} {p:6.3f} {r:6.3f} {f:6.3f}")


if __name__ == "__main__":
    main()
