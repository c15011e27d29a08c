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
from tests.functional.test_worker_processes import KEY, awkward_file, forget_results, loaded
from tests.functional.worker_run import job, keys, put, run_worker, start_worker

pytestmark = pytest.mark.functional
ROWS = 8000


def _running(job_id: str, shard: int | None = None, timeout: float = 60) -> dict[str, Any]:
    """The record once the worker has reported progress: it is past its start, mid-file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = job(job_id)
        progress = record.get("Shards", {}).get(str(shard), {}) if shard is not None else record
        if progress.get("RowsRead", 0) > 0:
            return record
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} reported no progress: {job(job_id)}")


def _stop(process: subprocess.Popen[str]) -> tuple[int, float, str]:
    """SIGTERM as `docker stop` sends it; the exit code and how long the worker took to exit."""
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    return process.returncode, time.monotonic() - sent, err


def test_sigterm_mid_file_fails_the_job_at_once_and_a_rerun_loads_it_identically(aws: str) -> None:
    make_orders_stack()
    etag = put(KEY, awkward_file(ROWS))
    began = time.monotonic()
    whole = run_worker(aws, KEY, etag, JOB_ID="whole", WORKER_PROCESSES="3")
    load_seconds = time.monotonic() - began
    assert whole.code == 0, whole.stderr
    expected = loaded("whole")
    forget_results()

    worker = start_worker(aws, KEY, etag, JOB_ID="stopped", WORKER_PROCESSES="3", PROGRESS_SECONDS="1")
    _running("stopped")
    code, stop_seconds, err = _stop(worker)
    record = job("stopped")
    assert code == 143, err[-2000:]
    assert record["Status"] == "FAILED" and record["ExitCode"] == 143
    assert record["Reason"].startswith("stopped by ECS: SIGTERM while loading"), record["Reason"]
    assert record["RowsRead"] < expected["counts"]["RowsTotal"]  # it was stopped mid-file
    assert keys("processed/") == [] and keys("rejected/") == []  # no output, no rejects report
    assert stop_seconds < load_seconds / 2, (stop_seconds, load_seconds)

    rerun = run_worker(aws, KEY, etag, JOB_ID="stopped", WORKER_PROCESSES="3")
    assert rerun.code == 0, rerun.stderr
    again = loaded("stopped")
    for part in ("counts", "output", "rejects", "items"):
        assert again[part] == expected[part], part
    say(
        f"worker stop: SIGTERM mid-file -> exit 143 in {stop_seconds:.2f} s (uninterrupted load "
        f"{load_seconds:.1f} s, {ROWS} rows, 3 processes); rerun identical"
    )


def test_a_shard_stopped_mid_range_is_failed_and_its_rerun_completes_the_job(aws: str) -> None:
    make_orders_stack()
    body = awkward_file(ROWS)
    etag = put(KEY, body)
    whole = run_worker(aws, KEY, etag, JOB_ID="whole", WORKER_PROCESSES="1")
    assert whole.code == 0, whole.stderr
    expected = loaded("whole")
    forget_results()

    jid, ranges = claim_sharded(etag, len(body), shards=2)
    first = run_worker(aws, KEY, etag, **shard_env(jid, ranges, 0))
    assert first.code == 0, first.stderr
    second = start_worker(aws, KEY, etag, **shard_env(jid, ranges, 1), PROGRESS_SECONDS="1")
    _running(jid, shard=1)
    code, _seconds, err = _stop(second)
    record = job(jid)
    assert code == 143, err[-2000:]
    assert record["Status"] == "FAILED" and record["Reason"].startswith("shard 2/2: stopped by ECS: SIGTERM")
    assert record["Shards"]["1"]["Status"] == "FAILED" and record["Shards"]["1"]["ExitCode"] == 143
    assert record["Shards"]["0"]["Status"] == "SUCCEEDED" and "processed/awkward.csv" not in keys("processed/")

    rerun = run_worker(aws, KEY, etag, **shard_env(jid, ranges, 1))  # what `offload rerun` starts: shard 2 only
    assert rerun.code == 0, rerun.stderr
    again = loaded(jid)
    assert again["counts"]["Status"] == "SUCCEEDED"
    for part in ("counts", "output", "rejects", "items"):
        assert again[part] == expected[part], part
    assert (
        boto3.client("s3").list_objects_v2(Bucket="orders-bucket", Prefix="processed/.offload-shards/")["KeyCount"] == 0
    )
