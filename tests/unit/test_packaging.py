"""The wheels the worker image and the Lambda zip are built from hold every sub-package."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize("project, top", [("worker", "offload_worker"), ("lambda", "offload_dispatch"),
                                          ("contract", "offload_contract")])
def test_listed_packages_are_every_package_in_the_tree(project: str, top: str) -> None:
    listed = tomllib.loads((REPO / project / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = sorted(".".join(p.parent.relative_to(REPO / project).parts) for p in (REPO / project / top).rglob(
        "__init__.py"))
    assert sorted(listed) == found
