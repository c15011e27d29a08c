"""The worker against a DynamoDB that fails in every way a real one does (tests/faults.py, behind
the twin's fault proxy in front of moto): every row loads, each item exactly right, with one load
process and with three; and a load process that fails has its own words in the job record."""

from __future__ import annotations

import os
import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from offload.twin import proxy
from offload_contract import confirmation_id

from tests.conftest import make_orders_stack
from tests.faults import DynamoDBErrorClasses, _error, fault_proxy
from tests.figures import say
from tests.functional.test_worker_progress import SlowDynamoDB
from tests.functional.worker_run import BUCKET, items, job, put, run_worker, start_worker
from tests.orders_csv import csv_text, many, row

pytestmark = pytest.mark.functional
KEY = "incoming/faulty.csv"
ROWS = 800


def _expected(order_id: int, etag: str) -> dict[str, Any]:
    return {
        "OrderId": str(order_id), "Region": "Ontario", "Country": "Canada", "ItemType": f"item {order_id % 7}",
        "SalesChannel": "shop.example", "OrderPriority": "2", "OrderDate": "2021-03-14", "ShipDate": "2021-03-20",
        "UnitSold": Decimal(12), "UnitPrice": Decimal("19.99"), "TotalRevenue": Decimal("239.88"),
        "TotalCost": Decimal(f"{order_id}.25"), "TotalProfit": Decimal("119.88"), "SourceKey": KEY,
        "ConfirmationId": confirmation_id(BUCKET, KEY, etag, str(order_id)),
    }


@pytest.mark.parametrize("processes", [1, 3])
def test_every_error_class_is_retried_and_every_row_loads_exactly(aws: str, processes: int) -> None:
    make_orders_stack()
    etag = put(KEY, csv_text(row(n, ItemType=f"item {n % 7}", TotalCost=f"{n}.25") for n in range(1, ROWS + 1)))
    faults = DynamoDBErrorClasses()
    with fault_proxy(aws, faults) as url:
        run = run_worker(aws, KEY, etag, JOB_ID="faulty", WORKER_PROCESSES=str(processes),
                         AWS_ENDPOINT_URL_DYNAMODB=url)
    say(f"worker faults, {processes} load process(es): exit={run.code} injected={faults.injected}")
    assert run.code == 0, run.stderr
    assert all(faults.injected.values()), faults.injected  # every class was met at least once
    assert items() == {str(n): _expected(n, etag) for n in range(1, ROWS + 1)}
    record = job("faulty")
    assert (record["Status"], record["RowsLoaded"], record["LoadProcesses"]) == ("SUCCEEDED", ROWS, processes)


class TableGoneForBatches(proxy.Hooks):
    """The table is there for DescribeTable (the worker checks its keys first), gone for every batch."""

    def request(self, request: proxy.Request) -> proxy.Reply | None:
        if "BatchWriteItem" in request.header("X-Amz-Target"):
            return _error(400, "ResourceNotFoundException", "Requested resource not found")
        return None


def test_a_load_process_failure_reaches_the_job_record_in_its_own_words(aws: str) -> None:
    make_orders_stack()
    # Enough rows that the reader is still dealing when its load processes give up.
    etag = put(KEY, csv_text(row(n) for n in range(1, 30_001)))
    with fault_proxy(aws, TableGoneForBatches()) as refusing:  # every batch is refused: ResourceNotFoundException
        run = run_worker(aws, KEY, etag, JOB_ID="refused", WORKER_PROCESSES="3", AWS_ENDPOINT_URL_DYNAMODB=refusing)
    record = job("refused")
    say(f"load process failure, 3 processes: exit={run.code} reason={record['Reason']!r}")
    assert (run.code, record["Status"], record["ExitCode"]) == (3, "FAILED", 3)
    assert "DynamoDB refused a batch for table 'Order': ResourceNotFoundException" in record["Reason"]


def _load_processes(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(c) for c in children if b"multiprocessing" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_a_load_process_killed_is_named_in_the_job_record(aws: str) -> None:
    make_orders_stack()
    etag = put(KEY, csv_text(many(3000)))
    with fault_proxy(aws, SlowDynamoDB()) as slow:  # 40 ms a batch: the load takes seconds
        worker = start_worker(aws, KEY, etag, JOB_ID="killed", WORKER_PROCESSES="3", WRITE_CONCURRENCY="3",
                              AWS_ENDPOINT_URL_DYNAMODB=slow)
        deadline = time.monotonic() + 30
        while len(children := _load_processes(worker.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # loading
        # The last one started (the highest pid): the reader once held its end of the pipe open
        # too, so a send to it blocked for ever instead of failing.
        os.kill(max(children), signal.SIGKILL)  # as the kernel's OOM killer would
        try:
            worker.wait(timeout=60)
        finally:
            worker.kill()
    record = job("killed")
    say(f"load process SIGKILLed, 3 processes: exit={worker.returncode} reason={record['Reason']!r}")
    assert (worker.returncode, record["Status"]) == (3, "FAILED")
    assert record["Reason"] == "load process 3 of 3 was killed (SIGKILL: out of memory?) before loading its rows"
