"""The dispatcher's side of the job ledger: claim a job once, record its task, keep its place in line."""

from __future__ import annotations

import enum
from typing import Any

from botocore.exceptions import ClientError
from offload_contract import jobs

from offload_dispatch.job_ends import LINE, JobEnds, conditional_failed
from offload_dispatch.s3_records import S3Object

_RELAUNCHABLE = (jobs.QUEUED, jobs.WAITING_FOR_CAPACITY)


class Claim(enum.Enum):
    NEW = "new"  # first event for this upload
    RETRY = "retry"  # known, but no task is known to have started: RunTask again (same clientToken)
    DUPLICATE = "duplicate"  # a task exists or the job is over: acknowledge the event


class Ledger(JobEnds):
    """The whole ledger: the claims and launches here, the job's end in JobEnds."""

    def claim(
        self, job_id: str, obj: S3Object, ranges: list[tuple[int, int]], fields: dict[str, Any] | None = None
    ) -> tuple[Claim, dict[str, Any]]:
        """ranges: the shards' byte ranges (one: a whole-file job); fields: the route's (schema, table,
        why it runs as one task), kept so that its backlog start and reruns load it the same way."""
        now = jobs.now()
        item: dict[str, Any] = {
            jobs.JOB_ID: job_id,
            jobs.STATUS: jobs.QUEUED,
            jobs.BUCKET: obj.bucket,
            jobs.KEY: obj.key,
            jobs.ETAG: obj.etag,
            jobs.ATTEMPTS: 0,
            jobs.CREATED_AT: now,
            jobs.UPDATED_AT: now,
            jobs.EXPIRES_AT: jobs.expires_at(self._ttl_days, now),
            **(fields or {}),
        }
        if len(ranges) > 1:
            item[jobs.SHARD_COUNT] = len(ranges)
            item[jobs.SHARDS] = {
                str(i): {jobs.STATUS: jobs.QUEUED, jobs.SHARD_START: start, jobs.SHARD_END: end}
                for i, (start, end) in enumerate(ranges)
            }
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": jobs.JOB_ID},
            )
            return Claim.NEW, item
        except ClientError as error:
            if not conditional_failed(error):
                raise
        existing: dict[str, Any] = self._table.get_item(Key={jobs.JOB_ID: job_id}, ConsistentRead=True)["Item"]
        shards = existing.get(jobs.SHARDS)
        if shards:  # a sharded job: RunTask again for the shards no task is known for
            unlaunched = any(not s.get(jobs.TASK_ARN) for s in shards.values())
            retry = unlaunched and existing.get(jobs.STATUS) not in jobs.FINAL_STATUSES
            return (Claim.RETRY if retry else Claim.DUPLICATE), existing
        if existing.get(jobs.STATUS) in _RELAUNCHABLE and not existing.get(jobs.TASK_ARN):
            return Claim.RETRY, existing
        return Claim.DUPLICATE, existing

    def launched(self, job_id: str, task_arn: str | None, note: str | None = None) -> None:
        """Record the task (a sharded job's are on its shards) and take the job out of the line; the
        status goes back to QUEUED unless the worker already moved it on. note: the Reason to show."""
        names = {"#up": jobs.UPDATED_AT, "#st": jobs.STATUS, "#att": jobs.ATTEMPTS, "#reason": jobs.REASON, **LINE}
        values: dict[str, Any] = {":now": jobs.now(), ":one": 1, ":zero": 0}
        sets = ["#up = :now", "#st = :queued", "#att = if_not_exists(#att, :zero) + :one"]
        removes = ["#line", "#since"]
        if note:
            values[":note"] = note
            sets.append("#reason = :note")
        else:
            removes.append("#reason")
        if task_arn:
            names["#arn"], values[":arn"] = jobs.TASK_ARN, task_arn
            sets.insert(0, "#arn = :arn")
        recorded = self._update_if(
            job_id,
            UpdateExpression=f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
            ConditionExpression="#st IN (:queued, :waiting)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**values, ":queued": jobs.QUEUED, ":waiting": jobs.WAITING_FOR_CAPACITY},
        )
        if not recorded:  # the worker got there first: only add the task, and leave the line
            self._update_if(
                job_id,
                UpdateExpression=("SET #arn = :arn " if task_arn else "") + "REMOVE #line, #since",
                ConditionExpression="attribute_exists(#id)",
                ExpressionAttributeNames={"#id": jobs.JOB_ID, **({"#arn": jobs.TASK_ARN} if task_arn else {}), **LINE},
                **({"ExpressionAttributeValues": {":arn": task_arn}} if task_arn else {}),
            )

    def shard_launched(self, job_id: str, index: int, task_arn: str, note: str | None = None) -> None:
        names = {"#sh": jobs.SHARDS, "#i": str(index), "#arn": jobs.TASK_ARN, "#st": jobs.STATUS, "#r": jobs.REASON}
        values = {":arn": task_arn, ":queued": jobs.QUEUED, ":waiting": jobs.WAITING_FOR_CAPACITY}
        expression = "SET #sh.#i.#arn = :arn, #sh.#i.#st = :queued REMOVE #sh.#i.#r"
        if note:
            values[":note"] = note
            expression = expression.replace(" REMOVE #sh.#i.#r", ", #sh.#i.#r = :note")
        moved_on = not self._update_if(
            job_id,
            UpdateExpression=expression,
            ConditionExpression="#sh.#i.#st IN (:queued, :waiting)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        if moved_on:  # its worker started already: only add the task
            self._table.update_item(
                Key={jobs.JOB_ID: job_id},
                UpdateExpression="SET #sh.#i.#arn = :arn",
                ExpressionAttributeNames={"#sh": jobs.SHARDS, "#i": str(index), "#arn": jobs.TASK_ARN},
                ExpressionAttributeValues={":arn": task_arn},
            )

    def shard_waiting(self, job_id: str, index: int, reason: str) -> None:
        self._update_if(
            job_id,
            UpdateExpression="SET #sh.#i.#st = :waiting, #sh.#i.#r = :reason",
            ConditionExpression="#sh.#i.#st IN (:queued, :waiting)",
            ExpressionAttributeNames={"#sh": jobs.SHARDS, "#i": str(index), "#st": jobs.STATUS, "#r": jobs.REASON},
            ExpressionAttributeValues={
                ":waiting": jobs.WAITING_FOR_CAPACITY,
                ":queued": jobs.QUEUED,
                ":reason": reason,
            },
        )

    def waiting(self, job_id: str, reason: str, arrival_ms: int) -> None:
        """The job joins the line (docs/contract.md "The backlog") at its arrival, or keeps its place."""
        values = {":line": jobs.BACKLOG_LINE, ":arrival": arrival_ms, ":reason": reason}
        joined = self._update_if(
            job_id,
            UpdateExpression="SET #st = :waiting, #reason = :reason, #up = :now, "
            "#att = if_not_exists(#att, :zero) + :one, #line = :line, #since = if_not_exists(#since, :arrival)",
            # A job whose task is known never goes back in line (its clientToken started it).
            ConditionExpression="#st IN (:queued, :waiting) AND attribute_not_exists(#arn)",
            ExpressionAttributeNames={
                "#st": jobs.STATUS,
                "#reason": jobs.REASON,
                "#up": jobs.UPDATED_AT,
                "#att": jobs.ATTEMPTS,
                "#arn": jobs.TASK_ARN,
                **LINE,
            },
            ExpressionAttributeValues={
                **values,
                ":waiting": jobs.WAITING_FOR_CAPACITY,
                ":queued": jobs.QUEUED,
                ":now": jobs.now(),
                ":one": 1,
                ":zero": 0,
            },
        )
        if not joined:  # a sharded job whose first shards run already: its waiting shards keep a place
            self._update_if(
                job_id,
                UpdateExpression="SET #line = :line, #since = if_not_exists(#since, :arrival), #reason = :reason",
                ConditionExpression="attribute_exists(#sh) AND NOT #st IN (:failed, :ok)",
                ExpressionAttributeNames={"#sh": jobs.SHARDS, "#st": jobs.STATUS, "#reason": jobs.REASON, **LINE},
                ExpressionAttributeValues={**values, ":failed": jobs.FAILED, ":ok": jobs.SUCCEEDED},
            )
