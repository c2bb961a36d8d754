"""Accuracy gate: score the dev-half benchmarks that fit CI's budget against pinned floors.

Usage: .venv/bin/python bench/eval_gate.py [--shared PATH] [--only SUITE ...]
                                           [--update [--allow-regression]] [--record]

Each suite scores one capability with the scoring code of its own bench script
(extraction.py, geoparsing.py, case2021.py, quotes.py, stories.py), on the benchmarks in
`<shared>/benchmarks` (default: `shared/` beside the repository, as CI has it). Every
metric is compared with its floor in `bench/baseline.json`; a score below its floor fails
the gate.

Exit status: 0 every metric at or above its floor; 1 some metric fell (one "FELL" line
each), or `--update` was refused; 2 the gate cannot judge (a benchmark or the baseline is missing
or unreadable, a metric has no floor, or a floor names a metric the run did not produce).

`--update` rewrites the floors from this run: floor = score - TOLERANCE, rounded down, and
never lower than the floor already pinned, so floors only rise. A metric that fell below
its floor stops the update unless `--allow-regression` is given, which sets that floor from
the lower score. A floor should move only in its own commit that says why.
`--record` appends the run's scores, date and commit to `bench/results.jsonl`.

Every suite but casualties reads its whole dev half (about 2 CPU minutes in all, besides
the stories suite's per-article stage: it links the records that stage extracts from its
four dev halves, as the product does, about 9-12 CPU minutes, cached in /tmp/stories
between runs); the casualty suite scores a fixed sample of GVA's incidents through the
per-article stage and says so in its notes, which are printed and recorded.
Adding a capability is one `Suite` entry in `SUITES`: its name, the
benchmark folders it reads, and a function from the benchmarks folder to its scores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH)]

BASELINE = BENCH / "baseline.json"
RESULTS = BENCH / "results.jsonl"
TOLERANCE = 0.005
CANNOT_JUDGE = 2


@dataclass(slots=True)
class Scores:
    """One suite's metrics, and notes printed beside them: what was read, any subsampling."""

    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    needs: tuple[str, ...]  # paths under the benchmarks folder
    run: Callable[[Path], Scores]


def _extraction(benchmarks: Path) -> Scores:
    import extraction

    _, pages, gold = extraction.load_benchmark(benchmarks / "article_extraction_benchmark")
    ours, errors = extraction.read_ours(pages, list(gold))
    p, r, f1 = extraction.score(gold, ours)
    return Scores({"precision": p, "recall": r, "f1": f1},
                  [f"{len(gold)} pages, {errors} refused"])


def _places(benchmarks: Path) -> Scores:
    import geoparsing

    from newsdesk.analyse.gazetteer import Gazetteer

    base = benchmarks / "geoparsing_gritta"
    gaz = Gazetteer.open()
    out = Scores()
    for name, docs in (
        ("gwn", geoparsing.load_gwn(base / "GWN.xml")),
        ("lgl", geoparsing.load_lgl(base / "Corpora" / "lgl.xml")),
    ):
        res = geoparsing.score_resolution(docs, gaz)
        out.metrics[f"{name}.acc161"] = res["acc@161km"]
        if not math.isnan(res["exact_id"]):
            out.metrics[f"{name}.exact_id"] = res["exact_id"]
        out.metrics[f"{name}.e2e_f1"] = geoparsing.score_end_to_end(docs, gaz)["f1"]
        out.notes.append(f"{name} {len(docs)} articles, {res['toponyms']} toponyms")
    return out


def _typing(benchmarks: Path) -> Scores:
    import case2021

    rows = case2021.read_rows(
        benchmarks / "case2021_task2" / "test_set_final_release_with_labels.tsv")
    docs = case2021.parse([text for text, _ in rows])
    return Scores(case2021.summary(rows, *case2021.predict(rows, docs)),
                  [f"{len(rows)} snippets"])


def _quotes(benchmarks: Path) -> Scores:
    import quotes

    run = quotes.score_corpus(benchmarks / "polnear_attribution")
    t, d = run.every, run.direct
    overlap_p, _, overlap_f1 = quotes.prf(t.pred_ok, t.pred, t.gold_ok, t.gold)
    return Scores({
        "overlap_f1": overlap_f1,
        "overlap_precision": overlap_p,
        "speaker_accuracy": t.speaker_ok / t.speaker_checked if t.speaker_checked else 0.0,
        "content_speaker_f1": quotes.prf(t.e2e_pred, t.pred, t.e2e_gold, t.gold)[2],
        "direct_overlap_f1": quotes.prf(d.pred_ok, d.pred, d.gold_ok, d.gold)[2],
    }, [f"{run.articles} articles"])


_STORY_SETS = {
    "ecbplus_event_clusters": "ecbplus",
    "basil_event_triplets": "basil",
    "wikiref220_clustering": "wikiref",
    "gva_gun_violence_incidents": "gva",
}


def _stories(benchmarks: Path) -> Scores:
    import stories

    out = Scores()
    for folder, short in _STORY_SETS.items():
        records, gold = stories.load(benchmarks / folder)
        records = stories.analysed(benchmarks / folder, records)
        scores, _ = stories.score_dataset(records, gold)
        out.notes.append(f"{short} {len(records)} articles")
        for level, (b3, pw) in scores.items():
            out.metrics[f"{short}.{level}.b3_f1"] = b3[2]
            out.metrics[f"{short}.{level}.pairwise_f1"] = pw[2]
    return out


CASUALTY_SAMPLE = 400
"""GVA incidents the casualty suite scores (every k-th in id order): the whole dev half takes
about seven CPU minutes through the per-article stage, this sample about one and a half."""


def _casualties(benchmarks: Path) -> Scores:
    import casualties

    incidents, docs = casualties.load(benchmarks / "gva_gun_violence_incidents",
                                      CASUALTY_SAMPLE)
    pred, bare = casualties.predict(incidents, docs)
    killed, injured = (casualties.score(p)[0] for p in casualties.pairs(incidents, pred))
    return Scores({"killed_exact": killed, "injured_exact": injured},
                  [f"subsampled: {len(incidents)} GVA incidents, every k-th in id order "
                   f"(bench/casualties.py --sample {CASUALTY_SAMPLE}); {bare} reports gave no "
                   "incident"])


SUITES: tuple[Suite, ...] = (
    Suite("extraction", ("article_extraction_benchmark",), _extraction),
    Suite("places", ("geoparsing_gritta/GWN.xml", "geoparsing_gritta/Corpora/lgl.xml"), _places),
    Suite("typing", ("case2021_task2/test_set_final_release_with_labels.tsv",), _typing),
    Suite("quotes", ("polnear_attribution",), _quotes),
    Suite("stories", tuple(_STORY_SETS), _stories),
    Suite("casualties", ("gva_gun_violence_incidents",), _casualties),
)


@dataclass(slots=True)
class Verdict:
    fell: list[str] = field(default_factory=list)  # metric names below their floor
    no_floor: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)  # floors the run did not produce


def judge(scores: dict[str, float], floors: dict[str, float],
          suites: Sequence[str]) -> Verdict:
    """Each score against its floor; floors of the suites that ran must all be produced."""
    v = Verdict()
    for name, score in scores.items():
        if name not in floors:
            v.no_floor.append(name)
        elif score < floors[name]:
            v.fell.append(name)
    v.not_run = [n for n in floors if n.split(".")[0] in suites and n not in scores]
    return v


def new_floors(scores: dict[str, float], floors: dict[str, float], *,
               allow_regression: bool) -> tuple[dict[str, float], list[str]]:
    """Floors from a run, and the metrics whose floor the run would lower without leave.

    A floor rises to score - TOLERANCE and otherwise stays; only a metric that fell below
    its floor would lower it, and that needs `allow_regression`.
    """
    out = dict(floors)
    refused = []
    for name, score in scores.items():
        # round() first: 0.70 - 0.005 is 0.69499999... in floats, not 0.695.
        floor = math.floor(round((score - TOLERANCE) * 10_000, 6)) / 10_000
        old = floors.get(name)
        if old is None or floor > old:
            out[name] = floor
        elif score < old:
            if allow_regression:
                out[name] = floor
            else:
                refused.append(name)
    return dict(sorted(out.items())), refused


def _load_baseline(path: Path, *, creating: bool) -> dict:
    """The baseline; empty only when `--update` is about to create it.

    Raises ValueError naming the file when it is missing or unreadable: the gate cannot judge.
    """
    if creating and not path.exists():
        return {"floors": {}}
    try:
        baseline = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the floors in {path}: {exc}") from None
    if not isinstance(baseline, dict) or not isinstance(baseline.get("floors"), dict):
        raise ValueError(f'{path} has no "floors" object')
    return baseline


def _write_baseline(path: Path, baseline: dict, floors: dict[str, float]) -> None:
    baseline = {
        "about": ("Accuracy floors of bench/eval_gate.py. A metric below its floor fails CI. "
                  f"floor = the score when pinned minus a tolerance of {TOLERANCE}, rounded "
                  "down. The scores are deterministic (repeated runs print the same figures), "
                  "so the tolerance is a margin for noise-sized shifts (another library "
                  "build, a tie broken the other way), not room for a real loss. "
                  "Written by `eval_gate.py --update`, "
                  "which never lowers a floor without --allow-regression; move a floor only "
                  "in its own commit that says why."),
        "tolerance": TOLERANCE,
        **{k: v for k, v in baseline.items() if k not in ("about", "tolerance", "floors")},
        "floors": floors,
    }
    path.write_text(json.dumps(baseline, indent=2) + "\n", "utf-8")


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def main(argv: Sequence[str] | None = None, suites: Sequence[Suite] = SUITES,
         baseline_path: Path = BASELINE, results_path: Path = RESULTS) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                    help="folder holding benchmarks/ (default: shared/ beside the repository)")
    ap.add_argument("--only", action="append", choices=[s.name for s in suites],
                    metavar="SUITE", help="run this suite only (repeatable)")
    ap.add_argument("--update", action="store_true", help="rewrite the floors from this run")
    ap.add_argument("--allow-regression", action="store_true",
                    help="with --update: lower the floors of metrics that fell")
    ap.add_argument("--record", action="store_true", help=f"append the scores to {RESULTS.name}")
    args = ap.parse_args(argv)
    if args.allow_regression and not args.update:
        ap.error("--allow-regression only goes with --update")

    chosen = [s for s in suites if not args.only or s.name in args.only]
    benchmarks = args.shared / "benchmarks"
    missing = [str(benchmarks / n) for s in chosen for n in s.needs
               if not (benchmarks / n).exists()]
    if missing:
        for path in missing:
            print(f"CANNOT JUDGE: benchmark missing: {path}")
        print("(pass --shared PATH to the folder that holds benchmarks/)")
        return CANNOT_JUDGE

    try:
        baseline = _load_baseline(baseline_path, creating=args.update)
    except ValueError as exc:
        print(f"CANNOT JUDGE: {exc}")
        return CANNOT_JUDGE
    floors: dict[str, float] = baseline.get("floors", {})
    print(f"accuracy gate: {', '.join(s.name for s in chosen)} on {benchmarks}; "
          f"floors from {baseline_path.name}")
    scores: dict[str, float] = {}
    notes: dict[str, list[str]] = {}
    for suite in chosen:
        t0 = time.perf_counter()
        result = suite.run(benchmarks)
        notes[suite.name] = result.notes
        print(f"\n{suite.name} ({'; '.join([*result.notes, f'{time.perf_counter() - t0:.0f} s'])})")
        for metric, score in result.metrics.items():
            name = f"{suite.name}.{metric}"
            scores[name] = score
            floor = floors.get(name)
            mark = "no floor" if floor is None else ("FELL" if score < floor else "ok")
            shown = "     -" if floor is None else f"{floor:.4f}"
            print(f"  {mark:8} {name:42} {score:.4f}  floor {shown}")
        sys.stdout.flush()  # CI's log shows each suite as it ends

    if args.record:
        with results_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "commit": _commit(), "suites": [s.name for s in chosen],
                "notes": notes, "scores": scores}) + "\n")
        print(f"\nrecorded in {results_path}")

    if args.update:
        updated, refused = new_floors(scores, floors, allow_regression=args.allow_regression)
        if refused:
            for name in refused:
                print(f"REFUSED {name}: score {scores[name]:.4f} < floor {floors[name]:.4f}; "
                      "lowering a floor needs --allow-regression (and a commit saying why)")
            return 1
        _write_baseline(baseline_path, baseline, updated)
        moved = sum(updated.get(k) != floors.get(k) for k in updated)
        print(f"\n{moved} floors written to {baseline_path}")
        return 0

    verdict = judge(scores, floors, [s.name for s in chosen])
    print()
    for name in verdict.fell:
        print(f"FELL {name}: score {scores[name]:.4f} < floor {floors[name]:.4f}")
    for name in verdict.no_floor:
        print(f"CANNOT JUDGE {name}: no floor in {baseline_path.name} (run --update)")
    for name in verdict.not_run:
        print(f"CANNOT JUDGE {name}: a floor in {baseline_path.name} but the run did not "
              "produce it")
    print(f"{len(verdict.fell)} of {len(scores)} metrics fell")
    if verdict.fell:
        return 1
    return CANNOT_JUDGE if verdict.no_floor or verdict.not_run else 0


if __name__ == "__main__":
    sys.exit(main())
