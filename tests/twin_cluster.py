"""An ECS Anywhere cluster on the twin, made with the APIs Terraform and the agents use."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from offload.twin.onprem import OnPremInstance, join

from tests.conftest import REGION, make_orders_stack

CLUSTER = "offload"
FAMILY = "offload-worker"
CONTAINER = "worker"
INSTANCE_ROLE = "offload-ecs-anywhere"


def use_own_stack(patch: pytest.MonkeyPatch, endpoint: str, access_key: str, home: Path, **tf_vars: str) -> None:
    """The environment of a test module's own stack on the twin: its state under `home`, its variables as TF_VAR_*."""
    for name, value in {
        "OFFLOAD_TWIN_DIR": str(home / "twin"),
        "OFFLOAD_TWIN_ENDPOINT": endpoint,
        "OFFLOAD_TARGET": "twin",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        **{f"TF_VAR_{variable}": value for variable, value in tf_vars.items()},
    }.items():
        patch.setenv(name, value)
    patch.setattr(boto3, "DEFAULT_SESSION", None)  # botocore keeps the credentials it first resolved


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
