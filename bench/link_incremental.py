"""What a poll costs in the cross-article stage: 50 new articles into a store of N.

    .venv/bin/python bench/link_incremental.py [N ...] [--new 50] [--keep DIR]

For each N this stores N synthetic reports (the corpus of `stories.py`: events of ~4
reports over a year, so stories really form) and links them in full, once, kept in
DIR/N.db when `--keep` is given so a large store is built only once. Then, on two copies
of that store, it adds the same `--new` reports and times the cross-article stage as a
run meets it: `link_stored(store, new_ids=...)` (incremental) against `link_stored(store)`
(everything relinked), in wall and CPU seconds, and counts the stories it wrote.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stories import _synthetic

from newsdesk.link import stories
from newsdesk.pipeline import link_stored
from newsdesk.store import Store


def _build(path: Path, records: list) -> float:
    """Store and link the base corpus (once per size); seconds it took."""
    t0 = time.perf_counter()
    with Store.open(path) as store:
        for rec in records:
            store.save_records(rec)
        link_stored(store)
        # what the first incremental run after a full link (or an upgrade) does, once
        store.index_stories(store.unindexed_stories(), stories.story_terms)
        store.index_bands()
    return time.perf_counter() - t0


def _timed(path: Path, new: list, incremental: bool) -> tuple[float, float]:
    with Store.open(path) as store:
        for rec in new:
            store.save_records(rec)
        w0, c0 = time.perf_counter(), time.process_time()
        if incremental:
            link_stored(store, new_ids=[r.article.id for r in new])
        else:
            link_stored(store)
        return time.perf_counter() - w0, time.process_time() - c0


def _rows(path: Path) -> set[tuple[str, int]]:
    with sqlite3.connect(path) as conn:
        return set(conn.execute("SELECT id, rowid FROM stories"))


def _one(n: int, n_new: int, keep: Path | None) -> None:
    everything = _synthetic(n + n_new, seed=n)
    base, new = everything[:n], everything[n:]
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        built = folder / f"{n}.db"
        build_s = _build(built, base) if not built.exists() else 0.0
        before = _rows(built)
        row = [f"{n:>8}", f"{len(before):>8}", f"{build_s:>8.1f}"]
        for incremental in (True, False):
            copy = Path(tmp) / f"copy-{incremental}.db"
            shutil.copyfile(built, copy)
            wall, cpu = _timed(copy, new, incremental)
            row += [f"{wall:>8.2f}", f"{cpu:>8.2f}"]
            if incremental:
                row.append(f"{len(_rows(copy) - before):>8}")
        print(" ".join(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    ap.add_argument("--new", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the built stores in")
    args = ap.parse_args()
    print(f"new articles per run: {args.new}; seconds (wall, CPU) of link_stored; "
          "'written': stories the incremental run wrote (a full run writes them all)")
    print(f"{'stored':>8} {'stories':>8} {'build s':>8} {'inc wall':>8} {'inc CPU':>8} "
          f"{'written':>8} {'fullwall':>8} {'full CPU':>8}")
    for n in args.sizes:
        _one(n, args.new, args.keep)


if __name__ == "__main__":
    main()
