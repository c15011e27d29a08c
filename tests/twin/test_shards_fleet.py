"""One big file over the whole fleet: shard tasks spread over three on-prem instances, one killed
halfway and rerun, and the result identical to one task loading the file."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import boto3
import pytest
from offload.lib.jobs import rerun as reruns
from offload.lib.jobs.status import table
from offload.lib.jobs.store import get_job
from offload.twin.onprem import heartbeat
from offload_contract import jobs as job_fields

from tests.conftest import make_orders_stack, reset_twin
from tests.dispatcher import Context, jobs, load_handler, overrides_of, tasks
from tests.events import s3_message, sqs_event
from tests.figures import say
from tests.functional.test_shards import across_boundaries
from tests.functional.test_worker_processes import forget_results, loaded
from tests.functional.worker_run import BUCKET, keys, put, run_worker, start_worker
from tests.twin.test_faults import _operator_stack, _stopped_event
from tests.twin_cluster import join_instance

pytestmark = pytest.mark.twin
KEY = "incoming/awkward.csv"
SHARDS = 3


def _start(twin: str, task: dict[str, Any], **extra: str) -> subprocess.Popen[str]:
    env = overrides_of(task)
    return start_worker(twin, env.pop("S3_KEY"), env.pop("STATUS_KEY"), **{**env, **extra})


def _shard(task: dict[str, Any]) -> int:
    return int(overrides_of(task)["SHARD_INDEX"])


def _record(jid: str) -> dict[str, Any]:
    return dict(boto3.resource("dynamodb").Table("jobs").get_item(Key={"JobId": jid}, ConsistentRead=True)["Item"])


def test_shards_spread_over_three_instances_one_killed_and_rerun_match_one_task(
    twin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = across_boundaries(rows=9_000, shards=SHARDS)
    monkeypatch.setenv("SHARD_BYTES", str(len(body) // SHARDS))
    monkeypatch.setenv("MAX_SHARDS", str(SHARDS))
    handler = load_handler(monkeypatch)  # a cold start with the threshold set
    hosts = [join_instance(twin) for _ in range(3)]
    etag = put(KEY, body)
    assert handler.lambda_handler(sqs_event(s3_message(BUCKET, [(KEY, etag)], len(body))), Context()) == {
        "batchItemFailures": []}
    started = sorted(tasks(), key=_shard)
    assert [_shard(t) for t in started] == [0, 1, 2]
    assert len({t["containerInstanceArn"] for t in started}) == 3  # one shard per instance
    (job,) = jobs()
    jid = job["JobId"]

    # Shard 2 slowed to one request in flight, then killed once it has loaded part of its rows.
    slow = {"WRITE_CONCURRENCY": "1"}
    workers = {_shard(t): _start(twin, t, PROGRESS_SECONDS="1", **(slow if _shard(t) == 1 else {})) for t in started}
    deadline = time.monotonic() + 120
    while int(_record(jid)[job_fields.SHARDS]["1"].get(job_fields.ROWS_READ, 0)) < 1000:
        assert workers[1].poll() is None and time.monotonic() < deadline, "shard 2 ended before it could be killed"
        time.sleep(0.2)
    os.kill(workers[1].pid, signal.SIGKILL)
    assert workers[1].wait() == -signal.SIGKILL
    for index in (0, 2):
        assert workers[index].wait(timeout=180) == 0, workers[index].stderr.read() if workers[index].stderr else ""
    handler.task_state_handler(_stopped_event(started[1], 137), Context())
    record = _record(jid)
    assert record["Status"] == "FAILED" and record["Reason"].startswith("shard 2/3:") and keys("processed/") != []
    assert [record["Shards"][i]["Status"] for i in "012"] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    assert keys(f"processed/.offload-shards/{jid}/") and not keys("processed/awkward")  # nothing assembled yet
    shown = table([get_job(_operator_stack(twin), jid)])
    assert "shards 2/3" in shown, shown

    for host in hosts:  # the machines are back (their agents never left)
        heartbeat(twin, "us-east-1", host.managed_instance_id)
    (rerun_arn,) = reruns.rerun(_operator_stack(twin), jid)
    (rerun_task,) = [t for t in tasks() if t["taskArn"] == rerun_arn]
    assert _shard(rerun_task) == 1
    rerun = _start(twin, rerun_task)
    assert rerun.wait(timeout=180) == 0, rerun.stderr.read() if rerun.stderr else ""
    sharded = loaded(jid)
    assert sharded["counts"]["Status"] == "SUCCEEDED" and keys("processed/.offload-shards/") == []

    # One task, the same bytes, a fresh twin: the reference.
    reset_twin(twin, os.environ["AWS_ACCESS_KEY_ID"])  # the twin fixture's key
    make_orders_stack()
    assert put(KEY, body) == etag
    one = run_worker(twin, KEY, etag, JOB_ID="one")
    assert one.code == 0, one.stderr
    single = loaded("one")
    same = {part: sharded[part] == single[part] for part in ("counts", "output", "rejects", "items")}
    output_ids = [line.split(",")[0] for line in sharded["output"].splitlines()[1:]]
    say(f"shards {SHARDS} on 3 instances, shard 2 SIGKILLed at 1000+ rows then rerun, vs one task: "
        f"rows={single['counts']['RowsTotal']} items={len(single['items'])} "
        f"duplicates={single['counts']['RowsDuplicate']} rejects={single['counts']['RowsRejected']} identical={same}")
    assert all(same.values()) and len(output_ids) == single["counts"]["RowsLoaded"]
    forget_results()

