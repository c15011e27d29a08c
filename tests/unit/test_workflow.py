"""The PR workflow: the checks the terraform issue asks for, and no secrets where forks run."""

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).parents[2] / ".github/workflows/terraform.yml"


def _runs(job: dict[str, object]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])  # type: ignore[attr-defined]


def test_pull_requests_get_lint_tests_twin_and_an_oidc_plan() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in flow[True]  # YAML 1.1 reads the key `on` as True
    jobs = flow["jobs"]
    assert "make lint" in _runs(jobs["lint"])
    assert "bash .ci/run" in _runs(jobs["test"]) and "make demo" in _runs(jobs["twin-demo"])
    plan = jobs["plan"]
    assert plan["permissions"]["id-token"] == "write" and "make plan" in _runs(plan)
    assert "vars.AWS_PLAN_ROLE_ARN" in plan["if"] and "head.repo.full_name" in plan["if"]
    assert "secrets." not in WORKFLOW.read_text()
    assert any("github-script" in str(step.get("uses", "")) for step in plan["steps"])
