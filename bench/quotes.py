"""Quotes and speakers scored on PolNeAR attribution gold, and their cost beside spaCy's.

Usage: .venv/bin/python bench/quotes.py [POLNEAR_DIR]

Each gold attribution's Content (one or two fragments) is a gold unit; each extracted
quote (direct or reported) a predicted unit. Scoring, as the dataset's README suggests:
- exact: a prediction is right when it equals a gold fragment, a gold unit is found when
  every fragment is predicted, quotation marks, spaces and closing punctuation trimmed;
- overlap: a gold unit is found when the predictions that overlap it cover at least half
  of its word tokens; a prediction is correct when at least half of its word tokens lie
  in one gold unit;
- speaker: for an overlap match, the predicted speaker is right when its span overlaps
  the gold Source span, or the canonical speaker name and the gold Source share their
  last word ("Caddell" for "longtime Democratic pollster Pat Caddell");
- end to end (content, speaker): a prediction counts when it matches a gold unit whose
  source it names right; recall counts gold units found with the right source.
"Direct" restricts both sides to quotes: gold contents that open with a quotation mark and
predictions with `direct` set. Scores use each article's `primary_ann`.
Times are CPU seconds of this process (the machine is shared, so wall time says little).
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.analyse.actors import extract_actors
from newsdesk.analyse.nlp import load_nlp
from newsdesk.analyse.quotes import extract_quotes
from newsdesk.analyse.registry import ActorRegistry
from newsdesk.models import Article, Quote

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "benchmarks" / "polnear_attribution"
_TRIM = " \t\n\"'“”‘’.,:;!?"
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class _Gold:
    fragments: list[tuple[int, int]]
    sources: list[tuple[int, int]]
    source_text: str
    direct: bool


@dataclass(slots=True)
class Tally:
    pred: int = 0
    gold: int = 0
    exact_pred: int = 0
    exact_gold: int = 0
    pred_ok: int = 0
    gold_ok: int = 0
    speaker_checked: int = 0
    speaker_ok: int = 0
    e2e_pred: int = 0
    e2e_gold: int = 0
    missed: list[str] = field(default_factory=list)


def _read_gold(ann: Path, text: str) -> list[_Gold]:
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[dict[str, str]] = []
    for line in ann.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            kind, _, ranges = parts[1].partition(" ")
            frags = [tuple(int(x) for x in r.split()) for r in ranges.split(";")]
            spans[parts[0]] = (kind, [(a, b) for a, b in frags])
        elif line.startswith("E") and len(parts) >= 2:
            events.append(dict(arg.split(":", 1) for arg in parts[1].split()))
    out: list[_Gold] = []
    for ev in events:
        contents = [spans[ev[k]][1] for k in ("Content", "Content2") if k in ev]
        if not contents:
            continue
        frags = sorted(f for c in contents for f in c)
        sources = spans[ev["Source"]][1] if "Source" in ev else []
        source_text = " ".join(text[a:b] for a, b in sources)
        first = text[frags[0][0]:frags[0][1]].lstrip()
        out.append(_Gold(frags, sources, source_text, first[:1] in "\"“'‘"))
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in _TRIM:
        a += 1
    while b > a and text[b - 1] in _TRIM:
        b -= 1
    return a, b


def _tokens(text: str, spans: list[tuple[int, int]]) -> set[int]:
    return {m.start() for a, b in spans for m in _WORD.finditer(text, a, b)}


def _speaker_ok(q: Quote, g: _Gold) -> bool:
    if not g.sources or q.speaker_start is None or q.speaker_end is None:
        return False
    if any(q.speaker_start < b and a < q.speaker_end for a, b in g.sources):
        return True
    gold_last = _WORD.findall(g.source_text)
    pred_last = _WORD.findall(q.speaker or "")
    return bool(gold_last and pred_last) and gold_last[-1].lower() == pred_last[-1].lower()


def _score(text: str, quotes: list[Quote], gold: list[_Gold], t: Tally) -> None:
    t.pred += len(quotes)
    t.gold += len(gold)
    gold_tokens = [_tokens(text, g.fragments) for g in gold]
    gold_frags = {_trim(text, a, b) for g in gold for a, b in g.fragments}
    covered: list[set[int]] = [set() for _ in gold]
    right_speaker = [False] * len(gold)
    for q in quotes:
        if _trim(text, q.start, q.end) in gold_frags:
            t.exact_pred += 1
        toks = _tokens(text, [(q.start, q.end)])
        best = max(range(len(gold)), key=lambda k: len(toks & gold_tokens[k]), default=None)
        for k, gt in enumerate(gold_tokens):
            if toks & gt:
                covered[k] |= toks & gt
        if best is None or not toks or len(toks & gold_tokens[best]) * 2 < len(toks):
            continue
        t.pred_ok += 1
        t.speaker_checked += 1
        if _speaker_ok(q, gold[best]):
            t.speaker_ok += 1
            t.e2e_pred += 1
            right_speaker[best] = True
    for k, g in enumerate(gold):
        predicted = {_trim(text, q.start, q.end) for q in quotes}
        if all(_trim(text, a, b) in predicted for a, b in g.fragments):
            t.exact_gold += 1
        if gold_tokens[k] and len(covered[k]) * 2 >= len(gold_tokens[k]):
            t.gold_ok += 1
            t.e2e_gold += right_speaker[k]
        elif len(t.missed) < 5:
            first = text[g.fragments[0][0]:g.fragments[0][1]][:80]
            t.missed.append(f"{g.source_text!r}: {first!r}")


def prf(p_hits: int, p_all: int, g_hits: int, g_all: int) -> tuple[float, float, float]:
    p = p_hits / p_all if p_all else 0.0
    r = g_hits / g_all if g_all else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def _prf(p_hits: int, p_all: int, g_hits: int, g_all: int) -> str:
    p, r, f = prf(p_hits, p_all, g_hits, g_all)
    return f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}"


def _report(name: str, t: Tally) -> None:
    print(f"\n{name}: {t.gold} gold contents, {t.pred} predicted")
    print(f"  content exact    {_prf(t.exact_pred, t.pred, t.exact_gold, t.gold)}")
    print(f"  content overlap  {_prf(t.pred_ok, t.pred, t.gold_ok, t.gold)}")
    acc = t.speaker_ok / t.speaker_checked if t.speaker_checked else 0.0
    print(f"  speaker accuracy on matched quotes {acc:.3f} ({t.speaker_ok}/{t.speaker_checked})")
    print(f"  (content, speaker) {_prf(t.e2e_pred, t.pred, t.e2e_gold, t.gold)}")


@dataclass(slots=True)
class Run:
    every: Tally
    direct: Tally
    articles: int
    chars: int
    nlp_s: float
    quotes_s: float


def score_corpus(path: Path) -> Run:
    """Extract quotes from every PolNeAR article and tally them against its `primary_ann`."""
    nlp = load_nlp()
    registry = ActorRegistry.load()
    rows = [json.loads(line) for line in (path / "articles.jsonl").read_text().splitlines()
            if line.strip()]
    run = Run(Tally(), Tally(), len(rows), 0, 0.0, 0.0)
    for row in rows:
        text = (path / "text" / f"{row['id']}.txt").read_text(encoding="utf-8")
        run.chars += len(text)
        article = Article(id=row["id"], source=row["id"], text=text)
        t0 = time.process_time()
        doc = nlp(text)
        t1 = time.process_time()
        actors = extract_actors(doc, article, registry)
        t2 = time.process_time()
        quotes = extract_quotes(doc, article, actors=actors, registry=registry)
        t3 = time.process_time()
        run.nlp_s += t1 - t0
        run.quotes_s += t3 - t2
        gold = _read_gold(path / "attributions" / row["primary_ann"], text)
        _score(text, quotes, gold, run.every)
        _score(text, [q for q in quotes if q.direct], [g for g in gold if g.direct], run.direct)
    return run


def main(path: Path) -> None:
    run = score_corpus(path)
    print(f"PolNeAR ({path.name}): {run.articles} articles, {run.chars:,} characters")
    _report("all attributions (direct and reported)", run.every)
    _report("direct quotes only", run.direct)
    print("\n  first missed gold (all):")
    for line in run.every.missed:
        print("   ", line)
    print(f"\nspeed (CPU seconds): spaCy {run.nlp_s:.2f} s, quotes {run.quotes_s:.2f} s "
          f"({100 * run.quotes_s / run.nlp_s:.1f}% of spaCy's time)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
