"""The import contract, read from the source with ``ast``: ``propflow`` imports no app, no app
imports the WebSocket consumers, and the modules of one app import each other without a cycle.

Imports inside function bodies are where tasks import services (so that the modules do not
import each other at load time): the cycle check leaves them out, the other two count them.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "properties", "photos", "outbox")
CONSUMERS = "propflow.realtime.consumers"


@dataclass(frozen=True)
class Module:
    name: str
    package: str  # where its relative imports start: itself for an __init__, else its parent
    tree: ast.Module


@cache
def modules(package: str) -> tuple[Module, ...]:
    """Every module of a first-party package, parsed."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            name = parent = ".".join(parts[:-1])
        else:
            name, parent = ".".join(parts), ".".join(parts[:-1])
        found.append(Module(name, parent, ast.parse(path.read_text(), filename=str(path))))
    return tuple(found)


@cache
def first_party() -> frozenset[str]:
    return frozenset(module.name for package in ("propflow", *APPS) for module in modules(package))


def imported(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names, once each: for ``from x import y``, ``x.y`` when
    that is a first-party module, else ``x``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.package.split(".")
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join([*parts, base] if base else parts)
    submodules = (f"{base}.{alias.name}" for alias in node.names)
    return list(dict.fromkeys(name if name in first_party() else base for name in submodules))


def is_within(target: str, package: str) -> bool:
    return target == package or target.startswith(f"{package}.")


def offending_imports(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """Each import, anywhere in the package (in functions and TYPE_CHECKING blocks too), of a
    module within one of the forbidden ones, as "module imports target (line n)"."""
    return [
        f"{module.name} imports {target} (line {node.lineno})"
        for module in modules(package)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for target in imported(module, node)
        if any(is_within(target, name) for name in forbidden)
    ]


def load_time_imports(module: Module) -> Iterator[str]:
    """The modules imported when the module loads: everywhere but inside function bodies."""
    pending: list[ast.AST] = [module.tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from imported(module, node)
        pending.extend(ast.iter_child_nodes(node))


def import_graph(app: str) -> dict[str, set[str]]:
    """Each module of the app and the modules of the same app it imports at load time."""
    names = {module.name for module in modules(app)}
    return {
        module.name: {
            target
            for target in load_time_imports(module)
            if target in names and target != module.name
        }
        for module in modules(app)
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per edge back to a module still being visited, as the path that closes it."""
    found: list[list[str]] = []
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> None:
        path.append(module)
        for target in sorted(graph[module]):
            if target in path:
                found.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return found


def test_propflow_imports_no_app() -> None:
    assert {"propflow.settings", "propflow.realtime.auth", "propflow.realtime.broadcast"} <= (
        first_party()
    )

    offending = offending_imports("propflow", APPS)

    assert offending == [], "propflow must import no app:\n" + "\n".join(offending)


def test_no_app_imports_the_consumers() -> None:
    offending = [line for app in APPS for line in offending_imports(app, (CONSUMERS,))]

    assert offending == [], f"apps must not import {CONSUMERS}:\n" + "\n".join(offending)


@pytest.mark.parametrize("app", APPS)
def test_the_modules_of_an_app_import_each_other_without_a_cycle(app: str) -> None:
    graph = import_graph(app)
    assert f"{app}.models" in graph[f"{app}.selectors"]

    found = cycles(graph)

    assert found == [], f"import cycles in {app}:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_event_log_imports_no_other_app() -> None:
    """The apps write to the log (``outbox.services.event_record``); it names none of them, so
    that every app may, and the webhooks read it without knowing what the events are about."""
    others = tuple(app for app in APPS if app != "outbox")

    offending = offending_imports("outbox", others)

    assert offending == [], "outbox must import no other app:\n" + "\n".join(offending)
