"""`offload rerun`: which jobs it restarts, and what it refuses, in one line each."""

from __future__ import annotations

import boto3
import pytest
from click.testing import CliRunner
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.store import Stack, get_job
from offload_contract.layout import Layout

from tests.twin_cluster import CLUSTER, CONTAINER, FAMILY, join_instance, make_cluster

pytestmark = pytest.mark.functional


def _stack(twin: str) -> Stack:
    return Stack(region="us-east-1", bucket="orders-bucket", layout=Layout(), jobs_table="jobs",
                               orders_table="Order", dlq_url="", cluster=CLUSTER, task_definition=FAMILY,
                               container=CONTAINER, endpoint=twin)


def _job(status: str, attempts: int = 1) -> None:
    boto3.resource("dynamodb").Table("jobs").put_item(Item={
        "JobId": "j1", "Status": status, "Bucket": "orders-bucket", "Key": "incoming/a.csv", "ETag": '"e1"',
        "Attempts": attempts, "Reason": "exited with code 137"})


def test_a_failed_job_gets_a_new_task_and_is_queued_again(twin: str) -> None:
    make_cluster()
    join_instance(twin)
    _job("FAILED")
    (arn,) = reruns.rerun(_stack(twin), "j1")
    job = get_job(_stack(twin), "j1")
    assert job is not None and job["Status"] == "QUEUED" and job["Attempts"] == 2 and job["TaskArn"] == arn
    assert "Reason" not in job


@pytest.mark.parametrize("status, force, message", [
    ("SUCCEEDED", False, "job j1 is SUCCEEDED, not FAILED: only a failed job is rerun"),
    ("RUNNING", False, "(if its task is gone, pass --force)"),
])
def test_jobs_that_are_not_failed_are_refused(twin: str, status: str, force: bool, message: str) -> None:
    make_cluster()
    _job(status)
    with pytest.raises(reruns.RerunRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        reruns.rerun(_stack(twin), "j1", force)


def test_no_room_puts_the_job_back_to_failed_with_the_reason(twin: str) -> None:
    make_cluster()
    join_instance(twin, memory_mib=256)  # too small for the task
    _job("FAILED")
    with pytest.raises(reruns.RerunRefused, match="RESOURCE:MEMORY"):
        reruns.rerun(_stack(twin), "j1")
    job = get_job(_stack(twin), "j1")
    assert job is not None and job["Status"] == "FAILED" and "rerun could not be placed" in job["Reason"]


def test_unknown_job_is_one_line_from_the_cli(twin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from offload.commands import cli, context

    make_cluster()
    monkeypatch.setattr(context, "job_stack", lambda target: _stack(twin))
    result = CliRunner().invoke(cli, ["rerun", "nope"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: no job 'nope' in table jobs: see `offload status`"]


def test_a_sharded_job_reruns_only_the_shards_that_did_not_finish(twin: str) -> None:
    make_cluster()
    join_instance(twin)
    ranges = [(0, 100), (100, 200), (200, 300)]
    shards = {str(i): {"Status": s, "Start": a, "End": b, "TaskArn": f"arn:old/{i}"}
              for i, (s, (a, b)) in enumerate(zip(("SUCCEEDED", "FAILED", "RUNNING"), ranges, strict=True))}
    boto3.resource("dynamodb").Table("jobs").put_item(Item={
        "JobId": "j1", "Status": "FAILED", "Bucket": "orders-bucket", "Key": "incoming/a.csv", "ETag": '"e1"',
        "Attempts": 1, "Reason": "shard 2/3: exited with code 137", "ShardCount": 3, "Shards": shards})
    arns = reruns.rerun(_stack(twin), "j1", force=False)
    job = get_job(_stack(twin), "j1")
    assert job is not None and job["Status"] == "QUEUED" and len(arns) == 2
    assert [job["Shards"][i]["Status"] for i in "012"] == ["SUCCEEDED", "QUEUED", "QUEUED"]
    assert [job["Shards"][i]["TaskArn"] for i in "12"] == arns
    started = boto3.client("ecs").describe_tasks(cluster="offload", tasks=arns)["tasks"]
    ranges_started = sorted(next(v["value"] for v in t["overrides"]["containerOverrides"][0]["environment"]
                                 if v["name"] == "SHARD_RANGE") for t in started)
    assert ranges_started == ["100-200", "200-300"]
