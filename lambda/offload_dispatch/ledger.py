"""The dispatcher's side of the job ledger: claim a job once, record its task."""

from __future__ import annotations

import enum
from typing import Any

from botocore.exceptions import ClientError
from offload_contract import jobs

from offload_dispatch.s3_records import S3Object

_RELAUNCHABLE = (jobs.QUEUED, jobs.WAITING_FOR_CAPACITY)


class Claim(enum.Enum):
    NEW = "new"  # first event for this upload
    RETRY = "retry"  # known, but no task is known to have started: RunTask again (same clientToken)
    DUPLICATE = "duplicate"  # a task exists or the job is over: acknowledge the event


def _conditional_failed(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class Ledger:
    def __init__(self, table: Any, ttl_days: int) -> None:
        self._table, self._ttl_days = table, ttl_days

    def claim(self, job_id: str, obj: S3Object) -> tuple[Claim, dict[str, Any]]:
        now = jobs.now()
        item = {
            jobs.JOB_ID: job_id,
            jobs.STATUS: jobs.QUEUED,
            jobs.BUCKET: obj.bucket,
            jobs.KEY: obj.key,
            jobs.ETAG: obj.etag,
            jobs.ATTEMPTS: 0,
            jobs.CREATED_AT: now,
            jobs.UPDATED_AT: now,
            jobs.EXPIRES_AT: jobs.expires_at(self._ttl_days, now),
        }
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": jobs.JOB_ID},
            )
            return Claim.NEW, item
        except ClientError as error:
            if not _conditional_failed(error):
                raise
        existing: dict[str, Any] = self._table.get_item(Key={jobs.JOB_ID: job_id}, ConsistentRead=True)["Item"]
        if existing.get(jobs.STATUS) in _RELAUNCHABLE and not existing.get(jobs.TASK_ARN):
            return Claim.RETRY, existing
        return Claim.DUPLICATE, existing

    def _update_if(self, job_id: str, **request: Any) -> bool:
        """update_item under a condition; False, not an error, when the job has moved on."""
        try:
            self._table.update_item(Key={jobs.JOB_ID: job_id}, **request)
            return True
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            return False

    def launched(self, job_id: str, task_arn: str) -> None:
        """Record the task; the status goes back to QUEUED unless the worker already moved it on."""
        values = {":arn": task_arn, ":now": jobs.now(), ":one": 1, ":zero": 0}
        recorded = self._update_if(
            job_id,
            UpdateExpression="SET #arn = :arn, #up = :now, #st = :queued, "
            "#att = if_not_exists(#att, :zero) + :one REMOVE #reason",
            ConditionExpression="#st IN (:queued, :waiting)",
            ExpressionAttributeNames={
                "#arn": jobs.TASK_ARN,
                "#up": jobs.UPDATED_AT,
                "#st": jobs.STATUS,
                "#att": jobs.ATTEMPTS,
                "#reason": jobs.REASON,
            },
            ExpressionAttributeValues={**values, ":queued": jobs.QUEUED, ":waiting": jobs.WAITING_FOR_CAPACITY},
        )
        if not recorded:  # the worker got there first: only add the task
            self._table.update_item(
                Key={jobs.JOB_ID: job_id},
                UpdateExpression="SET #arn = :arn",
                ExpressionAttributeNames={"#arn": jobs.TASK_ARN},
                ExpressionAttributeValues={":arn": task_arn},
            )

    def waiting(self, job_id: str, reason: str) -> None:
        self._update_if(
            job_id,
            UpdateExpression="SET #st = :waiting, #reason = :reason, #up = :now, "
            "#att = if_not_exists(#att, :zero) + :one",
            ConditionExpression="#st IN (:queued, :waiting)",
            ExpressionAttributeNames={
                "#st": jobs.STATUS,
                "#reason": jobs.REASON,
                "#up": jobs.UPDATED_AT,
                "#att": jobs.ATTEMPTS,
            },
            ExpressionAttributeValues={
                ":waiting": jobs.WAITING_FOR_CAPACITY,
                ":queued": jobs.QUEUED,
                ":reason": reason,
                ":now": jobs.now(),
                ":one": 1,
                ":zero": 0,
            },
        )

    def failed(self, job_id: str, reason: str, exit_code: int | None) -> bool:
        """Mark a job FAILED unless it already ended; True if this call changed it."""
        values: dict[str, Any] = {":failed": jobs.FAILED, ":reason": reason, ":now": jobs.now(), ":ok": jobs.SUCCEEDED}
        names = {"#st": jobs.STATUS, "#reason": jobs.REASON, "#up": jobs.UPDATED_AT, "#fin": jobs.FINISHED_AT}
        expression = "SET #st = :failed, #reason = :reason, #up = :now, #fin = :now"
        if exit_code is not None:
            expression += ", #exit = :exit"
            values[":exit"] = exit_code
            names["#exit"] = jobs.EXIT_CODE
        return self._update_if(
            job_id,
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(#st) AND NOT #st IN (:failed, :ok)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
