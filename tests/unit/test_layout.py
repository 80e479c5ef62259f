"""The shape of src/coursehost: no import cycle between its modules, and no import inside a function
except the few lazy imports of heavy optional modules listed here with their reason (house rule:
imports at module top, so every dependency is visible and import-linter sees it)."""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import grimp

import coursehost

SRC = Path(coursehost.__file__).resolve().parent

# (importing module, imported module) -> why the import waits until it is needed.
LAZY_IMPORTS_ALLOWED = {
    ("coursehost.storage", "coursehost.storage.s3"): "S3BlobStore on first use: boto3 is heavy and only s3:// needs it",
    ("coursehost.storage.factory", "coursehost.storage.s3"): "boto3 is loaded only when the storage URL is s3://",
    # Every CLI command but serve and worker (db, user, mail, reports, lti ...) runs without the web stack:
    # importing it costs each such process about a second of CPU (many run in the test suite).
    ("coursehost.cli.main", "coursehost.app"): "the web app only for serve and worker",
    ("coursehost.cli.main", "coursehost.cli.serving"): "uvicorn only for serve",
    ("coursehost.cli.main", "coursehost.cli.supervisor"): "the pre-fork supervisor only for serve",
    ("coursehost.cli.main", "coursehost.jobs.worker"): "the job worker only for worker",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_coursehost_module(name: str) -> bool:
    path = SRC.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The absolute module names one import statement names (relative imports resolved; `from pkg
    import sub` names pkg.sub when sub is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    submodules = [f"{source}.{alias.name}" for alias in node.names]
    if all(_is_coursehost_module(name) for name in submodules):
        return submodules
    return [source]


def function_local_imports() -> list[tuple[str, int, str]]:
    """(module, line, imported module) for every import statement inside a function in src/coursehost."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        stack = [(child, False) for child in ast.iter_child_nodes(tree)]
        while stack:
            node, in_function = stack.pop()
            if in_function and isinstance(node, (ast.Import, ast.ImportFrom)):
                for name in _imported(node, module, path.name == "__init__.py"):
                    found.append((module, node.lineno, name))
            inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            stack.extend((child, inside) for child in ast.iter_child_nodes(node))
    return sorted(found)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def _shortest_cycle(graph: dict[str, set[str]], start: str, members: set[str]) -> list[str]:
    """START -> ... -> START by the fewest imports, inside one strongly connected group."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & members):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return [start, start]


def import_cycles() -> list[list[str]]:
    """One shortest cycle per group of coursehost modules that import each other (any import, anywhere
    in the module, TYPE_CHECKING blocks aside)."""
    imports = grimp.build_graph("coursehost", exclude_type_checking_imports=True, cache_dir=None)
    graph = {m: set(imports.find_modules_directly_imported_by(m)) for m in imports.modules}
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) > 1 or group[0] in graph[group[0]]:
            cycles.append(_shortest_cycle(graph, group[0], set(group)))
    return cycles


def _unit(module: str) -> str:
    """The package a module belongs to for the package-level check: coursehost.domain.X, else coursehost.X."""
    parts = module.split(".")
    return ".".join(parts[:3] if parts[1:2] == ["domain"] and len(parts) > 2 else parts[:2])


def package_cycles() -> list[list[str]]:
    """One shortest cycle per group of packages (the domain's packages, and each top-level package
    such as api or player) whose modules import each other's, as import-linter's layers see them."""
    imports = grimp.build_graph("coursehost", exclude_type_checking_imports=True, cache_dir=None)
    graph: dict[str, set[str]] = {}
    for module in imports.modules:
        graph.setdefault(_unit(module), set()).update(
            _unit(m) for m in imports.find_modules_directly_imported_by(module) if _unit(m) != _unit(module))
    return [_shortest_cycle(graph, group[0], set(group)) for group in _strongly_connected(graph) if len(group) > 1]


def test_no_import_cycle_between_coursehost_packages():
    cycles = package_cycles()
    assert not cycles, f"{len(cycles)} package import cycle(s):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_import_cycle_between_coursehost_modules():
    cycles = import_cycles()
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_function_local_import_outside_the_allow_list():
    extra = [(m, line, name) for m, line, name in function_local_imports() if (m, name) not in LAZY_IMPORTS_ALLOWED]
    assert not extra, f"{len(extra)} import(s) inside functions; move them to the module top:\n" + "\n".join(
        f"  {m}:{line} imports {name}" for m, line, name in extra)


def test_every_allowed_lazy_import_still_exists():
    """An allow-list entry whose import is gone is removed, so the list stays the truth."""
    present = {(m, name) for m, _line, name in function_local_imports()}
    assert set(LAZY_IMPORTS_ALLOWED) <= present, sorted(set(LAZY_IMPORTS_ALLOWED) - present)
