"""The worker's side of the job record: RUNNING, then SUCCEEDED or FAILED."""

from __future__ import annotations

import contextlib
from typing import Any

from offload_contract import jobs


class JobLedger:
    def __init__(self, client: Any, table: str | None, job_id: str, ttl_days: int) -> None:
        self._client, self._table, self.job_id, self._ttl_days = client, table, job_id, ttl_days

    def _update(self, values: dict[str, Any], remove: tuple[str, ...] = ()) -> None:
        if not self._table:
            return
        now = jobs.now()
        values = {**values, jobs.UPDATED_AT: now, jobs.EXPIRES_AT: jobs.expires_at(self._ttl_days, now)}
        names = {f"#a{i}": name for i, name in enumerate(values)}
        expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values)))
        expression += f", #c = if_not_exists(#c, :v{len(values)})"
        names["#c"] = jobs.CREATED_AT
        if remove:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
            names.update({f"#r{i}": name for i, name in enumerate(remove)})
        attribute_values = {f":v{i}": value for i, value in enumerate(values.values())}
        attribute_values[f":v{len(values)}"] = now
        self._client.Table(self._table).update_item(
            Key={jobs.JOB_ID: self.job_id},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=attribute_values,
        )

    def running(self, bucket: str, key: str, etag: str, processes: tuple[int, str] = (1, "")) -> None:
        """processes: how many load processes run and why (kept when the container is killed)."""
        self._update(
            {
                jobs.STATUS: jobs.RUNNING,
                jobs.BUCKET: bucket,
                jobs.KEY: key,
                jobs.ETAG: etag,
                jobs.STARTED_AT: jobs.now(),
                jobs.LOAD_PROCESSES: processes[0],
                jobs.LOAD_PROCESSES_REASON: processes[1],
            },
            remove=(jobs.REASON,),
        )

    def progress(self, rows: int, bytes_read: int, size: int, rows_per_second: int) -> None:
        """A running job's progress; never over a job that has already ended."""
        if not self._table:
            return
        ended = self._client.meta.client.exceptions.ConditionalCheckFailedException
        with contextlib.suppress(ended):  # the job ended (or a rerun took it over) meanwhile
            self._client.Table(self._table).update_item(
                Key={jobs.JOB_ID: self.job_id},
                UpdateExpression="SET #r = :r, #b = :b, #s = :s, #p = :p, #at = :at",
                ConditionExpression="#st = :running",
                ExpressionAttributeNames={
                    "#r": jobs.ROWS_READ,
                    "#b": jobs.BYTES_READ,
                    "#s": jobs.SIZE_BYTES,
                    "#p": jobs.ROWS_PER_SECOND,
                    "#at": jobs.PROGRESS_AT,
                    "#st": jobs.STATUS,
                },
                ExpressionAttributeValues={
                    ":r": rows,
                    ":b": bytes_read,
                    ":s": size,
                    ":p": rows_per_second,
                    ":at": jobs.now(),
                    ":running": jobs.RUNNING,
                },
            )

    def succeeded(self, summary: dict[str, Any]) -> None:
        self._update({jobs.STATUS: jobs.SUCCEEDED, jobs.FINISHED_AT: jobs.now(), jobs.EXIT_CODE: 0, **summary})

    def failed(self, reason: str, exit_code: int) -> None:
        self._update(
            {jobs.STATUS: jobs.FAILED, jobs.FINISHED_AT: jobs.now(), jobs.REASON: reason, jobs.EXIT_CODE: exit_code}
        )
