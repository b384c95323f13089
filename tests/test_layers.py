"""The modules of both languages import one way only: no import cycles.

Rust (src/): the top-level modules, from the `use crate::…` paths of their non-test code, must
form layers (syntax and model in `scanner`, `diagnostic` below `rules`, the scan driver `scan`
above the rules, `render`/`toolbox`/`bindings` on top). Python (python/pytest_mrt): every
relative import, lazy ones inside functions included.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = ROOT / "python" / "pytest_mrt"

# Test-only files may reach any layer (they drive the whole scan); so may the test module at
# the end of a file.
_TEST_FILES = {"tests.rs", "guard_tests.rs", "fuzz.rs"}
_TEST_MODULE = re.compile(r"^#\[cfg\(test\)\]\s*\nmod tests\b", re.M)
_CRATE_PATH = re.compile(r"\bcrate::(\{[^}]*\}|\w+)")


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _code_lines(text: str) -> Iterable[str]:
    """The lines of a Rust file that are code: comments and its test module left out."""
    test_module = _TEST_MODULE.search(text)
    if test_module:
        text = text[: test_module.start()]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            yield line


def rust_module_graph() -> dict[str, set[str]]:
    """Top-level module → the top-level modules its non-test code names through `crate::`."""
    modules = {p.stem if p.is_file() else p.name for p in SRC.iterdir()} - {"lib", "snapshots"}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for path in SRC.rglob("*.rs"):
        if path.name in _TEST_FILES:
            continue
        top = path.relative_to(SRC).parts[0].removesuffix(".rs")
        if top not in modules:
            continue
        for line in _code_lines(path.read_text(encoding="utf-8")):
            for match in _CRATE_PATH.finditer(line):
                names = re.findall(r"\w+", match.group(1))
                edges[top] |= {n for n in names if n in modules and n != top}
    return edges


def python_module_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (anywhere in it)."""
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {"_core"}
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module.split(".")[0])
                else:
                    imported |= {a.name for a in node.names if a.name in modules}
        imported.discard(path.stem)
        edges[path.stem] = imported
    return edges


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(edges) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_the_rust_graph_sees_the_known_edges() -> None:
    edges = rust_module_graph()
    assert "diagnostic" in edges["rules"]
    assert "scanner" in edges["rules"]
    assert "rules" in edges["scan"]
    assert "error" not in edges["diagnostic"]


def test_rust_modules_have_no_import_cycle() -> None:
    assert find_cycles(rust_module_graph()) == []


def test_python_modules_have_no_import_cycle() -> None:
    edges = python_module_graph()
    assert "runner" in edges["dynamic"]  # the graph sees imports
    assert find_cycles(edges) == []
