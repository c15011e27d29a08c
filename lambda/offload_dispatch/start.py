"""Start one job's task(s): a whole file's RunTask, or a sharded file's shards without a task yet.

Both the dispatcher (a new event) and the backlog (a waiting job) start jobs this way, so a job
starts the same, with the same clientTokens, whichever path reaches it first.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools import Logger
from offload_contract import jobs

from offload_dispatch.launch import NoCapacity, TokenConflict, run_task
from offload_dispatch.ledger import Ledger
from offload_dispatch.s3_records import S3Object
from offload_dispatch.settings import Settings

logger = Logger(service="offload-dispatch", child=True)
# A file's shard tasks start this many at a time: RunTask is a network round trip each, and one
# invocation must not spend 16 of them in a row per record. boto3 clients are thread-safe (botocore's
# default pool of 10 connections covers them); the ledger's Table resource is not, so only RunTask
# runs in the threads. ECS throttles RunTask per account and Region (token bucket,
# "Request throttling for the Amazon ECS API"); a throttled shard waits like an unplaced one.
RUN_TASK_THREADS = 8
RUN_TASK_ROUND_SECONDS = 3  # allowance for one round of parallel RunTask calls and their ledger updates


def seconds_per_record(max_shards: int) -> int:
    """The time one job's start may take: its shards' RunTask rounds (docs: lambda_timeout is sized from it)."""
    return math.ceil(max_shards / RUN_TASK_THREADS) * RUN_TASK_ROUND_SECONDS


def conflict_note(job: str, error: TokenConflict) -> str:
    if error.task_arns:
        return (
            f"RunTask's clientToken had already started {error.task_arns[0]} with the settings of that time, "
            "and this task runs the job (RunTask ConflictException: the settings, e.g. placement_constraint, "
            f"changed since); to run it with today's settings, `offload rerun {job}` once it has ended"
        )
    return (
        f"RunTask refused the job's clientToken (ConflictException: {error}); no task was started: "
        f"run `offload rerun {job}` (it uses a fresh token)"
    )


def start_job(
    ecs: Any,
    settings: Settings,
    obj: S3Object,
    jid: str,
    ranges: list[tuple[int, int]],
    record: dict[str, Any],
    ledger: Ledger,
    in_order: bool = False,
) -> int:
    """Tasks started for the job (0: refused by a token conflict, now FAILED); raises NoCapacity
    when its task, or some of its shards, found no room: the caller puts it in line. in_order:
    a waiting job's first shard without a task starts alone, before the others (one round more)."""
    if len(ranges) > 1:
        started = _launch_shards(ecs, settings, obj, jid, ranges, record, ledger, in_order)
        ledger.launched(jid, None)  # every shard has its task now: the job leaves the line
        return started
    note = None
    try:
        task_arn = run_task(ecs, settings, obj, jid, record)
    except TokenConflict as error:
        note = conflict_note(jid, error)
        logger.warning("clientToken conflict", extra={"job_id": jid, "key": obj.key, "reason": note})
        if not error.task_arns:
            ledger.failed(jid, note, None)
            return 0
        task_arn = error.task_arns[0]
    ledger.launched(jid, task_arn, note)
    logger.info("task started", extra={"job_id": jid, "key": obj.key, "task_arn": task_arn})
    return 1


def _launch_shards(
    ecs: Any,
    settings: Settings,
    obj: S3Object,
    jid: str,
    ranges: list[tuple[int, int]],
    record: dict[str, Any],
    ledger: Ledger,
    in_order: bool,
) -> int:
    """RunTask for every shard without a task yet, RUN_TASK_THREADS at a time; raises NoCapacity
    (after trying them all) if some could not be placed: those wait, the others run."""
    known = record.get(jobs.SHARDS, {})
    todo = [
        (index, len(ranges), start, end)
        for index, (start, end) in enumerate(ranges)
        if not known.get(str(index), {}).get(jobs.TASK_ARN)
    ]
    # in_order: the first shard alone, then the rest in parallel: the shard the others follow gets
    # the first free slot, and when it finds none, neither would the others (one task definition).
    head = 1 if in_order else len(todo)
    results = _run_tasks(ecs, settings, obj, jid, record, todo[:head])
    if in_order and results and isinstance(results[0], NoCapacity):  # the others keep their place behind it
        ledger.shard_waiting(jid, todo[0][0], str(results[0]))
        raise NoCapacity(f"shard {todo[0][0] + 1}/{len(ranges)}: {results[0]}")
    results += _run_tasks(ecs, settings, obj, jid, record, todo[head:])
    started, unplaced = 0, []
    for shard, result in zip(todo, results, strict=True):
        index, note = shard[0], None
        if isinstance(result, NoCapacity):
            ledger.shard_waiting(jid, index, str(result))
            unplaced.append(f"shard {index + 1}/{len(ranges)}: {result}")
            continue
        if isinstance(result, TokenConflict):
            note = conflict_note(jid, result)
            if not result.task_arns:
                ledger.shard_failed(jid, index, note, None)
                continue
            result = result.task_arns[0]
        ledger.shard_launched(jid, index, result, note)
        logger.info("shard task started", extra={"job_id": jid, "shard": index, "task_arn": result})
        started += 1
    if unplaced:
        raise NoCapacity("; ".join(unplaced))
    return started


def _run_tasks(
    ecs: Any,
    settings: Settings,
    obj: S3Object,
    jid: str,
    record: dict[str, Any],
    shards: list[tuple[int, int, int, int]],
) -> list[str | NoCapacity | TokenConflict]:
    """RunTask for each shard, in parallel; each one's task ARN or why it has none (other errors raise)."""

    def start(shard: tuple[int, int, int, int]) -> str | NoCapacity | TokenConflict:
        try:
            return run_task(ecs, settings, obj, jid, record, shard)
        except (NoCapacity, TokenConflict) as error:
            return error

    if not shards:
        return []
    with ThreadPoolExecutor(max_workers=min(RUN_TASK_THREADS, len(shards))) as pool:
        return list(pool.map(start, shards))
