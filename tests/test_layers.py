"""The house holds its shape: packages import only from lower layers, no module of `jobs/` is in
an import circle, every sub-package says in its docstring what it holds, and `jobs/` itself keeps
at most a dozen modules."""

from __future__ import annotations

import ast
from pathlib import Path

JOBS = Path(__file__).resolve().parent.parent / "jobs"

# Bottom to top. A package may import from its own layer's other packages only where listed.
LAYERS = [
    {"lib", "drs", "hints"},
    {"simulator", "tenants"},
    {"accounts", "upstream"},
    {"mirror"},
    {"notify"},
    {"sync", "job_page", "fleet", "chains", "actions"},
    {"web", "metrics", "api"},
    {"views", "templatetags", "management", "tasks"},
    {"urls", "apps", "models"},
]
LAYER = {unit: n for n, units in enumerate(LAYERS) for unit in units}


def _modules() -> dict[str, Path]:
    found = {}
    for path in JOBS.rglob("*.py"):
        parts = path.relative_to(JOBS.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of `jobs` that this file imports, anywhere in it (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name in modules}


def _unit(module: str) -> str:
    return module.split(".")[1] if module.count(".") else module


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_every_package_of_jobs_has_a_layer() -> None:
    units = {_unit(m) for m in _modules() if m != "jobs"}
    assert units - set(LAYER) == set()


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module != "jobs"
        for target in targets
        if target != "jobs" and LAYER[_unit(target)] > LAYER[_unit(module)]
    ]
    assert upward == []


def test_no_import_circle_between_modules() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert circles == []


def test_every_sub_package_has_a_one_line_docstring() -> None:
    missing = []
    for init in JOBS.glob("*/__init__.py"):
        if init.parent.name in ("migrations",):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text()))
        if not doc or "\n" in doc.strip():
            missing.append(init.parent.name)
    assert missing == []


def test_jobs_keeps_at_most_a_dozen_modules_at_its_top() -> None:
    assert len(list(JOBS.glob("*.py"))) <= 12
