"""ECS Anywhere tasks in moto: EXTERNAL task definitions, RunTask placement on `mi-`
instances, StopTask left to the agent, and the agent's SubmitTaskStateChange turned into
EventBridge events."""

from __future__ import annotations

import inspect
import json
import queue
import threading
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import ContainerInstance, Task, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from offload.twin.ecs import placement
from offload.twin.state import shim_state

# Events for the twin's EventBridge (see twin/events.py); the real ECS emits these.
TASK_EVENTS: queue.Queue[dict[str, Any]] = queue.Queue()
# The twin serves requests in threads; ECS answers two RunTasks racing on one clientToken with one task.
_RUN_TASK_LOCK = threading.Lock()
EXTERNAL = "EXTERNAL"
original_task_definition_init = TaskDefinition.__init__
original_run_task = EC2ContainerServiceResponse.run_task
original_stop_task = EC2ContainerServiceResponse.stop_task
# The task's stopCode, and the stoppedReason ECS gives a StopTask without one
USER_INITIATED, FAILED_TO_START, EXITED = "UserInitiated", "TaskFailedToStart", "EssentialContainerExited"
USER_STOPPED = "Task stopped by user"  # repost.aws/knowledge-center/ecs-task-stopped
ESSENTIAL_EXITED = "Essential container in task exited"
_task_definition_signature = inspect.signature(original_task_definition_init)


def task_definition_init(self: TaskDefinition, *args: Any, **kwargs: Any) -> None:
    original_task_definition_init(self, *args, **kwargs)
    bound = _task_definition_signature.bind(self, *args, **kwargs)
    if EXTERNAL in (bound.arguments.get("requires_compatibilities") or []):
        self.compatibilities = ["EC2", EXTERNAL]
        self.network_mode = bound.arguments.get("network_mode") or "bridge"


def _shortfall(instance: ContainerInstance, needs: dict[str, Any], member_of: list[str], gpus: int) -> str | None:
    if not all(placement.matches(e, instance.attributes) for e in member_of):
        return placement.MEMBER_OF_UNMET
    if not instance.agent_connected:
        return "AGENT"
    if gpus > placement.gpus_of(instance):
        return "RESOURCE:GPU"
    remaining = {r["name"]: r.get("integerValue", 0) for r in instance.remaining_resources}
    if needs["CPU"] > remaining["CPU"]:
        return "RESOURCE:CPU"
    if needs["MEMORY"] > remaining["MEMORY"]:
        return "RESOURCE:MEMORY"
    return None


class ConflictException(ECSException):
    """RunTask's clientToken reused with other parameters; `resourceIds`: the token's tasks (as ECS answers)."""

    code = "ConflictException"

    def __init__(self, task_arns: list[str]) -> None:
        super().__init__(
            "The RunTask request could not be processed due to conflicts. The provided clientToken is "
            "already in use with a different RunTask request.",
        )
        self.resourceIds = task_arns


def _request_parameters(self: EC2ContainerServiceResponse) -> str:
    """What ECS compares for a repeated clientToken: every parameter but the token itself."""
    return json.dumps({k: v for k, v in self._get_params().items() if k != "clientToken"}, sort_keys=True)


def run_task(self: EC2ContainerServiceResponse) -> Any:
    if self._get_param("launchType") != EXTERNAL:
        return original_run_task(self)
    with _RUN_TASK_LOCK:
        return _run_external_task(self)


def _run_external_task(self: EC2ContainerServiceResponse) -> Any:
    backend = self.ecs_backend
    tokens = shim_state(backend, "client_tokens")
    token = self._get_param("clientToken")
    if token and token in tokens:
        parameters, known = tokens[token]
        if parameters != _request_parameters(self):
            raise ConflictException([t.task_arn for t in known])
        return ActionResult({"tasks": list(known), "failures": []})
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
    member_of = placement.member_of(
        [*(definition.placement_constraints or []), *(self._get_param("placementConstraints") or [])]
    )
    gpus = placement.gpus_needed(definition)
    tasks, failures = [], []
    for _ in range(self._get_int_param("count", 1)):
        placed = False
        for instance in sorted(instances, key=lambda i: i.running_tasks_count):
            if _shortfall(instance, needs, member_of, gpus) is None:
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
                {"arn": i.container_instance_arn, "reason": _shortfall(i, needs, member_of, gpus) or "RESOURCE:MEMORY"}
                for i in instances
            ]
            break
    if token and tasks:
        tokens[token] = (_request_parameters(self), tasks)
    return ActionResult({"tasks": tasks, "failures": failures})


def stop_task(self: EC2ContainerServiceResponse) -> Any:
    """StopTask of a running EXTERNAL task: desired STOPPED, stopCode UserInitiated and the reason;
    the task stays RUNNING (and keeps its resources) until its agent reports the container ended,
    as on ECS: the agent `docker stop`s it (SIGTERM, SIGKILL after the stop timeout). Stock moto
    marks it STOPPED at once."""
    cluster = self._get_param("cluster", "default")
    task = _task(self.ecs_backend, cluster, self._get_param("task"))
    if task is None or task.launch_type != EXTERNAL:
        return original_stop_task(self)
    if task.desired_status == "RUNNING":
        task.desired_status = "STOPPED"
        task.stop_code = USER_INITIATED  # type: ignore[attr-defined]  # moto's Task has none; DescribeTasks shows it
        task.stopped_reason = self._get_param("reason") or USER_STOPPED
        if not any(c.last_status == "RUNNING" for c in task.containers):  # not started: nothing to stop
            self.ecs_backend.stop_task(cluster, task.task_arn, task.stopped_reason)
            TASK_EVENTS.put(task_state_event(task))
    return ActionResult({"task": task})


def _task(backend: Any, cluster: str, task: str) -> Task | None:
    task_id = task.rsplit("/", 1)[-1]
    return next((t for t in backend.list_tasks(cluster) if t.task_arn.rsplit("/", 1)[-1] == task_id), None)


def submit_task_state_change(self: EC2ContainerServiceResponse) -> str:
    """The agent's report. STOPPED gives the task its stopCode as ECS does: UserInitiated after a
    StopTask, TaskFailedToStart when no container ever ran (the agent reported no RUNNING: image
    not pulled, container not created or started), else EssentialContainerExited."""
    backend = self.ecs_backend
    cluster = self._get_param("cluster", "default")
    task_arn = self._get_param("task")
    status = self._get_param("status")
    task = _task(backend, cluster, task_arn)
    if task is None:
        raise JsonRESTError("InvalidParameterException", f"Task {task_arn} not found")
    reports = {c.get("containerName"): c for c in self._get_param("containers") or []}
    started = any(c.last_status == "RUNNING" for c in task.containers)
    for container in task.containers:
        report = reports.get(container.name, {})
        if "exitCode" in report:
            container.exitCode = report["exitCode"]
        if report.get("reason"):
            container.reason = report["reason"]  # type: ignore[attr-defined]  # moto's has none; DescribeTasks shows it
        container.last_status = report.get("status", status)
    if status == "STOPPED" and task.last_status != "STOPPED":
        if task.desired_status != "STOPPED":  # no StopTask: the agent says why it ended
            task.stop_code = EXITED if started else FAILED_TO_START  # type: ignore[attr-defined]
            task.stopped_reason = self._get_param("reason") or ESSENTIAL_EXITED
        backend.stop_task(cluster, task.task_arn, task.stopped_reason)
        TASK_EVENTS.put(task_state_event(task))
    return json.dumps({"acknowledgment": "accepted"})


def task_state_event(task: Any) -> dict[str, Any]:
    """The EventBridge event ECS sends when a task stops (the fields the dispatcher reads)."""
    containers = []
    for c in task.containers:
        container: dict[str, Any] = {"name": c.name, "lastStatus": "STOPPED"}
        if c.exitCode is not None:  # absent, as on ECS, when the container never ran
            container["exitCode"] = c.exitCode
        if getattr(c, "reason", None):
            container["reason"] = c.reason
        containers.append(container)
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
            "stoppedReason": task.stopped_reason,
            "stopCode": task.stop_code,
            "startedBy": task.started_by,
            "overrides": task.overrides,
            "containers": containers,
        },
    }


original_describe_tasks = EC2ContainerServiceResponse.describe_tasks


def describe_tasks(self: EC2ContainerServiceResponse) -> Any:
    """As ECS: a task it does not know (long stopped, or never there) is a `failures[]` entry, reason MISSING."""
    result: Any = original_describe_tasks(self)
    found = {task.task_arn for task in result.result["tasks"]}
    found |= {arn.rsplit("/", 1)[-1] for arn in found}
    result.result["failures"] = [
        {"arn": arn, "reason": "MISSING"} for arn in self._get_param("tasks", []) if arn not in found
    ]
    return result
