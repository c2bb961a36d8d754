"""Casualty counts against the Gun Violence Archive's per-incident killed and injured.

Usage: .venv/bin/python bench/casualties.py [GVA_FOLDER] [--sample N]

Each GVA incident's reports go through the per-article stage (`analyze_article`, headline
included) and then the linker's merge (`merge_incidents`), as a run on those reports does;
the incident scored is the merged one counting the most people (a report may also code
an older shooting it recalls). Its toll is the record's: the latest report's figure, the
earlier ones kept in its range. Printed: exact match and mean
absolute error for killed and injured, beside answering 0 every time, over the incidents
with a GVA record whose two lists agree (`gold_conflict` false, as the dataset's README
asks). `--sample N` scores every k-th
incident in id order, for a quick look; the figures in RESULTS.md are over all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsdesk.analyse.article import analyze_article, load_resources  # noqa: E402
from newsdesk.link.incidents import merge_incidents  # noqa: E402
from newsdesk.models import Article  # noqa: E402

DEFAULT = REPO.parent / "shared" / "benchmarks" / "gva_gun_violence_incidents"


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load(folder: Path, sample: int | None = None) -> tuple[list[dict], dict[str, dict]]:
    """The scorable incidents (in id order, every k-th when sampling) and their reports."""
    docs = {d["id"]: d for d in _jsonl(folder / "docs.jsonl")}
    incidents = sorted(
        (i for i in _jsonl(folder / "incidents.jsonl")
         if not i.get("gold_conflict") and any(d in docs for d in i["doc_ids"])),
        key=lambda i: i["incident_id"],
    )
    if sample and sample < len(incidents):
        step = len(incidents) / sample
        incidents = [incidents[int(n * step)] for n in range(sample)]
    return incidents, docs


def score(pairs: list[tuple[int, int]]) -> tuple[float, float]:
    """(exact-match accuracy, mean absolute error) of (predicted, gold) pairs."""
    if not pairs:
        return 0.0, 0.0
    exact = sum(p == g for p, g in pairs) / len(pairs)
    mae = sum(abs(p - g) for p, g in pairs) / len(pairs)
    return exact, mae


def pairs(incidents: list[dict], pred: dict[str, tuple[int, int]]
          ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(predicted, gold) killed pairs and injured pairs, one per incident, for `score`."""
    killed = [(pred[i["incident_id"]][0], i["num_killed"]) for i in incidents]
    injured = [(pred[i["incident_id"]][1], i["num_injured"]) for i in incidents]
    return killed, injured


def predict(incidents: list[dict], docs: dict[str, dict]) -> tuple[dict[str, tuple[int, int]], int]:
    """Each incident's (killed, injured) as the pipeline reads them, and how many reports
    gave no incident at all (their casualties are then lost to the record)."""
    res = load_resources()
    out: dict[str, tuple[int, int]] = {}
    bare = 0
    for inc in incidents:
        records = []
        for did in inc["doc_ids"]:
            d = docs.get(did)
            if d is None:
                continue
            art = Article(id=did, source=did, text=d["text"], title=d.get("title"),
                          published=(d.get("dct") or "")[:10] or None)
            records.append(analyze_article(art, res))
            bare += not records[-1].incidents
        tolls = [(0, 0), *((i.fatalities or 0, i.injured or 0)
                           for i in merge_incidents(records))]
        # killed and wounded read together, so a victim who died later is not also
        # counted among the wounded of another incident
        out[inc["incident_id"]] = max(tolls, key=lambda t: (t[0] + t[1], t[0]))
    return out, bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--sample", type=int, help="score every k-th incident, N in all")
    args = ap.parse_args()
    incidents, docs = load(args.folder, args.sample)
    t0 = time.perf_counter()
    pred, bare = predict(incidents, docs)
    took = time.perf_counter() - t0
    killed, injured = pairs(incidents, pred)
    zero_k = [(0, g) for _, g in killed]
    zero_i = [(0, g) for _, g in injured]
    n_docs = sum(len(i["doc_ids"]) for i in incidents)
    print(f"{len(incidents)} incidents, {n_docs} reports ({bare} gave no incident), {took:.0f} s")
    print(f"{'':10} {'exact':>7} {'MAE':>6}   {'always 0: exact':>15} {'MAE':>6}")
    for name, got, zero in (("killed", killed, zero_k), ("injured", injured, zero_i)):
        e, m = score(got)
        ze, zm = score(zero)
        print(f"{name:10} {e:7.3f} {m:6.2f}   {ze:15.3f} {zm:6.2f}")


if __name__ == "__main__":
    main()
