"""The dispatcher's handler in this process, against the twin's ECS, and the tasks it starts."""

from __future__ import annotations

import importlib
import time
from types import ModuleType
from typing import Any

import boto3
import pytest

from tests.functional.worker_run import BUCKET, Run, run_worker
from tests.twin_cluster import CLUSTER, CONTAINER, FAMILY, make_cluster


class Context:
    function_name = "offload-dispatch"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:offload-dispatch"
    aws_request_id = "req-1"

    def __init__(self, timeout_seconds: float = 30) -> None:
        self.deadline = time.monotonic() + timeout_seconds  # the function's timeout, from its start

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def load_handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A cold start of the handler module with the dispatcher's settings, on a fresh cluster."""
    for name, value in {
        "CLUSTER_NAME": CLUSTER,
        "TASK_DEFINITION": FAMILY,
        "CONTAINER_NAME": CONTAINER,
        "JOBS_TABLE": "jobs",
        "TABLE_NAME": "Order",
        "S3_BUCKET_NAME": BUCKET,
    }.items():
        monkeypatch.setenv(name, value)
    from offload_dispatch import clients, settings

    settings.settings.cache_clear()
    clients.ecs.cache_clear()
    clients.dynamodb.cache_clear()
    clients.s3.cache_clear()
    make_cluster()
    import offload_dispatch.handler as module

    return importlib.reload(module)


def tasks() -> list[dict[str, Any]]:
    ecs = boto3.client("ecs")
    arns = ecs.list_tasks(cluster=CLUSTER)["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def jobs() -> list[dict[str, Any]]:
    return list(boto3.resource("dynamodb").Table("jobs").scan()["Items"])


def overrides_of(task: dict[str, Any]) -> dict[str, str]:
    (container,) = task["overrides"]["containerOverrides"]
    assert container["name"] == CONTAINER
    return {v["name"]: v["value"] for v in container["environment"]}


def run_as_agent(endpoint: str, task: dict[str, Any], **extra: str) -> Run:
    """Run the worker with the task's container overrides, as the ECS agent would."""
    env = overrides_of(task)
    key, etag = env.pop("S3_KEY"), env.pop("STATUS_KEY")
    return run_worker(endpoint, key, etag, **{**env, **extra})
