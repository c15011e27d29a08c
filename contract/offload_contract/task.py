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
    container: str, bucket: str, key: str, etag: str, job_id: str, jobs_table: str, table: str
) -> dict[str, Any]:
    values = {
        env.S3_BUCKET_NAME: bucket,
        env.S3_KEY: key,
        env.STATUS_KEY: etag,
        env.JOB_ID: job_id,
        env.JOBS_TABLE: jobs_table,
        env.TABLE_NAME: table,
    }
    return {
        "containerOverrides": [
            {"name": container, "environment": [{"name": name, "value": values[name]} for name in env.TASK_OVERRIDES]}
        ]
    }
