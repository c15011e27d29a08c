"""What every worker task is started with: the container overrides and the placement
(docs/contract.md). Built here once for the dispatcher's RunTask and the operator's `offload rerun`."""

from __future__ import annotations

from typing import Any

from offload_contract import env


def placement(constraint: str | None) -> dict[str, Any]:
    """RunTask's placement: tasks spread over the on-prem instances, on those the constraint admits."""
    chosen: dict[str, Any] = {"placementStrategy": [{"type": "spread", "field": "instanceId"}]}
    if constraint:
        chosen["placementConstraints"] = [{"type": "memberOf", "expression": constraint}]
    return chosen


def task_overrides(
    container: str,
    bucket: str,
    key: str,
    etag: str,
    job_id: str,
    jobs_table: str,
    table: str,
    shard: tuple[int, int, int, int] | None = None,
    schema_key: str | None = None,
) -> dict[str, Any]:
    """shard: (index, count, start, end) for one shard of a sharded job; schema_key: the schema object
    the task loads with (None: no SCHEMA_KEY, so the worker's built-in orders schema)."""
    values = {
        env.S3_BUCKET_NAME: bucket,
        env.S3_KEY: key,
        env.STATUS_KEY: etag,
        env.JOB_ID: job_id,
        env.JOBS_TABLE: jobs_table,
        env.TABLE_NAME: table,
    }
    names = tuple(n for n in env.TASK_OVERRIDES if n != env.SCHEMA_KEY or schema_key)
    if schema_key:
        values[env.SCHEMA_KEY] = schema_key
    if shard is not None:
        index, count, start, end = shard
        values.update({env.SHARD_INDEX: str(index), env.SHARD_COUNT: str(count), env.SHARD_RANGE: f"{start}-{end}"})
        names += env.SHARD_OVERRIDES
    return {
        "containerOverrides": [{"name": container, "environment": [{"name": n, "value": values[n]} for n in names]}]
    }
