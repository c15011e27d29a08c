"""One SQS record -> at most one task per uploaded file, however often S3 repeats itself."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from offload_contract import job_id, jobs
from offload_contract.shards import plan

from offload_dispatch.launch import NoCapacity, TokenConflict, run_task
from offload_dispatch.ledger import Claim, Ledger
from offload_dispatch.s3_records import S3Object, objects_in
from offload_dispatch.settings import Settings

logger = Logger(service="offload-dispatch", child=True)
REFUSED_EXIT_CODE = 1  # as the worker's "file rejected" (docs/contract.md)
# A file's shard tasks start this many at a time: RunTask is a network round trip each, and one
# invocation must not spend 16 of them in a row per record. boto3 clients are thread-safe (botocore's
# default pool of 10 connections covers them); the ledger's Table resource is not, so only RunTask
# runs in the threads. ECS throttles RunTask per account and Region (token bucket,
# "Request throttling for the Amazon ECS API"); a throttled shard waits like an unplaced one.
RUN_TASK_THREADS = 8
RUN_TASK_ROUND_SECONDS = 3  # allowance for one round of parallel RunTask calls and their ledger updates


class WaitingForCapacity(Exception):
    """Raised so the batch processor reports this record as failed: SQS delivers it again."""


def seconds_per_record(max_shards: int) -> int:
    """The time one record may take: its shards' RunTask rounds (docs: lambda_timeout is sized from it)."""
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


@dataclass
class Outcome:
    launched: int = 0
    duplicates: int = 0
    ignored: int = 0
    refused: int = 0


def dispatch_message(body: str, settings: Settings, ecs: Any, ledger: Ledger) -> Outcome:
    outcome = Outcome()
    waiting: list[str] = []
    for obj in objects_in(body):
        if not settings.layout.is_input(obj.key):
            logger.info("ignored: not an input file", extra={"bucket": obj.bucket, "key": obj.key})
            outcome.ignored += 1
            continue
        jid = job_id(obj.bucket, obj.key, obj.etag, obj.version_id)
        ranges = plan(obj.size, settings.shard_bytes, settings.max_shards)
        claim, record = ledger.claim(jid, obj, ranges)
        problem = settings.layout.key_problem(obj.key, settings.suffixes)
        if problem:
            # Recorded, not dropped: the uploader sees why nothing ran in `offload status`.
            if ledger.failed(jid, problem, REFUSED_EXIT_CODE):
                logger.warning("refused: no task started", extra={"job_id": jid, "key": obj.key, "reason": problem})
                outcome.refused += 1
            else:
                outcome.duplicates += 1
            continue
        if claim is Claim.DUPLICATE:
            logger.info(
                "duplicate event acknowledged", extra={"job_id": jid, "key": obj.key, "status": record.get("Status")}
            )
            outcome.duplicates += 1
            continue
        note = None
        try:
            if len(ranges) > 1:
                task_arn = None
                outcome.launched += _launch_shards(ecs, settings, obj, jid, ranges, record, ledger)
            else:
                task_arn = run_task(ecs, settings, obj, jid)
                outcome.launched += 1
        except NoCapacity as error:
            ledger.waiting(jid, str(error))
            logger.warning("waiting for capacity", extra={"job_id": jid, "key": obj.key, "reason": str(error)})
            waiting.append(f"{obj.key}: {error}")
            continue
        except TokenConflict as error:
            note = conflict_note(jid, error)
            logger.warning("clientToken conflict", extra={"job_id": jid, "key": obj.key, "reason": note})
            if not error.task_arns:
                ledger.failed(jid, note, None)
                outcome.refused += 1
                continue
            task_arn = error.task_arns[0]
        ledger.launched(jid, task_arn, note)
        logger.info(
            "task started", extra={"job_id": jid, "key": obj.key, "task_arn": task_arn, "retry": claim is Claim.RETRY}
        )
    if waiting:
        raise WaitingForCapacity("; ".join(waiting))
    return outcome


def _launch_shards(
    ecs: Any,
    settings: Settings,
    obj: S3Object,
    jid: str,
    ranges: list[tuple[int, int]],
    record: dict[str, Any],
    ledger: Ledger,
) -> int:
    """RunTask for every shard without a task yet, RUN_TASK_THREADS at a time; raises NoCapacity
    (after trying them all) if some could not be placed: those wait, the others run."""
    known = record.get(jobs.SHARDS, {})
    todo = [
        (index, len(ranges), start, end)
        for index, (start, end) in enumerate(ranges)
        if not known.get(str(index), {}).get(jobs.TASK_ARN)
    ]
    started, unplaced = 0, []
    for shard, result in zip(todo, _run_tasks(ecs, settings, obj, jid, todo), strict=True):
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
    ecs: Any, settings: Settings, obj: S3Object, jid: str, shards: list[tuple[int, int, int, int]]
) -> list[str | NoCapacity | TokenConflict]:
    """RunTask for each shard, in parallel; each one's task ARN or why it has none (other errors raise)."""

    def start(shard: tuple[int, int, int, int]) -> str | NoCapacity | TokenConflict:
        try:
            return run_task(ecs, settings, obj, jid, shard)
        except (NoCapacity, TokenConflict) as error:
            return error

    if not shards:
        return []
    with ThreadPoolExecutor(max_workers=min(RUN_TASK_THREADS, len(shards))) as pool:
        return list(pool.map(start, shards))
