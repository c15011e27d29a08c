"""ECS Anywhere in moto: EXTERNAL task definitions, mi- container instances, placement.

* An EXTERNAL task definition keeps its network mode (stock moto makes it awsvpc,
  after which RunTask demands a network configuration ECS itself refuses).
* RegisterContainerInstance accepts an `mi-` managed instance registered through
  SSM, with the CPU and memory its agent reports.
* As ECS: a RunTask `clientToken` reused with other parameters raises ConflictException
  naming the token's tasks in `resourceIds`, and DescribeTasks answers a task it does not
  know (long stopped) as `failures[]` with reason MISSING; moto returns the first call's
  task, and leaves the unknown one out.
* RunTask(launchType=EXTERNAL) places on those instances, answers `failures[]`
  (RESOURCE:CPU, RESOURCE:MEMORY, AGENT) when none has room, raises ECS's
  "No Container Instances were found" when there are none, and honours
  `clientToken` (a repeated call returns the first call's task).
* StopTask of a running EXTERNAL task sets desired STOPPED, stopCode UserInitiated and the
  reason, and leaves the task RUNNING until its agent reports it stopped (moto: STOPPED at once).
* SubmitTaskStateChange (the agent's report) stops the task with its containers' exit codes and
  reasons and its stopCode, and queues an "ECS Task State Change" event for the twin's EventBridge.
* An instance registering, or its host's heartbeat returning after ConnectionLost, queues an
  "ECS Container Instance State Change" event (instance_events.py), as ECS sends on a
  registration and on an agent reconnecting.
* RunTask(EXTERNAL) is one call at a time: two calls racing with one clientToken get one task,
  as from ECS.
"""

from __future__ import annotations

from moto.ecs.models import TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager

from offload.twin import ssm
from offload.twin.ecs import instance_events, instances, tasks


def install() -> None:
    TaskDefinition.__init__ = tasks.task_definition_init  # type: ignore[method-assign]
    EC2ContainerServiceResponse.run_task = tasks.run_task  # type: ignore[method-assign]
    EC2ContainerServiceResponse.describe_tasks = tasks.describe_tasks  # type: ignore[method-assign]
    EC2ContainerServiceResponse.register_container_instance = instances.register_container_instance  # type: ignore[method-assign]
    EC2ContainerServiceResponse.submit_task_state_change = tasks.submit_task_state_change  # type: ignore[attr-defined]
    EC2ContainerServiceResponse.stop_task = tasks.stop_task  # type: ignore[method-assign]
    if instance_events.announce_managed_instance not in ssm.RECONNECTED:
        ssm.RECONNECTED.append(instance_events.announce_managed_instance)
    # Tasks stay RUNNING until the agent reports them stopped (moto would advance them on every describe).
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
