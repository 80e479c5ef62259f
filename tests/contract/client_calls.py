"""Which official client operations the contract tests call, read statically from their source: a call
counts only when its receiver is an object of the client's Api classes, i.e. an expression that is, or
is bound to, `XxxApi(...)` (cloud.XxxApi or an imported XxxApi):

- `cloud.DispatchApi(client).get_dispatch_zip(...)`, a direct call;
- `api = cloud.DispatchApi(client)` then `api.get_dispatch_zip(...)` (names bound in the same module,
  also `_, xapi = app` from a fixture returning `(app_id, cloud.XapiApi(c))`);
- `self.dispatch = cloud.DispatchApi(c)`, `App(dispatch=cloud.DispatchApi(c))` or a field annotated
  `dispatch: cloud.DispatchApi` anywhere under tests/, then `app.dispatch.get_dispatch_zip(...)`;
- `def course_api(...): return cloud.CourseApi(...)` anywhere under tests/ (or a function returning
  such a function's result), then `course_api(...).get_course(...)`, or a fixture of that name taken
  as a parameter.

A same-named method on any other object (a helper, an httpx client, a dict) does not count. The
result is (Api class, method name) pairs, so GetCourse called on a RegistrationApi does not count either."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

Classes = frozenset[str]


def _api_class(node: ast.AST) -> str | None:
    """XxxApi when NODE names a client Api class (cloud.XxxApi, XxxApi)."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    return name if name and name.endswith("Api") and name[:1].isupper() else None


def _constructed(node: ast.AST | None) -> str | None:
    """XxxApi when NODE is the expression XxxApi(...)."""
    return _api_class(node.func) if isinstance(node, ast.Call) else None


def _annotation(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "cloud.DispatchApi" as a string
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    return _api_class(node) if node is not None else None


def _returned(value: ast.AST | None, functions: dict[str, set[str]]) -> set[str]:
    if cls := _constructed(value):
        return {cls}
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):  # return course_api(...)
        return set(functions.get(value.func.id, ()))
    return set()


def api_functions(trees: Iterable[ast.AST]) -> tuple[dict[str, set[str]], dict[str, dict[int, set[str]]]]:
    """Function name -> the Api classes it returns (`return cloud.XxxApi(...)`, or the result of another
    such function), and -> {position: classes} for those returning a tuple (`return app_id, cloud.XapiApi(c)`)."""
    defs = [fn for tree in trees for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found: dict[str, set[str]] = defaultdict(set)
    tuples: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for _ in range(5):  # helpers returning helpers: a few rounds reach the fixed point
        before = sum(map(len, found.values()))
        for fn in defs:
            if (cls := _annotation(fn.returns)) is not None:
                found[fn.name].add(cls)
            for node in ast.walk(fn):
                if isinstance(node, (ast.Return, ast.Yield)):
                    found[fn.name] |= _returned(node.value, found)
                    if isinstance(node.value, ast.Tuple):
                        for i, elt in enumerate(node.value.elts):
                            tuples[fn.name][i] |= _returned(elt, found)
        if sum(map(len, found.values())) == before:
            break
    return found, tuples


def api_attributes(trees: Iterable[ast.AST]) -> dict[str, set[str]]:
    """Attribute name -> Api classes: `x.dispatch = cloud.DispatchApi(c)`, `App(dispatch=cloud.DispatchApi(c))`
    and fields annotated `dispatch: cloud.DispatchApi`, wherever under tests/ (apps built by helpers)."""
    attrs: dict[str, set[str]] = defaultdict(set)
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and (cls := _constructed(node.value)):
                attrs.update({t.attr: attrs[t.attr] | {cls} for t in node.targets if isinstance(t, ast.Attribute)})
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, (ast.Name, ast.Attribute)):
                if cls := _annotation(node.annotation) or _constructed(node.value):
                    name = node.target.id if isinstance(node.target, ast.Name) else node.target.attr
                    attrs[name].add(cls)
            elif isinstance(node, ast.keyword) and node.arg and (cls := _constructed(node.value)):
                attrs[node.arg].add(cls)
    return attrs


class _Module:
    """The Api bindings of one module: names bound to XxxApi(...) (or unpacked from a fixture's tuple)."""

    def __init__(self, tree: ast.AST, functions: dict[str, set[str]], tuples: dict[str, dict[int, set[str]]],
                 attrs: dict[str, set[str]]):
        self.functions, self.attrs = functions, attrs
        self.names: dict[str, set[str]] = defaultdict(set)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, node.value, tuples)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if cls := _annotation(node.annotation) or _constructed(node.value):
                    self.names[node.target.id].add(cls)
            elif isinstance(node, ast.arg) and (cls := _annotation(node.annotation)):
                self.names[node.arg].add(cls)

    def _bind(self, target: ast.AST, value: ast.AST, tuples) -> None:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            for t, v in zip(target.elts, value.elts, strict=False):
                self._bind(t, v, tuples)
        elif isinstance(target, ast.Tuple):  # _, xapi = app (a fixture or helper returning a tuple)
            source = value.func if isinstance(value, ast.Call) else value
            if isinstance(source, ast.Name) and source.id in tuples:
                for i, t in enumerate(target.elts):
                    if isinstance(t, ast.Name):
                        self.names[t.id] |= tuples[source.id].get(i, set())
        elif isinstance(target, ast.Name):
            self.names[target.id] |= _returned(value, self.functions)

    def classes(self, receiver: ast.AST) -> set[str]:
        """The Api classes RECEIVER may be an object of (empty: not a client Api object)."""
        if cls := _constructed(receiver):
            return {cls}
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name):
            return set(self.functions.get(receiver.func.id, ()))
        if isinstance(receiver, ast.Name):
            return self.names.get(receiver.id, set()) | set(self.functions.get(receiver.id, ()))  # or a fixture
        if isinstance(receiver, ast.Attribute):
            return set(self.attrs.get(receiver.attr, ()))
        return set()


def client_calls(sources: dict[str, str], helpers: Iterable[str] = ()) -> set[tuple[str, str]]:
    """(Api class, method) of every method call on a client Api object in SOURCES (name -> text);
    HELPERS are further sources whose functions may return Api objects (not counted as calls)."""
    trees = {name: ast.parse(text, filename=name) for name, text in sources.items()}
    everything = [*trees.values(), *(ast.parse(text) for text in helpers)]
    functions, tuples = api_functions(everything)
    attrs = api_attributes(everything)
    calls: set[tuple[str, str]] = set()
    for tree in trees.values():
        module = _Module(tree, functions, tuples, attrs)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                calls |= {(cls, node.func.attr) for cls in module.classes(node.func.value)}
    return calls


def contract_calls(contract_dir: Path, tests_dir: Path, *, skip: str = "") -> set[tuple[str, str]]:
    """client_calls of the contract test modules, with every module under TESTS_DIR as helpers."""
    sources = {p.name: p.read_text() for p in sorted(contract_dir.glob("test_*.py")) if p.name != skip}
    helpers = [p.read_text() for p in sorted(tests_dir.rglob("*.py")) if p.parent != contract_dir
               or not p.name.startswith("test_")]
    return client_calls(sources, helpers)
