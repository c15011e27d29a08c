"""An ECS Anywhere cluster on the twin, made with the APIs Terraform and the agents use."""

from __future__ import annotations

import json

import boto3
from offload.twin.onprem import OnPremInstance, join

from tests.conftest import REGION, make_orders_stack

CLUSTER = "offload"
FAMILY = "offload-worker"
CONTAINER = "worker"
INSTANCE_ROLE = "offload-ecs-anywhere"


def instance_role() -> str:
    iam = boto3.client("iam")
    iam.create_role(RoleName=INSTANCE_ROLE, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))
    return INSTANCE_ROLE


def make_cluster(memory: int = 512) -> None:
    make_orders_stack()
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family=FAMILY, requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": CONTAINER, "image": "offload-worker:dev", "memory": memory, "cpu": 256,
                               "essential": True}],
    )


def join_instance(endpoint: str, memory_mib: int = 4096, limit: int = 1, attributes: dict[str, str] | None = None,
                  gpus: int = 0, cpu: int | None = None) -> OnPremInstance:
    ssm = boto3.client("ssm")
    try:
        role = instance_role()
    except boto3.client("iam").exceptions.EntityAlreadyExistsException:
        role = INSTANCE_ROLE
    activation = ssm.create_activation(IamRole=role, RegistrationLimit=limit)
    return join(endpoint, REGION, CLUSTER, activation["ActivationId"], activation["ActivationCode"],
                memory_mib=memory_mib, attributes=attributes, gpus=gpus, cpu=cpu)
