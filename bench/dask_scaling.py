"""Throughput of the per-article stage: local executor versus Dask with 1 and 2 workers.

    .venv/bin/python bench/dask_scaling.py [BENCHMARKS_DIR] [--limit N] [--workers 1 2]

Corpus: the article_extraction_benchmark HTML pages and the GeoWebNews texts of the
shared benchmarks (one file per article, so one shard per article and no imbalance from
a few big shards). Each mode runs in its own process with a fresh store, so its peak
memory is its own. Figures per mode:

- start-up: local, loading the resources; Dask, starting the LocalCluster plus loading
  the resources on every worker (what a batch pays before its first article);
- steady articles/s: `pipeline.run` on the warm executor (ingest, analysis, store,
  linking), which is what a long batch sees;
- scaling efficiency: articles/s of n workers / (n x articles/s of 1 worker);
- peak RSS of each worker process (max RSS of the local process for `local`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def _corpus(root: Path, limit: int) -> list[str]:
    pages = sorted((root / "article_extraction_benchmark" / "html").glob("*.html*"))
    texts = sorted((root / "geoparsing_gritta" / "GeoWebNews_brat").glob("*.txt"))
    files = [str(p) for pair in zip(pages, texts, strict=False) for p in pair]
    files += [str(p) for p in pages[len(texts) :] + texts[len(pages) :]]
    return files[:limit]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> None:
    """Load the resources in a worker; returns nothing (they do not pickle)."""
    from newsdesk.analyse.article import load_resources

    load_resources()


def _measure(mode: str, workers: int, files: list[str]) -> dict:
    from newsdesk import pipeline
    from newsdesk.analyse.article import load_resources

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        if mode == "local":
            t0 = time.perf_counter()
            load_resources()
            startup = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary = pipeline.run(files, out_dir=None, db_path=db)
            elapsed = time.perf_counter() - t0
            return {"mode": "local", "workers": 1, "startup_s": startup, "elapsed_s": elapsed,
                    "articles": summary.stored, "failed": summary.failed,
                    "peak_mb": [_peak_mb()]}  # fmt: skip
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster)
        client.run(_load)
        startup = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            summary = pipeline.run(
                files, out_dir=None, db_path=db, executor="dask",
                scheduler=cluster.scheduler_address,
            )  # fmt: skip
            elapsed = time.perf_counter() - t0
            peaks = sorted(client.run(_peak_mb).values())
        finally:
            client.close()
            cluster.close()
        return {"mode": "dask", "workers": workers, "startup_s": startup, "elapsed_s": elapsed,
                "articles": summary.stored, "failed": summary.failed, "peak_mb": peaks}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("benchmarks", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=300, help="articles (files) to analyse")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--one", nargs=2, metavar=("MODE", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    files = _corpus(args.benchmarks, args.limit)
    if args.one:
        print(json.dumps(_measure(args.one[0], int(args.one[1]), files)))
        return
    print(f"{len(files)} files from {args.benchmarks}; load average {os.getloadavg()[0]:.1f}")
    rows = []
    for mode, n in [("local", 1)] + [("dask", n) for n in args.workers]:
        out = subprocess.run(
            [sys.executable, __file__, str(args.benchmarks), "--limit", str(args.limit),
             "--one", mode, str(n)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        rows.append(json.loads(out.strip().splitlines()[-1]))
    one = next((r for r in rows if r["mode"] == "dask" and r["workers"] == 1), None)
    print(f"{'executor':<10}{'workers':>8}{'articles':>9}{'start-up s':>11}{'run s':>8}"
          f"{'art/s':>8}{'vs 1 worker':>12}{'efficiency':>11}  peak MB per worker")  # fmt: skip
    for r in rows:
        rate = r["articles"] / r["elapsed_s"]
        if one is not None:
            speedup = rate / (one["articles"] / one["elapsed_s"])
            ratio, eff = f"{speedup:.2f}x", f"{speedup / r['workers']:.0%}"
        else:
            ratio = eff = "-"
        peaks = ", ".join(f"{p:.0f}" for p in r["peak_mb"])
        print(f"{r['mode']:<10}{r['workers']:>8}{r['articles']:>9}{r['startup_s']:>11.1f}"
              f"{r['elapsed_s']:>8.1f}{rate:>8.2f}{ratio:>12}{eff:>11}  {peaks}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
