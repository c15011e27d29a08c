"""`pip install ./bootstrap` alone must give a working `offload`: its pyproject declares every
distribution the CLI's modules import when it starts (module-level imports of what `offload.commands` loads)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

from tests.conftest import REPO

# Runs in a fresh interpreter, so that sys.modules holds what starting the CLI imports and nothing else.
_PROBE = """
import ast, json, sys
from importlib.metadata import packages_distributions
import offload.commands
dists = packages_distributions()
needed = {}
for name, module in list(sys.modules.items()):
    if name.split(".")[0] != "offload" or not getattr(module, "__file__", None):
        continue
    for node in ast.parse(open(module.__file__, encoding="utf-8").read()).body:
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else [])
        for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"offload"}:
            for dist in dists.get(top, [top]):
                needed.setdefault(dist, name)
print(json.dumps(needed))
"""


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_bootstrap_declares_what_the_cli_imports_at_start() -> None:
    probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=REPO)
    needed: dict[str, str] = json.loads(probe.stdout)
    project = tomllib.loads((REPO / "bootstrap" / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    missing = {d: by for d, by in needed.items() if d.lower().replace("_", "-") not in declared}
    assert not missing, f"bootstrap/pyproject.toml does not declare (distribution: imported by) {missing}"
    assert "offload-worker" in declared  # offload validate / schema check load files through the worker's schemas
