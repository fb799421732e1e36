"""The package imports downward only: no import cycle, no reach into another package's private module.

The graph is read with ``ast`` (no module is imported): module-level imports and the lazy
imports inside functions count; ``if TYPE_CHECKING:`` blocks do not.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import neurocompare

ROOT = Path(neurocompare.__file__).parent

#: Edges other branches remove (importer -> imported); each must still exist, so the list only shrinks.
PENDING: set[tuple[str, str]] = set()  # empty: every known cycle and private import is gone


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package at ``root``."""
    out = {}
    for f in sorted(root.rglob("*.py")):
        parts = list(f.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative imports resolved)."""
    files = module_files(root)
    top = root.name
    graph = {}
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        edges = set()
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for t in targets:
                if t != top and not t.startswith(top + "."):
                    continue
                while t not in files:  # `import a.b.name` -> the longest prefix that is a module
                    t = t.rpartition(".")[0]
                if t != name:
                    edges.add(t)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a list of modules, first repeated last) per strongly connected component with a cycle."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []

    def connect(v):  # Tarjan, iteratively
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        comps.append(set(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_cycle_in(graph, comp) for comp in comps]


def _cycle_in(graph, comp: set[str]) -> list[str]:
    """A shortest cycle through the first module of a strongly connected component."""
    start = min(comp)
    paths, seen = [[start]], {start}
    while paths:
        nxt = []
        for p in paths:
            for w in sorted(graph[p[-1]] & comp):
                if w == start:
                    return p + [start]
                if w not in seen:
                    seen.add(w)
                    nxt.append(p + [w])
        paths = nxt
    raise AssertionError(f"no cycle in the component {sorted(comp)}")


def private_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) where ``imported`` is a private module of a package the importer is not in."""
    bad = set()
    for importer, targets in graph.items():
        for t in targets:
            parts = t.split(".")
            for i, part in enumerate(parts):
                if part.startswith("_"):
                    owner = ".".join(parts[:i])
                    if not (importer == owner or importer.startswith(owner + ".")):
                        bad.add((importer, t))
                    break
    return bad


def _without(graph, edges):
    return {k: {t for t in v if (k, t) not in edges} for k, v in graph.items()}


def test_no_import_cycle():
    cycles = find_cycles(_without(import_graph(ROOT), PENDING))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_import_of_another_package_private_module():
    bad = private_imports(import_graph(ROOT)) - PENDING
    assert not bad, "private imports (importer -> imported):\n" + "\n".join(f"{a} -> {b}" for a, b in sorted(bad))


#: the bottom layers, lowest first: each imports only from itself and the layers before it
BOTTOM_LAYERS = ("_utils", "_version", "stimuli", "models")


def test_bottom_layers_import_downward_only():
    top = ROOT.name
    rank = {name: i for i, name in enumerate(BOTTOM_LAYERS)}
    bad = []
    for importer, targets in import_graph(ROOT).items():
        layer = importer.split(".")[1] if "." in importer else None
        if layer not in rank:
            continue
        for t in targets:
            below = t.split(".")[1] if t != top else None
            if below not in rank or rank[below] > rank[layer]:
                bad.append(f"{importer} -> {t}")
    assert not bad, "upward imports from the bottom layers:\n" + "\n".join(sorted(bad))


def test_pending_edges_still_exist():
    graph = import_graph(ROOT)
    gone = sorted((a, b) for a, b in PENDING if b not in graph.get(a, ()))
    assert not gone, f"remove these edges from PENDING, they are gone: {gone}"


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return root / "fakepkg"


def test_checker_finds_a_cycle(tmp_path):
    pkg = _write(tmp_path, {
        "fakepkg/__init__.py": "",
        "fakepkg/a.py": "from . import b\n",
        "fakepkg/b.py": "def f():\n    from .sub import c\n",  # lazy import counts
        "fakepkg/sub/__init__.py": "",
        "fakepkg/sub/c.py": "import fakepkg.a\n",
        "fakepkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
    })
    graph = import_graph(pkg)
    assert graph["fakepkg.a"] == {"fakepkg.b"}
    assert graph["fakepkg.b"] == {"fakepkg.sub.c"}
    assert graph["fakepkg.d"] == set()
    assert find_cycles(graph) == [["fakepkg.a", "fakepkg.b", "fakepkg.sub.c", "fakepkg.a"]]
    with pytest.raises(AssertionError, match="fakepkg.a -> fakepkg.b"):
        cycles = find_cycles(graph)
        assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_checker_finds_a_private_import(tmp_path):
    pkg = _write(tmp_path, {
        "fakepkg/__init__.py": "from ._util import x\n",  # the top package's own private module: fine
        "fakepkg/_util.py": "x = 1\n",
        "fakepkg/models/__init__.py": "from ._zoo import load\n",
        "fakepkg/models/_zoo.py": "from .._util import x\n\ndef load():\n    pass\n",
        "fakepkg/models/sub.py": "from ._zoo import load\n",  # inside models: fine
        "fakepkg/extraction.py": "def f():\n    from .models._zoo import load\n",
    })
    graph = import_graph(pkg)
    assert private_imports(graph) == {("fakepkg.extraction", "fakepkg.models._zoo")}
    assert find_cycles(graph) == []
