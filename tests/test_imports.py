"""The library's import graph: no circles, and nothing below the book's layer imports it.

Every import counts, those inside functions too (a late import hides a circle, it does not
remove it). The book's layer is the run list and what reads it (jobs, scorecard, pages, the
command line, ...); the science and reproducibility layers below it (strategies, search loop,
spaces, experiments, reports, store) take what they need from it as arguments.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "advnas"
BOOK_LAYER = {"advnas.runlist", "advnas.jobs", "advnas.scorecard", "advnas.claims",
              "advnas.notebook", "advnas.runner", "advnas.cli", "advnas.offline_book",
              "advnas.budget", "advnas.paper_cost", "advnas.__main__"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # a module importing its own package's __init__ is not an edge of the graph
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_every_module_with_late_imports_counted():
    graph = _graph()
    assert "advnas.scorecard" in graph and "advnas.runlist" in graph["advnas.scorecard"]  # a late import
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles():
    assert _circles(_graph()) == []


def test_nothing_below_the_book_layer_imports_it():
    upward = [f"{name} -> {target}" for name, targets in _graph().items() if name not in BOOK_LAYER
              for target in targets if target in BOOK_LAYER]
    assert upward == []
    assert BOOK_LAYER <= set(_graph())  # the layer names real modules
