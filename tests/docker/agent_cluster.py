"""The twin's ECS (no Terraform) with one on-prem instance whose agent runs tasks on the real
engine: what tests/docker/test_agent_*.py (and the stop tests) build on."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import docker
import docker.errors
import pytest
from offload.twin.agent import LocalAgent
from offload.twin.runtime.docker import DockerRuntime
from offload.twin.runtime.spec import INSTANCE_LABEL

from tests.conftest import REGION
from tests.twin_cluster import CLUSTER, join_instance, make_cluster

TASK_ROLE = "offload-b1-task"
IMAGE_REPOSITORY = "offload-b1-agent"  # this suite's own name for the worker image in the shared engine


@pytest.fixture(scope="session", name="task_image")
def task_image_fixture(docker_client: docker.DockerClient, worker_image: str) -> Iterator[str]:
    """The worker image under the name the tests' task definitions give (ECS would pull it)."""
    # One tag per session: a session that ends must not untag what another still runs.
    name = f"{IMAGE_REPOSITORY}:{worker_image.rsplit(':', 1)[1]}-{secrets.token_hex(3)}"
    docker_client.images.get(worker_image).tag(name)
    yield name
    docker_client.images.remove(name, noprune=True)  # the tag only: the image stays for others


def task_role() -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = boto3.client("iam")
    try:
        return str(iam.create_role(RoleName=TASK_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=TASK_ROLE)["Role"]["Arn"])


def register(containers: list[dict[str, Any]], network_mode: str = "host", family: str = "offload-b1") -> str:
    """A task definition with the task role; every container's image is the caller's."""
    ecs = boto3.client("ecs")
    return str(
        ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["EXTERNAL"],
            networkMode=network_mode,
            taskRoleArn=task_role(),
            containerDefinitions=containers,
        )["taskDefinition"]["taskDefinitionArn"]
    )


def run(definition: str, overrides: dict[str, Any] | None = None) -> str:
    started = boto3.client("ecs").run_task(
        cluster=CLUSTER, taskDefinition=definition, launchType="EXTERNAL", overrides=overrides or {}
    )
    assert not started["failures"], started["failures"]
    return str(started["tasks"][0]["taskArn"])


def describe(task_arn: str) -> dict[str, Any]:
    return dict(boto3.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"][0])


def describe_definition(arn: str) -> dict[str, Any]:
    return dict(boto3.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"])


def wait_for(check: Any, timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not after {timeout} s: {what}")


def wait_stopped(task_arn: str, timeout: float = 60) -> dict[str, Any]:
    return dict(wait_for(lambda: (t := describe(task_arn))["lastStatus"] == "STOPPED" and t, timeout, task_arn))


def labelled(client: docker.DockerClient, agent: LocalAgent) -> list[Any]:
    # ignore_removed: the agent may remove one between docker-py's list and its inspect of each (a 404).
    found: list[Any] = client.containers.list(
        all=True, filters={"label": f"{INSTANCE_LABEL}={agent.instance.container_instance_arn}"}, ignore_removed=True
    )
    return found


class Reports:
    """What the agent sent to SubmitTaskStateChange, by task (read off its boto3 client's events)."""

    def __init__(self, agent: LocalAgent) -> None:
        self.sent: list[dict[str, Any]] = []
        agent.ecs.meta.events.register("provide-client-params.ecs.SubmitTaskStateChange", self._keep)

    def _keep(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(dict(params))

    def with_status(self, status: str) -> list[dict[str, Any]]:
        return [r for r in self.sent if r["status"] == status]

    def of(self, task_arn: str, status: str) -> dict[str, Any] | None:
        return next((r for r in self.sent if r["task"] == task_arn and r["status"] == status), None)


def start_agent(twin: str, client: docker.DockerClient, logs: Path) -> LocalAgent:
    instance = join_instance(twin, memory_mib=8192)
    # The session's twin counts a host lost after PING_TIMEOUT s: heartbeat well within it.
    return LocalAgent(instance, twin, REGION, logs, heartbeat_seconds=1, runtime=DockerRuntime(client))


@pytest.fixture(name="agent")
def agent_fixture(twin: str, docker_client: docker.DockerClient, tmp_path: Path) -> Iterator[LocalAgent]:
    """A fresh cluster (twin_cluster) and one instance's agent on the engine; none of its containers outlives it."""
    make_cluster()
    running = start_agent(twin, docker_client, tmp_path / "logs").start()
    yield running
    running.stop()
    assert labelled(docker_client, running) == []


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"
