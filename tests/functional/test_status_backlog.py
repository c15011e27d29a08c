"""`offload status` reads the backlog from the jobs table's sparse Backlog index as DynamoDB (moto) answers it."""

from __future__ import annotations

import boto3
import pytest
from offload.lib.jobs.status import status_text
from offload.lib.jobs.store import Stack
from offload_contract import jobs
from offload_contract.layout import Layout

from tests.conftest import make_orders_stack
from tests.figures import say

pytestmark = pytest.mark.functional


def test_status_lists_the_line_oldest_first_from_the_index(aws: str) -> None:
    make_orders_stack()
    table, now = boto3.resource("dynamodb").Table("jobs"), jobs.now()
    for name, waited in (("late", 10), ("early", 200), ("middle", 70)):
        table.put_item(Item={"JobId": name, "Key": f"incoming/{name}.csv", "Status": jobs.WAITING_FOR_CAPACITY,
                             "CreatedAt": now - waited, "UpdatedAt": now, "Reason": "no room",
                             jobs.WAITING_LINE: jobs.BACKLOG_LINE, jobs.WAITING_SINCE: (now - waited) * 1000})
    for name, status in (("busy", jobs.RUNNING), ("done", jobs.SUCCEEDED)):  # not in the sparse index
        table.put_item(Item={"JobId": name, "Key": f"incoming/{name}.csv", "Status": status, "CreatedAt": now,
                             "UpdatedAt": now})
    stack = Stack(region="us-east-1", bucket="orders-bucket", layout=Layout(), jobs_table="jobs",
                  orders_table="Order", dlq_url="", endpoint=aws)
    shown = status_text(stack, now=now, with_dead_letters=False)
    say(shown.splitlines()[0])
    assert shown.splitlines()[0] == "backlog: waiting 3 (oldest 3m20s), running 1"
    places = {line.split()[0]: line.split("#")[1].split()[0] for line in shown.splitlines() if " in line" in line}
    assert places == {"incoming/early.csv": "1", "incoming/middle.csv": "2", "incoming/late.csv": "3"}
