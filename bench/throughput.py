"""CPU time of the whole `analyze` beside spaCy's own full pipeline on the same texts.

    .venv/bin/python bench/throughput.py [BENCHMARKS_DIR] [--limit 200] [--repeat 3]

Corpus: the GeoWebNews texts (`geoparsing_gritta/GeoWebNews_brat/*.txt`, 200 news reports
of all lengths). Every figure is the CPU time (user + system, `os.wait4`) of a whole
process started for it, so import and model loading count on both sides, and the runs
alternate so a busy machine weighs on each alike; the median of `--repeat` runs is shown.
Wall time is printed beside it but is only meaningful on a quiet machine.

- spaCy alone: a process that loads the pinned model's full pipeline as newsdesk runs it
  (NumPy ops, one BLAS thread) and runs `nlp.pipe` over the texts;
- whole analyze: `newsdesk analyze FOLDER --workers 1` (ingest, per-article stage, store,
  linking, exports), and its peak RSS; then once with `--workers 2` (CPU of all its
  processes, the peak RSS of the largest);
- the per-article stage alone (`analyze_article` on every text, resources loaded), beside
  `nlp.pipe` in the same process.

A ratio is spaCy's CPU time over the other's: above 1.0 the other needs less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "benchmarks"
PYTHON = sys.executable
SELF = str(Path(__file__).resolve())


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _spacy_alone(folder: Path) -> None:
    """Child: the full pipeline (lemmatizer included) over the texts, as newsdesk sets it up."""
    import spacy
    from thinc.api import NumpyOps, set_current_ops

    from newsdesk.analyse.nlp import MODEL_PACKAGE, _one_blas_thread

    _one_blas_thread()
    set_current_ops(NumpyOps(use_blis=False))
    nlp = spacy.load(MODEL_PACKAGE)
    texts = [p.read_text("utf-8") for p in sorted(folder.glob("*.txt"))]
    for _ in nlp.pipe(texts, batch_size=16):
        pass


def _stage_alone(folder: Path) -> None:
    """Child: the per-article stage over the texts, and `nlp.pipe` in the same process."""
    from newsdesk.analyse.article import analyze_article, load_resources
    from newsdesk.ingest.readers import read_inputs
    from newsdesk.models import Article

    articles = [a for a in read_inputs([str(folder)]) if isinstance(a, Article)]
    res = load_resources()
    analyze_article(articles[0], res)  # what the extractors load on first use is start-up
    t0 = _cpu()
    for a in articles:
        analyze_article(a, res)
    stage = _cpu() - t0
    t0 = _cpu()
    for _ in res.nlp.pipe([a.text for a in articles], batch_size=16):
        pass
    print(f"{stage:.3f} {_cpu() - t0:.3f}")


def _measure(argv: list[str], code: Path = REPO) -> tuple[float, float, float, str]:
    """(CPU s, wall s, peak RSS MB, stdout) of one child process and what it waited for,
    running newsdesk from the tree `code`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=code, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(code)})
    out = proc.stdout.read() if proc.stdout else ""
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("benchmarks", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=200, help="texts to use (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    ap.add_argument("--before", type=Path, metavar="TREE",
                    help="also time the analyze of this checkout (e.g. `git worktree` of an "
                    "older commit), alternating with this one's")
    ap.add_argument("--child", choices=["spacy", "stage"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        (_spacy_alone if args.child == "spacy" else _stage_alone)(args.benchmarks)
        return

    src = args.benchmarks / "geoparsing_gritta" / "GeoWebNews_brat"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "texts"
        folder.mkdir()
        for p in sorted(src.glob("*.txt"), key=lambda p: int(p.stem))[: args.limit]:
            shutil.copy(p, folder / p.name)
        n = len(list(folder.iterdir()))
        print(f"corpus: {n} GeoWebNews texts; median of {args.repeat} alternating runs",
              flush=True)

        def analyze(workers: int, tag: str, code: Path = REPO) -> tuple[float, float, float, str]:
            # a tree older than --workers always ran in one process; a newer one would
            # start a worker per core on 200 texts unless told
            has_workers = "--workers" in (code / "newsdesk" / "cli.py").read_text("utf-8")
            chosen = ["--workers", str(workers)] if has_workers else []
            return _measure([PYTHON, "-m", "newsdesk.cli", "analyze", str(folder), "--quiet",
                             *chosen, "--out", f"{tmp}/out.{tag}", "--db", f"{tmp}/{tag}.db"],
                            code)

        spacy_runs, analyze_runs, before_runs = [], [], []
        for i in range(args.repeat):
            spacy_runs.append(_measure([PYTHON, SELF, str(folder), "--child", "spacy"]))
            analyze_runs.append(analyze(1, f"1.{i}"))
            if args.before:
                before_runs.append(analyze(1, f"before.{i}", args.before))
            print(f"run {i + 1}: spaCy {spacy_runs[-1][0]:.1f}, analyze {analyze_runs[-1][0]:.1f}"
                  + (f", before {before_runs[-1][0]:.1f}" if before_runs else "") + " CPU s",
                  flush=True)
        sp = statistics.median(r[0] for r in spacy_runs)
        print(f"spaCy full pipeline alone (nlp.pipe): {sp:7.1f} CPU s "
              f"(wall {statistics.median(r[1] for r in spacy_runs):.1f} s)")
        for name, runs in (("whole analyze, one worker", analyze_runs),
                           (f"the same, {args.before}", before_runs)):
            if runs:
                an = statistics.median(r[0] for r in runs)
                print(f"{name}: {an:7.1f} CPU s "
                      f"(wall {statistics.median(r[1] for r in runs):.1f} s, "
                      f"peak RSS {max(r[2] for r in runs):.0f} MB); "
                      f"ratio spaCy / it {sp / an:.2f}x", flush=True)
        _, _, _, out = _measure([PYTHON, SELF, str(folder), "--child", "stage"])
        stage, pipe = map(float, out.split())
        print(f"per-article stage alone: {stage:.1f} CPU s; nlp.pipe in the same process "
              f"{pipe:.1f} CPU s; ratio {pipe / stage:.2f}x", flush=True)
        cpu2, wall2, rss2, _ = analyze(2, "2")
        print(f"whole analyze, two workers:           {cpu2:7.1f} CPU s (wall {wall2:.1f} s, "
              f"largest process peak RSS {rss2:.0f} MB)")
        for tag, name in (("2", "two workers'"), ("before.0", f"{args.before}'s")):
            if Path(f"{tmp}/out.{tag}").is_dir():
                same = all((Path(f"{tmp}/out.1.0") / f.name).read_bytes() == f.read_bytes()
                           for f in Path(f"{tmp}/out.{tag}").iterdir())
                print(f"{name} outputs equal one worker's: {same}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
