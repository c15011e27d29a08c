"""The job's fate is decided in the cloud (docs/contract.md "Who writes the record"): a worker process
only reports; the task-state function marks SUCCEEDED on the task's exit 0, once the reported output
checks out in S3, and FAILED saying what did not."""

from __future__ import annotations

import subprocess
import sys

import boto3
import pytest
from offload_contract import jobs

from tests.conftest import make_orders_stack
from tests.functional.worker_run import BUCKET, job, put, tell_task_state, worker_env
from tests.orders_csv import csv_text, row

pytestmark = pytest.mark.functional
KEY = "incoming/fate.csv"
OUTPUT = "processed/fate.csv"


def _worker_alone(endpoint: str, etag: str, job_id: str) -> dict[str, str]:
    """The worker process with no task-state function behind it; its env, for the events."""
    env = worker_env(endpoint, KEY, etag, JOB_ID=job_id)
    done = subprocess.run([sys.executable, "-m", "offload_worker"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return env


def test_a_worker_process_cannot_mark_its_job_succeeded(aws: str) -> None:
    make_orders_stack()
    etag = put(KEY, csv_text([row(1), row(2)]))
    env = _worker_alone(aws, etag, "fate")
    record = job("fate")
    assert record.get(jobs.STATUS) != jobs.SUCCEEDED, record  # the worker only reported
    assert record[jobs.REPORT][jobs.REPORTED_STATUS] == jobs.REPORTED_LOADED
    assert tell_task_state(env, "STOPPED", 0) == "succeeded"
    record = job("fate")
    assert record[jobs.STATUS] == jobs.SUCCEEDED and record[jobs.EXIT_CODE] == 0
    assert (record[jobs.ROWS_LOADED], record[jobs.OUTPUT_KEY]) == (2, OUTPUT)


def test_a_reported_output_that_is_missing_fails_the_job_saying_so(aws: str) -> None:
    make_orders_stack()
    etag = put(KEY, csv_text([row(1)]))
    env = _worker_alone(aws, etag, "gone")
    boto3.client("s3").delete_object(Bucket=BUCKET, Key=OUTPUT)
    assert tell_task_state(env, "STOPPED", 0) == "failed"
    record = job("gone")
    assert record[jobs.STATUS] == jobs.FAILED
    assert record[jobs.REASON] == f"worker exited with code 0 but output s3://{BUCKET}/{OUTPUT} is missing"


def test_a_reported_output_whose_etag_differs_fails_the_job_saying_so(aws: str) -> None:
    make_orders_stack()
    etag = put(KEY, csv_text([row(1)]))
    env = _worker_alone(aws, etag, "forged")
    replaced = put(OUTPUT, "OrderId,ConfirmationId\nforged,row\n").strip('"')  # another host's bytes
    assert tell_task_state(env, "STOPPED", 0) == "failed"
    record = job("forged")
    assert record[jobs.STATUS] == jobs.FAILED
    said = f"worker exited with code 0 but output s3://{BUCKET}/{OUTPUT} has ETag {replaced}, not the reported "
    assert record[jobs.REASON].startswith(said), record[jobs.REASON]


def test_a_container_that_writes_no_record_completes_from_its_exit_code(aws: str) -> None:
    make_orders_stack()
    env = worker_env(aws, KEY, put(KEY, csv_text([row(1)])), JOB_ID="silent")
    assert tell_task_state(env, "RUNNING") == "running"
    assert tell_task_state(env, "STOPPED", 0) == "failed"  # exit 0 but nothing there
    assert "there is no output at" in job("silent")[jobs.REASON]

    env["JOB_ID"] = "silent-2"
    tell_task_state(env, "RUNNING")
    put(OUTPUT, "OrderId,ConfirmationId\n1,x\n")  # what a container of its own wrote, by the contract's layout
    assert tell_task_state(env, "STOPPED", 0) == "succeeded"
    record = job("silent-2")
    assert record[jobs.STATUS] == jobs.SUCCEEDED and record[jobs.OUTPUT_KEY] == OUTPUT
    assert "reported no summary" in record[jobs.REASON]
