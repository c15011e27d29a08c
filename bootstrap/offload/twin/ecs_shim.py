"""ECS Anywhere in moto: EXTERNAL task definitions, mi- container instances, placement.

* An EXTERNAL task definition keeps its network mode (stock moto makes it awsvpc,
  after which RunTask demands a network configuration ECS itself refuses).
* RegisterContainerInstance accepts an `mi-` managed instance registered through
  SSM, with the CPU and memory its agent reports.
* RunTask(launchType=EXTERNAL) places on those instances, answers `failures[]`
  (RESOURCE:CPU, RESOURCE:MEMORY, AGENT) when none has room, raises ECS's
  "No Container Instances were found" when there are none, and honours
  `clientToken` (a repeated call returns the first call's task).
* SubmitTaskStateChange (the agent's report) stops the task with its exit codes
  and queues an "ECS Task State Change" event for the twin's EventBridge.
"""

from __future__ import annotations

import inspect
import json
import queue
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import ContainerInstance, Task, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager
from moto.ssm.models import ssm_backends

from offload.twin import ssm_shim
from offload.twin.state import shim_state

# Events for the twin's EventBridge (see lambda_runtime); the real ECS emits these.
TASK_EVENTS: queue.Queue[dict[str, Any]] = queue.Queue()
EXTERNAL = "EXTERNAL"
_original_task_definition_init = TaskDefinition.__init__
_original_run_task = EC2ContainerServiceResponse.run_task
_original_register_container_instance = EC2ContainerServiceResponse.register_container_instance
_task_definition_signature = inspect.signature(_original_task_definition_init)


def _task_definition_init(self: TaskDefinition, *args: Any, **kwargs: Any) -> None:
    _original_task_definition_init(self, *args, **kwargs)
    bound = _task_definition_signature.bind(self, *args, **kwargs)
    if EXTERNAL in (bound.arguments.get("requires_compatibilities") or []):
        self.compatibilities = ["EC2", EXTERNAL]
        self.network_mode = bound.arguments.get("network_mode") or "bridge"


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
        hosts = ssm_shim.managed_instances(ssm_backends[self._account_id][self.region_name])
        host = hosts.get(self.ec2_instance_id)
        return host is not None and ssm_shim.ping_status(host) == "Online"


def register_container_instance(self: EC2ContainerServiceResponse) -> Any:
    document = json.loads(self._get_param("instanceIdentityDocument") or "{}")
    instance_id = str(document.get("instanceId", ""))
    if not instance_id.startswith("mi-"):
        return _original_register_container_instance(self)
    managed = ssm_shim.managed_instances(ssm_backends[self.current_account][self.region])
    if instance_id not in managed:
        raise JsonRESTError("ClientException", f"{instance_id} is not a registered SSM managed instance")
    backend = self.ecs_backend
    cluster_name = (self._get_param("cluster") or "default").split("/")[-1]
    if cluster_name not in backend.clusters:
        raise JsonRESTError("ClusterNotFoundException", "Cluster not found.")
    totals = {r["name"]: r.get("integerValue", 0) for r in self._get_param("totalResources") or []}
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
    )
    backend.container_instances.setdefault(cluster_name, {})[instance.container_instance_arn.split("/")[-1]] = instance
    backend.clusters[cluster_name].registered_container_instances_count += 1
    from moto.core.responses import ActionResult

    return ActionResult({"containerInstance": instance})


def _shortfall(instance: ContainerInstance, needs: dict[str, Any]) -> str | None:
    if not instance.agent_connected:
        return "AGENT"
    remaining = {r["name"]: r.get("integerValue", 0) for r in instance.remaining_resources}
    if needs["CPU"] > remaining["CPU"]:
        return "RESOURCE:CPU"
    if needs["MEMORY"] > remaining["MEMORY"]:
        return "RESOURCE:MEMORY"
    return None


def run_task(self: EC2ContainerServiceResponse) -> Any:
    if self._get_param("launchType") != EXTERNAL:
        return _original_run_task(self)
    from moto.core.responses import ActionResult

    backend = self.ecs_backend
    tokens = shim_state(backend, "client_tokens")
    token = self._get_param("clientToken")
    if token and token in tokens:
        return ActionResult({"tasks": [t for t in tokens[token]], "failures": []})
    if self._get_param("networkConfiguration"):
        raise InvalidParameterException("Network Configuration is not valid for launch type EXTERNAL.")
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    definition = backend.describe_task_definition(self._get_param("taskDefinition"))
    if EXTERNAL not in definition.compatibilities:
        raise InvalidParameterException("Task definition does not support launch_type EXTERNAL.")
    instances = [
        i
        for i in backend.container_instances.get(cluster.name, {}).values()
        if i.status == "ACTIVE" and i.ec2_instance_id.startswith("mi-")
    ]
    if not instances:
        raise InvalidParameterException("No Container Instances were found in your cluster.")
    needs = backend._calculate_task_resource_requirements(definition)
    tasks, failures = [], []
    for _ in range(self._get_int_param("count", 1)):
        placed = False
        for instance in sorted(instances, key=lambda i: i.running_tasks_count):
            if _shortfall(instance, needs) is None:
                task = Task(
                    cluster,
                    definition,
                    instance.container_instance_arn,
                    needs,
                    backend=backend,
                    group=f"family:{definition.family}",
                    launch_type=EXTERNAL,
                    overrides=self._get_param("overrides") or {},
                    started_by=self._get_param("startedBy") or "",
                    tags=self._get_param("tags") or [],
                )
                for container in task.containers:
                    container.exitCode = None  # type: ignore[assignment]  # not run yet
                backend.update_container_instance_resources(instance, needs)
                backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
                tasks.append(task)
                placed = True
                break
        if not placed:
            failures = [
                {"arn": i.container_instance_arn, "reason": _shortfall(i, needs) or "RESOURCE:MEMORY"}
                for i in instances
            ]
            break
    if token and tasks:
        tokens[token] = tasks
    return ActionResult({"tasks": tasks, "failures": failures})


def submit_task_state_change(self: EC2ContainerServiceResponse) -> str:
    backend = self.ecs_backend
    cluster = self._get_param("cluster", "default")
    task_arn = self._get_param("task")
    status = self._get_param("status")
    task = next((t for t in backend.list_tasks(cluster) if t.task_arn == task_arn), None)
    if task is None:
        raise JsonRESTError("InvalidParameterException", f"Task {task_arn} not found")
    reports = {c.get("containerName"): c for c in self._get_param("containers") or []}
    for container in task.containers:
        report = reports.get(container.name, {})
        if "exitCode" in report:
            container.exitCode = report["exitCode"]
        container.last_status = report.get("status", status)
    if status == "STOPPED" and task.last_status != "STOPPED":
        backend.stop_task(cluster, task_arn, self._get_param("reason") or "Essential container in task exited")
        TASK_EVENTS.put(task_state_event(task, self._get_param("reason") or ""))
    return json.dumps({"acknowledgment": "accepted"})


def task_state_event(task: Task, reason: str) -> dict[str, Any]:
    """The EventBridge event ECS sends when a task stops (the fields the dispatcher reads)."""
    return {
        "version": "0",
        "id": task.id,
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": task._account_id,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": task.region_name,
        "resources": [task.task_arn],
        "detail": {
            "clusterArn": task.cluster_arn,
            "taskArn": task.task_arn,
            "taskDefinitionArn": task.task_definition_arn,
            "containerInstanceArn": task.container_instance_arn,
            "launchType": task.launch_type,
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stoppedReason": reason,
            "stopCode": "EssentialContainerExited",
            "startedBy": task.started_by,
            "overrides": task.overrides,
            "containers": [{"name": c.name, "exitCode": c.exitCode, "lastStatus": "STOPPED"} for c in task.containers],
        },
    }


def install() -> None:
    TaskDefinition.__init__ = _task_definition_init  # type: ignore[method-assign]
    EC2ContainerServiceResponse.run_task = run_task  # type: ignore[method-assign]
    EC2ContainerServiceResponse.register_container_instance = register_container_instance  # type: ignore[method-assign]
    EC2ContainerServiceResponse.submit_task_state_change = submit_task_state_change  # type: ignore[attr-defined]
    # Tasks stay RUNNING until the agent reports them stopped (moto would advance them on every describe).
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
