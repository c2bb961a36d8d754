"""CPU time of the whole `analyze` beside spaCy's own full pipeline on the same texts.

    .venv/bin/python bench/throughput.py [BENCHMARKS_DIR] [--limit 200] [--repeat 3]
    .venv/bin/python bench/throughput.py [BENCHMARKS_DIR] --components

Corpus: the GeoWebNews texts (`geoparsing_gritta/GeoWebNews_brat/*.txt`, 200 news reports
of all lengths). Every figure is the CPU time (user + system, `os.wait4`) of a whole
process started for it, so import and model loading count on both sides, and the runs
alternate so a busy machine weighs on each alike; the median of `--repeat` runs is shown
(for the stage alone, the median of its process's figures and of the ratio in each).
Wall time is printed beside it but is only meaningful on a quiet machine.

- spaCy alone: a process that loads the pinned model's full pipeline as newsdesk runs it
  (NumPy ops, one BLAS thread) and runs `nlp.pipe` over the texts;
- whole analyze: `newsdesk analyze FOLDER --workers 1` (ingest, per-article stage, store,
  linking, exports), and its peak RSS; then once with `--workers 2` (CPU of all its
  processes, the peak RSS of the largest);
- the per-article stage alone (the local executor in one process, texts parsed a batch at
  a time, resources loaded), its parse and its stages apart, beside spaCy's full pipeline
  and newsdesk's own (`nlp.pipe`) in the same process, and whether the two give the same
  annotations on every token;
- `--components` instead: each spaCy component's CPU time, and what a sentence triage
  could leave out (see `_components`);
- `--batches 16:20000,16:40000` instead: the CPU time and peak RSS of the executors' parse
  (`article.parse_batch` over chunks of `nlp.BATCH` articles, texts and headlines) with
  each setting of `nlp.BATCH` and `nlp.BATCH_CHARS`, a process for each, alternating.

spaCy alone parses each file whole, its first line (GeoWebNews' "TITLE: ... LINK: ...")
included, and no headline apart; newsdesk parses the text without that line, which ingest
takes as the title, and the headlines it can count casualties from (`parse_batch`).

A ratio is spaCy's CPU time over the other's: above 1.0 the other needs less.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "benchmarks"
PYTHON = sys.executable
SELF = str(Path(__file__).resolve())


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _full_pipeline() -> Language:
    """The pinned model's full pipeline (lemmatizer and attribute_ruler included), set up
    as newsdesk sets up its own (NumPy ops, one BLAS thread)."""
    import spacy
    from thinc.api import NumpyOps, set_current_ops

    from newsdesk.analyse.nlp import MODEL_PACKAGE, _one_blas_thread

    _one_blas_thread()
    set_current_ops(NumpyOps(use_blis=False))
    return spacy.load(MODEL_PACKAGE)


def _spacy_alone(folder: Path) -> None:
    """Child: the full pipeline over the texts."""
    nlp = _full_pipeline()
    texts = [p.read_text("utf-8") for p in sorted(folder.glob("*.txt"))]
    for _ in nlp.pipe(texts, batch_size=16):
        pass


def _stage_alone(folder: Path) -> None:
    """Child: the per-article stage as the local executor runs it in one process (texts
    parsed a batch at a time), its parse and its stages timed apart; then spaCy's full
    pipeline and newsdesk's own in the same process; and whether newsdesk's pipeline gives
    the full one's annotations.

    newsdesk's pipeline is timed twice: on a freshly loaded copy, whose vocabulary meets
    the texts' words for the first time as the stage's parse does (and as the full
    pipeline, loaded apart, does), and again on the stage's own copy, which has seen them
    all: a word's lexeme and the tokenizer's split of it are made once per vocabulary
    (the tokenizer alone over the 200 texts: 0.96 CPU s the first time, 0.23 the next)."""
    import numpy
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, POS, TAG

    from newsdesk.analyse import article
    from newsdesk.analyse.nlp import load_nlp
    from newsdesk.executors.local import analyze_locally
    from newsdesk.ingest.readers import read_inputs
    from newsdesk.models import Article

    articles = [a for a in read_inputs([str(folder)]) if isinstance(a, Article)]
    res = article.load_resources()
    article.analyze_article(articles[0], res)  # what the extractors load on first use is start-up
    full = _full_pipeline()
    fresh = load_nlp.__wrapped__()  # another copy, its vocabulary as new as full's
    fresh("A first sentence.")  # as the stage's copy has parsed the first article
    parts = dict.fromkeys(["parse_batch", "analyze_article"], 0.0)

    def timed(name: str) -> None:
        real = getattr(article, name)

        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            t0 = _cpu()
            try:
                return real(*args, **kwargs)
            finally:
                parts[name] += _cpu() - t0
        setattr(article, name, run)

    timed("parse_batch")
    timed("analyze_article")
    t0 = _cpu()
    for _ in analyze_locally(articles, stored=set(), workers=1):
        pass
    stage = _cpu() - t0
    texts = [a.text for a in articles]
    t0 = _cpu()
    theirs = list(full.pipe(texts, batch_size=16))
    spacy_cpu = _cpu() - t0
    t0 = _cpu()
    ours = list(fresh.pipe(texts, batch_size=16))
    ours_cpu = _cpu() - t0
    t0 = _cpu()
    list(res.nlp.pipe(texts, batch_size=16))
    warm_cpu = _cpu() - t0
    attrs = [TAG, POS, DEP, HEAD, ENT_IOB, ENT_TYPE]
    same = all(numpy.array_equal(a.to_array(attrs), b.to_array(attrs))
               for a, b in zip(ours, theirs, strict=True))
    print(f"{stage:.3f} {spacy_cpu:.3f} {ours_cpu:.3f} {parts['parse_batch']:.3f} "
          f"{parts['analyze_article']:.3f} {warm_cpu:.3f} {same}")


def _components(folder: Path) -> None:
    """Child (`--components`): the CPU time of each of the full pipeline's components and
    of newsdesk's replacement of attribute_ruler, over the texts; then what a sentence
    triage (parse only sentences with a number, quote mark, speech verb or event cue)
    could leave out: the share of sentences without a cue, whether the entities' tokens
    in them need tags anyway, and how often the `senter` that would then give sentence
    boundaries agrees with the parser's."""
    from newsdesk.analyse.attribution import _CUE_VERBS
    from newsdesk.analyse.claims import _EVENT_WORDS
    from newsdesk.analyse.incidents import _KILLED
    from newsdesk.analyse.nlp import load_nlp
    from newsdesk.analyse.numbers import find_quantities

    full = _full_pipeline()
    ours = load_nlp()
    texts = [p.read_text("utf-8") for p in sorted(folder.glob("*.txt"))]
    t0 = _cpu()
    docs = [full.make_doc(t) for t in texts]
    times = {"tokenizer": _cpu() - t0}
    for name, proc in full.pipeline:
        t0 = _cpu()
        docs = list(proc.pipe(docs, batch_size=16))  # type: ignore[union-attr]
        times[name] = _cpu() - t0
    with full.select_pipes(enable=["tok2vec", "tagger", "parser"]):
        parsed = list(full.pipe(texts, batch_size=16))
    t0 = _cpu()
    for doc in parsed:
        ours.get_pipe("newsdesk_pos_rules")(doc)
    times["newsdesk_pos_rules (replaces attribute_ruler)"] = _cpu() - t0
    total = sum(v for k, v in times.items() if k in ["tokenizer", *full.pipe_names])
    full.enable_pipe("senter")  # disabled in the model: the parser gives the sentences
    t0 = _cpu()
    with full.select_pipes(enable=["senter"]):
        split = list(full.pipe(texts, batch_size=16))
    times["senter (tokenizer included)"] = _cpu() - t0
    for name, cpu in times.items():
        print(f"  {name:48s} {cpu:6.2f} CPU s")
    print(f"  {'full pipeline, the sum of its components':48s} {total:6.2f} CPU s")
    cue_words = set(_CUE_VERBS) | set(_EVENT_WORDS)
    sentences = with_cue = uncued_with_entity = 0
    for doc in docs:
        for sent in doc.sents:
            sentences += 1
            text = sent.text
            if (any(c.isdigit() or c in "\"“”" for c in text) or _KILLED.search(text.lower())
                    or any(t.lower_ in cue_words for t in sent) or find_quantities(text)):
                with_cue += 1
            elif sent.ents:
                uncued_with_entity += 1
    parser_starts = sum(len({s.start for s in d.sents}) for d in docs)
    shared = sum(len({s.start for s in d.sents} & {s.start for s in s_.sents})
                 for d, s_ in zip(docs, split, strict=True))
    print(f"sentences {sentences}: with a cue {with_cue} ({with_cue / sentences:.0%}); "
          f"without one {sentences - with_cue}, of which {uncued_with_entity} hold an entity "
          f"(actors read the tags of entity tokens)")
    print(f"senter's sentence starts that are the parser's: {shared} of the parser's "
          f"{parser_starts} ({shared / parser_starts:.1%})")


def _batches(folder: Path, setting: str) -> None:
    """Child (`--batches`): the executors' parse of the articles at one setting
    (`BATCH:BATCH_CHARS`), after a first parse that loads what parsing loads."""
    import itertools

    from newsdesk.analyse import nlp
    from newsdesk.analyse.article import parse_batch
    from newsdesk.ingest.readers import read_inputs
    from newsdesk.models import Article

    articles = [a for a in read_inputs([str(folder)]) if isinstance(a, Article)]
    model = nlp.load_nlp()
    parse_batch(articles[:2], model)
    nlp.BATCH, nlp.BATCH_CHARS = map(int, setting.split(":"))
    todo = iter(articles)
    t0 = _cpu()
    for batch in iter(lambda: list(itertools.islice(todo, nlp.BATCH)), []):
        parse_batch(batch, model)
    print(f"{_cpu() - t0:.3f}")


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


def _sweep(folder: Path, settings: list[str], repeat: int) -> None:
    """`--batches`: each setting's parse timed in its own process, alternating."""
    print(f"corpus: {len(list(folder.iterdir()))} GeoWebNews texts; {_builds()}; the "
          "executors' parse (texts and headlines), CPU s and the process's peak RSS", flush=True)
    runs: dict[str, list[tuple[float, float]]] = {s: [] for s in settings}
    for i in range(repeat):
        for setting in settings:
            _, _, rss, out = _measure([PYTHON, SELF, str(folder), "--child", "batches",
                                       "--setting", setting])
            runs[setting].append((float(out), rss))
            print(f"run {i + 1}: {setting:>12s} {float(out):6.2f} CPU s, {rss:4.0f} MB",
                  flush=True)
    for setting, timed in runs.items():
        cpu = statistics.median(t for t, _ in timed)
        print(f"BATCH:BATCH_CHARS {setting:>12s}: median {cpu:6.2f} CPU s, "
              f"peak RSS {max(r for _, r in timed):4.0f} MB")


def _builds() -> str:
    """The spaCy, thinc and blis releases the figures come from, and the kernels blis chose
    on this CPU: the same model runs at other speeds under other builds (spaCy 3.8.8 and
    later take the GIL in the parser's and NER's state checks) and on CPUs blis has no
    kernels for (its generic code on Zen 3: 11 % of the parse, RESULTS stop 30), so a
    figure is comparable only with one from the same releases and kernels."""
    from importlib.metadata import version

    probe = subprocess.run(
        [PYTHON, "-c", "import numpy, blis.py; a = numpy.ones((2, 2), 'f'); blis.py.gemm(a, a)"],
        env={**os.environ, "BLIS_ARCH_DEBUG": "1"}, capture_output=True, text=True,
        check=False)
    chosen = re.search(r"sub-configuration '(\w+)'", probe.stderr)
    cpu = " ".join(_cpuinfo().get(k, "?") for k in ("vendor_id", "cpu family", "model"))
    return (f"spaCy {version('spacy')}, thinc {version('thinc')}, blis {version('blis')} "
            f"({chosen[1] if chosen else 'unknown'} kernels on {cpu})")


def _cpuinfo() -> dict[str, str]:
    """The first processor's vendor, family and model (Linux), as blis reads them."""
    try:
        text = Path("/proc/cpuinfo").read_text("utf-8")
    except OSError:
        return {}
    first = text.split("\n\n", 1)[0]
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in first.splitlines()) if v}


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
    ap.add_argument("--components", action="store_true",
                    help="only time spaCy's components and measure what a sentence triage "
                    "could leave out (one process)")
    ap.add_argument("--batches", metavar="N:CHARS,...",
                    help="only time the executors' parse with these settings of nlp.BATCH "
                    "and nlp.BATCH_CHARS (a process each, --repeat runs)")
    ap.add_argument("--child", choices=["spacy", "stage", "components", "batches"],
                    help=argparse.SUPPRESS)
    ap.add_argument("--setting", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "batches":
        _batches(args.benchmarks, args.setting)
        return
    if args.child:
        {"spacy": _spacy_alone, "stage": _stage_alone, "components": _components}[args.child](
            args.benchmarks)
        return

    src = args.benchmarks / "geoparsing_gritta" / "GeoWebNews_brat"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "texts"
        folder.mkdir()
        for p in sorted(src.glob("*.txt"), key=lambda p: int(p.stem))[: args.limit]:
            shutil.copy(p, folder / p.name)
        n = len(list(folder.iterdir()))
        if args.components:
            print(f"corpus: {n} GeoWebNews texts; {_builds()}; one process, CPU s", flush=True)
            print(_measure([PYTHON, SELF, str(folder), "--child", "components"])[3], end="")
            return
        if args.batches:
            _sweep(folder, args.batches.split(","), args.repeat)
            return
        print(f"corpus: {n} GeoWebNews texts; {_builds()}; median of {args.repeat} "
              "alternating runs", flush=True)

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
        stage_runs = []
        for i in range(args.repeat):  # a process each: the figures are a first pass's
            out = _measure([PYTHON, SELF, str(folder), "--child", "stage"])[3].split()
            stage_runs.append([*map(float, out[:6]), out[6] == "True"])
            print(f"stage run {i + 1}: stage {stage_runs[-1][0]:.1f}, spaCy's full pipeline "
                  f"{stage_runs[-1][1]:.1f} CPU s", flush=True)
        stage, full, ours, parse, stages, warm = (
            statistics.median(r[k] for r in stage_runs) for k in range(6))
        ratio = statistics.median(r[1] / r[0] for r in stage_runs)
        print(f"per-article stage alone: {stage:.1f} CPU s (its parse {parse:.1f}, its stages "
              f"{stages:.1f}); in the same process spaCy's full pipeline (nlp.pipe) {full:.1f} "
              f"CPU s, ratio {ratio:.2f}x; newsdesk's pipeline {ours:.1f} CPU s "
              f"({warm:.1f} again over words it has seen)", flush=True)
        print(f"newsdesk's pipeline gives the full one's tags, POS, parse and entities on "
              f"every token: {all(r[6] for r in stage_runs)}", flush=True)
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
