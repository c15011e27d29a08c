"""The worker's side of the job record: it reports (docs/contract.md "Who writes the record").

It writes only `jobs.WORKER_FIELDS`, as the task role's IAM policy allows: its `Report`, progress and
load processes. The job's `Status` is the task-state function's, decided when the task stops.
"""

from __future__ import annotations

import contextlib
from typing import Any

from offload_contract import jobs


class JobLedger:
    def __init__(self, client: Any, table: str | None, job_id: str) -> None:
        self._client, self._table, self.job_id = client, table, job_id
        self._started_at = jobs.now()

    def _set(self, values: dict[str, Any], condition: str = "", condition_values: dict[str, Any] | None = None) -> None:
        """SET top-level worker fields; a failed condition (the run was overtaken) is not an error."""
        if not self._table:
            return
        assert set(values) <= set(jobs.WORKER_FIELDS), values  # what the task role may write
        names = {f"#a{i}": name for i, name in enumerate(values)}
        request: dict[str, Any] = {
            "Key": {jobs.JOB_ID: self.job_id},
            "UpdateExpression": "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {f":v{i}": value for i, value in enumerate(values.values())},
        }
        if condition:
            request["ConditionExpression"] = condition
            request["ExpressionAttributeNames"] = {**names, "#rep": jobs.REPORT, "#rst": jobs.REPORTED_STATUS}
            request["ExpressionAttributeValues"].update(condition_values or {})
        ended = self._client.meta.client.exceptions.ConditionalCheckFailedException
        with contextlib.suppress(ended):
            self._client.Table(self._table).update_item(**request)

    def _report(self, status: str, fields: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
        report = {jobs.REPORTED_STATUS: status, jobs.STARTED_AT: self._started_at, **fields}
        self._set({jobs.REPORT: report, **(extra or {})})

    def running(self, bucket: str, key: str, etag: str, processes: tuple[int, str] = (1, "")) -> None:
        """processes: how many load processes run and why (kept when the container is killed)."""
        self._started_at = jobs.now()
        loading = {jobs.BUCKET: bucket, jobs.KEY: key, jobs.ETAG: etag}
        extra = {jobs.LOAD_PROCESSES: processes[0], jobs.LOAD_PROCESSES_REASON: processes[1]}
        self._report(jobs.RUNNING, loading, extra)

    def progress(self, rows: int, bytes_read: int, size: int, rows_per_second: int) -> None:
        """A running job's progress; never over a run that has already reported its end."""
        self._set(
            {
                jobs.ROWS_READ: rows,
                jobs.BYTES_READ: bytes_read,
                jobs.SIZE_BYTES: size,
                jobs.ROWS_PER_SECOND: rows_per_second,
                jobs.PROGRESS_AT: jobs.now(),
            },
            condition="#rep.#rst = :running",
            condition_values={":running": jobs.RUNNING},
        )

    def loaded(self, summary: dict[str, Any]) -> None:
        """Every row written and the results committed: the task-state function checks them and decides."""
        progress = {name: summary.pop(name) for name in (jobs.ROWS_READ, jobs.BYTES_READ, jobs.SIZE_BYTES)}
        self._report(jobs.REPORTED_LOADED, {jobs.FINISHED_AT: jobs.now(), jobs.EXIT_CODE: 0, **summary}, progress)

    def failed(self, reason: str, exit_code: int) -> None:
        self._report(jobs.FAILED, {jobs.FINISHED_AT: jobs.now(), jobs.REASON: reason, jobs.EXIT_CODE: exit_code})
