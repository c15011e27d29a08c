"""Run the worker as ECS would: `python -m offload_worker` with env, over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import boto3

BUCKET = "orders-bucket"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def worker_env(endpoint: str, key: str, etag: str | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "S3_BUCKET_NAME": BUCKET, "S3_KEY": key,
           "TABLE_NAME": "Order", "JOBS_TABLE": "jobs", "WRITE_CONCURRENCY": "4", **extra}
    if etag:
        env["STATUS_KEY"] = etag
    return env


def run_worker(endpoint: str, key: str, etag: str | None = None, **extra: str) -> Run:
    done = subprocess.run([sys.executable, "-m", "offload_worker"], env=worker_env(endpoint, key, etag, **extra),
                          capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def start_worker(endpoint: str, key: str, etag: str, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "offload_worker"], env=worker_env(endpoint, key, etag, **extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def put(key: str, body: bytes | str) -> str:
    data = body.encode() if isinstance(body, str) else body
    return str(boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"])


def get_text(key: str) -> str:
    return str(boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode())


def keys(prefix: str = "") -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def items() -> dict[str, dict[str, Any]]:
    table = boto3.resource("dynamodb").Table("Order")
    found: dict[str, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        found.update({i["OrderId"]: i for i in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def job(job_id: str) -> dict[str, Any]:
    return dict(boto3.resource("dynamodb").Table("jobs").get_item(Key={"JobId": job_id}).get("Item", {}))
