"""Exact and near duplicates on real reports: the Raqqa corpus and two Paris reports."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from newsdesk.link import dedup


def _raqqa(example_dir: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(example_dir.glob("*.txt"))]


def _light_edit(text: str) -> str:
    """What a site does to agency copy: a few words changed, a paragraph cut, chrome added."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    del paragraphs[len(paragraphs) // 2]
    edited = "\n\n".join(paragraphs)
    for old, new in (("senior", "top"), ("city", "town"), ("fighters", "militants")):
        edited = edited.replace(old, new, 1)
    return "Skip to main content\n" + edited + "\n\nShare this article\nRead more: latest news"


def _batch(texts: list[str], dates: list[str | None] | None = None) -> list:
    dates = dates or [None] * len(texts)
    return [(f"a{n}", t, dedup.sort_key(dates[n], n)) for n, t in enumerate(texts)]


def test_dedup_raqqa_reports_are_distinct(example_dir):
    assert dedup.find_duplicates(_batch(_raqqa(example_dir))) == {}


def test_dedup_same_event_other_outlet_is_not_a_copy(data_dir):
    a = (data_dir / "dedup" / "paris_a.txt").read_text(encoding="utf-8")
    b = (data_dir / "dedup" / "paris_b.txt").read_text(encoding="utf-8")
    assert dedup.jaccard(a, b) < 0.3
    assert dedup.find_duplicates(_batch([a, b])) == {}


def test_dedup_light_edit_points_to_first_seen(example_dir, data_dir):
    texts = _raqqa(example_dir)
    copy = _light_edit(texts[0])
    assert 0.8 <= dedup.jaccard(texts[0], copy) < 1.0
    unrelated = (data_dir / "dedup" / "paris_a.txt").read_text(encoding="utf-8")
    batch = _batch([*texts, copy, unrelated])
    assert dedup.find_duplicates(batch) == {"a5": "a0"}
    # Published earlier, the edited copy is the first seen and the original points to it.
    dated = _batch([*texts, copy], dates=["2017-10-10"] * 5 + ["2017-10-09"])
    assert dedup.find_duplicates(dated) == {"a0": "a5"}


def test_dedup_exact_copy_despite_case_and_punctuation(example_dir):
    text = _raqqa(example_dir)[2]
    shouted = text.upper().replace(",", " ,").replace("'", "’")
    assert dedup.signature(text).digest == dedup.signature(shouted).digest
    assert dedup.find_duplicates(_batch([text, shouted])) == {"a1": "a0"}


def test_dedup_answer_does_not_depend_on_input_order(example_dir):
    texts = _raqqa(example_dir)
    items = _batch([*texts, _light_edit(texts[1]), texts[1], _light_edit(texts[3])])
    expected = dedup.find_duplicates(items)
    assert expected == {"a5": "a1", "a6": "a1", "a7": "a3"}
    shuffled = items[:]
    random.Random(4).shuffle(shuffled)
    assert dedup.find_duplicates(shuffled) == expected


def test_dedup_finds_copies_of_stored_signatures_only(example_dir):
    texts = _raqqa(example_dir)
    prior = [
        (f"old{n}", dedup.Signature.from_bytes(dedup.signature(t).to_bytes()),
         dedup.sort_key("2017-10-01", n, stored=True))
        for n, t in enumerate(texts)
    ]  # fmt: skip
    new = [("new", _light_edit(texts[4]), dedup.sort_key("2017-10-02", 0))]
    assert dedup.find_duplicates(new, prior) == {"new": "old4"}


def test_dedup_texts_without_words_are_nobodys_copy():
    assert dedup.find_duplicates(_batch(["", " -- ", "..."])) == {}
    assert dedup.signature("").empty


@given(st.text(max_size=400))
def test_dedup_signature_bytes_round_trip(text):
    sig = dedup.signature(text)
    back = dedup.Signature.from_bytes(sig.to_bytes())
    assert back.digest == sig.digest
    assert (back.hashvalues == sig.hashvalues).all()


def test_the_store_loads_without_datasketch_and_scipy() -> None:
    """Commands that sign nothing (`serve`, `articles`) do not pay for datasketch's import,
    which brings scipy.integrate; the first signature imports it and signs as before."""
    import subprocess
    import sys

    code = ("import sys; import newsdesk.store; from newsdesk.link import dedup; "
            "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules)); "
            "print(dedup.signature('one two three four five six').hashvalues[:2].tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == str(dedup.signature("one two three four five six").hashvalues[:2].tolist())
