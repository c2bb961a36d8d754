"""Where the per-article stage's own Python goes, by stage, and what `analyze` costs to start.

    .venv/bin/python bench/stages.py [BENCHMARKS_DIR] [--limit 200] [--before TREE]
        [--cache DIR] [--startup REPORT [--phases]] [--repeat 3]

Stages: the GeoWebNews texts (`geoparsing_gritta/GeoWebNews_brat/*.txt`, the first
`--limit` by number, as `bench/throughput.py` takes them) are parsed once with `nlp.pipe`
(cached as a spaCy DocBin in `--cache` when given), and `analyze_article` then runs over
the parsed Docs, so spaCy's own time is out of the figures and what is left is the
stages' Python. Each stage function is wrapped with a CPU timer (`time.process_time`);
the first article is analysed once before timing (what the stages load on first use is
start-up, below). With `--before TREE` the same child runs in that checkout too,
alternating, `--repeat` times each (the median is shown), and the records of both are
compared (`same records: True`).

Start-up (`--startup REPORT`): whole processes of `python -m newsdesk.cli analyze REPORT
--quiet` into a fresh store, CPU (user + system, `os.wait4`) and wall, the median of
`--repeat` runs alternating with TREE's; wall time means something only on a quiet machine.
With `--phases`, where that CPU time goes instead: each step of start-up timed inside one
process (the imports, then PHASES inside `analyze`, inclusive, so a phase called inside
another counts in both; the rest of `analyze`; and the exit, the process's CPU after
`main` returned), bytecode written, the median of each.
Each tree runs twice over: without bytecode (`PYTHONDONTWRITEBYTECODE=1`, so a tree
without `__pycache__` is compiled from source at every start, as in this project's
checkouts) and with it (`PYTHONPYCACHEPREFIX` in a temporary folder that an untimed run
fills first, as an installed newsdesk has its `.pyc` files).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "benchmarks"
SELF = str(Path(__file__).resolve())
STAGES = (("places", "geocode", "extract_places"), ("actors", "actors", "extract_actors"),
          ("dates", "dates", "extract_dates"), ("claims", "claims", "extract_claims"),
          ("quotes", "quotes", "extract_quotes"),
          ("casualties", "casualties", "count_casualties"),
          ("incidents", "incidents", "extract_incidents"))


def _texts(benchmarks: Path, limit: int) -> list[Path]:
    src = benchmarks / "geoparsing_gritta" / "GeoWebNews_brat"
    return sorted(src.glob("*.txt"), key=lambda p: int(p.stem))[:limit]


def _child(paths: list[Path], cache: Path | None, records_out: Path) -> None:
    """Time the stages over pre-parsed Docs, in this process; print JSON of CPU seconds."""
    from spacy.tokens import DocBin

    from newsdesk.analyse import article as per_article
    from newsdesk.analyse import casualties
    from newsdesk.analyse.article import analyze_article, load_resources
    from newsdesk.ingest.readers import read_inputs
    from newsdesk.models import Article

    articles = [a for a in read_inputs([str(p) for p in paths]) if isinstance(a, Article)]
    res = load_resources()
    titles = [a.title or "" for a in articles]
    keyed = "\0".join(a.text + "\0" + t for a, t in zip(articles, titles, strict=True))
    digest = hashlib.sha1(keyed.encode()).hexdigest()[:12]
    name = f"stages-{len(articles)}-{digest}"
    docs_file = cache / f"{name}.spacy" if cache else None
    if docs_file and docs_file.exists():
        docs = list(DocBin().from_bytes(docs_file.read_bytes()).get_docs(res.nlp.vocab))
    else:
        docs = list(res.nlp.pipe([a.text for a in articles], batch_size=16))
        docs += [casualties.headline(res.nlp, t) for t in titles]
        if docs_file:
            docs_file.write_bytes(DocBin(store_user_data=True, docs=docs).to_bytes())
    by_text = {a.text: d for a, d in zip(articles, docs, strict=False)}
    by_title = dict(zip(titles, docs[len(articles):], strict=True))
    per_article.parse = lambda nlp, text: by_text[text]
    casualties.headline = lambda nlp, title: by_title[title]

    spent: dict[str, float] = {}
    for label, module, function in STAGES:
        mod = importlib.import_module(f"newsdesk.analyse.{module}")
        real = getattr(mod, function)

        def timed(*args, _real=real, _label=label, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.process_time()
            try:
                return _real(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.process_time() - t0

        setattr(mod, function, timed)
    t0 = time.process_time()
    analyze_article(articles[0], res)
    first = time.process_time() - t0
    spent.clear()
    t0 = time.process_time()
    records = [analyze_article(a, res) for a in articles]
    spent["per-article stage (spaCy parse excluded)"] = time.process_time() - t0
    spent["first article (first-use loads)"] = first
    records_out.write_bytes(pickle.dumps([r.to_dict() for r in records]))
    print(json.dumps(spent))


def _run(tree: Path, argv: list[str], env: dict[str, str] | None = None
         ) -> tuple[float, float, str]:
    """(CPU s, wall s, stdout) of a child process running newsdesk from `tree`, in `env`
    (this process's environment by default)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv], cwd=tree, stdout=subprocess.PIPE, text=True,
                            env={**(os.environ if env is None else env), "PYTHONPATH": str(tree)})
    out = proc.stdout.read() if proc.stdout else ""
    _, status, ru = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(argv)} in {tree} failed")
    return ru.ru_utime + ru.ru_stime, time.perf_counter() - t0, out


def _stages(args: argparse.Namespace) -> None:
    trees = [("this tree", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # alternating, so a busy machine weighs on each alike
            for label, tree in trees:
                argv = [SELF, str(args.benchmarks), "--limit", str(args.limit), "--child",
                        f"{tmp}/{label}.pkl"] + (["--cache", str(args.cache)] if args.cache
                                                 else [])
                runs[label].append(json.loads(_run(tree, argv)[2].splitlines()[-1]))
        same = len(trees) > 1 and (pickle.loads(Path(f"{tmp}/this tree.pkl").read_bytes())
                                   == pickle.loads(Path(f"{tmp}/before.pkl").read_bytes()))
    found = {label: {row: statistics.median(r.get(row, 0.0) for r in found_runs)
                     for row in found_runs[0]} for label, found_runs in runs.items()}
    print(f"{args.limit} GeoWebNews texts, CPU s (time.process_time), spaCy parse excluded, "
          f"median of {args.repeat} alternating runs")
    rows = [label for label, _, _ in STAGES]
    rows += ["per-article stage (spaCy parse excluded)", "first article (first-use loads)"]
    head = "| stage | " + " | ".join(label for label, _ in trees)
    print(head + (" | before / this |" if args.before else " |"))
    print("|---|" + "---:|" * (len(trees) + bool(args.before)))
    for row in rows:
        cells = [f"{found[label].get(row, 0.0):.2f}" for label, _ in trees]
        ratio = ""
        if args.before and found["this tree"].get(row):
            ratio = f" | {found['before'].get(row, 0.0) / found['this tree'][row]:.2f}x"
        print(f"| {row} | " + " | ".join(cells) + ratio + " |")
    if args.before:
        print(f"same records: {same}")


PHASES = (("load_nlp", "newsdesk.analyse.nlp", "load_nlp"),
          ("actor registry reads", "newsdesk.analyse.registry", "ActorRegistry.load"),
          ("parse", "newsdesk.analyse.article", "parse_batch"),
          ("first article's stages", "newsdesk.analyse.article", "analyze_article"),
          ("link", "newsdesk.pipeline", "link_stored"),
          ("publish", "newsdesk.pipeline", "publish"))
"""What `--startup --phases` times inside `analyze` (inclusive CPU s): module, attribute."""


def _phases_child(report: Path, out: str) -> None:
    """One `analyze REPORT` in this process, as the CLI runs it, with `time.process_time`
    at each step of start-up and around each of PHASES; print JSON of CPU seconds."""
    t0 = time.process_time()
    marks = {"interpreter, site and this script": t0}
    import newsdesk.cli as cli
    from newsdesk.startup import long_lived

    marks["import newsdesk.cli (click)"] = time.process_time() - t0
    with long_lived():  # as `cli.analyze` imports the pipeline
        t0 = time.process_time()
        import spacy  # noqa: F401

        marks["import spacy"] = time.process_time() - t0
        t0 = time.process_time()
        import newsdesk.analyse.article
        import newsdesk.pipeline  # noqa: F401

        marks["newsdesk's other imports"] = time.process_time() - t0
    spent = dict.fromkeys([label for label, _, _ in PHASES], 0.0)
    outer = [0.0, 0]  # CPU s inside phases not nested in another (publish reads actors), depth
    for label, module, name in PHASES:
        owner = importlib.import_module(module)
        *path, attr = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        real = getattr(owner, attr)

        def timed(*args, _real=real, _label=label, **kwargs):  # type: ignore[no-untyped-def]
            t = time.process_time()
            outer[1] += 1
            try:
                return _real(*args, **kwargs)
            finally:
                outer[1] -= 1
                spent[_label] += time.process_time() - t
                outer[0] += 0.0 if outer[1] else time.process_time() - t

        setattr(owner, attr, timed)
    t0 = time.process_time()
    try:
        cli.main(["analyze", str(report), "--quiet", "--out", out, "--db", f"{out}.db"],
                 standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            raise
    analyze = time.process_time() - t0
    marks.update(spent)
    marks["rest of analyze (ingest, store, ...)"] = analyze - outer[0]
    marks["until exit"] = time.process_time()
    print(json.dumps(marks))


def _phases(args: argparse.Namespace) -> None:
    trees = [("this tree", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = f"{tmp}/pyc"  # bytecode, filled by an untimed run
        for i in range(args.repeat + 1):
            for label, tree in trees:
                cpu, _, out = _run(tree, [SELF, "--phases-child", str(args.startup.resolve()),
                                          f"{tmp}/{label}.{i}"], env=env)
                if i:
                    found = json.loads(out.splitlines()[-1])
                    found["exit (after main returns)"] = cpu - found.pop("until exit")
                    found["whole process (os.wait4)"] = cpu
                    runs[label].append(found)
    print(f"start-up phases: `analyze {args.startup.name}`, CPU s (time.process_time), bytecode "
          f"written, median of {args.repeat} alternating runs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
    print("| phase | " + " | ".join(label for label, _ in trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for row in runs["this tree"][0]:
        print(f"| {row} | " + " | ".join(
            f"{statistics.median(r.get(row, 0.0) for r in runs[label]):.3f}"
            for label, _ in trees) + " |")


def _startup(args: argparse.Namespace) -> None:
    trees = [("this tree", REPO)] + ([("before", args.before.resolve())] if args.before else [])
    for tree in [tree for _, tree in trees if next((tree / "newsdesk").rglob("__pycache__"), 0)]:
        print(f"note: {tree}/newsdesk holds __pycache__: its 'none' rows read bytecode")
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:

        def analyze(label: str, tree: Path, mode: str, out: str) -> tuple[float, float]:
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
            env.update({"PYTHONDONTWRITEBYTECODE": "1"} if mode == "none"
                       else {"PYTHONPYCACHEPREFIX": f"{tmp}/pyc-{label}"})
            cpu, wall, _ = _run(tree, ["-m", "newsdesk.cli", "analyze",
                                       str(args.startup.resolve()), "--quiet",
                                       "--out", out, "--db", f"{out}.db"], env=env)
            return cpu, wall

        for label, tree in trees:  # writes the bytecode, untimed
            analyze(label, tree, "written", f"{tmp}/{label}.warm")
        for i in range(args.repeat):
            for mode in ("none", "written"):
                for label, tree in trees:
                    runs.setdefault((mode, label), []).append(
                        analyze(label, tree, mode, f"{tmp}/{label}.{mode}.{i}"))
    print(f"start-up: `analyze {args.startup.name}` ({args.startup.stat().st_size} bytes), "
          f"median of {args.repeat} whole processes, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
    print("| bytecode | tree | CPU s | wall s |\n|---|---|---:|---:|")
    for (mode, label), found in runs.items():
        print(f"| {mode} | {label} | {statistics.median(c for c, _ in found):.2f} | "
              f"{statistics.median(w for _, w in found):.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("benchmarks", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=200, help="texts to use (default 200)")
    ap.add_argument("--before", type=Path, metavar="TREE", help="an older checkout to compare")
    ap.add_argument("--cache", type=Path, metavar="DIR", help="keep the parsed Docs here")
    ap.add_argument("--startup", type=Path, metavar="REPORT",
                    help="time whole `analyze` processes on this one report instead")
    ap.add_argument("--phases", action="store_true",
                    help="with --startup: CPU time of each step of start-up, in one process")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each tree (default 3)")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--phases-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(_texts(args.benchmarks, args.limit), args.cache, args.child)
    elif args.phases_child:
        _phases_child(Path(args.phases_child[0]), args.phases_child[1])
    elif args.startup and args.phases:
        _phases(args)
    elif args.startup:
        _startup(args)
    else:
        _stages(args)


if __name__ == "__main__":
    main()
