"""The worker reads as its stages (settings -> source -> format reader -> compiled encoder -> batch
writer -> results) with no import cycle among its modules, lazy imports included (the schema
package counts as one module: its insides are its own)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "worker"
PACKAGE = ROOT / "offload_worker"
SCHEMA = "offload_worker.schema"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return SCHEMA if name.startswith(SCHEMA + ".") else name


MODULES = {_module(p) for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                     for a in node.names]
        found.update(SCHEMA if n.startswith(SCHEMA + ".") else n for n in names)
    return found & MODULES


GRAPH: dict[str, set[str]] = {}
for _path in PACKAGE.rglob("*.py"):
    GRAPH.setdefault(_module(_path), set()).update(_imports(_path) - {_module(_path)})


def _reaches(start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        for target in GRAPH.get(todo.pop(), ()):
            if target == goal:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def test_no_import_cycles_in_the_worker() -> None:
    assert sorted(name for name in GRAPH if _reaches(name, name)) == []


def test_load_processes_get_their_clients_without_the_entry_point() -> None:
    assert not _reaches("offload_worker.parallel", "offload_worker.cli")
