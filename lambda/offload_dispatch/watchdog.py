"""Every few minutes: the figures CloudWatch has no metric of its own for, for the alarms.

- JobsStuckRunning: jobs RUNNING for longer than STUCK_AFTER_SECONDS (a worker hung, or
  its host vanished without ECS noticing yet).
- AgentsDisconnected / AgentsConnected: ACTIVE container instances whose ECS agent is not
  connected / is (the dashboard shows both).
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from offload_contract import jobs, metrics


def stuck_jobs(table: Any, stuck_after_seconds: int, now: int) -> list[str]:
    """Keys of the jobs RUNNING since before now - stuck_after_seconds."""
    condition = Attr(jobs.STATUS).eq(jobs.RUNNING) & Attr(jobs.STARTED_AT).lt(now - stuck_after_seconds)
    found: list[str] = []
    kwargs: dict[str, Any] = {
        "FilterExpression": condition,
        "ProjectionExpression": "#k",
        "ExpressionAttributeNames": {"#k": jobs.KEY},
    }
    while True:
        page = table.scan(**kwargs)
        found += [str(item.get(jobs.KEY, "")) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


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


def publish(cloudwatch: Any, cluster: str, stuck: int, connected: int, disconnected: int) -> None:
    dimensions = [{"Name": metrics.DIMENSION, "Value": cluster}]
    figures = {
        metrics.JOBS_STUCK_RUNNING: stuck,
        metrics.AGENTS_CONNECTED: connected,
        metrics.AGENTS_DISCONNECTED: disconnected,
    }
    cloudwatch.put_metric_data(
        Namespace=metrics.NAMESPACE,
        MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": "Count"}
            for name, value in figures.items()
        ],
    )
