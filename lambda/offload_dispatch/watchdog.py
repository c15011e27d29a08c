"""Every few minutes: the figures CloudWatch has no metric of its own for, for the alarms, and
the jobs whose end was never heard of.

- JobsStuckRunning / JobsStuckQueued: jobs RUNNING since, or QUEUED without news for, longer
  than STUCK_AFTER_SECONDS (a worker hung, its host vanished, or its task never started).
- AgentsDisconnected / AgentsConnected: ACTIVE container instances whose ECS agent is not
  connected / is (the dashboard shows both).
- JobsWaiting / OldestWaitSeconds: the backlog's length and how long its head has waited, from
  the sparse Backlog index (a counting Query and the index's first item), zeros included, so the
  backlog alarm sees a datapoint every run.
- Reconciliation: an open job quiet for RECONCILE_AFTER_SECONDS has its tasks looked up
  (DescribeTasks). A STOPPED task whose EventBridge event never arrived gets the task-state
  handling it missed; a task ECS no longer knows (failures[] reason MISSING: ECS keeps stopped
  tasks visible for a limited time) fails the job, saying to rerun it.

Open jobs are read from the jobs table's ByStatus index (Status, UpdatedAt), never a scan, at most
MAX_JOBS_PER_RUN of each status and MAX_TASKS_PER_RUN tasks per run, oldest news first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from offload_contract import jobs, metrics

from offload_dispatch.ledger import Ledger
from offload_dispatch.outcome import Outputs
from offload_dispatch.task_state import handle_task_change

MAX_JOBS_PER_RUN = 100  # per status
MAX_TASKS_PER_RUN = 500  # DescribeTasks takes 100 a call: at most 5 calls (a sharded job has up to 100 tasks)
_DESCRIBE_BATCH = 100


def open_jobs(table: Any, status: str, quiet_since: int, **query: Any) -> list[Any]:
    """Jobs of this status whose record has not changed since quiet_since, oldest first, at most MAX_JOBS_PER_RUN."""
    limit = MAX_JOBS_PER_RUN
    found: list[Any] = []
    kwargs: dict[str, Any] = {
        "IndexName": jobs.STATUS_INDEX,
        "KeyConditionExpression": Key(jobs.STATUS).eq(status) & Key(jobs.UPDATED_AT).lt(quiet_since),
        **query,
    }
    while len(found) < limit:
        page = table.query(**kwargs, Limit=limit - len(found))
        found += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found


def stuck_jobs(table: Any, stuck_after_seconds: int, now: int) -> list[str]:
    """Keys of the jobs RUNNING since before now - stuck_after_seconds (all RUNNING jobs are read:
    one that records progress is stuck all the same)."""
    running = open_jobs(
        table, jobs.RUNNING, now + 1, FilterExpression=Attr(jobs.STARTED_AT).lt(now - stuck_after_seconds)
    )
    return [str(item.get(jobs.KEY, "")) for item in running]


def stuck_queued(table: Any, stuck_after_seconds: int, now: int) -> list[str]:
    """Keys of the jobs QUEUED with no news for stuck_after_seconds: the task never started."""
    return [str(item.get(jobs.KEY, "")) for item in open_jobs(table, jobs.QUEUED, now - stuck_after_seconds)]


@dataclass
class Reconciled:
    stopped: int = 0  # STOPPED tasks whose event had been lost: their jobs FAILED now
    missing: int = 0  # tasks ECS no longer knows: their jobs FAILED


def _open_tasks(job: dict[str, Any]) -> dict[str, int | None]:
    """The job's task ARNs that may still be running: task ARN -> shard index (None: whole file)."""
    shards = job.get(jobs.SHARDS)
    if not shards:
        return {str(job[jobs.TASK_ARN]): None} if job.get(jobs.TASK_ARN) else {}
    return {
        str(shard[jobs.TASK_ARN]): int(index)
        for index, shard in shards.items()
        if shard.get(jobs.TASK_ARN) and shard.get(jobs.STATUS) not in jobs.FINAL_STATUSES
    }


def reconcile(
    table: Any, ecs: Any, cluster: str, container: str, deciders: tuple[Ledger, Outputs], now: int, after: int
) -> Reconciled:
    """deciders: what handle_task_change needs to end a job (its ledger and the results' check);
    after: how long a job's record must have been quiet (RECONCILE_AFTER_SECONDS)."""
    ledger, outputs = deciders
    quiet = now - after
    owners: dict[str, tuple[str, int | None]] = {}  # task ARN -> (job id, shard)
    for status in (jobs.QUEUED, jobs.RUNNING):
        for job in open_jobs(table, status, quiet):
            tasks = _open_tasks(job)
            if len(owners) + len(tasks) > MAX_TASKS_PER_RUN:
                break  # the next run takes the rest: these jobs are still the oldest quiet ones
            owners.update({arn: (str(job[jobs.JOB_ID]), shard) for arn, shard in tasks.items()})
    done = Reconciled()
    arns = sorted(owners)
    for start in range(0, len(arns), _DESCRIBE_BATCH):
        described = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + _DESCRIBE_BATCH])
        for task in described.get("tasks", []):
            # A task's description is what its stopped event carries as detail.
            ended = task.get("lastStatus") == "STOPPED" and handle_task_change(task, container, ledger, outputs)
            if ended in ("failed", "succeeded"):
                done.stopped += 1
        for failure in described.get("failures", []):
            if failure.get("reason") != "MISSING" or failure.get("arn") not in owners:
                continue
            job_id, shard = owners[failure["arn"]]
            reason = (
                f"ECS no longer knows task {failure['arn']} (it stopped long ago and its stopped event never "
                f"arrived): see its logs, then `offload rerun {job_id}`"
            )
            if shard is None:
                ledger.failed(job_id, reason, None)
            else:
                ledger.shard_failed(job_id, shard, reason, None)
            done.missing += 1
    return done


def agents(ecs: Any, cluster: str) -> tuple[list[str], list[str]]:
    """ARNs of the cluster's ACTIVE container instances whose agent is connected, and is not."""
    arns = [
        arn
        for page in ecs.get_paginator("list_container_instances").paginate(cluster=cluster, status="ACTIVE")
        for arn in page.get("containerInstanceArns", [])
    ]
    connected: list[str] = []
    lost: list[str] = []
    for start in range(0, len(arns), 100):  # DescribeContainerInstances takes up to 100
        described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns[start : start + 100])
        for instance in described["containerInstances"]:
            (connected if instance.get("agentConnected") else lost).append(instance["containerInstanceArn"])
    return connected, lost


def backlog_figures(table: Any, now: int) -> dict[str, int]:
    """JobsWaiting and OldestWaitSeconds (0 when none waits), read from the Backlog index, never a scan."""
    line = Key(jobs.WAITING_LINE).eq(jobs.BACKLOG_LINE)
    kwargs: dict[str, Any] = {"IndexName": jobs.BACKLOG_INDEX, "KeyConditionExpression": line, "Select": "COUNT"}
    waiting = 0
    while True:  # a Query page stops at 1 MB read: follow LastEvaluatedKey to the line's end
        page = table.query(**kwargs)
        waiting += int(page.get("Count", 0))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    head = table.query(
        IndexName=jobs.BACKLOG_INDEX,
        KeyConditionExpression=line,
        ScanIndexForward=True,  # oldest arrival first
        Limit=1,
        ProjectionExpression="#since",
        ExpressionAttributeNames={"#since": jobs.WAITING_SINCE},
    ).get("Items", [])
    oldest = max(0, now - int(head[0][jobs.WAITING_SINCE]) // 1000) if head else 0
    return {metrics.JOBS_WAITING: waiting, metrics.OLDEST_WAIT_SECONDS: oldest}


_UNITS = {metrics.OLDEST_WAIT_SECONDS: "Seconds"}  # every other watchdog figure is a count


def publish(cloudwatch: Any, cluster: str, figures: dict[str, int]) -> None:
    """figures: metric name (metrics.WATCHDOG_METRICS, metrics.BACKLOG_METRICS) -> value."""
    dimensions = [{"Name": metrics.DIMENSION, "Value": cluster}]
    cloudwatch.put_metric_data(
        Namespace=metrics.NAMESPACE,
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": _UNITS.get(name, "Count")}
            for name, value in figures.items()
        ],
    )
