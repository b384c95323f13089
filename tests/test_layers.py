"""The modules of both languages import one way only: no import cycles.

Rust (src/): the top-level modules, from the `use crate::…` paths of their non-test code, must
form layers (syntax and model in `scanner`, `diagnostic` below `rules`, the scan driver `scan`
above the rules, `render`/`toolbox`/`bindings` on top), and the files inside each folder must
not import each other in a circle either. Python (python/pytest_mrt): every relative import,
lazy ones inside functions and `TYPE_CHECKING` ones included (a cycle that only type checking
sees is still a type in the wrong module), and the modules a module loads by name through
`importlib.import_module` (the CLI's lazy handlers, the package's lazy attributes).
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


# Layers of the top-level Rust modules, lowest first: a module may use only modules of a lower
# layer (STYLE: syntax → model → rules → render/toolbox, `diagnostic` below the rules).
_RUST_LAYERS = [
    {"error", "diagnostic", "scanner"},  # errors, the finding, syntax and the migration model
    {"url", "config", "snapshot"},  # settings and the dynamic check's data
    {"rules", "dialects"},  # the rules over the model; the database drivers
    {"scan", "seeder"},  # the scan driver over the rules; the seeder over the drivers
    {"render", "toolbox"},  # output formats; fix and explain
    {"bindings", "fuzz"},  # the pyo3 door; the fuzz harness
]


def rust_folder_graph(folder: str) -> dict[str, set[str]]:
    """File (or sub-folder) → the others of ``src/<folder>/`` its non-test code names, through
    `super::` (in the folder's own files) or `crate::<folder>::`."""
    top = SRC / folder
    modules = {p.stem if p.is_file() else p.name for p in top.iterdir() if p.suffix == ".rs"}
    modules |= {p.name for p in top.iterdir() if p.is_dir()} - {"snapshots"}
    modules.discard("mod")
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for path in top.rglob("*.rs"):
        parts = path.relative_to(top).parts
        sub = parts[0].removesuffix(".rs")
        if path.name in _TEST_FILES or sub not in modules:
            continue
        direct = len(parts) == 1 or parts[1:] == ("mod.rs",)
        prefix = rf"(?:crate::{folder}|super)" if direct else rf"crate::{folder}"
        pattern = re.compile(rf"\b{prefix}::(\{{[^}}]*\}}|\w+)")
        for line in _code_lines(path.read_text(encoding="utf-8")):
            for match in pattern.finditer(line):
                names = re.findall(r"\w+", match.group(1))
                edges[sub] |= {n for n in names if n in modules and n != sub}
    return edges


def python_module_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (anywhere in it, or by name)."""
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {"_core"}
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        imported: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        by_name = any(
            isinstance(node, ast.Attribute) and node.attr == "import_module"
            for node in ast.walk(tree)
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module.split(".")[0])
                else:
                    imported |= {a.name for a in node.names if a.name in modules}
            elif by_name and isinstance(node, ast.Constant) and node.value in modules:
                imported.add(node.value)  # a name handed to importlib.import_module
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


def test_rust_modules_use_only_lower_layers() -> None:
    edges = rust_module_graph()
    layer = {m: i for i, names in enumerate(_RUST_LAYERS) for m in names}
    assert set(layer) == set(edges), "place every top-level module in _RUST_LAYERS"
    upward = sorted((m, o) for m, used in edges.items() for o in used if layer[o] >= layer[m])
    assert upward == []


def test_the_files_of_each_rust_folder_have_no_import_cycle() -> None:
    folders = sorted(p.name for p in SRC.iterdir() if p.is_dir() and p.name != "snapshots")
    assert "outcome" in rust_folder_graph("bindings")["engine"]  # the graph sees `super::`
    found = {f: find_cycles(rust_folder_graph(f)) for f in folders}
    assert {f: c for f, c in found.items() if c} == {}


def test_python_modules_have_no_import_cycle() -> None:
    edges = python_module_graph()
    assert "runner" in edges["dynamic"]  # the graph sees imports
    assert {"fixer", "report", "scaffold"} <= edges["cli"]  # and the CLI's lazy handlers
    assert find_cycles(edges) == []
