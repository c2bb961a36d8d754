"""Actors and dates: PLOVER gold actor recall, Raqqa date checks, and throughput.

Usage: .venv/bin/python bench/actors_dates.py [PLOVER_DIR]
PLOVER codes sentences' source and target actors (mostly states, named by country); we
count a gold actor as found when an extracted mention overlaps its text, and report it
separately for gold actors that are not bare country names (what the registry is for).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from newsdesk.analyse.actors import extract_actors
from newsdesk.analyse.dates import extract_dates
from newsdesk.analyse.nlp import load_nlp
from newsdesk.analyse.registry import ActorRegistry
from newsdesk.models import Article

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "benchmarks" / "plover_gsr"


def plover(path: Path, nlp, registry: ActorRegistry) -> None:
    records = [r for r in json.loads((path / "PLOVER_GSR_CAMEO.json").read_text())
               if isinstance(r, dict) and r.get("text") and "event" in r]
    countries = {c.name.lower() for c in registry._countries.values()}
    countries |= {n.lower() for c in registry._countries.values() for n in (*c.names, *c.demonyms)}
    found = total = found_nc = total_nc = 0
    for r in records:
        text = r["text"]
        art = Article(id="p", source="plover", text=text)
        mentions = extract_actors(nlp(text), art, registry)
        for role in ("source", "target"):
            gold = r.get(role)
            if not isinstance(gold, list):
                continue
            for g in gold:
                at = text.find(g.get("actorText", "") or "\0")
                if at < 0:
                    continue
                end = at + len(g["actorText"])
                hit = any(m.start < end and at < m.end for m in mentions)
                total += 1
                found += hit
                if g["actorText"].lower() not in countries:
                    total_nc += 1
                    found_nc += hit
    print(f"PLOVER sentences: {len(records)}")
    print(f"  gold actors found (span overlap): {found}/{total} = {found / total:.3f}")
    print(f"  excluding bare country names:     {found_nc}/{total_nc} = {found_nc / total_nc:.3f}")


RAQQA_DATES = {  # (file prefix, published, expression) -> (date, end_date)
    ("001", "2017-07-04", "on Tuesday"): ("2017-07-04", "2017-07-04"),
    ("001", "2017-07-04", "on June 6"): ("2017-06-06", "2017-06-06"),
    ("002", "2017-07-09", "Sunday"): ("2017-07-09", "2017-07-09"),
    ("002", "2017-07-09", "since 2014"): ("2014-01-01", "2017-07-09"),
    ("002", "2017-07-09", "in early June"): ("2017-06-01", "2017-06-10"),
    ("002", "2017-07-09", "for the past week"): ("2017-07-02", "2017-07-09"),
    ("002", "2017-07-09", "towards the end of 2014"): ("2014-10-01", "2014-12-31"),
    ("002", "2017-07-09", "in the month of June alone"): ("2017-06-01", "2017-06-30"),
    ("003", "2017-07-04", "on 27 June 2017"): ("2017-06-27", "2017-06-27"),
    ("003", "2017-07-04", "on Sunday"): ("2017-07-02", "2017-07-02"),
    ("003", "2017-07-04", "last month"): ("2017-06-01", "2017-06-30"),
    ("004", "2017-05-29", "On Friday"): ("2017-05-26", "2017-05-26"),
    ("004", "2017-05-29", "in\xa0November 2016"): ("2016-11-01", "2016-11-30"),
}


def raqqa(nlp, registry: ActorRegistry) -> None:
    files = {p.name[:3]: p for p in sorted((ROOT / "examples" / "raqqa-2017").glob("*.txt"))}
    ok = 0
    for (prefix, published, expr), want in RAQQA_DATES.items():
        text = files[prefix].read_text(encoding="utf-8")
        art = Article(id=prefix, source=prefix, text=text, published=published)
        got = {r.text: (r.date, r.end_date) for r in extract_dates(nlp(text), art)}
        ok += got.get(expr) == want
    print(f"Raqqa hand-checked date expressions resolved exactly: {ok}/{len(RAQQA_DATES)}")
    texts = [p.read_text(encoding="utf-8") for p in files.values()] * 20
    docs = list(nlp.pipe(texts))
    t = time.perf_counter()
    n_act = n_dates = 0
    for i, doc in enumerate(docs):
        art = Article(id=str(i), source="x", text=doc.text, published="2017-07-04")
        n_act += len(extract_actors(doc, art, registry))
        n_dates += len(extract_dates(doc, art))
    dt = time.perf_counter() - t
    print(f"extract_actors + extract_dates on {len(docs)} parsed reports: {dt:.3f}s "
          f"({len(docs) / dt:.0f} articles/s; {n_act} actor mentions, {n_dates} dates)")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    nlp = load_nlp()
    t = time.perf_counter()
    registry = ActorRegistry.load()
    print(f"registry: {len(registry.actors)} actors, loaded in {time.perf_counter() - t:.3f}s")
    raqqa(nlp, registry)
    if (path / "PLOVER_GSR_CAMEO.json").is_file():
        plover(path, nlp, registry)
    else:
        print(f"PLOVER gold not found at {path}; skipped")


if __name__ == "__main__":
    main()
