"""The accuracy gate (bench/eval_gate.py): floors, exit codes, and a broken extractor caught."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import eval_gate  # noqa: E402
from eval_gate import Scores, Suite, judge, new_floors  # noqa: E402


def _suite(metrics: dict[str, float], name: str = "demo") -> Suite:
    return Suite(name, ("demo_set",), lambda _benchmarks: Scores(dict(metrics)))


def _gate(tmp_path: Path, suites: list[Suite], *args: str,
          floors: dict[str, float] | None = None) -> tuple[int, dict]:
    """Run the gate's main on a benchmarks folder holding `demo_set`; the baseline after."""
    (tmp_path / "benchmarks" / "demo_set").mkdir(parents=True, exist_ok=True)
    baseline = tmp_path / "baseline.json"
    if floors is not None:
        baseline.write_text(json.dumps({"floors": floors}))
    code = eval_gate.main(["--shared", str(tmp_path), *args], suites=suites,
                          baseline_path=baseline, results_path=tmp_path / "results.jsonl")
    after = json.loads(baseline.read_text()) if baseline.exists() else {}
    return code, after


def test_gate_judge_compares_each_score_with_its_floor():
    scores = {"a.x": 0.80, "a.y": 0.7999, "a.z": 0.5, "b.w": 0.1}
    floors = {"a.x": 0.80, "a.y": 0.80, "a.gone": 0.3, "b.v": 0.2}
    v = judge(scores, floors, ["a", "b"])
    assert v.fell == ["a.y"]  # equal to the floor passes, just under it falls
    assert v.no_floor == ["a.z", "b.w"]
    assert v.not_run == ["a.gone", "b.v"]
    # A suite that did not run (--only) leaves its floors alone.
    assert judge({"a.x": 0.9, "a.y": 0.9}, floors, ["a"]).not_run == ["a.gone"]


def test_gate_exit_codes_and_fell_lines(tmp_path, capsys):
    suite = _suite({"f1": 0.90, "recall": 0.70})
    code, _ = _gate(tmp_path, [suite], floors={"demo.f1": 0.85, "demo.recall": 0.65})
    assert code == 0
    assert "0 of 2 metrics fell" in capsys.readouterr().out

    code, _ = _gate(tmp_path, [suite], floors={"demo.f1": 0.95, "demo.recall": 0.65})
    out = capsys.readouterr().out
    assert code == 1
    assert "FELL demo.f1: score 0.9000 < floor 0.9500" in out
    assert "1 of 2 metrics fell" in out

    # A metric with no floor, or a floor with no metric: the gate cannot judge.
    code, _ = _gate(tmp_path, [suite], floors={"demo.f1": 0.85})
    assert code == 2
    assert "CANNOT JUDGE demo.recall" in capsys.readouterr().out
    code, _ = _gate(tmp_path, [suite], floors={"demo.f1": 0.85, "demo.recall": 0.6,
                                               "demo.precision": 0.5})
    assert code == 2
    assert "CANNOT JUDGE demo.precision" in capsys.readouterr().out


def test_gate_missing_benchmark_cannot_judge_and_runs_nothing(tmp_path, capsys):
    ran = []
    suite = Suite("demo", ("demo_set", "not_here/gold.jsonl"),
                  lambda b: ran.append(b) or Scores({"f1": 1.0}))
    code, _ = _gate(tmp_path, [suite], floors={"demo.f1": 0.5})
    assert code == 2
    assert not ran
    assert f"benchmark missing: {tmp_path / 'benchmarks' / 'not_here/gold.jsonl'}" in \
        capsys.readouterr().out


def test_gate_without_readable_floors_cannot_judge(tmp_path, capsys):
    ran = []
    suite = Suite("demo", ("demo_set",), lambda b: ran.append(b) or Scores({"f1": 1.0}))
    assert _gate(tmp_path, [suite])[0] == 2
    assert f"cannot read the floors in {tmp_path / 'baseline.json'}" in capsys.readouterr().out
    (tmp_path / "baseline.json").write_text('{"floors": ')
    assert eval_gate.main(["--shared", str(tmp_path)], suites=[suite],
                          baseline_path=tmp_path / "baseline.json") == 2
    assert not ran
    # --update creates a missing baseline.
    (tmp_path / "baseline.json").unlink()
    assert _gate(tmp_path, [suite], "--update")[0] == 0
    assert json.loads((tmp_path / "baseline.json").read_text())["floors"] == {"demo.f1": 0.995}


def test_gate_update_raises_floors_and_refuses_to_lower_them(tmp_path, capsys):
    floors = {"demo.f1": 0.80, "demo.recall": 0.60}
    # recall rose: its floor follows (score - tolerance); f1 dipped within its margin: kept.
    code, after = _gate(tmp_path, [_suite({"f1": 0.802, "recall": 0.70})], "--update",
                        floors=floors)
    assert code == 0
    assert after["floors"] == {"demo.f1": 0.80, "demo.recall": 0.695}
    assert after["tolerance"] == eval_gate.TOLERANCE

    # f1 fell below its floor: the update is refused and the file left as it was.
    code, after = _gate(tmp_path, [_suite({"f1": 0.70, "recall": 0.90})], "--update")
    assert code == 1
    assert "REFUSED demo.f1: score 0.7000 < floor 0.8000" in capsys.readouterr().out
    assert after["floors"] == {"demo.f1": 0.80, "demo.recall": 0.695}

    code, after = _gate(tmp_path, [_suite({"f1": 0.70, "recall": 0.90})], "--update",
                        "--allow-regression")
    assert code == 0
    assert after["floors"] == {"demo.f1": 0.695, "demo.recall": 0.895}


def test_gate_new_floors_round_down_and_keep_floors_of_suites_not_run():
    floors, refused = new_floors({"a.x": 0.91237}, {"b.y": 0.5}, allow_regression=False)
    assert floors == {"a.x": 0.9073, "b.y": 0.5}
    assert not refused


def test_gate_record_appends_scores_with_date_and_commit(tmp_path):
    suite = _suite({"f1": 0.9})
    for _ in range(2):
        _gate(tmp_path, [suite], "--record", floors={"demo.f1": 0.5})
    rows = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    assert rows[0]["scores"] == {"demo.f1": 0.9}
    assert rows[0]["date"][:2] == "20" and rows[0]["commit"]


def test_gate_every_suite_names_benchmarks_and_unique_names():
    names = [s.name for s in eval_gate.SUITES]
    assert len(set(names)) == len(names)
    assert {"extraction", "places", "typing", "quotes", "stories"} <= set(names)
    assert all(s.needs for s in eval_gate.SUITES)


def _drop_every_other_paragraph(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdesk.ingest import readers

    clean = readers.clean_text

    def broken(text: str):
        cleaned = clean(text)
        kept = cleaned.text.split("\n\n")[::2]
        return dataclasses.replace(cleaned, text="\n\n".join(kept))

    monkeypatch.setattr(readers, "clean_text", broken)


def test_gate_fails_a_broken_extractor_on_a_tiny_subset(tmp_path, benchmarks_dir, monkeypatch,
                                                         capsys):
    """Floors pinned from the real extractor on 4 benchmark pages; an extractor that drops
    every other paragraph then falls below them."""
    source = benchmarks_dir / "article_extraction_benchmark"
    subset = tmp_path / "benchmarks" / "article_extraction_benchmark"
    (subset / "html").mkdir(parents=True)
    truth = json.loads((source / "ground-truth.json").read_text("utf-8"))
    pages = sorted((source / "html").glob("*.html.gz"))[:4]
    keys = [p.name.split(".")[0] for p in pages]
    for page in pages:
        (subset / "html" / page.name).write_bytes(page.read_bytes())
    (subset / "ground-truth.json").write_text(json.dumps({k: truth[k] for k in keys}))
    baseline = tmp_path / "baseline.json"

    def gate(*args: str) -> int:
        return eval_gate.main(["--shared", str(tmp_path), "--only", "extraction", *args],
                              baseline_path=baseline, results_path=tmp_path / "r.jsonl")

    assert gate("--update") == 0
    assert gate() == 0
    capsys.readouterr()
    _drop_every_other_paragraph(monkeypatch)
    assert gate() == 1
    out = capsys.readouterr().out
    assert "FELL extraction.recall: score" in out
    assert "FELL extraction.f1: score" in out
