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
