"""Files through real containers on the twin: the dispatcher's RunTask, the agent on the engine,
the worker image loading from S3 into DynamoDB with the task role's credentials. The workshop's
file and a sharded one; drop → output in docker mode against process mode in the same run."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import docker
import pytest
from offload.twin.agent import LocalAgent
from offload.twin.onprem import OnPremInstance
from offload.twin.runtime import Runtime
from offload.twin.runtime.docker import DockerRuntime
from offload.twin.runtime.process import ProcessRuntime
from offload_contract import jobs as job_fields

from tests.conftest import REGION
from tests.dispatcher import Context, jobs, load_handler
from tests.docker.agent_cluster import (  # noqa: F401 - the fixture by import
    Reports,
    labelled,
    task_image_fixture,
    task_role,
    wait_for,
)
from tests.events import s3_message, sqs_event
from tests.figures import say
from tests.functional.worker_run import BUCKET, put
from tests.orders_csv import csv_text, many
from tests.twin_cluster import CLUSTER, CONTAINER, FAMILY, join_instance

pytestmark = pytest.mark.docker


def _worker_definition(image: str) -> None:
    """The stack's task definition as Terraform renders it (a new revision of the family RunTask names)."""
    boto3.client("ecs").register_task_definition(
        family=FAMILY,
        requiresCompatibilities=["EXTERNAL"],
        networkMode="bridge",
        taskRoleArn=task_role(),
        containerDefinitions=[
            {
                "name": CONTAINER,
                "image": image,
                "essential": True,
                "memory": 512,
                "cpu": 256,
                "environment": [{"name": "AWS_REGION", "value": REGION}, {"name": "CLUSTER_NAME", "value": CLUSTER}],
            }
        ],
    )


def _agent(twin: str, runtime: Runtime, logs: Path, instance: OnPremInstance | None = None) -> LocalAgent:
    instance = instance or join_instance(twin, memory_mib=8192)
    return LocalAgent(instance, twin, REGION, logs, heartbeat_seconds=1, runtime=runtime).start()


def _drop(handler: ModuleType, key: str, body: bytes) -> float:
    """Upload and dispatch as S3 → SQS → the dispatcher would; returns when the upload began."""
    began = time.monotonic()
    etag = put(key, body)
    reply = handler.lambda_handler(sqs_event(s3_message(BUCKET, [(key, etag)], len(body))), Context())
    assert reply == {"batchItemFailures": []}
    return began


def _finished(handler: ModuleType, reports: Reports, key: str, timeout: float = 120) -> dict[str, Any]:
    """The job once the task-state function decided it: each stopped task reaches it as EventBridge
    would bring it (the task's description is its event's detail)."""
    ecs, handed = boto3.client("ecs"), set()

    def done() -> dict[str, Any] | None:
        for report in reports.with_status("STOPPED"):
            if report["task"] in handed:
                continue
            (task,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[report["task"]])["tasks"]
            if task["lastStatus"] == "STOPPED":
                handed.add(report["task"])
                handler.task_state_handler({"detail-type": "ECS Task State Change", "detail": task}, Context())
        record = next((j for j in jobs() if j["Key"] == key), None)
        return record if record and record["Status"] in ("SUCCEEDED", "FAILED") else None

    return dict(wait_for(done, timeout, f"job of {key}"))


def _output_after(began: float, key: str, timeout: float = 120) -> float:
    s3 = boto3.client("s3")
    output = "processed/" + key.removeprefix("incoming/")

    def there() -> bool:
        try:
            s3.head_object(Bucket=BUCKET, Key=output)
            return True
        except s3.exceptions.ClientError:
            return False

    wait_for(there, timeout, output)
    return time.monotonic() - began


def test_workshop_file_loads_through_a_container_and_drop_to_output_against_process_mode(
    twin: str,
    monkeypatch: pytest.MonkeyPatch,
    docker_client: docker.DockerClient,
    task_image: str,
    workshop_csv: Path,
    tmp_path: Path,
) -> None:
    handler = load_handler(monkeypatch)
    _worker_definition(task_image)
    body = workshop_csv.read_bytes()
    rows = len(body.splitlines()) - 1  # the workshop file: 200
    took: dict[str, list[float]] = {"process": [], "docker": []}
    instance = join_instance(twin, memory_mib=8192)  # one host: its agent restarted in the other mode
    modes = [("process", ProcessRuntime()), ("docker", DockerRuntime(docker_client))] * 2  # alternated: fair to both
    for n, (mode, runtime) in enumerate(modes):
        agent = _agent(twin, runtime, tmp_path / f"{mode}-{n}", instance)
        reports = Reports(agent)
        try:
            key = f"incoming/workshop-{n}.csv"
            took[mode].append(_output_after(_drop(handler, key, body), key))
            record = _finished(handler, reports, key)
            assert (record["Status"], record[job_fields.ROWS_LOADED]) == ("SUCCEEDED", rows), record
            (stopped,) = wait_for(partial(reports.with_status, "STOPPED"), what="the task stopped")
            assert stopped["containers"][0]["exitCode"] == 0
            fetched = {f.task_arn for f in agent.credentials.fetches}
            assert fetched == {stopped["task"]}  # the worker's SDK used the task role, in both modes
            if mode == "docker":
                (container,) = labelled(docker_client, agent)
                env = dict(line.split("=", 1) for line in container.attrs["Config"]["Env"])
                assert "AWS_SECRET_ACCESS_KEY" not in env and "AWS_CONTAINER_CREDENTIALS_FULL_URI" in env
        finally:
            agent.stop()
        jobs_table = boto3.resource("dynamodb").Table("Order")
        assert jobs_table.scan(Select="COUNT")["Count"] == rows  # the same items, whichever mode loaded them
    shown = {mode: " / ".join(f"{t:.2f}" for t in times) for mode, times in took.items()}
    say(
        f"drop -> output, workshop file ({rows} rows), two runs each: process {shown['process']} s, "
        f"docker {shown['docker']} s (container start included)"
    )


def test_a_sharded_file_loads_through_one_container_per_shard(
    twin: str, monkeypatch: pytest.MonkeyPatch, docker_client: docker.DockerClient, task_image: str, tmp_path: Path
) -> None:
    body = csv_text(many(3000)).encode()
    monkeypatch.setenv("SHARD_BYTES", str(len(body) // 3 + 1))
    monkeypatch.setenv("MAX_SHARDS", "3")
    handler = load_handler(monkeypatch)
    _worker_definition(task_image)
    agent = _agent(twin, DockerRuntime(docker_client), tmp_path / "logs")
    reports = Reports(agent)
    try:
        key = "incoming/sharded.csv"
        took = _output_after(_drop(handler, key, body), key)
        record = _finished(handler, reports, key)
        assert (record["Status"], record[job_fields.ROWS_LOADED]) == ("SUCCEEDED", 3000), record
        wait_for(lambda: len(reports.with_status("STOPPED")) == 3, what="3 shards stopped")
        assert [r["containers"][0]["exitCode"] for r in reports.with_status("STOPPED")] == [0, 0, 0]
        assert len(labelled(docker_client, agent)) == 3  # one container per shard task
        assert boto3.resource("dynamodb").Table("Order").scan(Select="COUNT")["Count"] == 3000
    finally:
        agent.stop()
    say(f"sharded file (3000 rows, 3 shards) through 3 containers: drop -> output {took:.2f} s")
