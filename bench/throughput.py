"""Throughput and memory of the pipeline, beside spaCy's own speed on the same texts.

    .venv/bin/python bench/throughput.py [BENCHMARKS_DIR] [--limit N]

Corpus: the article-extraction benchmark's HTML pages and the GeoWebNews and LGL article
texts (realistic news of all lengths). Everything runs in one process on one core, so
articles/s is articles/s per core. Prints:
- spaCy alone: `nlp.pipe` over the cleaned texts (the floor every stage sits on);
- the per-article stage without claims/quotes/incidents, and with everything;
- the whole `analyze` (ingest, per-article stage, store, linking, exports) and its peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "benchmarks"


def build_corpus(bench: Path, folder: Path, limit: int) -> int:
    """Write the corpus as one JSON Lines file of HTML pages and plain texts."""
    rows = []
    for page in sorted((bench / "article_extraction_benchmark" / "html").glob("*.html.gz")):
        rows.append(
            {
                "html": gzip.decompress(page.read_bytes()).decode("utf-8", "replace"),
                "url": f"https://bench.invalid/{page.name[:16]}",
            }
        )
    gwn = ET.parse(bench / "geoparsing_gritta" / "GWN.xml").getroot()
    lgl = ET.parse(bench / "geoparsing_gritta" / "Corpora" / "lgl.xml").getroot()
    for root in (gwn, lgl):
        for art in root.iter("article"):
            text = (art.findtext("text") or "").strip()
            if text:
                rows.append({"text": text})
    rows = rows[:limit]
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return len(rows)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("benchmarks", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=400, help="articles to use (default 400)")
    args = ap.parse_args()

    from newsdesk.analyse import actors, dates, geocode
    from newsdesk.analyse.article import analyze_article, load_resources
    from newsdesk.ingest.readers import read_inputs
    from newsdesk.models import Article
    from newsdesk.pipeline import run

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = build_corpus(args.benchmarks, folder, args.limit)
        articles = [
            a for a in read_inputs([str(folder / "corpus.jsonl")]) if isinstance(a, Article)
        ]
        chars = sum(len(a.text) for a in articles)
        print(
            f"corpus: {len(articles)} articles of {n} inputs, "
            f"{chars / max(len(articles), 1):.0f} chars on average"
        )

        t0 = time.perf_counter()
        res = load_resources()
        print(f"resources loaded in {time.perf_counter() - t0:.2f} s (model, gazetteer, actors)")

        texts = [a.text for a in articles]
        t0 = time.perf_counter()
        for _ in res.nlp.pipe(texts, batch_size=16):
            pass
        spacy_rate = len(texts) / (time.perf_counter() - t0)
        print(f"spaCy alone (nlp.pipe, full pipeline):          {spacy_rate:7.2f} articles/s/core")

        # One untimed pass first: the gazetteer's lookup cache and the typing model (trained
        # at first use) would otherwise favour whichever stage is timed second.
        for a in articles:
            analyze_article(a, res)

        t0 = time.perf_counter()
        for a in articles:
            doc = res.nlp(a.text)
            geocode.extract_places(doc, a, res.gazetteer)
            actors.extract_actors(doc, a, res.registry)
            dates.extract_dates(doc, a)
        base_rate = len(articles) / (time.perf_counter() - t0)
        print(
            f"per-article stage without claims/quotes/incidents: {base_rate:7.2f} articles/s/core"
        )

        t0 = time.perf_counter()
        for a in articles:
            analyze_article(a, res)
        full_rate = len(articles) / (time.perf_counter() - t0)
        print(
            f"per-article stage, everything:                  {full_rate:7.2f} articles/s/core "
            f"({full_rate / spacy_rate:.0%} of spaCy alone)"
        )

        t0 = time.perf_counter()
        summary = run(
            [str(folder / "corpus.jsonl")], out_dir=folder / "out", db_path=folder / "n.db"
        )
        total = time.perf_counter() - t0
        print(
            "whole analyze (ingest→store→link→exports):     "
            f"{summary.read / total:7.2f} articles/s/core "
            f"({summary.line()})"
        )
        print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
