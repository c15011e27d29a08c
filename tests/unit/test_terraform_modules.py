"""`terraform test` for every module (offline, aws provider mocked): validations, EXTERNAL task
definition with awslogs, no wildcard actions, activation limits from variables, the dashboard."""

from __future__ import annotations

import re

import pytest
from offload.lib.paths import terraform_dir
from offload.lib.terraform import module_tests, targets

from tests.figures import say


def test_every_module_has_native_tests() -> None:
    assert module_tests.modules() == ["activation", "alarms", "cluster", "dashboard", "dispatch", "storage"]


@pytest.mark.parametrize("module", module_tests.modules())
def test_module(module: str) -> None:
    result = module_tests.run(module)
    assert result.code == 0, result.output
    assert "Success!" in result.output and " 0 failed" in result.output
    say(f"terraform test {module}: {result.output.strip().splitlines()[-1]} (aws provider {result.provider}, mocked)")


def test_root_module() -> None:
    """The root's own tests (terraform/*.tftest.hcl): what it makes of `schemas` for the modules."""
    result = module_tests.run(module_tests.ROOT)
    if result.provider == "3.39.0" and result.output.startswith("no test"):
        pytest.skip(result.output)
    assert result.code == 0, result.output
    assert "Success!" in result.output and " 0 failed" in result.output
    say(f"terraform test (root): {result.output.strip().splitlines()[-1]} (aws provider {result.provider}, mocked)")


def _aws_constraint(versions_tf: str) -> str:
    found = re.findall(r'^\s*version\s*=\s*"([^"]+)"', versions_tf, flags=re.MULTILINE)
    assert len(found) == 1, versions_tf
    return found[0]


def test_aws_provider_is_bounded_below_7_and_the_twin_copy_takes_3_39() -> None:
    """Real deployments get 5.x or 6.x, never an untested 7.x; the twin's copy keeps its 3.39."""
    root = terraform_dir() / "versions.tf"
    assert _aws_constraint(root.read_text()) == ">= 5.0, < 7.0"
    for versions in sorted((terraform_dir() / "modules").glob("*/versions.tf")):
        text = versions.read_text()
        assert _aws_constraint(text) == ">= 5.0, < 7.0", versions
        assert _aws_constraint(targets.strip_twin_omissions(text)) == ">= 3.39, < 7.0", versions
        assert _aws_constraint(targets.strip_twin_omissions(text, twin_provider=False)) == ">= 5.0, < 7.0"


def test_no_attribute_that_provider_6_deprecates() -> None:
    """data.aws_region's `name` is deprecated in 6.x; `id` is the region's name from 3.39 to 6.x."""
    deprecated = re.compile(r"data\.aws_region\.\w+\.name\b")
    found = [
        f"{p.relative_to(terraform_dir())}: {line.strip()}"
        for p in sorted(terraform_dir().rglob("*.tf"))
        if ".terraform" not in p.parts
        for line in p.read_text().splitlines()
        if deprecated.search(line)
    ]
    assert found == []
