"""The twin agent's pure parts: a task definition and a task made into containers as the ECS
agent makes them, the stopped report, process mode's exit codes, and the credentials endpoint
as botocore's container provider reads it."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from botocore.credentials import ContainerProvider
from offload.twin.runtime import Exited, StartFailed
from offload.twin.runtime.docker import OUT_OF_MEMORY, exited
from offload.twin.runtime.process import ProcessRuntime
from offload.twin.runtime.spec import (
    INSTANCE_LABEL,
    MIB,
    TaskCredentials,
    container_environment,
    cpu_shares,
    memory_bytes,
    task_containers,
)
from offload.twin.task_credentials import CredentialsEndpoint

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/offload/0123abcd"
INSTANCE = "arn:aws:ecs:us-east-1:123456789012:container-instance/offload/ci-1"
ENDPOINT = "http://127.0.0.1:5000"
CREDENTIALS = TaskCredentials("http://127.0.0.1:4000/v2/credentials/abc", "token-1")


def definition(**worker: Any) -> dict[str, Any]:
    return {
        "family": "offload-worker",
        "revision": 7,
        "networkMode": "bridge",
        "containerDefinitions": [
            {
                "name": "worker",
                "image": "offload-worker:dev",
                "memory": 300,
                "memoryReservation": 128,
                "cpu": 256,
                "stopTimeout": 12,
                "essential": True,
                "entryPoint": ["offload-worker"],
                "command": ["--from-definition"],
                "environment": [{"name": "TABLE_NAME", "value": "Order"}, {"name": "S3_KEY", "value": "placeholder"}],
                **worker,
            },
            {"name": "side_car.1", "image": "busybox", "cpu": 0, "essential": False},
        ],
    }


def task(**override: Any) -> dict[str, Any]:
    return {
        "taskArn": TASK_ARN,
        "containerInstanceArn": INSTANCE,
        "overrides": {
            "containerOverrides": [
                {
                    "name": "worker",
                    "environment": [{"name": "S3_KEY", "value": "incoming/a b.csv"}],
                    "command": ["--from-override"],
                    **override,
                }
            ]
        },
    }


def test_environment_is_the_definition_then_the_overrides_by_name() -> None:
    assert container_environment(definition(), task(), "worker") == {
        "TABLE_NAME": "Order",
        "S3_KEY": "incoming/a b.csv",
    }
    assert container_environment(definition(), task(), "side_car.1") == {}


def test_a_task_definition_becomes_containers_as_the_ecs_agent_builds_them() -> None:
    worker, side_car = task_containers(definition(), task(), "offload", "eu-west-1", ENDPOINT, CREDENTIALS)
    assert re.fullmatch(r"ecs-offload-worker-7-worker-[0-9a-f]{20}", worker.docker_name)
    assert re.fullmatch(r"ecs-offload-worker-7-sidecar1-[0-9a-f]{20}", side_car.docker_name)  # alnum and '-' only
    assert worker.labels == {
        "com.amazonaws.ecs.task-arn": TASK_ARN,
        "com.amazonaws.ecs.container-name": "worker",
        "com.amazonaws.ecs.task-definition-family": "offload-worker",
        "com.amazonaws.ecs.task-definition-version": "7",
        "com.amazonaws.ecs.cluster": "offload",
        INSTANCE_LABEL: INSTANCE,
    }
    assert (worker.memory_bytes, worker.memory_reservation_bytes, worker.cpu_shares) == (300 * MIB, 128 * MIB, 256)
    assert (worker.stop_timeout_s, side_car.stop_timeout_s) == (12, 30)  # the agent's default: 30 s
    assert (worker.essential, side_car.essential) == (True, False)
    assert worker.entry_point == ["offload-worker"] and worker.command == ["--from-override"]
    assert side_car.cpu_shares == 2 and side_car.memory_bytes == 0  # no limit asked: none set
    assert worker.network_mode == "host" and worker.deviations == [
        "networkMode bridge runs as host: this engine has no bridge network"
    ]


def test_the_agent_adds_the_credentials_endpoint_the_region_and_the_twin_endpoint_never_keys() -> None:
    (worker, _) = task_containers(definition(), task(), "offload", "eu-west-1", ENDPOINT, CREDENTIALS)
    assert worker.environment == {
        "TABLE_NAME": "Order",
        "S3_KEY": "incoming/a b.csv",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": CREDENTIALS.full_uri,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": CREDENTIALS.token,
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": ENDPOINT,
    }
    # Either region variable in the task definition: the agent adds neither (ApplyRegionToContainer).
    regional = definition(environment=[{"name": "AWS_DEFAULT_REGION", "value": "us-west-2"}])
    (worker, _) = task_containers(regional, task(), "offload", "eu-west-1", ENDPOINT, None)
    assert "AWS_REGION" not in worker.environment and worker.environment["AWS_DEFAULT_REGION"] == "us-west-2"
    assert not any(k.startswith("AWS_CONTAINER_") for k in worker.environment)  # no task role: no endpoint


def test_overrides_change_memory_and_cpu_and_network_modes_are_honoured() -> None:
    hosted = {**definition(), "networkMode": "none"}
    (worker, _) = task_containers(hosted, task(memory=64, cpu=1024), "offload", "eu-west-1", ENDPOINT, None)
    assert (worker.memory_bytes, worker.cpu_shares, worker.network_mode, worker.deviations) == (
        64 * MIB,
        1024,
        "none",
        [],
    )


@pytest.mark.parametrize("cpu, shares", [(0, 2), (1, 2), (2, 2), (512, 512), (10**9, 262144)])
def test_cpu_is_a_share_with_the_agents_minimum_and_maximum(cpu: int, shares: int) -> None:
    assert cpu_shares(cpu) == shares


def test_memory_below_dockers_minimum_is_raised_to_it() -> None:
    assert (memory_bytes(0), memory_bytes(1), memory_bytes(64)) == (0, 4 * MIB, 64 * MIB)


@pytest.mark.parametrize(
    "state, report",
    [
        ({"ExitCode": 0}, Exited(0)),
        ({"ExitCode": 1}, Exited(1)),
        ({"ExitCode": 143}, Exited(143)),
        ({"ExitCode": 137, "OOMKilled": True}, Exited(137, OUT_OF_MEMORY)),
        ({"ExitCode": 128, "Error": "exec: not found"}, Exited(128, "DockerStateError: exec: not found")),
    ],
)
def test_stopped_report_from_the_containers_state(state: dict[str, Any], report: Exited) -> None:
    assert exited(state) == report
    assert OUT_OF_MEMORY == "OutOfMemoryError: Container killed due to memory usage"


def _process_spec(code: str) -> Any:
    (worker, _) = task_containers(
        definition(entryPoint=[sys.executable, "-c", code], command=None), task(command=None), "c", "r", ENDPOINT, None
    )
    return worker


@pytest.mark.parametrize(
    "code, exit_code",
    [
        ("pass", 0),
        ("raise SystemExit(1)", 1),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", 137),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", 143),
    ],
)
def test_process_mode_reports_a_signal_as_128_plus_n(code: str, exit_code: int, tmp_path: Path) -> None:
    container = ProcessRuntime().start(_process_spec(code), tmp_path / "task.log")
    assert container.wait() == Exited(exit_code)


def test_process_mode_start_error_is_cannot_start_container(tmp_path: Path) -> None:
    (worker, _) = task_containers(definition(entryPoint=[str(tmp_path / "missing")]), task(), "c", "r", ENDPOINT, None)
    with pytest.raises(StartFailed) as failed:
        ProcessRuntime().start(worker, tmp_path / "task.log")
    assert failed.value.reason.startswith("CannotStartContainerError: ")


class FakeSts:
    def __init__(self, now: datetime) -> None:
        self.now, self.calls = now, 0

    def __call__(self, role_arn: str, session: str) -> dict[str, Any]:
        self.calls += 1
        return {
            "AccessKeyId": f"ASIA{self.calls}",
            "SecretAccessKey": "s",
            "SessionToken": "t",
            "Expiration": self.now + timedelta(hours=1),
        }


def _fetch(uri: str, token: str | None) -> Any:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri}
    if token is not None:
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
    return ContainerProvider(environ=env).load()


def test_credentials_endpoint_serves_botocore_checks_the_token_refreshes_and_revokes() -> None:
    clock = datetime.now(UTC)
    sts = FakeSts(clock)
    lines: list[str] = []
    endpoint = CredentialsEndpoint(sts, lines.append, now=lambda: sts.now).start()
    try:
        role = "arn:aws:iam::123456789012:role/offload-worker-task"
        granted = endpoint.issue(TASK_ARN, role)
        assert granted.full_uri.startswith("http://127.0.0.1:") and "/v2/credentials/" in granted.full_uri
        first = _fetch(granted.full_uri, granted.token).get_frozen_credentials()
        assert (first.access_key, first.secret_key, first.token) == ("ASIA1", "s", "t")
        assert [(f.task_arn, f.role_arn) for f in endpoint.fetches] == [(TASK_ARN, role)] and TASK_ARN in lines[0]
        path = urlparse(granted.full_uri).path
        assert endpoint.answer(path, "wrong")[0] == endpoint.answer(path, None)[0] == 401
        assert endpoint.answer("/v2/credentials/unknown", granted.token)[0] == 400
        sts.now = clock + timedelta(minutes=40)  # 20 minutes left: the endpoint assumes the role again
        assert _fetch(granted.full_uri, granted.token).get_frozen_credentials().access_key == "ASIA2"
        endpoint.revoke(TASK_ARN)
        assert endpoint.answer(path, granted.token)[0] == 400
        assert len(endpoint.fetches) == 2
    finally:
        endpoint.stop()
