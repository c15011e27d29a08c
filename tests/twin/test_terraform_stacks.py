"""Two stacks side by side in one account and region (issue 22, item 3): every account- or
region-unique name derives from `name`, so the second apply does not collide with the first, and a
file dropped into each stack loads into that stack's own table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.jobs import store as jobs
from offload.lib.jobs.submit import submit
from offload.lib.terraform import targets
from offload.lib.terraform.runner import Runner
from offload.twin import onprem
from offload.twin.agent import LocalAgent
from offload.twin.runtime.process import ProcessRuntime

from tests.figures import say
from tests.orders_csv import csv_text, many

pytestmark = pytest.mark.twin
STACKS = ("alpha", "beta")


def _apply(name: str, twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """`offload apply` of the stack called `name`, with its own twin copy and state."""
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / name))
    monkeypatch.setenv("TF_VAR_name", name)
    applied = CliRunner().invoke(cli, ["apply", "--auto-approve"])
    assert applied.exit_code == 0, applied.output[-3000:]
    return Runner(targets.for_target("twin"), quiet=True).outputs()


def _wait_final(stack: jobs.Stack, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get_job(stack, job_id) or {}
        if job.get("Status") in jobs.FINAL:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} of {stack.bucket} not finished after {timeout} s: {job}")


def test_two_stacks_in_one_account_apply_and_each_loads_its_own_file(
    twin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFLOAD_TWIN_ENDPOINT", twin)
    monkeypatch.setenv("OFFLOAD_TARGET", "twin")
    began = time.monotonic()
    outputs = {name: _apply(name, twin, tmp_path, monkeypatch) for name in STACKS}
    applied_s = time.monotonic() - began

    assert {o["orders_table"] for o in outputs.values()} == {"alpha-orders", "beta-orders"}
    roles = sorted(r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"])
    assert [r for r in roles if r.startswith("alpha-us-east-1-")] and [r for r in roles if r.startswith("beta-")]
    dashboards = {d["DashboardName"] for d in boto3.client("cloudwatch").list_dashboards()["DashboardEntries"]}
    assert {"alpha-us-east-1", "beta-us-east-1"} <= dashboards  # a shared name would have replaced one

    agents, loaded = [], {}
    try:
        for name, out in outputs.items():
            instance = onprem.join(
                twin, out["region"], out["cluster_name"], out["activation_id"], out["activation_code"]
            )
            agents.append(
                LocalAgent(
                    instance,
                    twin,
                    out["region"],
                    tmp_path / name / "logs",
                    heartbeat_seconds=1,
                    runtime=ProcessRuntime(),
                ).start()
            )
        rows = {"alpha": many(7), "beta": many(11)}
        submitted = {}
        for name, out in outputs.items():
            csv = tmp_path / f"{name}.csv"
            csv.write_text(csv_text(rows[name]))
            stack = jobs.Stack.from_outputs(out, twin)
            submitted[name] = (stack, submit(stack, csv).job_id)
        for name, (stack, job_id) in submitted.items():
            job = _wait_final(stack, job_id)
            assert (job["Status"], job["RowsLoaded"]) == ("SUCCEEDED", len(rows[name])), job
            count = boto3.client("dynamodb").scan(TableName=stack.orders_table, Select="COUNT")["Count"]
            loaded[name] = count
    finally:
        for agent in agents:
            agent.stop()
    assert loaded == {"alpha": 7, "beta": 11}  # each file in its own stack's table, nothing crossed over
    say(f"two stacks in one twin: applied in {applied_s:.1f} s, loaded {loaded}")
