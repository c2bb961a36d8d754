"""Score the event typer on CASE 2021 Shared Task 2 (fine-grained event classification).

Usage: .venv/bin/python bench/case2021.py [TSV]
       .venv/bin/python bench/case2021.py --cv
       .venv/bin/python bench/case2021.py --fit
       .venv/bin/python bench/case2021.py --variants


Prints accuracy, macro-F1 and weighted F1 of the sub-event typing on the rows whose gold
is one of ACLED's 25 sub-event types (the shared task's setting (a)), a per-class table,
and the classifier's throughput. Rows with the extra non-ACLED labels (disasters,
organised crime, diplomacy, attribution) are reported separately: newsdesk does not code
them, so the right answer for them is "no event" or any type (the task scored them as
errors for every ACLED-only system). The typer was never tuned on this set.

`--cv` instead cross-validates the model on our own training sentences
(`newsdesk/data/acled_training.jsonl`), which is how its hyper-parameters are chosen: it
reads nothing from the benchmark.

`--variants` compares feature sets for the same logistic regression: CV on our sentences,
then fitted on all of them and scored closed-set on the benchmark (measuring only; the
shipped features were chosen by CV).

`--fit` fits the model on the training sentences and writes the shipped model file
(`newsdesk/data/typing_model.npz`); run it after editing the sentences or the features.
"""

from __future__ import annotations

import csv
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from newsdesk.analyse import typing_model
from newsdesk.analyse.typing_model import (
    EVENT_TYPES,
    classify,
    probabilities,
    train,
    training_examples,
    write_model,
)

MODEL = Path(__file__).resolve().parents[1] / "newsdesk/data/typing_model.npz"
DEFAULT = Path(__file__).resolve().parents[2] / "shared/benchmarks/case2021_task2/" \
    "test_set_final_release_with_labels.tsv"

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


def predict(rows: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Closed-set and abstaining sub-event types per row (NONE where the typer gives none).

    The shared task is closed-set: every snippet reports an event, so the typer is asked
    for its best type even from weak cues. The abstaining types are what
    `extract_incidents` uses.
    """
    abstaining = [r[1] if (r := classify(text)) else NONE for text, _ in rows]
    closed = [r[1] if (r := classify(text, abstain=False)) else NONE for text, _ in rows]
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
    start = time.perf_counter()
    classify("warm-up: the shipped model is loaded on first use", abstain=False)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    for text, _ in rows:
        classify(text)
    elapsed = time.perf_counter() - start
    preds, abstaining = predict(rows)
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
    print(f"\n{'sub-event type':40} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for label, (p, r, f, n) in sorted(table.items(), key=lambda kv: -kv[1][3]):
        print(f"{label:40} {p:6.3f} {r:6.3f} {f:6.3f} {n:4d}")

    other = Counter((g, p) for (_, g), p in zip(rows, preds, strict=True) if g not in CODES)
    none_other = sum(n for (_, p), n in other.items() if p == NONE)
    print(f"\nnon-ACLED gold rows: {sum(other.values())}; typed as no event: {none_other}")
    print(f"\nspeed: {len(rows) / elapsed:.0f} snippets/s ({elapsed * 1000:.0f} ms for {len(rows)},"
          " one core)")
    print(f"start-up (loading the shipped model, first call): {startup * 1000:.0f} ms")


def cross_validate(folds: int = 5) -> None:
    """Stratified k-fold accuracy and weighted F1 of the model on our training sentences."""
    rows = [(t, s) for t, s in training_examples() if s is not None]
    start = time.perf_counter()
    gold, pred = _folds(rows, folds)
    elapsed = time.perf_counter() - start
    table, macro, weighted = f1_table(gold, pred)
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    print(f"{folds}-fold CV on {len(rows)} training sentences: accuracy {acc:.3f}  "
          f"macro-F1 {macro:.3f}  weighted-F1 {weighted:.3f}  ({elapsed:.1f} s)")
    print(f"\n{'sub-event type':40} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for label, (p, r, f, n) in sorted(table.items(), key=lambda kv: -kv[1][3]):
        print(f"{label:40} {p:6.3f} {r:6.3f} {f:6.3f} {n:4d}")


def fit(path: Path = MODEL) -> None:
    """Fit the model on every training sentence with a type and write the shipped file."""
    start = time.perf_counter()
    write_model(train([(t, s) for t, s in training_examples() if s is not None]), path)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB) in "
          f"{time.perf_counter() - start:.1f} s")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z'-]*[a-z]|[a-z]|\d+", typing_model._normalise(text))


def _lexicon(text: str) -> dict[str, float]:
    return {f"lex:{k}": v / (v + 4.0) for k, v in typing_model.score(text).items()}


def _stems_and_lexicon(text: str) -> dict[str, float]:
    """The features before issue 19: words cut by a five-suffix stemmer, bigrams, lexicon."""
    def stem(word: str) -> str:
        for suffix in ("ings", "ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                return word[: -len(suffix)]
        return word

    stems = [stem(w) for w in _words(text)]
    grams = [f"w:{s}" for s in stems] + [f"b:{a}_{b}" for a, b in pairwise(stems)]
    feats = dict.fromkeys(grams, 3.0 / max(1, len(set(grams))) ** 0.5)
    return feats | _lexicon(text)


def _char_grams(text: str, words: bool, lexicon: bool) -> dict[str, float]:
    """Character 3-5-grams inside words, counts L2-normalised to 3 (optionally + words)."""
    grams = [f"c:{w[i:i + n]}" for w in (f" {w} " for w in _words(text))
             for n in (3, 4, 5) for i in range(max(1, len(w) - n + 1))]
    if words:
        ws = _words(text)
        grams += [f"w:{w}" for w in ws] + [f"b:{a}_{b}" for a, b in pairwise(ws)]
    counts = Counter(grams)
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    feats = {g: 3.0 * v / norm for g, v in counts.items()}
    return feats | _lexicon(text) if lexicon else feats


VARIANTS: dict[str, Callable[[str], dict[str, float]]] = {
    "stems + bigrams + lexicon (before)": _stems_and_lexicon,
    "words + bigrams + lexicon (shipped)": typing_model._features,
    "char 3-5 + words + bigrams + lexicon": lambda t: _char_grams(t, True, True),
    "char 3-5 + words + bigrams": lambda t: _char_grams(t, True, False),
    "char 3-5 only": lambda t: _char_grams(t, False, False),
}


def compare_variants(path: Path = DEFAULT) -> None:
    """CV and benchmark figures of each feature set (the model code is the shipped one)."""
    shipped = typing_model._features
    sentences = [(t, s) for t, s in training_examples() if s is not None]
    bench = [(t, CODES[g]) for t, g in read_rows(path) if g in CODES]
    print(f"{'features':38} {'CV acc':>6} {'CV wF1':>6} {'CV min':>6} | {'acc':>5} {'wF1':>5} "
          f"{'min':>5} {'worst class':35} {'ms/snip':>7} {'fit s':>5}")
    try:
        for name, features in VARIANTS.items():
            typing_model._features = features
            gold, pred = _folds(sentences)
            cv_table, _, cv_w = f1_table(gold, pred)
            cv_acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
            start = time.perf_counter()
            model = train(sentences)
            fit_s = time.perf_counter() - start
            start = time.perf_counter()
            got = [_best(probabilities(t, model)) for t, _ in bench]
            per = (time.perf_counter() - start) / len(bench) * 1000
            table, _, w = f1_table([g for _, g in bench], got)
            acc = sum(g == p for (_, g), p in zip(bench, got, strict=True)) / len(bench)
            worst = min(table, key=lambda k: table[k][2])
            print(f"{name:38} {cv_acc:6.3f} {cv_w:6.3f} {min(v[2] for v in cv_table.values()):6.3f}"
                  f" | {acc:5.3f} {w:5.3f} {table[worst][2]:5.3f} {worst:35} {per:7.2f} "
                  f"{fit_s:5.1f}", flush=True)
    finally:
        typing_model._features = shipped


def _best(p: dict[str, float]) -> str:
    return max(p, key=p.__getitem__)


def _folds(rows: list[tuple[str, str]], folds: int = 5) -> tuple[list[str], list[str]]:
    """Gold and predicted types of stratified k-fold CV (fold = rank within its class mod k)."""
    fold_of: list[int] = []
    seen: Counter[str] = Counter()
    for _, label in rows:
        fold_of.append(seen[label] % folds)
        seen[label] += 1
    gold: list[str] = []
    pred: list[str] = []
    for fold in range(folds):
        model = train([r for r, f in zip(rows, fold_of, strict=True) if f != fold])
        for text, label in (r for r, f in zip(rows, fold_of, strict=True) if f == fold):
            gold.append(label)
            pred.append(_best(probabilities(text, model)))
    return gold, pred


if __name__ == "__main__":
    if sys.argv[1:] == ["--cv"]:
        cross_validate()
    elif sys.argv[1:] == ["--fit"]:
        fit()
    elif sys.argv[1:] == ["--variants"]:
        compare_variants()
    else:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
