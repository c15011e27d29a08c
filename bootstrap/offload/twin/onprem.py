"""Join the twin's cluster the way the ECS Anywhere install script's agents do.

The SSM agent registers with the activation (RegisterManagedInstance, an agent
API missing from botocore, so signed by hand here) and then heartbeats; the ECS
agent registers a container instance for that `mi-` id with its resources.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


class JoinError(RuntimeError):
    pass


def _ssm_agent_call(endpoint: str, region: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body)
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=data,
        headers={"X-Amz-Target": f"AmazonSSM.{action}", "Content-Type": "application/x-amz-json-1.1"},
    )
    credentials = boto3.Session().get_credentials()
    SigV4Auth(credentials, "ssm", region).add_auth(request)
    response = requests.post(endpoint + "/", data=data, headers=dict(request.headers), timeout=30)
    payload: dict[str, Any] = response.json() if response.content else {}
    if response.status_code != 200:
        raise JoinError(f"SSM {action}: {payload.get('__type', response.status_code)}: {payload.get('message', '')}")
    return payload


@dataclass(frozen=True)
class OnPremInstance:
    managed_instance_id: str
    container_instance_arn: str
    cluster: str


def register_managed_instance(endpoint: str, region: str, activation_id: str, activation_code: str) -> str:
    reply = _ssm_agent_call(
        endpoint,
        region,
        "RegisterManagedInstance",
        {
            "ActivationId": activation_id,
            "ActivationCode": activation_code,
            "PublicKey": "twin",
            "PublicKeyType": "Rsa",
            "Fingerprint": platform.node(),
        },
    )
    return str(reply["InstanceId"])


def heartbeat(endpoint: str, region: str, instance_id: str) -> None:
    _ssm_agent_call(
        endpoint,
        region,
        "UpdateInstanceInformation",
        {
            "InstanceId": instance_id,
            "AgentName": "amazon-ssm-agent",
            "AgentVersion": "twin",
            "AgentStatus": "Active",
            "PlatformName": platform.system(),
            "PlatformType": "Linux",
            "PlatformVersion": platform.release(),
            "ComputerName": platform.node(),
            "IPAddress": "127.0.0.1",
        },
    )


def join(
    endpoint: str,
    region: str,
    cluster: str,
    activation_id: str,
    activation_code: str,
    cpu: int | None = None,
    memory_mib: int | None = None,
    attributes: dict[str, str] | None = None,
    gpus: int = 0,
) -> OnPremInstance:
    """Register one managed instance and its container instance; returns their ids."""
    instance_id = register_managed_instance(endpoint, region, activation_id, activation_code)
    heartbeat(endpoint, region, instance_id)
    cpu = cpu or 1024 * (os.cpu_count() or 2)
    memory_mib = memory_mib or 4096
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name=region)
    registered = ecs.register_container_instance(
        cluster=cluster,
        instanceIdentityDocument=json.dumps({"instanceId": instance_id, "region": region}),
        totalResources=[
            {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory_mib},
            *([{"name": "GPU", "type": "STRINGSET", "stringSetValue": [f"GPU-{n}" for n in range(gpus)]}] * bool(gpus)),
        ],
        # ECS_INSTANCE_ATTRIBUTES (register-instance.sh sets them) arrive as attributes, as from the real agent
        attributes=[
            {"name": "ecs.capability.external", "value": "true"},
            *({"name": k, "value": v} for k, v in (attributes or {}).items()),
        ],
    )["containerInstance"]
    return OnPremInstance(instance_id, registered["containerInstanceArn"], cluster)
