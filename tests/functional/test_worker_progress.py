"""A long job shows its progress on the job record while it runs, rising to 100 %."""

from __future__ import annotations

import time

import pytest
from offload.lib.jobs.status import status_text
from offload.lib.jobs.store import Stack
from offload.twin import proxy
from offload_contract.layout import Layout

from tests.conftest import make_orders_stack
from tests.faults import fault_proxy
from tests.figures import say
from tests.functional.worker_run import BUCKET, job, put, start_worker
from tests.orders_csv import csv_text, many

pytestmark = pytest.mark.functional


class SlowDynamoDB(proxy.Hooks):
    """Each BatchWriteItem takes 40 ms more, as a far-away table would."""

    def request(self, request: proxy.Request) -> proxy.Reply | None:
        if "BatchWriteItem" in request.header("X-Amz-Target"):
            time.sleep(0.04)
        return None


def test_running_job_records_rising_progress_and_status_shows_it(aws: str) -> None:
    make_orders_stack()
    etag = put("incoming/slow.csv", csv_text(many(6000)))
    stack = Stack(region="us-east-1", bucket=BUCKET, layout=Layout(), jobs_table="jobs", orders_table="Order",
                  dlq_url="", endpoint=aws)
    seen: list[float] = []
    shown: list[str] = []
    with fault_proxy(aws, SlowDynamoDB()) as slow:
        worker = start_worker(aws, "incoming/slow.csv", etag, JOB_ID="slow", PROGRESS_SECONDS="1",
                              WRITE_CONCURRENCY="2", WORKER_PROCESSES="1", AWS_ENDPOINT_URL_DYNAMODB=slow)
        while worker.poll() is None:
            record = job("slow")
            if record.get("Status") == "RUNNING" and record.get("SizeBytes"):
                seen.append(float(record["BytesRead"]) / float(record["SizeBytes"]))
                shown.append(status_text(stack, with_dead_letters=False))
            time.sleep(0.3)
        assert worker.wait() == 0, worker.stderr.read() if worker.stderr else ""
    final = job("slow")
    assert final["Status"] == "SUCCEEDED" and final["BytesRead"] == final["SizeBytes"]
    assert final["RowsRead"] == 6000
    percents = sorted(set(seen))
    say(f"progress: {len(seen)} readings while running, {percents[0]:.0%} .. {percents[-1]:.0%}, then 100%")
    assert len(percents) >= 2 and seen == sorted(seen)  # rises, never falls
    assert any("% " in line and "rows/s" in line and "ETA" in line for line in shown), shown[-1]
    assert "100%" in status_text(stack, with_dead_letters=False)
