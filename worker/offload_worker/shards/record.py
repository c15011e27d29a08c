"""A shard's side of the job record: its own entry in the Shards map, the job's status, and the
summaries of their ranges that shards publish for each other (docs/contract.md, "Sharded jobs")."""

from __future__ import annotations

from typing import Any

from offload_contract import jobs

from offload_worker.ledger import JobLedger
from offload_worker.shards.boundary import Entry, Exit, Summary


class ShardLedger(JobLedger):
    """A shard writes its own entry in Shards (and ShardsDone); only the shard that assembles the
    results writes the job's Report. The job's Status is the task-state function's."""

    def __init__(self, client: Any, table: str | None, job_id: str, index: int, count: int) -> None:
        super().__init__(client, table, job_id)
        self.index, self.count = index, count

    def _table_(self) -> Any:
        return self._client.Table(self._table)

    def _set_shard(self, values: dict[str, Any], condition: str | None = None) -> bool:
        """SET attributes of this shard's entry in the Shards map; False when the condition does not hold."""
        names = {"#sh": jobs.SHARDS, "#i": str(self.index)}
        names.update({f"#a{n}": name for n, name in enumerate(values)})
        sets = ", ".join(f"#sh.#i.#a{n} = :v{n}" for n in range(len(values)))
        request: dict[str, Any] = {
            "Key": {jobs.JOB_ID: self.job_id},
            "UpdateExpression": f"SET {sets}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {f":v{n}": v for n, v in enumerate(values.values())},
        }
        if condition:
            request["ConditionExpression"] = condition
        try:
            self._table_().update_item(**request)
        except self._client.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def job(self) -> dict[str, Any]:
        return dict(self._table_().get_item(Key={jobs.JOB_ID: self.job_id}, ConsistentRead=True).get("Item", {}))

    def running(self, bucket: str, key: str, etag: str, processes: tuple[int, str] = (1, "")) -> None:
        if not self._table:
            return
        self._set_shard(
            {
                jobs.STATUS: jobs.RUNNING,
                jobs.STARTED_AT: jobs.now(),
                jobs.LOAD_PROCESSES: processes[0],
                jobs.LOAD_PROCESSES_REASON: processes[1],
            }
        )

    def progress(self, rows: int, bytes_read: int, size: int, rows_per_second: int) -> None:
        if self._table:
            values = {jobs.ROWS_READ: rows, jobs.BYTES_READ: bytes_read, jobs.ROWS_PER_SECOND: rows_per_second}
            self._set_shard({**values, jobs.PROGRESS_AT: jobs.now()}, condition="attribute_exists(#sh.#i)")

    def publish_summary(self, summary: Summary) -> None:
        self._set_shard({jobs.SHARD_SUMMARY: _summary_value(summary)})

    def publish_entry(self, entry: Entry) -> None:
        value = {jobs.ENTRY_OFFSET: entry.offset, jobs.ENTRY_LINE: entry.line, jobs.ENTRY_QUOTED: entry.quoted}
        self._set_shard({jobs.SHARD_ENTRY: value})

    def summaries(self) -> dict[int, Summary]:
        """The summaries published so far, by shard."""
        shards = self.job().get(jobs.SHARDS, {})
        return {int(i): _summary(s[jobs.SHARD_SUMMARY]) for i, s in shards.items() if jobs.SHARD_SUMMARY in s}

    def done(self, fields: dict[str, Any]) -> int:
        """This shard's rows are written and its parts staged; returns how many shards are."""
        names = {"#sh": jobs.SHARDS, "#i": str(self.index), "#done": jobs.SHARDS_DONE}
        names.update({f"#a{n}": name for n, name in enumerate(fields)})
        sets = ", ".join(f"#sh.#i.#a{n} = :v{n}" for n in range(len(fields)))
        response = self._table_().update_item(
            Key={jobs.JOB_ID: self.job_id},
            UpdateExpression=f"SET {sets} ADD #done :me",  # a set: a rerun adds itself once
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={**{f":v{n}": v for n, v in enumerate(fields.values())}, ":me": {self.index}},
            ReturnValues="UPDATED_NEW",
        )
        return len(response["Attributes"].get(jobs.SHARDS_DONE, ()))

    def loaded(self, summary: dict[str, Any]) -> None:
        """This shard assembled the job's results: the job's report, naming the shard."""
        for progress in (jobs.ROWS_READ, jobs.BYTES_READ):  # the shards' own, in Shards
            summary.pop(progress)
        size = summary.pop(jobs.SIZE_BYTES)
        fields = {jobs.FINISHED_AT: jobs.now(), jobs.EXIT_CODE: 0, jobs.REPORTED_SHARD: self.index, **summary}
        self._report(jobs.REPORTED_ASSEMBLED, fields, {jobs.SIZE_BYTES: size})

    def failed(self, reason: str, exit_code: int) -> None:
        """The task-state function fails the job ("shard i/K: reason") when this task stops."""
        if self._table:
            self._set_shard({jobs.STATUS: jobs.FAILED, jobs.REASON: reason, jobs.EXIT_CODE: exit_code})


_EXIT = ("Lines", "Quoted", "Through", "Widest")


def _summary_value(summary: Summary) -> dict[str, Any]:
    def exit_value(exit_: Exit) -> dict[str, Any]:
        return dict(zip(_EXIT, (exit_.lines, exit_.quoted, exit_.through, exit_.widest), strict=True))

    return {
        "Start": summary.start,
        "Stop": summary.stop,
        "AtRow": exit_value(summary.at_row),
        "InField": exit_value(summary.in_field),
    }


def _summary(value: dict[str, Any]) -> Summary:
    def exit_of(v: dict[str, Any]) -> Exit:
        return Exit(int(v["Lines"]), int(v["Quoted"]), bool(v["Through"]), int(v["Widest"]))

    return Summary(int(value["Start"]), int(value["Stop"]), exit_of(value["AtRow"]), exit_of(value["InField"]))


def entry_of(shard: dict[str, Any]) -> Entry | None:
    value = shard.get(jobs.SHARD_ENTRY)
    if not value:
        return None
    return Entry(int(value[jobs.ENTRY_OFFSET]), int(value[jobs.ENTRY_LINE]), int(value[jobs.ENTRY_QUOTED]))
