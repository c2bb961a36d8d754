"""The Raqqa example's hand-coded records (tests/data/stories), shared by the link and
publish tests: the report ids they name and the loader."""

from __future__ import annotations

import json
from pathlib import Path

from newsdesk.models import ArticleRecords

AFP_BREACH = "001_b5309f86b7870f1b"
MEE_BREACH = "003_16493793af55492b"
GULF = "002_e5096ebe9da60f70"
SPUTNIK = "004_a4db6539298bde31"


def load_records(data_dir: Path) -> list[ArticleRecords]:
    raw = json.loads((data_dir / "stories" / "raqqa_records.json").read_text("utf-8"))
    return [ArticleRecords.from_dict(r) for r in raw]
