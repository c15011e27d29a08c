"""The job ledger's end of a job: RUNNING, FAILED, SUCCEEDED, as the task-state function and the
watchdog decide it (only they end a job: docs/contract.md "Who writes the record")."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from offload_contract import jobs

# The backlog's attributes (the sparse Backlog index): present only while the job waits
LINE = {"#line": jobs.WAITING_LINE, "#since": jobs.WAITING_SINCE}


def conditional_failed(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class JobEnds:
    def __init__(self, table: Any, ttl_days: int) -> None:
        self._table, self._ttl_days = table, ttl_days

    def _update_if(self, job_id: str, **request: Any) -> bool:
        """update_item under a condition; False, not an error, when the job has moved on."""
        try:
            self._table.update_item(Key={jobs.JOB_ID: job_id}, **request)
            return True
        except ClientError as error:
            if not conditional_failed(error):
                raise
            return False

    def shard_failed(self, job_id: str, index: int, reason: str, exit_code: int | None) -> bool:
        """A shard's task stopped without finishing: the shard and its job are FAILED (a shard its
        worker recorded FAILED keeps the worker's reason)."""
        names = {"#sh": jobs.SHARDS, "#i": str(index), "#st": jobs.STATUS, "#r": jobs.REASON}
        self._update_if(
            job_id,
            UpdateExpression="SET #sh.#i.#st = :failed, #sh.#i.#r = :reason",
            ConditionExpression="attribute_exists(#sh.#i) AND #sh.#i.#st <> :failed",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":failed": jobs.FAILED, ":reason": reason},
        )
        count = self._table.get_item(Key={jobs.JOB_ID: job_id}).get("Item", {}).get(jobs.SHARD_COUNT, "?")
        return self.failed(job_id, f"shard {index + 1}/{count}: {reason}", exit_code)

    def failed(self, job_id: str, reason: str, exit_code: int | None) -> bool:
        """Mark a job FAILED unless it already ended; True if this call changed it. A job run by hand
        (no dispatcher claimed it) has no Status yet."""
        now = jobs.now()
        values: dict[str, Any] = {":failed": jobs.FAILED, ":reason": reason, ":now": now, ":ok": jobs.SUCCEEDED}
        values[":expires"] = jobs.expires_at(self._ttl_days, now)  # after its last update (docs/contract.md)
        names = {"#st": jobs.STATUS, "#reason": jobs.REASON, "#up": jobs.UPDATED_AT, "#fin": jobs.FINISHED_AT, **LINE}
        names.update({"#id": jobs.JOB_ID, "#exp": jobs.EXPIRES_AT})
        expression = "SET #st = :failed, #reason = :reason, #up = :now, #fin = :now, #exp = :expires"
        if exit_code is not None:
            expression += ", #exit = :exit"
            values[":exit"] = exit_code
            names["#exit"] = jobs.EXIT_CODE
        expression += " REMOVE #line, #since"  # a failed job is out of the line
        return self._update_if(
            job_id,
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(#id) AND (attribute_not_exists(#st) OR NOT #st IN (:failed, :ok))",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self._table.get_item(Key={jobs.JOB_ID: job_id}, ConsistentRead=True).get("Item", {}))

    def running(self, job_id: str) -> bool:
        """The job's task runs (ECS said so): RUNNING, unless it moved on (a worker run by hand has no
        claim: its record is made here)."""
        return self._update_if(
            job_id,
            UpdateExpression="SET #st = :running, #up = :now, #start = if_not_exists(#start, :now)",
            ConditionExpression="attribute_not_exists(#st) OR #st IN (:queued, :waiting)",
            ExpressionAttributeNames={"#st": jobs.STATUS, "#up": jobs.UPDATED_AT, "#start": jobs.STARTED_AT},
            ExpressionAttributeValues={
                ":running": jobs.RUNNING,
                ":now": jobs.now(),
                ":queued": jobs.QUEUED,
                ":waiting": jobs.WAITING_FOR_CAPACITY,
            },
        )

    def succeeded(self, job_id: str, fields: dict[str, Any], claimed: dict[str, Any]) -> bool:
        """The only way a job becomes SUCCEEDED: its task exited 0 and its results checked out (outcome.py).
        fields: what the worker reported and S3 confirmed (counts, keys, notes); claimed: the task's
        Bucket, Key and ETag, kept where the dispatcher's claim has them already (a job run by hand has none)."""
        now = jobs.now()
        values = {
            **fields,
            jobs.STATUS: jobs.SUCCEEDED,
            jobs.EXIT_CODE: 0,
            jobs.UPDATED_AT: now,
            jobs.FINISHED_AT: now,
            jobs.EXPIRES_AT: jobs.expires_at(self._ttl_days, now),
        }
        names = {f"#a{i}": name for i, name in enumerate(values)}
        names.update({f"#c{i}": name for i, name in enumerate(claimed)})
        sets = ", ".join(
            [f"#a{i} = :v{i}" for i in range(len(values))]
            + [f"#c{i} = if_not_exists(#c{i}, :c{i})" for i in range(len(claimed))]
        )
        removes = ["#line", "#since"] + ([] if jobs.REASON in fields else ["#reason"])
        return self._update_if(
            job_id,
            UpdateExpression=f"SET {sets} REMOVE {', '.join(removes)}",
            # Absent: a job run by hand, no dispatcher claimed it; never over a job that ended.
            ConditionExpression="attribute_exists(#id) AND (attribute_not_exists(#st) OR NOT #st IN (:failed, :ok))",
            ExpressionAttributeNames={
                **names,
                "#id": jobs.JOB_ID,
                "#st": jobs.STATUS,
                **LINE,
                **({} if jobs.REASON in fields else {"#reason": jobs.REASON}),
            },
            ExpressionAttributeValues={
                **{f":v{i}": v for i, v in enumerate(values.values())},
                **{f":c{i}": v for i, v in enumerate(claimed.values())},
                ":failed": jobs.FAILED,
                ":ok": jobs.SUCCEEDED,
            },
        )
