"""The task-state handler turns what ECS says about a stopped task into the job's Reason: the
container's reason and the stopCode when the worker could not record one (killed for memory, image
not pulled), and ECS's stoppedReason beside the worker's own "stopped by ECS" after a StopTask."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from offload_contract.layout import Layout
from offload_dispatch.ledger import Ledger
from offload_dispatch.outcome import Outputs
from offload_dispatch.task_state import handle_task_change

from tests.conftest import make_orders_stack
from tests.events import load

pytestmark = pytest.mark.functional
JOB = "JOB_ID_PLACEHOLDER"  # the job id in the sample events' overrides
WORKER_STOPPED = "stopped by ECS: SIGTERM while loading; no output written, `offload rerun` finishes the file"


def _table() -> Any:
    make_orders_stack()
    return boto3.resource("dynamodb").Table("jobs")


def _handle(event: str, shard: int | None = None) -> str:
    detail = load(event)["detail"]
    if shard is not None:
        environment = detail["overrides"]["containerOverrides"][0]["environment"]
        environment += [{"name": "SHARD_INDEX", "value": str(shard)}, {"name": "SHARD_COUNT", "value": "2"}]
    return handle_task_change(detail, "worker", Ledger(boto3.resource("dynamodb").Table("jobs"), 30), _outputs())


def _outputs() -> Outputs:
    return Outputs(boto3.client("s3"), Layout())


def test_a_task_killed_for_memory_fails_its_job_with_ecs_reason_and_stop_code(aws: str) -> None:
    table = _table()
    table.put_item(Item={"JobId": JOB, "Status": "RUNNING"})
    assert _handle("ecs_task_stopped_oom") == "failed"
    record = table.get_item(Key={"JobId": JOB})["Item"]
    assert record["Status"] == "FAILED" and record["ExitCode"] == 137
    assert record["Reason"] == (
        "worker exited with code 137: OutOfMemoryError: Container killed due to memory usage (EssentialContainerExited)"
    )


def test_an_image_that_cannot_be_pulled_fails_the_job_as_a_task_that_never_started(aws: str) -> None:
    table = _table()
    table.put_item(Item={"JobId": JOB, "Status": "QUEUED"})
    assert _handle("ecs_task_stopped_pull") == "failed"
    record = table.get_item(Key={"JobId": JOB})["Item"]
    assert record["Status"] == "FAILED" and "ExitCode" not in record
    assert record["Reason"].startswith("task failed to start (TaskFailedToStart): CannotPullContainerError: ")


def test_a_stop_the_worker_reported_keeps_its_reason_and_gains_ecs_stopped_reason_once(aws: str) -> None:
    table = _table()
    report = {"Status": "FAILED", "Reason": WORKER_STOPPED, "ExitCode": 143}
    table.put_item(Item={"JobId": JOB, "Status": "RUNNING", "Report": report})
    assert _handle("ecs_task_stopped_user") == "failed"
    assert _handle("ecs_task_stopped_user") == "ignored: job already ended"  # EventBridge may deliver twice
    record = table.get_item(Key={"JobId": JOB})["Item"]
    assert record["Reason"] == f"{WORKER_STOPPED}; ECS: operator: wrong file (UserInitiated)"
    assert record["ExitCode"] == 143


def test_a_stop_the_worker_could_not_record_says_ecs_stopped_it(aws: str) -> None:
    table = _table()
    table.put_item(Item={"JobId": JOB, "Status": "RUNNING"})
    detail = load("ecs_task_stopped_user")["detail"]
    detail["containers"][0]["exitCode"] = 137  # SIGKILL once the stop timeout passed
    assert handle_task_change(detail, "worker", Ledger(table, 30), _outputs()) == "failed"
    record = table.get_item(Key={"JobId": JOB})["Item"]
    assert record["Reason"] == "stopped by ECS: operator: wrong file (UserInitiated); worker exited with code 137"


def test_a_stopped_shard_keeps_the_worker_reason_on_the_shard_and_the_job_gains_ecs_reason(aws: str) -> None:
    table = _table()
    shards = {"0": {"Status": "SUCCEEDED"}, "1": {"Status": "FAILED", "Reason": WORKER_STOPPED, "ExitCode": 143}}
    table.put_item(
        Item={
            "JobId": JOB,
            "Status": "RUNNING",
            "ShardCount": 2,
            "Shards": shards,
        }
    )
    assert _handle("ecs_task_stopped_user", shard=1) == "failed"
    record = table.get_item(Key={"JobId": JOB})["Item"]
    assert record["Shards"]["1"]["Reason"] == WORKER_STOPPED
    assert record["Reason"] == f"shard 2/2: {WORKER_STOPPED}; ECS: operator: wrong file (UserInitiated)"
