"""What a re-run costs in the cross-article stage on a store that already holds N articles.

    .venv/bin/python bench/relink.py [N ...]      (default: 2000 10000)

Every run of `newsdesk analyze` ends with `pipeline.link_stored`, which finds duplicates
and stories over everything stored, not only over what the run added. This stores N
synthetic articles (the corpus of `dedup_scale.py`: 600-word texts, 10% near copies),
then times that stage as a re-run meets it: reading the records back, duplicates, and
story linking, each in CPU seconds of this process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_scale import _corpus

from newsdesk.link import stories
from newsdesk.models import Article, ArticleRecords
from newsdesk.pipeline import stored_duplicates
from newsdesk.store import Store


def _one(n: int) -> None:
    texts, _ = _corpus(n, seed=n)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "relink.db") as store:
        for i, text in enumerate(texts):
            store.save_records(ArticleRecords(article=Article(
                id=f"a{i:07d}", source=f"synthetic/{i}", text=text, title=f"Report {i}",
                published=f"2017-{1 + i % 12:02d}-{1 + i % 28:02d}")))
        t0 = time.process_time()
        records = list(store.iter_records())
        t1 = time.process_time()
        duplicates = stored_duplicates(store, records)
        t2 = time.process_time()
        stories.link(records)
        t3 = time.process_time()
    copies = sum(v is not None for v in duplicates.values())
    print(f"{n:>8} {t1 - t0:>9.1f} {t2 - t1:>12.1f} {t3 - t2:>10.1f} {t3 - t0:>8.1f} "
          f"{copies:>7}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[2000, 10000])
    args = ap.parse_args()
    print(f"{'stored':>8} {'read CPU s':>9} {'duplicates s':>12} {'stories s':>10} "
          f"{'total s':>8} {'copies':>7}")
    for n in args.sizes:
        _one(n)


if __name__ == "__main__":
    main()
