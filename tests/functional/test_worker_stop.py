"""SIGTERM, what ECS's StopTask sends, stops a loading worker within moments: the job is FAILED
"stopped by ECS", the exit code is 143 (as ECS reports it), nothing is half-written, and a rerun
finishes the file exactly as an uninterrupted run does (worker/offload_worker/stop.py)."""

from __future__ import annotations

import signal
import subprocess
import time
from typing import Any

import boto3
import pytest

from tests.conftest import make_orders_stack
from tests.figures import say
from tests.functional.test_shards import claim_sharded, shard_env
from tests.functional.worker_run import BUCKET, get_text, job, keys, put, requeue, run_worker, start_worker
from tests.orders_csv import HEADER, row

pytestmark = pytest.mark.functional
KEY = "incoming/stop.csv"
ROWS = 8000  # a few seconds of loading, even on a fast machine: the stop lands mid-file
AGAIN = "OrderAgain"  # the stopped and rerun job loads into its own table: nothing to delete between runs


def orders(rows: int = ROWS) -> bytes:
    """Rows enough to take seconds to load, over few keys (the later row wins; few items to compare),
    with a quoted newline and rows that are rejected."""
    lines = [HEADER]
    for n in range(1, rows + 1):
        if n % 997 == 0:
            lines.append(row(n, Country='"Can"ada'))  # a stray quote: a rejected row
        else:
            lines.append(row(n % 500, TotalCost=f"{n}.00", Region='"Ontario\nnorth"' if n % 7 == 0 else "Ontario"))
    return ("\n".join(lines) + "\n").encode()


def _stack() -> None:
    make_orders_stack()
    boto3.client("dynamodb").create_table(
        TableName=AGAIN,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "OrderId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "OrderId", "KeyType": "HASH"}],
    )


def _loaded(job_id: str, table: str) -> dict[str, Any]:
    """What a job left: its counts, the table's items, the output and the rejects report."""
    record = job(job_id)
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table)
    items = {i["OrderId"]["S"]: i for page in pages for i in page["Items"]}
    counts = {k: record.get(k) for k in ("Status", "RowsTotal", "RowsLoaded", "RowsRejected", "RowsDuplicate")}
    results = {k: get_text(k) for k in ("processed/stop.csv", "rejected/stop.csv.rejects.csv")}
    return {"counts": counts, "items": items, **results}


def _forget_results() -> None:
    for key in keys("processed/") + keys("rejected/"):
        boto3.client("s3").delete_object(Bucket=BUCKET, Key=key)


def loading(record: dict[str, Any], shard: int | None = None) -> bool:
    """True once the worker has reported progress (it is mid-file); fails if the job ended first."""
    progress = record.get("Shards", {}).get(str(shard), {}) if shard is not None else record
    assert progress.get("Status") not in ("SUCCEEDED", "FAILED"), f"ended before it could be stopped: {record}"
    return int(progress.get("RowsRead", 0)) > 0


def _running(job_id: str, shard: int | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not loading(job(job_id), shard):
        assert time.monotonic() < deadline, f"job {job_id} reported no progress: {job(job_id)}"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[str]) -> tuple[int, float, str]:
    """SIGTERM as `docker stop` sends it; the exit code and how long the worker took to exit."""
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    return process.returncode, time.monotonic() - sent, err


def test_sigterm_mid_file_fails_the_job_at_once_and_a_rerun_loads_it_identically(aws: str) -> None:
    _stack()
    etag = put(KEY, orders())
    began = time.monotonic()
    whole = run_worker(aws, KEY, etag, JOB_ID="whole", WORKER_PROCESSES="3")
    load_seconds = time.monotonic() - began
    assert whole.code == 0, whole.stderr
    expected = _loaded("whole", "Order")
    _forget_results()

    worker = start_worker(
        aws, KEY, etag, JOB_ID="stopped", WORKER_PROCESSES="3", PROGRESS_SECONDS="1", TABLE_NAME=AGAIN
    )
    _running("stopped")
    code, stop_seconds, err = _stop(worker)
    record = job("stopped")
    assert code == 143, err[-2000:]  # 143, not 0: the signal came before every row was written
    assert record["Status"] == "FAILED" and record["ExitCode"] == 143
    assert record["Reason"].startswith("stopped by ECS: SIGTERM while loading"), record["Reason"]
    assert keys("processed/") == [] and keys("rejected/") == []  # no output, no rejects report
    assert stop_seconds < load_seconds / 2, (stop_seconds, load_seconds)

    requeue("stopped")
    rerun = run_worker(aws, KEY, etag, JOB_ID="stopped", WORKER_PROCESSES="3", TABLE_NAME=AGAIN)
    assert rerun.code == 0, rerun.stderr
    again = _loaded("stopped", AGAIN)
    for part in expected:
        assert again[part] == expected[part], part
    say(
        f"worker stop: SIGTERM mid-file -> exit 143 in {stop_seconds:.2f} s (uninterrupted load "
        f"{load_seconds:.1f} s, {ROWS} rows, 3 processes); rerun identical"
    )


def test_a_shard_stopped_mid_range_is_failed_and_its_rerun_completes_the_job(aws: str) -> None:
    _stack()
    body = orders()
    etag = put(KEY, body)
    whole = run_worker(aws, KEY, etag, JOB_ID="whole", WORKER_PROCESSES="3")
    assert whole.code == 0, whole.stderr
    expected = _loaded("whole", "Order")
    _forget_results()

    jid, ranges = claim_sharded(etag, len(body), shards=2)
    first = run_worker(aws, KEY, etag, **shard_env(jid, ranges, 0), TABLE_NAME=AGAIN)
    assert first.code == 0, first.stderr
    second = start_worker(aws, KEY, etag, **shard_env(jid, ranges, 1), PROGRESS_SECONDS="1", TABLE_NAME=AGAIN)
    _running(jid, shard=1)
    code, _seconds, err = _stop(second)
    record = job(jid)
    assert code == 143, err[-2000:]
    assert record["Status"] == "FAILED" and record["Reason"].startswith("shard 2/2: stopped by ECS: SIGTERM")
    assert record["Shards"]["1"]["Status"] == "FAILED" and record["Shards"]["1"]["ExitCode"] == 143
    assert record["Shards"]["0"]["Status"] == "SUCCEEDED" and "processed/stop.csv" not in keys("processed/")

    requeue(jid)
    rerun = run_worker(aws, KEY, etag, **shard_env(jid, ranges, 1), TABLE_NAME=AGAIN)  # `offload rerun`: shard 2
    assert rerun.code == 0, rerun.stderr
    again = _loaded(jid, AGAIN)
    for part in expected:
        assert again[part] == expected[part], part
    assert (
        boto3.client("s3").list_objects_v2(Bucket="orders-bucket", Prefix="processed/.offload-shards/")["KeyCount"] == 0
    )
