"""The PR workflow: the checks the terraform issue asks for, and no secrets where forks run."""

import re
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


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_beside() -> None:
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", WORKFLOW.read_text(), re.M)
    assert len(uses) >= 10
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{action}: no `# vX.Y.Z` beside it"


def test_the_aws_plan_waits_for_review_in_an_environment_its_role_alone_trusts() -> None:
    """Required reviewers live on the environment; the documented trust names its OIDC subject."""
    text = WORKFLOW.read_text()
    plan = yaml.safe_load(text)["jobs"]["plan"]
    environment = plan["environment"]
    assert isinstance(environment, str) and environment
    assert f'"token.actions.githubusercontent.com:sub": "repo:OWNER/REPO:environment:{environment}"' in text
    assert '"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"' in text
    assert "required reviewers" in text and "read-only" in text
    assert "--no-lock" in _runs(plan)  # the read-only role cannot write the state's lock
    checkout = next(step for step in plan["steps"] if "actions/checkout" in str(step.get("uses")))
    assert checkout["with"]["persist-credentials"] is False
    setup = next(step for step in plan["steps"] if "hashicorp/setup-terraform" in str(step.get("uses")))
    assert setup["with"]["terraform_wrapper"] is False  # the release itself on PATH (--target aws needs it)


def test_a_public_repository_gets_a_summary_not_the_plan() -> None:
    plan = yaml.safe_load(WORKFLOW.read_text())["jobs"]["plan"]
    assert plan["env"]["PUBLIC_REPOSITORY"] == "${{ github.event.repository.private == false }}"
    runs = _runs(plan)
    assert "--summary plan-summary.md" in runs
    public_branch = runs.split('if [ "$PUBLIC_REPOSITORY" = true ]; then', 1)[1].split("else", 1)[0]
    assert "tee" not in public_branch and ">plan.txt" in public_branch  # the public log holds no plan text
    script = next(step for step in plan["steps"] if "github-script" in str(step.get("uses")))["with"]["script"]
    public_comment = script.split("if (process.env.PUBLIC_REPOSITORY === 'true') {", 1)[1].split("} else {", 1)[0]
    assert "plan-summary.md" in public_comment and "plan.txt" not in public_comment
