"""ECS Anywhere container instances: an `mi-` managed instance registered through SSM,
with the CPU and memory its agent reports; agentConnected follows the host's SSM heartbeat."""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.models import ContainerInstance
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.ssm.models import ssm_backends

from offload.twin import ssm
from offload.twin.ecs.instance_events import announce

original_register_container_instance = EC2ContainerServiceResponse.register_container_instance


class ExternalContainerInstance(ContainerInstance):
    """A container instance on an SSM managed instance: no EC2 behind it.

    agentConnected follows the host's SSM heartbeat: in the twin both agents live and
    die with the machine, so a host gone quiet shows as disconnected in ECS too."""

    def __init__(
        self,
        managed_instance_id: str,
        account_id: str,
        region_name: str,
        cluster_name: str,
        backend: Any,
        cpu: int,
        memory: int,
        attributes: dict[str, str],
        gpus: list[str] | None = None,
    ) -> None:
        self.ec2_instance_id = managed_instance_id
        self.status = "ACTIVE"
        resources = [
            {"doubleValue": 0.0, "integerValue": cpu, "longValue": 0, "name": "CPU", "type": "INTEGER"},
            {"doubleValue": 0.0, "integerValue": memory, "longValue": 0, "name": "MEMORY", "type": "INTEGER"},
            {
                "doubleValue": 0.0,
                "integerValue": 0,
                "longValue": 0,
                "name": "PORTS",
                "stringSetValue": ["22", "51678", "51679"],
                "type": "STRINGSET",
            },
            {
                "doubleValue": 0.0,
                "integerValue": 0,
                "longValue": 0,
                "name": "PORTS_UDP",
                "stringSetValue": [],
                "type": "STRINGSET",
            },
        ]
        if gpus:  # an agent joined with --enable-gpu reports its devices
            resources.append(
                {
                    "doubleValue": 0.0,
                    "integerValue": 0,
                    "longValue": 0,
                    "name": "GPU",
                    "stringSetValue": gpus,
                    "type": "STRINGSET",
                }
            )
        self.registered_resources = [dict(r) for r in resources]
        self.remaining_resources = [json.loads(json.dumps(r)) for r in resources]
        self.pending_tasks_count = 0
        self.running_tasks_count = 0
        self.version_info = {"agentVersion": "twin", "agentHash": "twin", "dockerVersion": "none"}
        self.attributes = {"ecs.os-type": "linux", "ecs.capability.external": "true", **attributes}
        self.registered_at = utcnow()
        self.region_name = region_name
        self.id = managed_instance_id.replace("mi-", "") + "0" * 15
        self.cluster_name = cluster_name
        self._account_id = account_id
        self._backend = backend

    @property
    def agent_connected(self) -> bool:  # type: ignore[override]
        hosts = ssm.managed_instances(ssm_backends[self._account_id][self.region_name])
        host = hosts.get(self.ec2_instance_id)
        return host is not None and ssm.ping_status(host) == "Online"


def register_container_instance(self: EC2ContainerServiceResponse) -> Any:
    document = json.loads(self._get_param("instanceIdentityDocument") or "{}")
    instance_id = str(document.get("instanceId", ""))
    if not instance_id.startswith("mi-"):
        return original_register_container_instance(self)
    managed = ssm.managed_instances(ssm_backends[self.current_account][self.region])
    if instance_id not in managed:
        raise JsonRESTError("ClientException", f"{instance_id} is not a registered SSM managed instance")
    backend = self.ecs_backend
    cluster_name = (self._get_param("cluster") or "default").split("/")[-1]
    if cluster_name not in backend.clusters:
        raise JsonRESTError("ClusterNotFoundException", "Cluster not found.")
    totals = {r["name"]: r.get("integerValue", 0) for r in self._get_param("totalResources") or []}
    gpus = next((r.get("stringSetValue") for r in self._get_param("totalResources") or [] if r["name"] == "GPU"), None)
    attributes = {a["name"]: a.get("value", "") for a in self._get_param("attributes") or []}
    instance = ExternalContainerInstance(
        instance_id,
        self.current_account,
        self.region,
        cluster_name,
        backend,
        int(totals.get("CPU", 2048)),
        int(totals.get("MEMORY", 3800)),
        attributes,
        gpus,
    )
    backend.container_instances.setdefault(cluster_name, {})[instance.container_instance_arn.split("/")[-1]] = instance
    backend.clusters[cluster_name].registered_container_instances_count += 1
    announce(instance)  # ECS sends a container instance state change when an agent registers
    return ActionResult({"containerInstance": instance})
