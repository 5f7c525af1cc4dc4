"""The layout the README promises: short functions and files, a few top-level modules, no import cycles in include/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

INCLUDE = Path(__file__).resolve().parents[1] / "include"
MODULES = sorted(p for p in INCLUDE.rglob("*.py"))
MAX_FUNCTION_LINES, MAX_FILE_LINES, MAX_TOP_LEVEL_MODULES = 80, 600, 6


def module_name(path: Path) -> str:
    parts = list(path.relative_to(INCLUDE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Modules of include/ this module imports (function-level imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("include"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
    return found & known


def test_at_most_six_top_level_modules():
    top = [p.name for p in INCLUDE.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(INCLUDE)))
def test_files_and_functions_are_short(path: Path):
    lines = path.read_text().splitlines()
    assert len(lines) <= MAX_FILE_LINES
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{node.name} is {length} lines"


def test_no_import_cycles_between_modules():
    names = {module_name(p): p for p in MODULES}
    graph = {name: imports_of(path, set(names)) - {name} for name, path in names.items()}
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(target) :], target]))
            if target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
