"""The package layout: what docs/ARCHITECTURE.md names exists, and imports run one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "newsdesk"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Every newsdesk module this file imports, lazy imports inside functions included."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name != "newsdesk":
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "data" not in p.parts}
    known = set(files)
    return {mod: _imports(path, mod, known) for mod, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # A package's __init__ importing its own submodules is how packages re-export.
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_layout_architecture_names_only_modules_that_exist():
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text("utf-8")
    named = set(re.findall(r"`(newsdesk/[\w/]+\.py)`", doc))
    assert len(named) > 20
    missing = sorted(p for p in named if not (REPO / p).is_file())
    assert not missing, f"docs/ARCHITECTURE.md names modules that do not exist: {missing}"


def test_layout_every_stage_is_a_subpackage():
    for stage in ("ingest", "analyse", "link", "publish", "store", "executors", "web", "watch"):
        assert (PACKAGE / stage / "__init__.py").is_file(), stage


def test_layout_tests_mirror_the_package():
    """Each subpackage has its tests in the folder of the same name, and no test of a
    subpackage is left at the top (those are for the modules beside them)."""
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    tests = REPO / "tests"
    for name in subpackages:
        assert list((tests / name).glob("test_*.py")), f"tests/{name}/ has no tests"
    top = {p.stem.removeprefix("test_") for p in tests.glob("test_*.py")}
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {"layout", "eval_gate"}
    assert top <= modules, f"top-level tests of no top-level module: {sorted(top - modules)}"


def test_layout_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_layout_cycle_finder_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_layout_stages_do_not_import_later_stages():
    order = ["ingest", "analyse", "link", "publish"]
    later_than = {stage: set(order[i + 1 :]) for i, stage in enumerate(order)}
    wrong = []
    for mod, deps in _graph().items():
        parts = mod.split(".")
        if len(parts) < 2 or parts[1] not in later_than:
            continue
        for dep in deps:
            dparts = dep.split(".")
            if len(dparts) > 1 and dparts[1] in later_than[parts[1]]:
                wrong.append(f"{mod} -> {dep}")
    assert not wrong, wrong
