"""The backlog (docs/contract.md "The backlog"): jobs waiting for capacity, oldest first, started
the moment room frees.

ECS does not queue a RunTask on EXTERNAL instances (no capacity providers), so the jobs table
keeps the line: a waiting job carries WaitingLine/WaitingSince, the sparse Backlog index holds
exactly those, and `start_waiting` reads it from the head (Query, never a scan) and starts
jobs until RunTask finds no room or the invocation's time runs short. Handlers racing on one
job call RunTask with the job's clientToken, so ECS starts its task once (ECS_Idempotency: a
repeated request returns the first one's result, for 24 hours).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Key
from offload_contract import jobs

from offload_dispatch.launch import NoCapacity
from offload_dispatch.ledger import Ledger
from offload_dispatch.s3_records import S3Object
from offload_dispatch.settings import Settings
from offload_dispatch.start import RUN_TASK_ROUND_SECONDS, seconds_per_record, start_job

logger = Logger(service="offload-dispatch", child=True)
PAGE = 10  # a pass usually starts as many jobs as tasks just stopped: read the head a page at a time


def waiting_jobs(table: Any, page: int = PAGE) -> Iterator[dict[str, Any]]:
    """The backlog, oldest arrival first, read lazily page by page."""
    query: dict[str, Any] = {
        "IndexName": jobs.BACKLOG_INDEX,
        "KeyConditionExpression": Key(jobs.WAITING_LINE).eq(jobs.BACKLOG_LINE),
        "ScanIndexForward": True,
        "Limit": page,
    }
    while True:
        result = table.query(**query)
        yield from result.get("Items", [])
        if "LastEvaluatedKey" not in result:
            return
        query["ExclusiveStartKey"] = result["LastEvaluatedKey"]


def line_is_empty(table: Any) -> bool:
    return next(waiting_jobs(table, page=1), None) is None


def _ranges(record: dict[str, Any]) -> list[tuple[int, int]]:
    shards = record.get(jobs.SHARDS) or {}
    ordered = sorted(shards.items(), key=lambda entry: int(entry[0]))
    return [(int(s[jobs.SHARD_START]), int(s[jobs.SHARD_END])) for _, s in ordered] or [(0, 0)]


@dataclass
class Pass:
    started: int = 0  # tasks started
    jobs: int = 0  # jobs (or the rest of a sharded job's shards) started
    stopped: str = "line empty"  # why the pass ended: line empty, no room, out of time


def start_waiting(table: Any, ecs: Any, settings: Settings, ledger: Ledger, seconds_left: Callable[[], float]) -> Pass:
    """Start waiting jobs, oldest first (a job's shards from its first without a task), until the
    line is empty, RunTask finds no room (the head stays the head: later jobs never pass it) or
    seconds_left() gets below one job's start."""
    done = Pass()
    for record in waiting_jobs(table):
        if seconds_left() < seconds_per_record(settings.max_shards) + RUN_TASK_ROUND_SECONDS + 1:
            done.stopped = "out of time"
            break
        jid = str(record[jobs.JOB_ID])
        if record.get(jobs.STATUS) in jobs.FINAL_STATUSES:  # the index lags a moment behind the table
            continue
        obj = S3Object(str(record[jobs.BUCKET]), str(record[jobs.KEY]), str(record[jobs.ETAG]), None, "")
        try:
            done.started += start_job(ecs, settings, obj, jid, _ranges(record), record, ledger, in_order=True)
        except NoCapacity as error:
            if str(error) != record.get(jobs.REASON):  # the head's reason, when it changed (a write less per pass)
                ledger.waiting(jid, str(error), int(record[jobs.WAITING_SINCE]))
            done.stopped = "no room"
            break
        done.jobs += 1
    if done.jobs or done.stopped != "line empty":
        logger.info("backlog pass", extra=vars(done))
    return done
