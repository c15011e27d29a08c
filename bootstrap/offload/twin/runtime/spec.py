"""What the ECS agent makes of a task definition and a task: one `ContainerSpec` per
container, before any runtime sees it. Pure, so the unit tests check it line by line.

Followed from aws/amazon-ecs-agent (agent/api/task/task.go `dockerConfig`,
`getDockerResources`, `ApplyRegionToContainer`, `initializeCredentialsEndpoint`;
task_linux.go `dockerCPUShares`; engine/docker_task_engine.go `createContainer`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

MIB = 1024 * 1024
# container_unix.go DockerContainerMinimumMemoryInBytes; task_linux.go minimumCPUShares / maximumCPUShares
MINIMUM_MEMORY_BYTES = 4 * MIB
MINIMUM_CPU_SHARES, MAXIMUM_CPU_SHARES = 2, 262144
# config.go defaultDockerStopTimeout (ECS_CONTAINER_STOP_TIMEOUT) when the container sets no stopTimeout
DEFAULT_STOP_TIMEOUT_S = 30
LABEL_PREFIX = "com.amazonaws.ecs."
# The twin's own label: which container instance started it (the real agent keeps that in its state file).
INSTANCE_LABEL = "offload.twin.container-instance"
NETWORK_MODES = ("host", "none")


@dataclass(frozen=True)
class TaskCredentials:
    """Where a task's containers fetch the task role's credentials (twin/task_credentials.py)."""

    full_uri: str
    token: str


@dataclass(frozen=True)
class ContainerSpec:
    task_arn: str
    name: str
    docker_name: str
    image: str
    environment: dict[str, str]
    labels: dict[str, str]
    memory_bytes: int
    memory_reservation_bytes: int
    cpu_shares: int
    network_mode: str
    stop_timeout_s: int
    essential: bool
    entry_point: list[str] | None = None
    command: list[str] | None = None
    deviations: list[str] = field(default_factory=list)


def _override(task: dict[str, Any], container: str) -> dict[str, Any]:
    overrides = task.get("overrides", {}).get("containerOverrides", [])
    return next((o for o in overrides if o.get("name") == container), {})


def container_environment(definition: dict[str, Any], task: dict[str, Any], container: str) -> dict[str, str]:
    """The task definition's environment, then the task's overrides on top by name."""
    spec = next(c for c in definition["containerDefinitions"] if c["name"] == container)
    env = {e["name"]: e["value"] for e in spec.get("environment", [])}
    env.update({e["name"]: e["value"] for e in _override(task, container).get("environment", [])})
    return env


def agent_environment(
    env: dict[str, str], region: str, endpoint: str, credentials: TaskCredentials | None
) -> dict[str, str]:
    """What the agent adds: the credentials endpoint, the region only when neither variable is
    set (ApplyRegionToContainer), and AWS_ENDPOINT_URL, the twin's one declared addition.

    The twin serves credentials on loopback with a token (AWS_CONTAINER_CREDENTIALS_FULL_URI +
    AWS_CONTAINER_AUTHORIZATION_TOKEN, both read by botocore's ContainerProvider) where ECS
    Anywhere routes 169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI to its agent."""
    added = dict(env)
    if credentials is not None:
        added["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = credentials.full_uri
        added["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = credentials.token
    if "AWS_REGION" not in added and "AWS_DEFAULT_REGION" not in added:
        added["AWS_REGION"] = added["AWS_DEFAULT_REGION"] = region
    added.setdefault("AWS_ENDPOINT_URL", endpoint)
    return added


def cpu_shares(cpu: int) -> int:
    """A share, not a quota, as on ECS: 0 or 1 becomes 2 (Docker would turn 0 into 1024)."""
    return min(max(cpu, MINIMUM_CPU_SHARES), MAXIMUM_CPU_SHARES)


def memory_bytes(mib: int) -> int:
    """The hard limit; below Docker's minimum it is raised to it, as the agent does."""
    return 0 if mib <= 0 else max(mib * MIB, MINIMUM_MEMORY_BYTES)


def docker_name(family: str, revision: int, container: str) -> str:
    """`ecs-<family>-<revision>-<name>-<hex>`, the name alphanumeric and hyphens only."""
    name = re.sub(r"[^A-Za-z0-9-]+", "", container)
    return f"ecs-{family}-{revision}-{name}-{secrets.token_hex(10)}"


def network_mode(mode: str) -> tuple[str, list[str]]:
    """host and none as asked; bridge runs as host here (the machine allows no bridge network)."""
    if mode in NETWORK_MODES:
        return mode, []
    return "host", [f"networkMode {mode} runs as host: this engine has no bridge network"]


def labels(definition: dict[str, Any], task: dict[str, Any], container: str, cluster: str) -> dict[str, str]:
    return {
        LABEL_PREFIX + "task-arn": task["taskArn"],
        LABEL_PREFIX + "container-name": container,
        LABEL_PREFIX + "task-definition-family": definition["family"],
        LABEL_PREFIX + "task-definition-version": str(definition["revision"]),
        LABEL_PREFIX + "cluster": cluster,
        INSTANCE_LABEL: task["containerInstanceArn"],
    }


def task_containers(
    definition: dict[str, Any],
    task: dict[str, Any],
    cluster: str,
    region: str,
    endpoint: str,
    credentials: TaskCredentials | None,
) -> list[ContainerSpec]:
    """Every container of the task, in the task definition's order."""
    mode, deviations = network_mode(definition.get("networkMode") or "bridge")
    specs = []
    for container in definition["containerDefinitions"]:
        name = container["name"]
        override = _override(task, name)
        env = agent_environment(container_environment(definition, task, name), region, endpoint, credentials)
        specs.append(
            ContainerSpec(
                task_arn=task["taskArn"],
                name=name,
                docker_name=docker_name(definition["family"], definition["revision"], name),
                image=container["image"],
                environment=env,
                labels=labels(definition, task, name, cluster),
                memory_bytes=memory_bytes(int(override.get("memory") or container.get("memory") or 0)),
                memory_reservation_bytes=int(
                    override.get("memoryReservation") or container.get("memoryReservation") or 0
                )
                * MIB,
                cpu_shares=cpu_shares(int(override.get("cpu") or container.get("cpu") or 0)),
                network_mode=mode,
                stop_timeout_s=int(container.get("stopTimeout") or DEFAULT_STOP_TIMEOUT_S),
                essential=bool(container.get("essential", True)),
                entry_point=container.get("entryPoint"),
                command=override.get("command") or container.get("command"),
                deviations=deviations,
            )
        )
    return specs
