"""The watchdog's backlog metrics, JobsWaiting and OldestWaitSeconds, which the dashboard and the backlog alarm show."""

from __future__ import annotations

import time
from types import ModuleType

import boto3
import pytest
from offload_contract import jobs as job_record
from offload_contract import metrics

from tests.conftest import make_orders_stack
from tests.dispatcher import Context
from tests.figures import say
from tests.twin_cluster import CLUSTER

pytestmark = pytest.mark.functional


def _points(metric: str) -> list[dict[str, float]]:
    return list(boto3.client("cloudwatch").get_metric_statistics(
        Namespace="Offload", MetricName=metric, Dimensions=[{"Name": "Cluster", "Value": CLUSTER}],
        StartTime=time.time() - 600, EndTime=time.time() + 60, Period=60, Statistics=["Maximum", "Minimum"],
    )["Datapoints"])


def _waiting(table: object, job_id: str, since_ms: int) -> None:
    table.put_item(Item={"JobId": job_id, "Key": f"incoming/{job_id}.csv",  # type: ignore[attr-defined]
                         "Status": job_record.WAITING_FOR_CAPACITY, "UpdatedAt": job_record.now(),
                         job_record.WAITING_LINE: job_record.BACKLOG_LINE, job_record.WAITING_SINCE: since_ms})


def test_backlog_length_and_oldest_wait_come_from_the_index_and_zeros_are_published(aws: str) -> None:
    from offload_dispatch import watchdog

    make_orders_stack()
    table, now = boto3.resource("dynamodb").Table("jobs"), job_record.now()
    for n in range(7):
        _waiting(table, f"w{n}", (now - 400 + n) * 1000)
    table.put_item(Item={"JobId": "busy", "Status": job_record.RUNNING, "UpdatedAt": now})  # not in the line
    figures = watchdog.backlog_figures(table, now)
    assert figures == {metrics.JOBS_WAITING: 7, metrics.OLDEST_WAIT_SECONDS: 400}
    watchdog.publish(boto3.client("cloudwatch"), CLUSTER, figures)
    for n in range(7):  # the line drains: the jobs leave the sparse index
        table.update_item(Key={"JobId": f"w{n}"}, UpdateExpression="REMOVE WaitingLine, WaitingSince")
    drained = watchdog.backlog_figures(table, now)
    watchdog.publish(boto3.client("cloudwatch"), CLUSTER, drained)
    say(f"watchdog backlog figures: {figures}, then drained {drained}")
    assert drained == {metrics.JOBS_WAITING: 0, metrics.OLDEST_WAIT_SECONDS: 0}
    (waiting,), (oldest,) = _points("JobsWaiting"), _points("OldestWaitSeconds")
    assert (waiting["Maximum"], waiting["Minimum"]) == (7, 0) and (oldest["Maximum"], oldest["Minimum"]) == (400, 0)


def test_the_watchdog_run_publishes_the_backlog_figures(handler: ModuleType, twin: str) -> None:
    handler.watchdog_handler({}, Context())
    assert [p["Maximum"] for p in _points("JobsWaiting")] == [0]
    assert [p["Maximum"] for p in _points("OldestWaitSeconds")] == [0]
