"""RunTask on ECS Anywhere, and telling "no room yet" apart from real errors."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from offload_contract import jobs
from offload_contract.shards import client_token
from offload_contract.task import placement, task_overrides

from offload_dispatch.s3_records import S3Object
from offload_dispatch.settings import Settings

STARTED_BY = "offload-dispatch"
# Codes meaning "try again later": SQS redelivers the message after its visibility timeout.
_TRANSIENT_CODES = {
    "ThrottlingException",
    "ServerException",
    "ServiceUnavailableException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
}
_NO_INSTANCES = "No Container Instances were found"


class NoCapacity(Exception):
    """The task could not be placed now; str() is the reason shown on the job."""


class TokenConflict(Exception):
    """RunTask's ConflictException: the clientToken was used before with other parameters (e.g.
    PLACEMENT_CONSTRAINT or the task definition changed while the event waited). ECS names the
    tasks that earlier call started in `resourceIds` (ECS API reference, ConflictException);
    `task_arns` holds them, empty if it named none."""

    def __init__(self, task_arns: list[str], message: str) -> None:
        super().__init__(message)
        self.task_arns = task_arns


def overrides(
    settings: Settings,
    obj: S3Object,
    job_id: str,
    record: dict[str, Any],
    shard: tuple[int, int, int, int] | None = None,
) -> dict[str, Any]:
    """The schema and table come from the job's record (its claim), so a job started from the
    backlog loads with the schema version it was claimed with, whatever SCHEMAS says since."""
    table = str(record.get(jobs.TABLE) or settings.table)
    schema_key = str(record[jobs.SCHEMA_KEY]) if record.get(jobs.SCHEMA_KEY) else None
    return task_overrides(
        settings.container, obj.bucket, obj.key, obj.etag, job_id, settings.jobs_table, table, shard, schema_key
    )


def run_task(
    ecs: Any,
    settings: Settings,
    obj: S3Object,
    job_id: str,
    record: dict[str, Any],
    shard: tuple[int, int, int, int] | None = None,
) -> str:
    """Start the worker for one file, or one shard (index, count, start, end) of it; returns the
    task ARN or raises NoCapacity. The file's site (its key's prefix) picks the task definition,
    whose role may read only that site's files, and the placement; its record, the schema."""
    site = settings.site_for(obj.key)
    if site is None:  # the dispatcher fails such a job before it claims a slot; never start one
        raise ValueError(f"{obj.key}: {settings.no_site_reason()}")
    try:
        response = ecs.run_task(
            cluster=settings.cluster,
            taskDefinition=site.task_definition,
            launchType="EXTERNAL",  # no networkConfiguration: ECS refuses one for EXTERNAL
            count=1,
            startedBy=STARTED_BY,
            # A repeated call returns the same task instead of a second one.
            clientToken=job_id if shard is None else client_token(job_id, shard[0]),
            overrides=overrides(settings, obj, job_id, record, shard),
            **placement(site.placement_constraint),
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code == "ConflictException":
            raise TokenConflict([str(arn) for arn in error.response.get("resourceIds", [])], message) from None
        if code in _TRANSIENT_CODES or _NO_INSTANCES in message:
            raise NoCapacity(f"{code}: {message}") from None
        raise
    tasks = response.get("tasks", [])
    if tasks:
        return str(tasks[0]["taskArn"])
    failures = response.get("failures", [])
    reasons = sorted(
        {f"{f.get('reason', '?')}" + (f" ({f['detail']})" if f.get("detail") else "") for f in failures}
    ) or ["RunTask started no task and gave no reason"]
    raise NoCapacity("no instance can take the task: " + ", ".join(reasons))
