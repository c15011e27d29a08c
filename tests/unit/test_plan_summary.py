"""`offload plan --no-lock --summary FILE` (the CI plan job): real Terraform on built-in terraform_data
resources (no provider, no AWS): no state lock taken, and a summary of counts and addresses, no values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from offload.lib.build import lambda_zip
from offload.lib.terraform import tooling
from offload.lib.terraform.runner import PLAN_CHANGES, Runner, TerraformFailed
from offload.lib.terraform.targets import Workspace

SECRET = "AbCdEf0123456789wxyz"
_BEFORE = """
resource "terraform_data" "kept" {}
resource "terraform_data" "gone" {}
resource "terraform_data" "edited" { input = "one" }
resource "terraform_data" "replaced" { triggers_replace = ["one"] }
"""
_AFTER = f"""
resource "terraform_data" "kept" {{}}
resource "terraform_data" "edited" {{ input = "{SECRET}" }}
resource "terraform_data" "replaced" {{ triggers_replace = ["two"] }}
resource "terraform_data" "added" {{ count = 2 }}
"""


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    terraform, _version = tooling.ensure_terraform()  # whichever this machine runs; "twin" below picks the same
    monkeypatch.setattr(lambda_zip, "build", lambda out=None: tmp_path / "unused.zip")  # no Lambda here
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
    (tmp_path / "main.tf").write_text(_BEFORE)
    for step in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        subprocess.run([terraform, *step], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120)
    (tmp_path / "main.tf").write_text(_AFTER)
    return Runner(Workspace("twin", tmp_path, {"TF_CLI_CONFIG_FILE": os.devnull}), quiet=True)


def test_a_summary_has_terraforms_counts_and_the_addresses_but_no_values(stack: Runner, tmp_path: Path) -> None:
    written = tmp_path / "plan-summary.md"
    assert stack.plan(lock=False, summary=written) == PLAN_CHANGES
    text = written.read_text()
    assert text.splitlines()[0] == "#### terraform plan: 3 to add, 1 to change, 2 to destroy"
    assert [line for line in text.splitlines() if line.startswith(("+", "-", "~"))] == [
        "+ terraform_data.added[0]  (add)",
        "+ terraform_data.added[1]  (add)",
        "~ terraform_data.edited  (change)",
        "- terraform_data.gone  (destroy)",
        "-/+ terraform_data.replaced  (replace)",
    ]
    assert SECRET not in text and "kept" not in text
    assert not list(tmp_path.glob("*.tfplan"))  # the saved plan (it holds the values) is gone
    assert json.loads((tmp_path / "terraform.tfstate").read_text())["serial"] > 0


def test_no_lock_plans_while_another_holds_the_state_lock(stack: Runner) -> None:
    """The CI role may only read the state: -lock=false takes no lock (a held one does not stop it).
    The holder is another process: python-terraform reads the state after each command, and closing
    any descriptor of a file drops this process's fcntl locks on it."""
    state = stack.workspace.workdir / "terraform.tfstate"
    hold = "import fcntl, sys; f = open(sys.argv[1], 'r+'); fcntl.lockf(f, fcntl.LOCK_EX); print(flush=True); input()"
    with subprocess.Popen(
        [sys.executable, "-c", hold, str(state)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout and holder.stdout.readline() == "\n"  # held, as Terraform's local backend locks (fcntl)
        try:
            with pytest.raises(TerraformFailed):
                stack.plan()
            assert stack.plan(lock=False) == PLAN_CHANGES
        finally:
            holder.communicate("\n")
