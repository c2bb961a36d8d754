"""Score the event typer on CASE 2021 Shared Task 2 (fine-grained event classification).

Usage: .venv/bin/python bench/case2021.py [TSV]
       .venv/bin/python bench/case2021.py --cv
       .venv/bin/python bench/case2021.py --fit
       .venv/bin/python bench/case2021.py --compare
       .venv/bin/python bench/case2021.py --passages
       .venv/bin/python bench/case2021.py --heldout


Prints accuracy, macro-F1 and weighted F1 of the sub-event typing on the rows whose gold
is one of ACLED's 25 sub-event types (the shared task's setting (a)), a per-class table,
and the classifier's throughput. Rows with the extra non-ACLED labels (disasters,
organised crime, diplomacy, attribution) are reported separately: newsdesk does not code
them, so the right answer for them is "no event" or any type (the task scored them as
errors for every ACLED-only system). The typer was never tuned on this set.

`--cv` instead cross-validates the model on our own training sentences
(`newsdesk/data/acled_training.jsonl`), which is how its hyper-parameters are chosen: it
reads nothing from the benchmark.

`--compare` compares typers (issue 19): the shipped one, the same features with a linear SVM,
TF-IDF word and character n-grams with a linear SVM or logistic regression, and spaCy's
textcat; CV on our sentences, then fitted on all of them and scored closed-set on the
benchmark (measuring only: the shipped typer was chosen by CV), with speed, start-up and
install size.

`--passages` cross-validates on our sentences composed into short reports, typed whole or
sentence by sentence (issue 19), then scores the same typings on the benchmark (measuring only).

`--heldout` scores the shipped model on `bench/typing_heldout.jsonl`: 99 sentences we wrote
for the weak classes after the lexicon's cues, in wording the training sentences do not use,
and never trained on. The cues were written against the training sentences, so CV there
overrates them; these sentences show how the typer does on reports worded otherwise, without
reading the benchmark (stop 27: 0.889 against CV's 0.926, riots the police answered read as
interventions, as on CASE).

`--fit` fits the model on the training sentences and writes the shipped model file
(`newsdesk/data/typing_model.npz`); run it after editing the sentences or the features.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from newsdesk.analyse import typing_model
from newsdesk.analyse.typing_model import (
    EVENT_TYPES,
    classify,
    may_report_event,
    probabilities,
    train,
    training_examples,
    write_model,
)

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from spacy.tokens import Doc

MODEL = Path(__file__).resolve().parents[1] / "newsdesk/data/typing_model.npz"
DEFAULT = Path(__file__).resolve().parents[2] / "shared/benchmarks/case2021_task2/" \
    "test_set_final_release_with_labels.tsv"
HELD_OUT = Path(__file__).resolve().parent / "typing_heldout.jsonl"

CODES = {
    "ARMED_CLASH": "Armed clash",
    "GOV_REGAINS_TERIT": "Government regains territory",
    "NON_STATE_ACTOR_OVERTAKES_TER": "Non-state actor overtakes territory",
    "CHEM_WEAP": "Chemical weapon",
    "AIR_STRIKE": "Air/drone strike",
    "SUIC_BOMB": "Suicide bomb",
    "ART_MISS_ATTACK": "Shelling/artillery/missile attack",
    "REM_EXPLOS": "Remote explosive/landmine/IED",
    "GRENADE": "Grenade",
    "SEX_VIOL": "Sexual violence",
    "ATTACK": "Attack",
    "ABDUCT_DISSAP": "Abduction/forced disappearance",
    "PEACE_PROTEST": "Peaceful protest",
    "PROTEST_WITH_INTER": "Protest with intervention",
    "FORCE_AGAINST_PROTEST": "Excessive force against protesters",
    "VIOL_DEMONSTR": "Violent demonstration",
    "MOB_VIOL": "Mob violence",
    "AGREEMENT": "Agreement",
    "ARREST": "Arrests",
    "CHANGE_TO_GROUP_ACT": "Change to group/activity",
    "DISR_WEAP": "Disrupted weapons use",
    "HQ_ESTABLISHED": "Headquarters or base established",
    "PROPERTY_DISTRUCT": "Looting/property destruction",
    "NON_VIOL_TERRIT_TRANSFER": "Non-violent transfer of territory",
    "OTHER": "Other",
}
NONE = "(no event)"


def read_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["EventSnippet"], row["SubType"].strip()) for row in reader]


Row = tuple[float, float, float, int]


def f1_table(gold: list[str], pred: list[str]) -> tuple[dict[str, Row], float, float]:
    labels = sorted(set(gold))
    table: dict[str, Row] = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        table[label] = (prec, rec, f1, n_gold)
    macro = sum(v[2] for v in table.values()) / len(table)
    weighted = sum(v[2] * v[3] for v in table.values()) / len(gold)
    return table, macro, weighted


def print_table(table: dict[str, Row]) -> None:
    """`f1_table`'s per-class rows, the most frequent class first."""
    print(f"\n{'sub-event type':40} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for label, (p, r, f, n) in sorted(table.items(), key=lambda kv: -kv[1][3]):
        print(f"{label:40} {p:6.3f} {r:6.3f} {f:6.3f} {n:4d}")


def accuracy(gold: list[str], pred: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def parse(texts: list[str]) -> list[Doc]:
    """The snippets parsed with the pipeline's own spaCy model, as `analyze` parses articles:
    the typer reads who did what to whom off the parse it is given."""
    from newsdesk.analyse.nlp import load_nlp

    return list(load_nlp().pipe(texts))


def predict(rows: list[tuple[str, str]], docs: list[Doc]) -> tuple[list[str], list[str]]:
    """Closed-set and abstaining sub-event types per row (NONE where the typer gives none).

    The shared task is closed-set: every snippet reports an event, so the typer is asked
    for its best type even from weak cues. The abstaining types are what
    `extract_incidents` uses.
    """
    abstaining = [r[1] if (r := classify(text, parsed=doc)) else NONE
                  for (text, _), doc in zip(rows, docs, strict=True)]
    closed = [r[1] if (r := classify(text, abstain=False, parsed=doc)) else NONE
              for (text, _), doc in zip(rows, docs, strict=True)]
    return closed, abstaining


def summary(rows: list[tuple[str, str]], preds: list[str], abstaining: list[str]
            ) -> dict[str, float]:
    """The headline figures, on the rows whose gold is one of the 25 ACLED sub-event types."""
    seen = [(CODES[g], p) for (_, g), p in zip(rows, preds, strict=True) if g in CODES]
    seen_abst = [(CODES[g], p) for (_, g), p in zip(rows, abstaining, strict=True) if g in CODES]
    _, macro, weighted = f1_table([g for g, _ in seen], [p for _, p in seen])
    _, _, weighted_abst = f1_table([g for g, _ in seen_abst], [p for _, p in seen_abst])
    coarse = [(EVENT_TYPES[g], EVENT_TYPES.get(p, NONE)) for g, p in seen]
    return {
        "accuracy": sum(g == p for g, p in seen) / len(seen),
        "macro_f1": macro,
        "weighted_f1": weighted,
        "event_type_accuracy": sum(g == p for g, p in coarse) / len(coarse),
        "abstaining_weighted_f1": weighted_abst,
    }


def main(path: Path) -> None:
    rows = read_rows(path)
    warm_up = "warm-up: the shipped model is loaded on first use"
    docs = parse([warm_up])  # loads spaCy, which the typer's start-up below does not count
    start = time.perf_counter()
    classify(warm_up, abstain=False, parsed=docs[0])
    startup = time.perf_counter() - start
    start = time.perf_counter()
    docs = parse([text for text, _ in rows])
    parsing = time.perf_counter() - start
    start = time.perf_counter()
    for (text, _), doc in zip(rows, docs, strict=True):
        classify(text, parsed=doc)
    elapsed = time.perf_counter() - start
    preds, abstaining = predict(rows, docs)
    figures = summary(rows, preds, abstaining)
    seen = [(CODES[g], p) for (_, g), p in zip(rows, preds, strict=True) if g in CODES]
    seen_abst = [(CODES[g], p) for (_, g), p in zip(rows, abstaining, strict=True) if g in CODES]
    gold, pred = [g for g, _ in seen], [p for _, p in seen]
    table, _, _ = f1_table(gold, pred)
    print(f"dataset: {path}")
    print(f"rows: {len(rows)}; with an ACLED sub-event gold label: {len(seen)}")
    print(f"25 ACLED sub-event types: accuracy {figures['accuracy']:.3f}  "
          f"macro-F1 {figures['macro_f1']:.3f}  weighted-F1 {figures['weighted_f1']:.3f}")
    print(f"6 event types: accuracy {figures['event_type_accuracy']:.3f}")
    print(f"no event predicted for {sum(p == NONE for p in pred)} ACLED rows")
    print("abstaining typer (as used by extract_incidents): weighted-F1 "
          f"{figures['abstaining_weighted_f1']:.3f}, "
          f"no event for {sum(p == NONE for _, p in seen_abst)} ACLED rows")
    print_table(table)

    other = Counter((g, p) for (_, g), p in zip(rows, preds, strict=True) if g not in CODES)
    none_other = sum(n for (_, p), n in other.items() if p == NONE)
    print(f"\nnon-ACLED gold rows: {sum(other.values())}; typed as no event: {none_other}")
    print(f"\nspeed: {len(rows) / elapsed:.0f} snippets/s ({elapsed * 1000:.0f} ms for {len(rows)},"
          " one core; the parse excluded, as in `analyze`, where every stage shares it)")
    print(f"parsing the snippets with spaCy (not part of the typer's cost in `analyze`): "
          f"{parsing * 1000:.0f} ms")
    print(f"start-up (loading the shipped model, first call): {startup * 1000:.0f} ms")


def cross_validate(folds: int = 5) -> None:
    """Stratified k-fold accuracy and weighted F1 of the model on our training sentences."""
    rows = [(t, s) for t, s in training_examples() if s is not None]
    start = time.perf_counter()
    gold, pred = _folds(rows, folds)
    elapsed = time.perf_counter() - start
    table, macro, weighted = f1_table(gold, pred)
    acc = accuracy(gold, pred)
    print(f"{folds}-fold CV on {len(rows)} training sentences: accuracy {acc:.3f}  "
          f"macro-F1 {macro:.3f}  weighted-F1 {weighted:.3f}  ({elapsed:.1f} s)")
    print_table(table)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”']?\s+(?=[\"“A-Z0-9])")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def _passage_typers(model: typing_model._Model) -> dict[str, Callable[[str], str]]:
    """The ways to type a passage compared by `--passages`: as one text (what `classify`
    does), by its most confident sentence among those the lexicon's pre-filter lets through
    (the one that most likely carries the event), and by the sum of the two's log-shares."""
    import numpy as np

    def shares(text: str) -> np.ndarray:
        p = probabilities(text, model)
        return np.array([p[label] for label in model.labels])

    def best_sentence(text: str) -> np.ndarray:
        sentences = _sentences(text)
        events = [shares(s) for s in sentences if may_report_event(s)]
        if len(sentences) < 2 or not events:
            return shares(text)
        return max(events, key=np.max)

    def pick(row: np.ndarray) -> str:
        return model.labels[int(row.argmax())]

    return {
        "whole passage (shipped)": lambda t: pick(shares(t)),
        "most confident event sentence": lambda t: pick(best_sentence(t)),
        "whole + most confident event sentence": lambda t: pick(
            np.log(shares(t)) + np.log(best_sentence(t))),
    }


def cross_validate_passages(path: Path = DEFAULT, folds: int = 5) -> None:
    """CV on our sentences alone and composed into short reports, then the benchmark.

    CASE snippets are passages of one to three sentences (38 words on average; ours 16).
    To see what a passage does to the typer without reading the benchmark, each held-out
    event sentence is set among one or two of the training file's sentences that report no
    event (attribution, background; split between the folds like the events, so no context
    sentence is both trained on and tested), first twice as often as second, and each
    passage is typed in the ways `_passage_typers` names. The same typings, fitted on all
    our sentences, are then scored on the benchmark, closed-set.
    """
    rows = [(t, s) for t, s in training_examples() if s is not None]
    quiet = [t for t, s in training_examples() if s is None]
    fold_of: list[int] = []
    seen: Counter[str] = Counter()
    for _, label in rows:
        fold_of.append(seen[label] % folds)
        seen[label] += 1
    rng = random.Random(0)
    results: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for fold in range(folds):
        model = train([r for r, f in zip(rows, fold_of, strict=True) if f != fold])
        held_out = [r for r, f in zip(rows, fold_of, strict=True) if f == fold]
        context = quiet[fold::folds]
        passages = []
        for text, _ in held_out:
            around = rng.sample(context, rng.choice([1, 2]))
            at = rng.choice([0, 0, 1])
            passages.append(" ".join([*around[:at], text, *around[at:]]))
        for name, typer in _passage_typers(model).items():
            gold, single, composed = results.setdefault(name, ([], [], []))
            gold.extend(label for _, label in held_out)
            single.extend(typer(text) for text, _ in held_out)
            composed.extend(typer(text) for text in passages)
    bench = [(t, CODES[g]) for t, g in read_rows(path) if g in CODES]
    whole = _passage_typers(train(rows))
    print(f"{folds}-fold CV on {len(rows)} sentences, alone and with 1-2 of {len(quiet)} "
          "sentences without an event around each; then the benchmark (closed-set)")
    for name, (gold, single, composed) in results.items():
        got = [whole[name](t) for t, _ in bench]
        table, _, w = f1_table([g for _, g in bench], got)
        acc = accuracy([g for _, g in bench], got)
        print(f"\n{name}\n  CV sentences: accuracy {accuracy(gold, single):.3f}  weighted-F1 "
              f"{f1_table(gold, single)[2]:.3f}\n  CV passages: accuracy "
              f"{accuracy(gold, composed):.3f}  weighted-F1 {f1_table(gold, composed)[2]:.3f}"
              f"\n  CASE: accuracy {acc:.3f}  weighted-F1 {w:.3f}\n  CASE weak classes: "
              + ", ".join(f"{k} {table[k][2]:.2f}" for k in WEAK), flush=True)


def held_out(path: Path = HELD_OUT) -> None:
    """The shipped model on sentences it was never fitted on, per class and by confusion."""
    rows = [(r["text"], r["sub_event_type"]) for line in path.read_text("utf-8").splitlines()
            if line.strip() and (r := json.loads(line))]
    gold = [label for _, label in rows]
    pred = [_best(probabilities(text)) for text, _ in rows]
    table, macro, weighted = f1_table(gold, pred)
    print(f"held-out sentences ({path.name}): {len(rows)}; accuracy {accuracy(gold, pred):.3f}  "
          f"macro-F1 {macro:.3f}  weighted-F1 {weighted:.3f}")
    print_table(table)
    print("\nconfusions (gold -> predicted):")
    for (g, p), n in Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p
                             ).most_common():
        print(f"{n:4d}  {g} -> {p}")


def fit(path: Path = MODEL) -> None:
    """Fit the model on every training sentence with a type and write the shipped file."""
    start = time.perf_counter()
    write_model(train([(t, s) for t, s in training_examples() if s is not None]), path)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB) in "
          f"{time.perf_counter() - start:.1f} s")


Predictor = Callable[[list[str]], list[str]]


def _shipped_typer(rows: list[tuple[str, str]]) -> Predictor:
    """The shipped typer: words, bigrams and lexicon scores; scikit-learn's LinearSVC, C=1."""
    model = train(rows)
    return lambda texts: [_best(probabilities(t, model)) for t in texts]


def _lexicon_matrix(texts: list[str], vocabulary: dict[str, int]) -> csr_matrix:
    """The lexicon's per-type scores, as the shipped features scale them."""
    rows = [{k: v for k, v in typing_model._features(t).items() if k.startswith("lex:")}
            for t in texts]
    return typing_model._matrix(rows, vocabulary)


def _sklearn_typer(features: str, classifier: str) -> Callable[[list[tuple[str, str]]], Predictor]:
    """A typer put together from scikit-learn parts.

    features: "shipped" (the typer's own words, bigrams and lexicon scores), "tfidf" (TF-IDF of
    words 1-2 and of characters 2-5 inside words, sublinear tf, as Piskorski et al. 2020), or
    "tfidf+lexicon". classifier: "svm" (LinearSVC, C=1) or "logreg" (LogisticRegression: on
    the shipped features the L2 weight 1e-4 per sentence of the typer before this one, on
    TF-IDF C=30, the best of 0.3-30 in a first CV run).
    """
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    lex_vocabulary = {f"lex:{k}": i for i, k in enumerate(EVENT_TYPES)}

    def fit(rows: list[tuple[str, str]]) -> Predictor:
        texts = [typing_model._normalise(t) for t, _ in rows]
        vectorisers = [] if features == "shipped" else [
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)]
        if features == "shipped":
            counts = Counter(n for t, _ in rows for n in typing_model._features(t))
            kept = sorted(n for n, c in counts.items() if c >= 2)
            vocabulary = {n: i for i, n in enumerate(kept)}

        def matrix(raw: list[str], norm: list[str], first: bool = False) -> csr_matrix:
            if features == "shipped":
                return typing_model._matrix([typing_model._features(t) for t in raw], vocabulary)
            parts = [v.fit_transform(norm) if first else v.transform(norm) for v in vectorisers]
            if features == "tfidf+lexicon":
                parts.append(_lexicon_matrix(raw, lex_vocabulary))
            return hstack(parts).tocsr()

        c = 1.0 / (1e-4 * len(rows)) if features == "shipped" else 30.0
        model = (LinearSVC(C=1.0, random_state=0) if classifier == "svm"
                 else LogisticRegression(C=c, max_iter=2000))
        model.fit(matrix([t for t, _ in rows], texts, first=True), [s for _, s in rows])
        return lambda raw: list(model.predict(matrix(raw, [typing_model._normalise(t)
                                                           for t in raw])))
    return fit


def _textcat_typer(rows: list[tuple[str, str]]) -> Predictor:
    """(b) spaCy's textcat (bag of words and bigrams, exclusive classes), 12 epochs, seed 0."""
    import random

    import spacy
    from spacy.training import Example

    labels = sorted({s for _, s in rows})
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2,
        "no_output_layer": False}})
    for label in labels:
        textcat.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(t), {"cats": {k: float(k == s) for k in labels}})
                for t, s in rows]
    random.seed(0)
    spacy.util.fix_random_seed(0)
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(12):
        random.shuffle(examples)
        for batch in spacy.util.minibatch(examples, 32):
            nlp.update(batch, sgd=optimizer)
    return lambda texts: [max(d.cats, key=d.cats.__getitem__) for d in nlp.pipe(texts)]


TYPERS: dict[str, Callable[[list[tuple[str, str]]], Predictor]] = {
    "(a) shipped features, LogisticRegression (the typer before)": _sklearn_typer("shipped",
                                                                                  "logreg"),
    "(a) shipped features, LinearSVC (shipped)": _shipped_typer,
    "(d) TF-IDF words 1-2 + chars 2-5, LinearSVC": _sklearn_typer("tfidf", "svm"),
    "(d) TF-IDF words + chars, LogisticRegression": _sklearn_typer("tfidf", "logreg"),
    "(d) TF-IDF words + chars + lexicon, LinearSVC": _sklearn_typer("tfidf+lexicon", "svm"),
    "(b) spaCy textcat, bag of 1-2-grams": _textcat_typer,
}
WEAK = ("Protest with intervention", "Excessive force against protesters",
        "Change to group/activity", "Non-state actor overtakes territory",
        "Government regains territory", "Violent demonstration", "Other")


def compare_typers(path: Path = DEFAULT) -> None:
    """CV on our sentences and closed-set CASE figures of each typer (measuring only)."""
    sentences = [(t, s) for t, s in training_examples() if s is not None]
    bench = [(t, CODES[g]) for t, g in read_rows(path) if g in CODES]
    shipped = typing_model._features
    typing_model._features = cache(shipped)  # the same sentences are featurised in every fold
    try:
        _compare(sentences, bench)
    finally:
        typing_model._features = shipped
    _startup_and_size()


def _compare(sentences: list[tuple[str, str]], bench: list[tuple[str, str]]) -> None:
    for name, make in TYPERS.items():
        gold, pred = _folds(sentences, make=make)
        cv_table, _, cv_w = f1_table(gold, pred)
        cv_acc = accuracy(gold, pred)
        start = time.perf_counter()
        typer = make(sentences)
        fit_s = time.perf_counter() - start
        typing_model._features.cache_clear()  # time the snippets' features too
        start = time.perf_counter()
        got = typer([t for t, _ in bench])
        per = (time.perf_counter() - start) / len(bench) * 1000
        print_scores(name, (cv_acc, cv_w, cv_table), bench, got,
                     f"{per:.2f} ms/snippet (CASE, after fitting), fit {fit_s:.1f} s")


def print_scores(name: str, cv: tuple[float, float, dict[str, Row]],
                 bench: list[tuple[str, str]], got: list[str], tail: str) -> None:
    """One typer's figures as the comparisons print them (`--compare` and
    `bench/typing_encoder.py`): `cv` is CV's (accuracy, weighted F1, per-class table), `got`
    its predictions for the CASE rows `bench`, `tail` a last line of its own."""
    cv_acc, cv_w, cv_table = cv
    table, macro, w = f1_table([g for _, g in bench], got)
    acc = accuracy([g for _, g in bench], got)
    worst = min(cv_table, key=lambda k: cv_table[k][2])
    print(f"\n{name}\n  CV: accuracy {cv_acc:.3f}  weighted-F1 {cv_w:.3f}  worst {worst} "
          f"{cv_table[worst][2]:.3f}\n  CASE: accuracy {acc:.3f}  macro-F1 {macro:.3f}  "
          f"weighted-F1 {w:.3f}\n  CASE weak classes: "
          + ", ".join(f"{k} {table[k][2]:.2f}" for k in WEAK) + f"\n  {tail}", flush=True)


def _startup_and_size() -> None:
    print("\nstart-up in a fresh process (import, then type one sentence), and install size:")
    for label, code, dists in [
        ("shipped typer (numpy, reads the .npz)", "from newsdesk.analyse.typing_model import "
         "classify; classify('Troops shelled the town.')", ()),
        ("scikit-learn TF-IDF + linear model at run time", "import sklearn.feature_extraction.text,"
         " sklearn.svm, sklearn.linear_model", ("scikit-learn", "joblib", "threadpoolctl")),
        ("spaCy blank pipeline + textcat", "import spacy; spacy.blank('en').add_pipe('textcat')",
         ()),
    ]:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        print(f"  {label}: {min(times):.2f}-{max(times):.2f} s; extra install "
              f"{sum(_installed_size(d) for d in dists) / 2**20:.0f} MiB")


def _installed_size(dist: str) -> int:
    """Bytes a distribution's installed files take (its RECORD), 0 when not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        files = distribution(dist).files or []
    except PackageNotFoundError:
        return 0
    return sum(f.size or 0 for f in files)


def _best(p: dict[str, float]) -> str:
    return max(p, key=p.__getitem__)


def _folds(rows: list[tuple[str, str]], folds: int = 5, make: Callable[
        [list[tuple[str, str]]], Predictor] = _shipped_typer) -> tuple[list[str], list[str]]:
    """Gold and predicted types of stratified k-fold CV (fold = rank within its class mod k)."""
    fold_of: list[int] = []
    seen: Counter[str] = Counter()
    for _, label in rows:
        fold_of.append(seen[label] % folds)
        seen[label] += 1
    gold: list[str] = []
    pred: list[str] = []
    for fold in range(folds):
        typer = make([r for r, f in zip(rows, fold_of, strict=True) if f != fold])
        held_out = [r for r, f in zip(rows, fold_of, strict=True) if f == fold]
        gold.extend(label for _, label in held_out)
        pred.extend(typer([text for text, _ in held_out]))
    return gold, pred


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("tsv", nargs="?", type=Path, default=DEFAULT,
                     help="the CASE 2021 task 2 file to score on (default: the dev half)")
    modes = cli.add_mutually_exclusive_group()
    for flag, run, what in (
            ("--cv", cross_validate, "cross-validate on our training sentences"),
            ("--fit", fit, "fit and write the shipped model file"),
            ("--heldout", held_out, "score the shipped model on bench/typing_heldout.jsonl"),
            ("--passages", cross_validate_passages, "cross-validate on composed short reports"),
            ("--compare", compare_typers, "compare typers (issue 19)")):
        modes.add_argument(flag, dest="run", action="store_const", const=run, help=what)
    args = cli.parse_args()
    if args.run is not None:
        args.run()
    else:
        main(args.tsv)
