"""Stopping and failing tasks as ECS does, with the worker image in real containers: StopTask
mid-file (the job says stopped within moments, `offload rerun` loads it identically), a task
killed for memory, an image that is not there. The task-state handler gets the "ECS Task State
Change" event's detail, which is the task as DescribeTasks shows it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import docker
import pytest
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.store import Stack
from offload.twin.agent import LocalAgent
from offload_contract.layout import Layout
from offload_contract.task import task_overrides
from offload_dispatch.ledger import Ledger
from offload_dispatch.outcome import Outputs
from offload_dispatch.task_state import handle_task_change

from tests.docker.agent_cluster import (  # noqa: F401 - the fixture by import
    agent_fixture,
    register,
    run,
    wait_for,
    wait_stopped,
)
from tests.figures import say
from tests.functional.test_worker_stop import AGAIN, KEY, _forget_results, _loaded, loading, orders
from tests.functional.worker_run import BUCKET, job, keys, put
from tests.twin_cluster import CLUSTER, CONTAINER

# One worker under pytest-xdist (make test): the module's image tag is a fixed name in the shared engine.
pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("task-stop")]
FAMILY = "offload-b2-stop"  # this suite's own task definition family
ROWS = 8000  # one load process: seconds of loading, so the stop lands mid-file


@pytest.fixture(scope="module")
def image(docker_client: docker.DockerClient, worker_image: str) -> Iterator[str]:
    """The worker image under this suite's own tag (the engine is shared: no other suite removes it)."""
    name = f"{FAMILY}:{worker_image.rsplit(':', 1)[1]}"
    docker_client.images.get(worker_image).tag(name)
    yield name
    docker_client.images.remove(name, noprune=True)  # the tag only


def _definition(image: str, memory: int = 512, processes: int = 1) -> str:
    environment = {"WORKER_PROCESSES": str(processes), "PROGRESS_SECONDS": "1", "WRITE_CONCURRENCY": "4"}
    container = {"name": CONTAINER, "image": image, "essential": True, "memory": memory, "cpu": 256,
                 "environment": [{"name": k, "value": v} for k, v in environment.items()]}
    return register([container], family=FAMILY)  # no stopTimeout: the agent's 30 s, as on ECS


def _start(definition: str, job_id: str, etag: str, table: str = "Order") -> str:
    claim = {"JobId": job_id, "Status": "QUEUED", "Bucket": BUCKET, "Key": KEY, "ETag": etag}  # the dispatcher's
    boto3.resource("dynamodb").Table("jobs").put_item(Item=claim)
    return run(definition, task_overrides(CONTAINER, BUCKET, KEY, etag, job_id, "jobs", table))


def _task_state(task: dict[str, Any]) -> str:
    """The dispatcher's task-state handler on the stopped task, as EventBridge hands it over."""
    ledger = Ledger(boto3.resource("dynamodb").Table("jobs"), 30)
    return handle_task_change(task, CONTAINER, ledger, Outputs(boto3.client("s3"), Layout()))


def _create_again_table() -> None:
    boto3.client("dynamodb").create_table(
        TableName=AGAIN, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "OrderId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "OrderId", "KeyType": "HASH"}])


def test_stop_task_mid_file_records_the_stop_at_once_and_offload_rerun_loads_it_identically(
    agent: LocalAgent, image: str, twin: str
) -> None:
    _create_again_table()
    definition = _definition(image)
    etag = put(KEY, orders(ROWS))
    began = time.monotonic()
    whole = wait_stopped(_start(definition, "whole", etag))
    run_seconds = time.monotonic() - began  # RunTask to STOPPED: container start and the load
    assert whole["containers"][0]["exitCode"] == 0, job("whole")
    assert _task_state(whole) == "succeeded"
    expected = _loaded("whole", "Order")
    _forget_results()

    arn = _start(definition, "stopped", etag, table=AGAIN)
    wait_for(lambda: loading(job("stopped")), what="the worker loading (progress recorded)")
    asked = time.monotonic()
    boto3.client("ecs").stop_task(cluster=CLUSTER, task=arn, reason="operator: wrong file")
    report = wait_for(
        lambda: (r := job("stopped").get("Report", {})).get("Status") == "FAILED" and r, what="the stop reported"
    )
    recorded_seconds = time.monotonic() - asked
    stopped = wait_stopped(arn)
    assert stopped["stopCode"] == "UserInitiated" and stopped["containers"][0]["exitCode"] == 143
    assert report["ExitCode"] == 143 and report["Reason"].startswith("stopped by ECS: SIGTERM while loading")
    assert keys("processed/") == [] and keys("rejected/") == []  # nothing half-written
    assert recorded_seconds < run_seconds / 2, (recorded_seconds, run_seconds)  # not the 30 s stop timeout
    assert _task_state(stopped) == "failed"
    record = job("stopped")
    assert record["Status"] == "FAILED" and record["ExitCode"] == 143
    assert record["Reason"] == f"{report['Reason']}; ECS: operator: wrong file (UserInitiated)"

    stack = Stack(region="us-east-1", bucket=BUCKET, layout=Layout(), jobs_table="jobs", orders_table=AGAIN,
                  dlq_url="", cluster=CLUSTER, task_definition=definition, container=CONTAINER, endpoint=twin)
    (again,) = reruns.rerun(stack, "stopped")
    finished = wait_stopped(again)
    assert finished["containers"][0]["exitCode"] == 0, job("stopped")
    assert _task_state(finished) == "succeeded"
    rerun = _loaded("stopped", AGAIN)
    for part in expected:
        assert rerun[part] == expected[part], part
    say(f"docker StopTask mid-file: job FAILED 'stopped by ECS' {recorded_seconds:.2f} s after StopTask, "
        f"container exit 143 (RunTask to STOPPED of the whole file {run_seconds:.1f} s); rerun identical")


def test_a_worker_killed_for_memory_leaves_its_job_failed_with_the_out_of_memory_reason(
    agent: LocalAgent, image: str
) -> None:
    # The worker streams (its memory does not grow with the file) and fits its load processes to the
    # memory limit (limits.py), so only a limit below one process's own peak (~63 MiB) kills it.
    definition = _definition(image, memory=40, processes=1)
    arn = _start(definition, "oom", put(KEY, orders(4000)))
    task = wait_stopped(arn)
    (container,) = task["containers"]
    assert container["exitCode"] == 137 and container["reason"].startswith("OutOfMemoryError"), container
    assert _task_state(task) == "failed"
    record = job("oom")
    assert record["Status"] == "FAILED" and record["ExitCode"] == 137
    assert record["Reason"] == (
        "worker exited with code 137: OutOfMemoryError: Container killed due to memory usage (EssentialContainerExited)"
    )
    assert keys("processed/") == []


def test_a_missing_image_fails_the_job_with_cannot_pull_container_error(agent: LocalAgent) -> None:
    definition = _definition("offload-b2-no-such-image:absent")
    arn = _start(definition, "no-image", put(KEY, orders(10)))
    task = wait_stopped(arn)
    assert task["stopCode"] == "TaskFailedToStart" and "exitCode" not in task["containers"][0]
    assert _task_state(task) == "failed"
    record = job("no-image")
    assert record["Status"] == "FAILED" and "ExitCode" not in record
    assert record["Reason"].startswith("task failed to start (TaskFailedToStart): CannotPullContainerError: ")
