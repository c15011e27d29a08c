"""Machines of the fleet: what has joined, and what went stale.

A machine is an SSM managed instance (mi-…, registered with an activation for
the stack's instance role) plus, once its ECS agent is up, a container instance
in the cluster whose ec2InstanceId is that mi- id. Either half can outlive the
other; `stale` finds both kinds of leftovers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from offload.lib.fleet.activation import when
from offload.lib.text import age


@dataclass(frozen=True)
class Machine:
    managed_instance_id: str
    computer_name: str
    ping_status: str  # Online / ConnectionLost / Inactive, or "missing" (no managed instance)
    last_ping: datetime | None
    container_instance_arn: str | None
    status: str | None  # the container instance's: ACTIVE / DRAINING / INACTIVE
    agent_connected: bool
    running_tasks: int
    cpu: int
    memory: int


def _resource(instance: dict[str, Any], name: str) -> int:
    return next(
        (int(r.get("integerValue", 0)) for r in instance.get("registeredResources", []) if r["name"] == name), 0
    )


def machines(ssm: Any, ecs: Any, cluster: str, role: str) -> list[Machine]:
    """Managed instances of the stack's role and the cluster's container instances, side by side."""
    managed: dict[str, dict[str, Any]] = {}
    for page in ssm.get_paginator("describe_instance_information").paginate():
        for info in page["InstanceInformationList"]:
            if info.get("IamRole", "").split("/")[-1] == role.split("/")[-1]:
                managed[info["InstanceId"]] = info
    containers: dict[str, dict[str, Any]] = {}
    for status in ("ACTIVE", "DRAINING", "INACTIVE"):
        arns = [
            a
            for p in ecs.get_paginator("list_container_instances").paginate(cluster=cluster, status=status)
            for a in p["containerInstanceArns"]
        ]
        for start in range(0, len(arns), 100):
            described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns[start : start + 100])
            for instance in described["containerInstances"]:
                containers[instance["ec2InstanceId"]] = instance
    found = []
    for instance_id in sorted(set(managed) | {i for i in containers if i.startswith("mi-")}):
        info, container = managed.get(instance_id, {}), containers.get(instance_id, {})
        found.append(
            Machine(
                managed_instance_id=instance_id,
                computer_name=info.get("ComputerName") or info.get("Name") or "",
                ping_status=info.get("PingStatus", "missing"),
                last_ping=when(info["LastPingDateTime"]) if info.get("LastPingDateTime") else None,
                container_instance_arn=container.get("containerInstanceArn"),
                status=container.get("status"),
                agent_connected=bool(container.get("agentConnected")),
                running_tasks=int(container.get("runningTasksCount", 0)),
                cpu=_resource(container, "CPU"),
                memory=_resource(container, "MEMORY"),
            )
        )
    return found


def stale(found: list[Machine], stale_after: timedelta, now: datetime | None = None) -> list[tuple[Machine, str]]:
    """Machines to deregister, each with why: gone quiet, half-registered, or inactive."""
    current = now or datetime.now(UTC)
    picked = []
    for machine in found:
        quiet = machine.last_ping is None or current - machine.last_ping > stale_after
        if machine.ping_status == "missing":
            picked.append((machine, "its managed instance is gone"))
        elif machine.ping_status != "Online" and quiet:
            picked.append((machine, f"no SSM ping since {_age(machine.last_ping, current)}"))
        elif machine.status == "INACTIVE":
            picked.append((machine, "container instance INACTIVE"))
    return picked


def deregister(ssm: Any, ecs: Any, cluster: str, machine: Machine) -> list[str]:
    """Both halves, the container instance first (ECS then stops placing tasks there)."""
    done = []
    if machine.container_instance_arn and machine.status != "INACTIVE":
        ecs.deregister_container_instance(cluster=cluster, containerInstance=machine.container_instance_arn, force=True)
        done.append(f"container instance {machine.container_instance_arn.rsplit('/', 1)[-1]}")
    if machine.ping_status != "missing":
        ssm.deregister_managed_instance(InstanceId=machine.managed_instance_id)
        done.append(f"managed instance {machine.managed_instance_id}")
    return done


def _age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    return age((now - when).total_seconds()) + " ago"


def table(found: list[Machine], now: datetime | None = None) -> str:
    current = now or datetime.now(UTC)
    rows = [
        ("MANAGED INSTANCE", "NAME", "SSM PING", "LAST PING", "CONTAINER INSTANCE", "AGENT", "TASKS", "CPU", "MEMORY")
    ]
    for m in found:
        rows.append(
            (
                m.managed_instance_id,
                m.computer_name or "-",
                m.ping_status,
                _age(m.last_ping, current),
                (m.container_instance_arn or "-").rsplit("/", 1)[-1] + (f" ({m.status})" if m.status else ""),
                "connected" if m.agent_connected else "disconnected" if m.container_instance_arn else "-",
                str(m.running_tasks),
                str(m.cpu),
                str(m.memory),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
