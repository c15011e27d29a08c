"""One SQS record -> at most one task per uploaded file, however often S3 repeats itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from offload_contract import job_id, jobs
from offload_contract.shards import plan

from offload_dispatch.launch import NoCapacity, run_task
from offload_dispatch.ledger import Claim, Ledger
from offload_dispatch.s3_records import S3Object, objects_in
from offload_dispatch.settings import Settings

logger = Logger(service="offload-dispatch", child=True)
REFUSED_EXIT_CODE = 1  # as the worker's "file rejected" (docs/contract.md)


class WaitingForCapacity(Exception):
    """Raised so the batch processor reports this record as failed: SQS delivers it again."""


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
        ledger.launched(jid, task_arn)
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
    """RunTask for every shard without a task yet; raises NoCapacity (after trying them all) if
    some could not be placed: those wait, the others run."""
    known = record.get(jobs.SHARDS, {})
    started, unplaced = 0, []
    for index, (start, end) in enumerate(ranges):
        if known.get(str(index), {}).get(jobs.TASK_ARN):
            continue
        try:
            arn = run_task(ecs, settings, obj, jid, (index, len(ranges), start, end))
        except NoCapacity as error:
            ledger.shard_waiting(jid, index, str(error))
            unplaced.append(f"shard {index + 1}/{len(ranges)}: {error}")
            continue
        ledger.shard_launched(jid, index, arn)
        logger.info("shard task started", extra={"job_id": jid, "shard": index, "task_arn": arn})
        started += 1
    if unplaced:
        raise NoCapacity("; ".join(unplaced))
    return started
