"""The watchdog's metrics, which the stuck-job and agent-disconnected alarms watch."""

from __future__ import annotations

import time
from types import ModuleType

import boto3
import pytest
from offload_contract import jobs as job_record

from tests.conftest import PING_TIMEOUT
from tests.dispatcher import Context, jobs, tasks
from tests.events import s3_message, sqs_event
from tests.figures import say
from tests.twin_cluster import CLUSTER, join_instance

pytestmark = pytest.mark.functional


def _latest(metric: str) -> float:
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="Offload", MetricName=metric, Dimensions=[{"Name": "Cluster", "Value": CLUSTER}],
        StartTime=time.time() - 600, EndTime=time.time() + 60, Period=60, Statistics=["Maximum"],
    )["Datapoints"]
    return max(p["Maximum"] for p in points)


def test_stuck_jobs_and_a_silent_agent_are_counted(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    now = job_record.now()
    table = boto3.resource("dynamodb").Table("jobs")
    for key, status, started in (("incoming/hung.csv", "RUNNING", now - 7200),
                                 ("incoming/busy.csv", "RUNNING", now - 60),
                                 ("incoming/done.csv", "SUCCEEDED", now - 7200)):
        table.put_item(Item={"JobId": key, "Key": key, "Status": status, "StartedAt": started, "UpdatedAt": now})
    healthy = handler.watchdog_handler({}, Context())
    assert healthy == {"stuck": 1, "stuck_queued": 0, "disconnected": 0, "stopped": 0, "missing": 0,
                       "backlog_started": 0}
    assert _latest("JobsStuckRunning") == 1 and _latest("AgentsConnected") == 1
    time.sleep(PING_TIMEOUT + 0.5)  # no heartbeat: the host has gone quiet
    silent = handler.watchdog_handler({}, Context())
    say(f"watchdog: stuck={silent['stuck']} disconnected={silent['disconnected']}")
    assert silent["stuck"] == 1 and silent["disconnected"] == 1 and _latest("AgentsDisconnected") == 1


QUIET = 700  # seconds without news: past the watchdog's default RECONCILE_AFTER_SECONDS (600)


def test_a_task_stopped_whose_event_was_lost_fails_its_job(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    body = s3_message("orders-bucket", [("incoming/lost.csv", "e1")])
    assert handler.lambda_handler(sqs_event(body), Context()) == {"batchItemFailures": []}
    (task,) = tasks()
    (job,) = jobs()
    table = boto3.resource("dynamodb").Table("jobs")
    table.update_item(Key={"JobId": job["JobId"]}, UpdateExpression="SET #s = :r, UpdatedAt = :t",
                      ExpressionAttributeNames={"#s": "Status"},
                      ExpressionAttributeValues={":r": "RUNNING", ":t": job_record.now() - QUIET})
    # The agent reports the worker's exit; the event EventBridge should deliver never arrives.
    boto3.client("ecs").submit_task_state_change(
        cluster=CLUSTER, task=task["taskArn"], status="STOPPED", reason="Essential container in task exited",
        containers=[{"containerName": "worker", "exitCode": 3, "status": "STOPPED"}],
    )
    result = handler.watchdog_handler({}, Context())
    (job,) = jobs()
    say(f"watchdog after a lost stopped event: {result}; job {job['Status']}: {job['Reason']}")
    assert result["stopped"] == 1 and job["Status"] == "FAILED" and job["ExitCode"] == 3
    assert "exited with code 3" in job["Reason"]


def test_tasks_ecs_no_longer_knows_fail_their_jobs_a_bounded_number_per_run(
    handler: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offload_dispatch import watchdog

    now, table = job_record.now(), boto3.resource("dynamodb").Table("jobs")
    gone = f"arn:aws:ecs:us-east-1:123456789012:task/{CLUSTER}/"
    table.put_item(Item={"JobId": "whole", "Key": "incoming/whole.csv", "Status": "RUNNING", "StartedAt": now - QUIET,
                         "UpdatedAt": now - QUIET - 1, "TaskArn": gone + "0" * 32})
    table.put_item(Item={"JobId": "sharded", "Key": "incoming/big.csv", "Status": "RUNNING", "ShardCount": 2,
                         "UpdatedAt": now - QUIET, "Shards": {
                             "0": {"Status": "SUCCEEDED", "TaskArn": gone + "1" * 32},
                             "1": {"Status": "RUNNING", "TaskArn": gone + "2" * 32}}})
    table.put_item(Item={"JobId": "never", "Key": "incoming/never.csv", "Status": "QUEUED", "UpdatedAt": now - 7200})
    monkeypatch.setattr(watchdog, "MAX_JOBS_PER_RUN", 1)
    first = handler.watchdog_handler({}, Context())
    assert first["missing"] == 1 and first["stuck_queued"] == 1 and _latest("JobsStuckQueued") == 1
    assert table.get_item(Key={"JobId": "sharded"})["Item"]["Status"] == "RUNNING"  # next run's
    second = handler.watchdog_handler({}, Context())
    whole, sharded = (table.get_item(Key={"JobId": j})["Item"] for j in ("whole", "sharded"))
    assert second["missing"] == 1 and whole["Status"] == sharded["Status"] == "FAILED"
    assert "ECS no longer knows" in whole["Reason"] and "offload rerun whole" in whole["Reason"]
    assert sharded["Reason"].startswith("shard 2/2: ECS no longer knows")
    assert sharded["Shards"]["0"]["Status"] == "SUCCEEDED"
