"""Files in, jobs out: upload to the input prefix, read the jobs table, format it.
Used by `offload submit`, `offload status` and the demo, against either target."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from offload_contract import ids, jobs
from offload_contract.layout import Layout
from offload_contract.task import task_overrides

FINAL = (jobs.SUCCEEDED, jobs.FAILED)


@dataclass(frozen=True)
class Stack:
    """What the job commands need from the stack's outputs."""

    region: str
    bucket: str
    layout: Layout
    jobs_table: str
    orders_table: str
    dlq_url: str
    cluster: str = ""
    task_definition: str = ""
    container: str = ""
    endpoint: str | None = None

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any], endpoint: str | None = None) -> Stack:
        return cls(
            region=str(outputs["region"]),
            bucket=str(outputs["bucket"]),
            layout=Layout(str(outputs["input_prefix"]), str(outputs["output_prefix"]), str(outputs["rejected_prefix"])),
            jobs_table=str(outputs["jobs_table"]),
            orders_table=str(outputs["orders_table"]),
            dlq_url=str(outputs["dlq_url"]),
            cluster=str(outputs["cluster_name"]),
            task_definition=str(outputs["task_definition_family"]),
            container=str(outputs["container_name"]),
            endpoint=endpoint,
        )

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint)


@dataclass(frozen=True)
class Submitted:
    key: str
    etag: str
    job_id: str
    uploaded_at: float


def submit(
    stack: Stack, path: Path, key: str | None = None, progress: Callable[[int], None] | None = None
) -> Submitted:
    """Upload a file under the input prefix (multipart when large, as S3 notifies for both)."""
    key = key or stack.layout.input_prefix + path.name
    s3 = stack.client("s3")
    s3.upload_file(str(path), stack.bucket, key, Callback=progress)
    uploaded_at = time.monotonic()
    etag = s3.head_object(Bucket=stack.bucket, Key=key)["ETag"]
    return Submitted(key, etag, ids.job_id(stack.bucket, key, etag), uploaded_at)


def get_job(stack: Stack, job_id: str) -> dict[str, Any] | None:
    item = stack.client("dynamodb").get_item(
        TableName=stack.jobs_table, Key={jobs.JOB_ID: {"S": job_id}}, ConsistentRead=True
    )
    return _plain(item["Item"]) if "Item" in item else None


def list_jobs(stack: Stack) -> list[dict[str, Any]]:
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=stack.jobs_table)
    found = [_plain(item) for page in pages for item in page.get("Items", [])]
    return sorted(found, key=lambda j: -int(j.get(jobs.CREATED_AT, 0)))


def dead_letters(stack: Stack) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0))


def status_text(stack: Stack, now: float | None = None) -> str:
    """What `offload status` shows: the jobs, then any events the dispatcher gave up on."""
    text = table(list_jobs(stack), now)
    stuck = dead_letters(stack)
    if stuck:
        text += (
            f"{os.linesep}{stuck} event(s) in the dead-letter queue {stack.dlq_url}: the dispatcher gave up on them; "
            "once instances have room, redrive them to the queue (SQS console: Start DLQ redrive)"
        )
    return text


class RerunRefused(Exception):
    """The job cannot be rerun; str() says why in one line."""


def rerun(stack: Stack, job_id: str, force: bool = False) -> str:
    """Start the worker again for a FAILED job (same file, same ETag); returns the task ARN.
    Writes are idempotent, so rows a killed run already loaded are written again, not twice.
    force: also a job still shown RUNNING whose task is known to be gone (host lost)."""
    job = get_job(stack, job_id)
    if job is None:
        raise RerunRefused(f"no job {job_id!r} in table {stack.jobs_table}: see `offload status`")
    status = job.get(jobs.STATUS)
    if status != jobs.FAILED and not (force and status == jobs.RUNNING):
        hint = " (if its task is gone, pass --force)" if status == jobs.RUNNING else ""
        raise RerunRefused(f"job {job_id} is {status}, not FAILED: only a failed job is rerun{hint}")
    previous = int(job.get(jobs.ATTEMPTS, 0))
    attempt = previous + 1
    # Claim the rerun first: of two operators rerunning at once, one starts a task.
    try:
        _update(
            stack,
            job_id,
            "SET #st = :queued, #att = :att, #up = :now REMOVE #reason, #exit, #arn",
            {
                ":queued": {"S": jobs.QUEUED},
                ":att": {"N": str(attempt)},
                ":seen": {"S": str(status)},
                ":prev": {"N": str(previous)},
            },
            condition="#st = :seen AND (attribute_not_exists(#att) OR #att = :prev)",
        )
    except stack.client("dynamodb").exceptions.ConditionalCheckFailedException:
        raise RerunRefused(f"job {job_id} changed while this rerun started it: see `offload status`") from None
    bucket, key, etag = str(job[jobs.BUCKET]), str(job[jobs.KEY]), str(job[jobs.ETAG])
    response = stack.client("ecs").run_task(
        cluster=stack.cluster,
        taskDefinition=stack.task_definition,
        launchType="EXTERNAL",
        count=1,
        startedBy="offload-rerun",
        clientToken=f"{job_id}-rerun-{attempt}",  # the dispatcher's token (the job id) would return the old task
        overrides=task_overrides(stack.container, bucket, key, etag, job_id, stack.jobs_table, stack.orders_table),
    )
    if not response.get("tasks"):
        reasons = ", ".join(sorted({f.get("reason", "?") for f in response.get("failures", [])}))
        why = f"rerun could not be placed ({reasons or 'no reason given'}): see `offload fleet`"
        _update(
            stack,
            job_id,
            "SET #st = :failed, #reason = :why, #up = :now",
            {":failed": {"S": jobs.FAILED}, ":why": {"S": why}},
        )
        raise RerunRefused(f"job {job_id}: {why}")
    task_arn = str(response["tasks"][0]["taskArn"])
    _update(stack, job_id, "SET #arn = :arn, #up = :now", {":arn": {"S": task_arn}})
    return task_arn


def _update(stack: Stack, job_id: str, expression: str, values: dict[str, Any], condition: str | None = None) -> None:
    names = {
        "#st": jobs.STATUS,
        "#att": jobs.ATTEMPTS,
        "#up": jobs.UPDATED_AT,
        "#reason": jobs.REASON,
        "#exit": jobs.EXIT_CODE,
        "#arn": jobs.TASK_ARN,
    }
    used = {k: v for k, v in names.items() if k in expression or (condition and k in condition)}
    request: dict[str, Any] = {
        "TableName": stack.jobs_table,
        "Key": {jobs.JOB_ID: {"S": job_id}},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": used,
        "ExpressionAttributeValues": {**values, ":now": {"N": str(jobs.now())}},
    }
    if condition:
        request["ConditionExpression"] = condition
    stack.client("dynamodb").update_item(**request)


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON -> plain values (numbers as int where whole)."""
    out: dict[str, Any] = {}
    for name, typed in item.items():
        ((kind, value),) = typed.items()
        out[name] = int(value) if kind == "N" and value.lstrip("-").isdigit() else value
    return out


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def table(rows: Iterable[dict[str, Any]], now: float | None = None) -> str:
    """The jobs as an aligned text table: key, status, rows, task, age, reason."""
    current = now if now is not None else time.time()
    lines = [("KEY", "STATUS", "ROWS", "TASK", "AGE", "REASON")]
    for job in rows:
        counted = jobs.ROWS_LOADED in job
        lines.append(
            (
                str(job.get(jobs.KEY, "")),
                str(job.get(jobs.STATUS, "")),
                f"{job.get(jobs.ROWS_LOADED, 0)}/{job.get(jobs.ROWS_TOTAL, 0)}" if counted else "-",
                str(job.get(jobs.TASK_ARN, "-")).rsplit("/", 1)[-1][:12],
                age(current - int(job.get(jobs.CREATED_AT, current))),
                str(job.get(jobs.REASON, "")),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    return os.linesep.join(
        ("  ".join(cell.ljust(width) for cell, width in zip(line[:5], widths, strict=True)) + "  " + line[5]).rstrip()
        for line in lines
    )
