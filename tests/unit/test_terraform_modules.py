"""`terraform test` for every module (offline, aws provider mocked): validations, EXTERNAL task
definition with awslogs, no wildcard actions, activation limits from variables, the dashboard."""

from __future__ import annotations

import pytest
from offload.lib.terraform import module_tests

from tests.figures import say


def test_every_module_has_native_tests() -> None:
    assert module_tests.modules() == ["activation", "alarms", "cluster", "dashboard", "dispatch", "storage"]


@pytest.mark.parametrize("module", module_tests.modules())
def test_module(module: str) -> None:
    result = module_tests.run(module)
    assert result.code == 0, result.output
    assert "Success!" in result.output and " 0 failed" in result.output
    say(f"terraform test {module}: {result.output.strip().splitlines()[-1]} (aws provider {result.provider}, mocked)")
