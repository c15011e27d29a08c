"""The twin agent on a real engine builds and reports containers as the ECS agent does:
limits, shares, name, labels, environment without keys (the task role through the
credentials endpoint), exit codes, OOM, a missing image, essential containers."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import boto3
import docker
import pytest
from offload.twin.agent import LocalAgent
from offload.twin.runtime.docker import OUT_OF_MEMORY
from offload.twin.runtime.spec import LABEL_PREFIX, task_containers
from offload.twin.task_credentials import CredentialsEndpoint, sts_assume

from tests.conftest import REGION
from tests.docker.agent_cluster import (  # noqa: F401 - the fixtures by import
    Reports,
    agent_fixture,
    describe,
    describe_definition,
    labelled,
    register,
    run,
    start_agent,
    task_image_fixture,
    task_role,
    unique,
    wait_for,
    wait_stopped,
)
from tests.figures import say
from tests.twin_cluster import CLUSTER, make_cluster

pytestmark = pytest.mark.docker
PYTHON = "/opt/offload/bin/python"  # the worker image's venv: boto3 is there
# Writes an object with whatever credentials botocore finds, then exits 0.
PUT_OBJECT = "import boto3; boto3.client('s3').put_object(Bucket='orders-bucket', Key='from-container', Body=b'hi')"
TASK_LABEL = LABEL_PREFIX + "task-arn"
SECRET_NAMES = ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN")


def test_container_is_built_as_ecs_builds_it_and_gets_the_task_role_from_the_endpoint(
    agent: LocalAgent, docker_client: docker.DockerClient, task_image: str
) -> None:
    definition = register(
        [
            {
                "name": "worker",
                "image": task_image,
                "essential": True,
                "memory": 256,
                "memoryReservation": 128,
                "cpu": 512,
                "stopTimeout": 7,
                "entryPoint": [PYTHON, "-c"],
                "command": ["raise SystemExit(3)"],
                "environment": [{"name": "TABLE_NAME", "value": "Order"}, {"name": "S3_KEY", "value": "placeholder"}],
            }
        ],
        network_mode="bridge",
    )
    arn = run(
        definition,
        {
            "containerOverrides": [
                {
                    "name": "worker",
                    "command": [PUT_OBJECT],
                    "environment": [{"name": "S3_KEY", "value": "incoming/a.csv"}],
                }
            ]
        },
    )
    stopped = wait_stopped(arn)
    assert [c.get("exitCode") for c in stopped["containers"]] == [0]  # the override's command ran
    (container,) = labelled(docker_client, agent)
    config, host = container.attrs["Config"], container.attrs["HostConfig"]
    assert re.fullmatch(r"/ecs-offload-b1-1-worker-[0-9a-f]{20}", container.attrs["Name"])
    assert {k: v for k, v in config["Labels"].items() if k.startswith("com.amazonaws.ecs.")} == {
        "com.amazonaws.ecs.task-arn": arn,
        "com.amazonaws.ecs.container-name": "worker",
        "com.amazonaws.ecs.task-definition-family": "offload-b1",
        "com.amazonaws.ecs.task-definition-version": "1",
        "com.amazonaws.ecs.cluster": "offload",
    }
    assert (host["Memory"], host["MemoryReservation"], host["CpuShares"]) == (256 << 20, 128 << 20, 512)
    assert host["NanoCpus"] == 0 and host["CpuQuota"] == 0  # a share, not a quota, as on ECS
    assert host["NetworkMode"] == "host"  # bridge runs as host here, logged once
    assert "deviation: networkMode bridge runs as host" in (agent.log_dir / "agent.log").read_text()
    env = dict(line.split("=", 1) for line in config["Env"])
    assert env["S3_KEY"] == "incoming/a.csv" and env["TABLE_NAME"] == "Order" and env["AWS_REGION"] == "us-east-1"
    assert not [name for name in SECRET_NAMES if name in env], "static keys in the container's environment"
    assert (
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
        and env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    )
    # The container's SDK fetched the task role's credentials from the endpoint, and they worked.
    assert [(f.task_arn, f.role_arn.rsplit("/", 1)[-1]) for f in agent.credentials.fetches] == [
        (arn, "offload-b1-task")
    ]
    assert f"credentials: task {arn} fetched role" in (agent.log_dir / "agent.log").read_text()
    assert boto3.client("s3").get_object(Bucket="orders-bucket", Key="from-container")["Body"].read() == b"hi"
    path = urlparse(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]).path
    assert agent.credentials.answer(path, env["AWS_CONTAINER_AUTHORIZATION_TOKEN"])[0] == 400  # revoked at stop


SLEEP = "import time; time.sleep(600)"  # a Python PID 1 with no handler ignores SIGTERM: docker stop kills it
SLEEP_UNTIL_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, lambda *_: exit(143)); time.sleep(600)"


def _sleeper(image: str, name: str, essential: bool, code: str = SLEEP, **more: object) -> dict[str, object]:
    return {
        "name": name,
        "image": image,
        "essential": essential,
        "memory": 64,
        "entryPoint": [PYTHON, "-c", code],
        **more,
    }


def test_exit_codes_signals_and_an_essential_containers_end_stopping_the_others(
    agent: LocalAgent, docker_client: docker.DockerClient, task_image: str
) -> None:
    reports = Reports(agent)
    definition = register(
        [
            {"name": "ok", "image": task_image, "essential": False, "memory": 64, "entryPoint": [PYTHON, "-c", "pass"]},
            {
                "name": "fails",
                "image": task_image,
                "essential": False,
                "memory": 64,
                "entryPoint": [PYTHON, "-c", "raise SystemExit(1)"],
            },
            _sleeper(task_image, "bystander", essential=False, stopTimeout=1),
            _sleeper(task_image, "main", essential=True),
        ]
    )
    arn = run(definition)

    def named(name: str) -> docker.models.containers.Container:
        found = [c for c in labelled(docker_client, agent) if c.labels["com.amazonaws.ecs.container-name"] == name]
        return found[0] if found else None

    wait_for(lambda: all(named(n) and named(n).status == "exited" for n in ("ok", "fails")), what="ok, fails exit")
    wait_for(lambda: reports.of(arn, "RUNNING"), what="RUNNING reported")
    assert describe(arn)["lastStatus"] != "STOPPED"  # non-essential containers ended: the task runs on
    tic = time.monotonic()
    named("main").kill(signal="SIGKILL")
    wait_stopped(arn)
    took = time.monotonic() - tic
    sent = reports.of(arn, "STOPPED")  # every container (moto's task keeps only the first)
    assert sent is not None and sent["reason"] == "Essential container in task exited"
    codes = {c["containerName"]: c.get("exitCode") for c in sent["containers"]}
    assert codes == {"ok": 0, "fails": 1, "bystander": 137, "main": 137}  # 128 + SIGKILL, never negative
    assert took < 15  # the bystander's stopTimeout (1 s), not the agent's 30 s default
    say(f"docker agent: essential container killed -> bystander stopped (stopTimeout 1 s) in {took:.1f} s")


def test_out_of_memory_is_137_with_the_ecs_reason(agent: LocalAgent, task_image: str) -> None:
    reports = Reports(agent)
    hog = "x = bytearray(300 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"
    arn = run(
        register(
            [
                {
                    "name": "worker",
                    "image": task_image,
                    "essential": True,
                    "memory": 64,
                    "entryPoint": [PYTHON, "-c", hog],
                }
            ]
        )
    )
    stopped = wait_stopped(arn)
    (container,) = stopped["containers"]
    assert container["exitCode"] == 137 and container["reason"] == OUT_OF_MEMORY  # ECS's view
    assert stopped["stopCode"] == "EssentialContainerExited"
    sent = reports.of(arn, "STOPPED")
    assert sent is not None
    assert sent["containers"][0]["reason"] == OUT_OF_MEMORY == "OutOfMemoryError: Container killed due to memory usage"
    assert sent["containers"][0]["exitCode"] == 137


def test_a_missing_image_fails_the_task_as_ecs_does_never_in_process_mode(
    agent: LocalAgent, docker_client: docker.DockerClient, task_image: str
) -> None:
    reports = Reports(agent)
    missing = unique("offload-b1-missing") + ":dev"
    arn = run(register([{"name": "worker", "image": missing, "essential": True, "memory": 64}]))
    stopped = wait_stopped(arn)
    (container,) = stopped["containers"]
    assert container.get("exitCode") is None and stopped["stopCode"] == "TaskFailedToStart"  # ECS's view
    assert (
        container["reason"].startswith("CannotPullContainerError: ") and stopped["stoppedReason"] == container["reason"]
    )
    sent = reports.of(arn, "STOPPED")
    assert sent is not None and reports.of(arn, "RUNNING") is None  # it never ran
    (report,) = sent["containers"]
    assert "exitCode" not in report and report["reason"].startswith(f"CannotPullContainerError: pull image {missing}")
    assert sent["reason"] == report["reason"]
    assert labelled(docker_client, agent) == [] and agent.credentials.fetches == []


def test_a_restarted_agent_adopts_what_ecs_still_runs_removes_the_rest_and_its_stop_leaves_none(
    twin: str, docker_client: docker.DockerClient, task_image: str, tmp_path: Path
) -> None:
    make_cluster()
    agent = start_agent(twin, docker_client, tmp_path / "logs")  # not started yet: the earlier agent "died"
    # Its first credentials fetch comes after the earlier agent is gone: the restarted one answers.
    finishing = f"import time; time.sleep(3); {PUT_OBJECT}; raise SystemExit(3)"
    definition = register(
        [
            {
                "name": "worker",
                "image": task_image,
                "essential": True,
                "memory": 64,
                "entryPoint": [PYTHON, "-c", finishing],
            }
        ]
    )
    wanted, unwanted = run(definition), run(definition)
    boto3.client("ecs").stop_task(cluster=CLUSTER, task=unwanted, reason="gone while the agent was down")
    earlier = CredentialsEndpoint(sts_assume(twin, REGION), lambda _: None).start()
    for arn in (wanted, unwanted):  # what the earlier agent had started, by its labels
        given = earlier.issue(arn, task_role())
        (spec,) = task_containers(describe_definition(definition), describe(arn), CLUSTER, REGION, twin, given)
        agent.runtime.start(spec, tmp_path / "earlier.log")
    earlier.stop()  # the earlier agent died
    reports = Reports(agent)
    agent.start()
    try:
        remaining = lambda: [c.labels[TASK_LABEL] for c in labelled(docker_client, agent)]  # noqa: E731
        wait_for(lambda: remaining() == [wanted], what="the leftover ECS no longer wants removed")
        wait_stopped(wanted)
        sent = reports.of(wanted, "STOPPED")
        assert sent is not None and sent["containers"][0]["exitCode"] == 3  # followed to its end, not restarted
        assert reports.of(wanted, "RUNNING") is None and len(labelled(docker_client, agent)) == 1
        assert [f.task_arn for f in agent.credentials.fetches] == [wanted]  # same id and token, same port
        assert boto3.client("s3").get_object(Bucket="orders-bucket", Key="from-container")["Body"].read() == b"hi"
        sleeping = run(register([_sleeper(task_image, "worker", essential=True, code=SLEEP_UNTIL_SIGTERM)]))
        wait_for(lambda: reports.of(sleeping, "RUNNING"), what="sleeper running")
    finally:
        agent.stop()
    assert labelled(docker_client, agent) == []  # stopped and removed, by label


def test_stop_task_is_a_docker_stop_with_the_containers_stop_timeout(agent: LocalAgent, task_image: str) -> None:
    reports = Reports(agent)
    polite = _sleeper(task_image, "worker", essential=True, code=SLEEP_UNTIL_SIGTERM)
    deaf = _sleeper(task_image, "deaf", essential=False, stopTimeout=2)
    arn = run(register([polite, deaf]))
    wait_for(lambda: reports.of(arn, "RUNNING"), what="running")
    tic = time.monotonic()
    boto3.client("ecs").stop_task(cluster=CLUSTER, task=arn, reason="operator said so")
    stopped = wait_stopped(arn)
    took = time.monotonic() - tic
    assert (stopped["stopCode"], stopped["stoppedReason"]) == ("UserInitiated", "operator said so")
    sent = reports.of(arn, "STOPPED")
    assert sent is not None and sent["reason"] == ""  # ECS keeps the StopTask's reason
    assert {c["containerName"]: c["exitCode"] for c in sent["containers"]} == {"worker": 143, "deaf": 137}
    assert took < 15  # SIGTERM at once, SIGKILL after the deaf one's 2 s: not the agent's 30 s default
    say(f"docker agent: StopTask -> SIGTERM (143) and SIGKILL after stopTimeout 2 s (137) in {took:.1f} s")


def test_a_container_that_cannot_start_fails_the_task_with_cannot_start_container_error(
    agent: LocalAgent, docker_client: docker.DockerClient, task_image: str
) -> None:
    reports = Reports(agent)
    arn = run(
        register(
            [
                {
                    "name": "worker",
                    "image": task_image,
                    "essential": True,
                    "memory": 64,
                    "entryPoint": ["/no/such/entrypoint"],
                }
            ]
        )
    )
    stopped = wait_stopped(arn)
    (container,) = stopped["containers"]
    assert container.get("exitCode") is None and stopped["stopCode"] == "TaskFailedToStart"
    assert (
        container["reason"].startswith("CannotStartContainerError: ") and "/no/such/entrypoint" in container["reason"]
    )
    assert reports.of(arn, "RUNNING") is None
    assert labelled(docker_client, agent) == []  # the container that never started is removed
