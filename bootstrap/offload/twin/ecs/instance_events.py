"""ECS "Container Instance State Change" events for the twin's EventBridge.

ECS sends one when an agent first registers its instance and when the agent's connection
changes (AWS: "Amazon ECS container instance state change events"); the `detail` is the
ContainerInstance as DescribeContainerInstances returns it. The twin sends them for the two
moments the dispatcher acts on: a registration, and an agent coming back (in the twin the
connection follows the host's SSM heartbeat, see instances.py). It leaves out the ones ECS
also sends whenever a task starts or stops on the instance (resources changed): the task's own
event covers that moment.
"""

from __future__ import annotations

import time
from typing import Any

from moto.ecs.models import ecs_backends

from offload.twin.ecs.tasks import TASK_EVENTS

DETAIL_TYPE = "ECS Container Instance State Change"


def instance_state_event(instance: Any) -> dict[str, Any]:
    account, region = instance._account_id, instance.region_name
    return {
        "version": "0",
        "id": f"{instance.id}-{time.monotonic_ns()}",
        "detail-type": DETAIL_TYPE,
        "source": "aws.ecs",
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [instance.container_instance_arn],
        "detail": {
            "agentConnected": bool(instance.agent_connected),
            "attributes": [{"name": k, "value": v} for k, v in instance.attributes.items()],
            "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/{instance.cluster_name}",
            "containerInstanceArn": instance.container_instance_arn,
            "ec2InstanceId": instance.ec2_instance_id,
            "registeredResources": instance.registered_resources,
            "remainingResources": instance.remaining_resources,
            "status": instance.status,
            "versionInfo": instance.version_info,
        },
    }


def announce(instance: Any) -> None:
    TASK_EVENTS.put(instance_state_event(instance))


def announce_managed_instance(account: str, region: str, managed_instance_id: str) -> None:
    """The host's agent is back: every container instance on it says so."""
    backend = ecs_backends[account][region]
    for instances in list(backend.container_instances.values()):
        for instance in list(instances.values()):
            if instance.ec2_instance_id == managed_instance_id and instance.status == "ACTIVE":
                announce(instance)
