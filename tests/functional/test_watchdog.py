"""The watchdog's metrics, which the stuck-job and agent-disconnected alarms watch."""

from __future__ import annotations

import time
from types import ModuleType

import boto3
import pytest
from offload_contract import jobs as job_record

from tests.conftest import PING_TIMEOUT
from tests.dispatcher import Context
from tests.figures import say
from tests.twin_cluster import CLUSTER, join_instance

pytestmark = pytest.mark.functional


def _latest(metric: str) -> float:
    points = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="Offload", MetricName=metric, Dimensions=[{"Name": "Cluster", "Value": CLUSTER}],
        StartTime=time.time() - 600, EndTime=time.time() + 60, Period=60, Statistics=["Maximum"],
    )["Datapoints"]
    return max(p["Maximum"] for p in points)


def test_stuck_jobs_and_a_silent_agent_are_counted(handler: ModuleType, twin: str) -> None:
    join_instance(twin)
    now = job_record.now()
    table = boto3.resource("dynamodb").Table("jobs")
    for key, status, started in (("incoming/hung.csv", "RUNNING", now - 7200),
                                 ("incoming/busy.csv", "RUNNING", now - 60),
                                 ("incoming/done.csv", "SUCCEEDED", now - 7200)):
        table.put_item(Item={"JobId": key, "Key": key, "Status": status, "StartedAt": started})
    healthy = handler.watchdog_handler({}, Context())
    assert healthy == {"stuck": 1, "disconnected": 0}
    assert _latest("JobsStuckRunning") == 1 and _latest("AgentsConnected") == 1
    time.sleep(PING_TIMEOUT + 0.5)  # no heartbeat: the host has gone quiet
    silent = handler.watchdog_handler({}, Context())
    say(f"watchdog: stuck={silent['stuck']} disconnected={silent['disconnected']}")
    assert silent == {"stuck": 1, "disconnected": 1} and _latest("AgentsDisconnected") == 1
