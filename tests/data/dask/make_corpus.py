"""Build corpus.jsonl.gz: 50 articles cut deterministically from the real Raqqa reports.

Each variant is a window of consecutive paragraphs of one report (with its title line),
so texts are real reporting with real places, actors and figures, while ids differ.
Run from the repo root: .venv/bin/python tests/data/dask/make_corpus.py
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "examples" / "raqqa-2017"
VARIANTS = 10
WINDOW = 9


def main() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SOURCE.glob("*.txt"))]
    out = []
    for text in texts:
        paras = [p for p in text.split("\n\n") if p.strip()]
        title, body = paras[0], paras[1:]
        step = max(1, (len(body) - WINDOW) // VARIANTS)
        for k in range(VARIANTS):
            window = body[k * step : k * step + WINDOW] or body
            out.append({"text": "\n\n".join([title, *window])})
    with gzip.open(HERE / "corpus.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    print(f"{len(out)} articles")


if __name__ == "__main__":
    main()
