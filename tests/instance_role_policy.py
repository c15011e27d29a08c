"""What the on-prem instance role may do, judged as the README promises: only the calls the ECS and
SSM agents on an EXTERNAL instance make, each on this cluster's ARNs where the action takes a
resource, and no managed policy. The list is the justification; docs/instance-role.md says more.

Resource kinds are those of the Service Authorization Reference ("Actions, resources, and condition
keys for Amazon Elastic Container Service" / "... AWS Systems Manager"): `*` only where an action
has no resource type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from tests.policy_documents import allowed, listed, read_role

CLUSTER = "cluster"  # arn:...:cluster/<name>
CONTAINER_INSTANCES = "container-instances"  # arn:...:container-instance/<name>/* and ecs:cluster
MANAGED_INSTANCES = "managed-instances"  # arn:...:ssm:<region>:<account>:managed-instance/*
ANY = "*"  # the action supports no resource-level permission

AGENT_ACTIONS: dict[str, tuple[str, str]] = {
    "ecs:RegisterContainerInstance": (CLUSTER, "the ECS agent joins the cluster (ECS_CLUSTER is set)"),
    "ecs:SubmitTaskStateChange": (CLUSTER, "the agent reports a task RUNNING/STOPPED"),
    "ecs:SubmitContainerStateChange": (CLUSTER, "the agent reports the worker's exit code"),
    "ecs:DeregisterContainerInstance": (CLUSTER, "register-instance.sh --deregister leaves with these credentials"),
    "ecs:Poll": (CONTAINER_INSTANCES, "ACS: the tasks to run and their roles' credentials"),
    "ecs:StartTelemetrySession": (CONTAINER_INSTANCES, "TCS: the agent's metrics and health"),
    "ecs:DiscoverPollEndpoint": (ANY, "where ACS and TCS are; the reference lists no resource type"),
    "ssm:UpdateInstanceInformation": (MANAGED_INSTANCES, "the SSM agent's heartbeat: the machine stays Online"),
}


@dataclass(frozen=True)
class Scope:
    """The ARNs of one stack's cluster."""

    cluster_arn: str

    def resources(self, kind: str) -> list[str]:
        partition, region, account = self.cluster_arn.split(":")[1], *self.cluster_arn.split(":")[3:5]
        return {
            CLUSTER: [self.cluster_arn],
            CONTAINER_INSTANCES: [self.cluster_arn.replace(":cluster/", ":container-instance/") + "/*"],
            MANAGED_INSTANCES: [f"arn:{partition}:ssm:{region}:{account}:managed-instance/*"],
            ANY: ["*"],
        }[kind]


def problems(documents: list[dict[str, Any]], attached: list[str], scope: Scope) -> list[str]:
    """Everything the role's policies allow beyond AGENT_ACTIONS on their resources; [] if nothing."""
    found: list[str] = []
    for action, statement in allowed(documents, attached, found):
        resources = sorted(listed(statement["Resource"]))
        if action not in AGENT_ACTIONS:
            found.append(f"{action}: not in the justified list")
            continue
        kind = AGENT_ACTIONS[action][0]
        if resources != scope.resources(kind):
            found.append(f"{action} on {resources}: expected {scope.resources(kind)}")
        cluster = statement.get("Condition", {}).get("ArnEquals", {}).get("ecs:cluster")
        if kind == CONTAINER_INSTANCES and listed(cluster) != [scope.cluster_arn]:
            found.append(f"{action} without the ecs:cluster condition of {scope.cluster_arn}")
    return found


def read_back(role: str, cluster_name: str) -> tuple[list[dict[str, Any]], list[str], Scope]:
    """The role's policies as the (twin's) IAM API returns them, and its cluster's ARNs."""
    (cluster,) = boto3.client("ecs").describe_clusters(clusters=[cluster_name])["clusters"]
    return (*read_role(role), Scope(cluster["clusterArn"]))
