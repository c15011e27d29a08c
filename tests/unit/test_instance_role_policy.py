"""The instance-role judge (tests/instance_role_policy.py) itself: it refuses the managed policies the
role had, another cluster's ARNs, and Poll without its ecs:cluster condition."""

from __future__ import annotations

import json
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.instance_role_policy import AGENT_ACTIONS, CLUSTER, CONTAINER_INSTANCES, Scope, problems

SCOPE = Scope("arn:aws:ecs:eu-west-1:123456789012:cluster/offload")
MANAGED = ("AmazonSSMManagedInstanceCore", "AmazonEC2ContainerServiceforEC2Role")


def _scoped(cluster_arn: str, condition: bool = True) -> dict[str, Any]:
    scope = Scope(cluster_arn)
    statements = []
    for action, (kind, _reason) in AGENT_ACTIONS.items():
        statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": scope.resources(kind)}
        if kind == CONTAINER_INSTANCES and condition:
            statement["Condition"] = {"ArnEquals": {"ecs:cluster": cluster_arn}}
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def test_the_agents_calls_on_this_clusters_arns_pass() -> None:
    assert problems([_scoped(SCOPE.cluster_arn)], [], SCOPE) == []


def test_the_managed_policies_the_role_had_are_refused() -> None:
    documents = [json.loads(aws_managed_policies_data)[name]["Document"] for name in MANAGED]
    found = problems(documents, list(MANAGED), SCOPE)
    assert "managed policy AmazonEC2ContainerServiceforEC2Role attached" in found
    for action in (
        "ssm:GetParameters",
        "ecr:BatchGetImage",
        "logs:PutLogEvents",
        "ecs:CreateCluster",
        "ecs:UpdateContainerInstancesState",
        "ssmmessages:OpenControlChannel",
        "ec2messages:GetMessages",
    ):
        assert f"{action}: not in the justified list" in found
    assert "ecs:Poll on ['*']: expected ['arn:aws:ecs:eu-west-1:123456789012:container-instance/offload/*']" in found


def test_another_clusters_arns_and_a_missing_condition_are_refused() -> None:
    other = problems([_scoped("arn:aws:ecs:eu-west-1:123456789012:cluster/other")], [], SCOPE)
    refused = {line.split(" ")[0] for line in other}
    assert refused == {a for a, (kind, _) in AGENT_ACTIONS.items() if kind in (CLUSTER, CONTAINER_INSTANCES)}
    assert len(other) == len(refused) + 2  # Poll and StartTelemetrySession: their condition names the other cluster
    assert problems([_scoped(SCOPE.cluster_arn, condition=False)], [], SCOPE) == [
        f"{a} without the ecs:cluster condition of {SCOPE.cluster_arn}"
        for a, (k, _) in AGENT_ACTIONS.items()
        if k == CONTAINER_INSTANCES
    ]
    wide = {"Effect": "Allow", "Action": "ecs:RegisterContainerInstance", "Resource": "*"}
    assert problems([{"Statement": [wide]}], [], SCOPE) == [
        f"ecs:RegisterContainerInstance on ['*']: expected {SCOPE.resources(CLUSTER)}"
    ]
    sneaky = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert problems([{"Statement": sneaky}], [], SCOPE)[0].startswith("NotAction/NotResource")
