"""Every few minutes: the figures CloudWatch has no metric of its own for, for the alarms.

- JobsStuckRunning: jobs RUNNING for longer than STUCK_AFTER_SECONDS (a worker hung, or
  its host vanished without ECS noticing yet).
- AgentsDisconnected: ACTIVE container instances whose ECS agent is not connected.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr
from offload_contract import jobs

NAMESPACE = "Offload"
STUCK_METRIC = "JobsStuckRunning"
DISCONNECTED_METRIC = "AgentsDisconnected"


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


def disconnected_agents(ecs: Any, cluster: str) -> list[str]:
    """ARNs of the cluster's ACTIVE container instances whose agent is not connected."""
    arns = [
        arn
        for page in ecs.get_paginator("list_container_instances").paginate(cluster=cluster, status="ACTIVE")
        for arn in page.get("containerInstanceArns", [])
    ]
    lost: list[str] = []
    for start in range(0, len(arns), 100):  # DescribeContainerInstances takes up to 100
        described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns[start : start + 100])
        lost += [i["containerInstanceArn"] for i in described["containerInstances"] if not i.get("agentConnected")]
    return lost


def publish(cloudwatch: Any, cluster: str, stuck: int, disconnected: int) -> None:
    dimensions = [{"Name": "Cluster", "Value": cluster}]
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {"MetricName": STUCK_METRIC, "Dimensions": dimensions, "Value": stuck, "Unit": "Count"},
            {"MetricName": DISCONNECTED_METRIC, "Dimensions": dimensions, "Value": disconnected, "Unit": "Count"},
        ],
    )
