"""The operator package's layout is its architecture: commands -> library / twin / demo / bench,
with no way back up and no cycles. Read from the source, so a lazy import inside a function counts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "bootstrap"
PACKAGE = ROOT / "offload"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every module this file imports, at any depth: `from a import b` is a.b when that is a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _reaches(start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        for target in GRAPH.get(current, ()):
            if target == goal:
                return True
            if target in GRAPH and target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def test_no_import_cycles() -> None:
    cycles = sorted(name for name in GRAPH if _reaches(name, name))
    assert cycles == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("offload.lib", ("click", "offload.commands", "offload.demo", "offload.bench")),
        ("offload.twin", ("click", "offload.commands", "offload.lib", "offload.demo", "offload.bench")),
        ("offload.demo", ("click", "offload.commands", "offload.bench")),
        ("offload.bench", ("click", "offload.commands")),
        ("offload.samples", ("click", "offload.commands", "offload.lib", "offload.twin")),
    ],
)
def test_layers_only_import_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name == layer or name.startswith(layer + ".")
        for target in targets
        if any(target == f or target.startswith(f + ".") for f in forbidden)
    )
    assert wrong == []


def test_commands_hold_only_click_wiring() -> None:
    """No boto3 client calls or Terraform runs in commands/: they call the library."""
    for path in (PACKAGE / "commands").glob("*.py"):
        text = path.read_text()
        assert "subprocess" not in text and "python_terraform" not in text, path.name


def test_no_python_file_over_250_lines() -> None:
    long = sorted(
        f"{p.relative_to(ROOT)} ({n})" for p in ROOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > 250
    )
    assert long == []


def test_python_dash_m_offload_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "offload", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "rerun" in done.stdout and "Operate offload" in done.stdout
